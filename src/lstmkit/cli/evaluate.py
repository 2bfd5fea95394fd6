"""``lstmkit evaluate``: rolling-origin metrics of a saved forecaster against the baselines."""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path

from lstmkit.cli.common import add_report_flag, positive_int
from lstmkit.cli.forecast import add_date_format_arg
from lstmkit.errors import DataError
from lstmkit.logs import counted

EXAMPLE = """\
example:
  lstmkit train airpassengers --horizon 12 --output runs/air-model
  lstmkit evaluate --model runs/air-model airpassengers --backtest 3 --output runs/air-model/backtest.json

origin k forecasts the H points ending (k-1)*H points before the end of DATA; the model is not
retrained, so points it was trained on give optimistic numbers (the command says how many)."""


def run(args: argparse.Namespace) -> int:
    from lstmkit.evaluate import reference_worker

    reference_worker.prepare()  # the child's StatsForecast import overlaps ours of torch
    from lstmkit.evaluate.backtest import format_table
    from lstmkit.models.forecaster import LSTMForecaster

    if args.output and Path(args.output).is_dir():
        raise DataError(f"--output {args.output} is a folder; pass a file path such as metrics.json")
    if args.output and not args.no_report and Path(args.output).suffix == ".html":
        raise DataError(
            f"--output {args.output} is the report's name (FILE.html goes beside FILE.json); pass a file path "
            f"such as {Path(args.output).with_suffix('.json')}"
        )
    model = LSTMForecaster.load(args.model)
    if args.date_format:
        model.config.data.date_format = args.date_format
    result = model.evaluate(args.data, backtest=args.backtest)
    print(
        f"{result['origins']} origin(s) x {counted(result['horizon'], 'step')}, {result['series']} series, "
        f"season {result['season']}:"
    )
    print(format_table(result["scores"]))
    if result["points_seen_in_training"]:
        print(
            f"note: {result['points_seen_in_training']} of {result['points_scored']} scored points were in the training data"
        )
    if args.output:
        _write_evaluation(args, model, result)
    return 0


def _write_evaluation(args: argparse.Namespace, model, result: dict) -> None:
    """FILE.json and (unless --no-report) the report beside it, FILE.html: each made as a temporary file and
    renamed only once both are written, so a failure replaces neither."""
    from lstmkit.evaluate.metrics import json_ready
    from lstmkit.io import atomic_output

    path = Path(args.output)
    with contextlib.ExitStack() as files:
        metrics = files.enter_context(atomic_output(path))
        metrics.write_text(json.dumps(json_ready(result), indent=2) + "\n", encoding="utf-8")
        if not args.no_report:  # lstmkit.plots.report_forecast
            from lstmkit.plots.report_forecast import forecast_report

            forecast_report(
                files.enter_context(atomic_output(path.with_suffix(".html"))),
                model=model,
                data=model.read(args.data),
                metrics=result,
                argv=getattr(args, "argv", None),
                title="Evaluation",
            )


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="rolling-origin metrics of a saved forecaster vs baselines",
        description="Score a saved forecaster on DATA from K rolling origins against StatsForecast's naive, "
        "seasonal naive, AutoETS, AutoARIMA, AutoTheta (MSTL with an AutoETS and with an AutoARIMA trend for "
        "seasons of 24 and more) and their mean.",
        epilog=EXAMPLE,
    )
    parser.add_argument("data", metavar="DATA", help="CSV or Parquet file, or a bundled dataset name")
    add_date_format_arg(parser)
    parser.add_argument("--model", required=True, metavar="DIR", help="model folder")
    parser.add_argument(
        "--backtest", type=positive_int, default=1, metavar="K", help="number of origins (default 1)"
    )
    parser.add_argument(
        "--output", metavar="FILE.json", help="also write the metrics as JSON, and the report as FILE.html"
    )
    add_report_flag(parser)
    parser.set_defaults(func=run)
