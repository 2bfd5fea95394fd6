"""``lstmkit predict``: forecast from the end of DATA with a saved forecaster."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lstmkit.cli.forecast import add_date_format_arg
from lstmkit.errors import DataError
from lstmkit.logs import held_back

EXAMPLE = """\
example:
  lstmkit forecast airpassengers --horizon 12 --output runs/air
  lstmkit predict --model runs/air/model airpassengers --output runs/air/again.csv

the CSV has the columns of forecast.csv (id, time, step, forecast, q...); without --output it goes to stdout."""


def run(args: argparse.Namespace) -> int:
    from lstmkit.evaluate import reference_worker

    reference_worker.prepare()  # the child's StatsForecast import overlaps ours of torch
    from lstmkit.io import atomic_write_text
    from lstmkit.models.forecaster import LSTMForecaster

    if args.output and Path(args.output).is_dir():
        raise DataError(f"--output {args.output} is a folder; pass a file path such as forecast.csv")
    model = LSTMForecaster.load(args.model)
    if args.date_format:
        model.config.data.date_format = args.date_format
    with held_back():  # a refused file shows its error line alone
        data = model.read(args.data)
    if model.combination:  # a series shorter than the network's window: its members alone forecast it
        from lstmkit.models.network_coverage import note_classical_only

        adjusted = model.season if model.fitted.seasons is not None else None
        note_classical_only(data, model.window, adjusted_season=adjusted)
    if model.combination and reference_worker.enabled():  # the classical members' fits, in the child
        reference_worker.start(model.reference_fits(data, season=model.season, validation=False))
    frame = model.predict(data)
    text = frame.to_csv(index=False)
    if args.output:
        atomic_write_text(args.output, text)
        print(f"forecast written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="forecast from the end of DATA with a saved model",
        description="Forecast the model's horizon after the end of each series in DATA.",
        epilog=EXAMPLE,
    )
    parser.add_argument("data", metavar="DATA", help="CSV or Parquet file, or a bundled dataset name")
    add_date_format_arg(parser)
    parser.add_argument(
        "--model",
        required=True,
        metavar="DIR",
        help="model folder (from 'lstmkit train', or DIR/model of 'forecast')",
    )
    parser.add_argument("--output", metavar="FILE.csv", help="where to write the forecast (default: stdout)")
    parser.set_defaults(func=run)
