"""``lstmkit forecast``: train on all of DATA, forecast H steps past its end, evaluate on a hold-out, plot."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from lstmkit.cli.common import add_training_args, positive_int, show_progress, training_overrides
from lstmkit.cli.forecast_holdout import HOLDOUT_NOTE, HoldoutRun, holdout_obstacle
from lstmkit.cli.output_folder import check_model_output, claim_output, discard_checkpoints
from lstmkit.errors import ConfigError, DataError
from lstmkit.logs import counted, held_back, labelled

log = logging.getLogger(__name__)

COMMAND = "lstmkit forecast"  # recorded in its checkpoints: 'lstmkit train' refuses to resume them

READING_RULES = """\
what lstmkit reads (CSV or Parquet; the README's "What lstmkit reads" has the details):
  file        UTF-8, UTF-16 or Windows-1252 text; delimiter , ; tab or | (detected); a title or
              notes above the column names (a first cell alone) are skipped, with a warning
  numbers     "1,037" and "12,345.6" (thousands commas); in ;-separated files 1.037,5 and 12,5
              (decimal commas, dots then group thousands), elsewhere too where no thousands comma
              reads a column ("1.037,5" quoted in a comma file); empty, NA, nan, N/A, null, - and ?
              cells are gaps
  time axis   --time-col, else detected: a year column beside a month or quarter column (2020,Jan or
              2020,Q1: read as one, written 2020-01 or 2020-Q1); a column named like a time (date,
              month, t, step, index...) or any column whose cells are dates (2020-01-31, 31/01/2020,
              01/31/2020 13:00, 01-Jan-2020, 1-Jan-20, 01JAN2020, 01-Jan-2020 1:00 PM, Jan 1, 2020,
              Jan-1-1995), months (1949-01, Jan 1949, 1949 Jan, Mrz 2020, janv.-20, 2020M01,
              01-2020, 01.2020, 2020.01, 202001, or dates on one day of each month), quarters
              (1965-Q1, 1965 Q1, Q1 1965, 1Q20, 2020T1, 20101, or dates on one day of each quarter
              such as 2020-02-15), half years (2000-H1, 2000 H2, H1 2000: season 2), fiscal years
              (FY2020, FY20), ISO weeks (2020-W01, 2019 W2, 201902 in a week column), times with a
              UTC offset (also 13/02/2020 00:00Z; several, as daylight saving makes: modelled in UTC,
              written on the clock of the time zone they match, or of the one named with
              --set data.time_zone=Europe/Berlin), years (1990) or R's decimal years
              (1949.083333 is Feb 1949; a ts of frequency 4, 12, 52 or 365, or 52.18 and 365.25
              where they land on whole days 1 or 7 apart) in a column named like a time;
              else a first column of strictly increasing, evenly spaced integers (t = 0, 1, 2, ...);
              an unnamed column of row numbers (or R's rownames) is left out
  dates       n/n/yyyy is read month first unless that reading is impossible or irregular; a
              warning says so when dates are read day first or could be read either way, and
              --date-format %d/%m/%Y (strftime codes) settles it. forecast.csv writes future times
              the way the file writes times (31/01/2020, Jan 2016, 1965-Q1, 60)
  order       rows out of time order are sorted (with a warning); a time stamp that appears twice
              is an error (per series with --id-col), except the hour local clocks repeat when
              daylight saving ends (averaged, with a warning; the hour they skip when it begins is
              filled, with a warning); missing steps and cells are interpolated; daily times with
              no weekend day in two weeks or more are business days (season 5)
  target      --target, else the single numeric column left (a text column is named as not numeric)
  series      --id-col ID: long format, one row per series and time; --target a,b,c or --target all:
              wide format, one series per column, ids = the column names in forecast.csv
  covariates  the other numeric columns (their past values only)"""

EXAMPLE = (
    """\
example:
  lstmkit forecast airpassengers --horizon 12 --output runs/air
  lstmkit forecast sales.csv --horizon 8 --target units --time-col week --quantiles 0.1,0.5,0.9
  lstmkit forecast stores.csv --horizon 14 --id-col store --set model.ensemble=3
  lstmkit forecast shops_wide.csv --horizon 6 --target all        (one column per series)
  lstmkit forecast ventes.csv --horizon 7 --date-format %d/%m/%Y

writes DIR/forecast.csv (id, time, step, forecast, q...), metrics.json (hold-out LSTM vs baselines),
forecast.png, loss.png, history.csv and model/ (use it with 'lstmkit predict --model DIR/model').

"""
    + READING_RULES
)


def quantile_list(text: str) -> tuple[float, ...]:
    """argparse type: comma-separated quantile levels, each strictly between 0 and 1 ('none': no quantiles)."""
    if text.strip().lower() == "none":
        return ()
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers such as 0.1,0.5,0.9, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one quantile such as 0.1,0.5,0.9")
    bad = [v for v in values if not 0.0 < v < 1.0]
    if bad:
        raise argparse.ArgumentTypeError(f"quantiles must lie strictly between 0 and 1, got {bad[0]:g}")
    return tuple(sorted(set(values)))


def add_date_format_arg(parser: argparse.ArgumentParser) -> None:
    """``--date-format``, shared by every command that reads a series file."""
    parser.add_argument(
        "--date-format",
        metavar="FMT",
        help="how the time cells are written, as strftime codes such as %%d/%%m/%%Y or '%%b %%Y', or unix-s / unix-ms "
        "for Unix times (default: detected)",
    )


def add_forecast_args(parser: argparse.ArgumentParser, *, data: bool = True) -> None:
    """DATA and the forecasting flags shared by ``forecast`` and ``train``."""
    if data:
        parser.add_argument(
            "data",
            metavar="DATA",
            help="CSV or Parquet file, or a bundled dataset name (see 'lstmkit datasets')",
        )
    parser.add_argument("--horizon", type=positive_int, help="steps to forecast (default 12)")
    parser.add_argument(
        "--target",
        help="column to forecast (default: the single numeric column); "
        "'a,b,c' or 'all': one series per column (wide format)",
    )
    parser.add_argument("--time-col", help="time column (default: detected)")
    add_date_format_arg(parser)
    parser.add_argument("--id-col", help="series id column, for several series in long format")
    parser.add_argument(
        "--season", type=positive_int, help="season length (default: from the frequency, e.g. 12 for monthly)"
    )
    parser.add_argument("--lookback", type=positive_int, help="input window length (default: 2-3 seasons)")
    parser.add_argument(
        "--quantiles",
        type=quantile_list,
        help="quantile levels (default 0.1,0.9: an 80%% interval; 'none' for a point forecast only)",
    )
    parser.add_argument("--output", metavar="DIR", help="output folder (default runs/<data name>)")
    add_training_args(parser)


def build_config(args: argparse.Namespace):
    """The ForecastConfig from defaults, --config, --set and the flags (flags win)."""
    from lstmkit.config import resolve_config
    from lstmkit.models.forecast_config import ForecastConfig, normalised

    flags: dict[str, Any] = dict(training_overrides(args))
    for flag, key in (
        ("horizon", "model.horizon"),
        ("lookback", "model.lookback"),
        ("quantiles", "model.quantiles"),
        ("target", "data.target"),
        ("time_col", "data.time_col"),
        ("id_col", "data.id_col"),
        ("date_format", "data.date_format"),
        ("season", "data.season"),
    ):
        if getattr(args, flag, None) is not None:
            flags[key] = getattr(args, flag)
    cfg = normalised(
        resolve_config(ForecastConfig(), path=args.config, overrides=args.overrides, flags=flags)
    )
    if cfg.model.lookback is not None and cfg.model.lookback < 2:
        raise ConfigError(f"--lookback must be at least 2, got {cfg.model.lookback}")
    return cfg


def output_dir(args: argparse.Namespace, *, model_dir: str, command: str) -> Path:
    """--output, or runs/<data name>; refused when it is an existing file or holds another job's run, or
    another command's interrupted run (this ``command``'s own earlier run, its model in ``DIR/model_dir``,
    may be replaced)."""
    from lstmkit.data.datasets import dataset_stem

    path = Path(args.output) if args.output else Path("runs") / dataset_stem(args.data)
    check_model_output(path, "forecast", model_dir=model_dir, command=command)
    return path


def check_resumable(out: Path, *, stages: tuple[str, ...]) -> None:
    """``--resume`` needs an interrupted run in ``out``: a ``.checkpoints`` folder and, when it holds any
    checkpoint, this command's ``stages`` only. Another job's checkpoint (an older lstmkit's, which did not
    record its task or command) was ignored: the run trained afresh and removed it; ``lstmkit train`` resumed
    the final model of an interrupted ``lstmkit forecast`` (its holdout.json beside) and removed the rest.

    Raises:
        DataError: no interrupted run of this command's.
    """
    folder = out / ".checkpoints"
    if not folder.is_dir():
        raise DataError(
            f"--resume: {out} holds no interrupted run (no .checkpoints folder); run without --resume"
        )
    held = sorted(p.name for p in folder.glob("*.json"))
    ours = [f"{stage}.json" for stage in stages]
    others = sorted(set(held) - set(ours))
    if others:
        raise DataError(
            f"--resume: {folder} holds {', '.join(others)}, not this command's {' or '.join(ours)}: another "
            "command's interrupted run; resume it with the command that started it, or choose another --output"
        )


def train_model(cfg, data, out: Path, *, progress: bool, resume: bool, stage: str, command: str, judge=None):
    """Fit a forecaster with its checkpoint in ``out/.checkpoints/<stage>.json`` (resumable), naming ``command``;
    ``judge``: the hold-out model, whose network's forecasts of the last H points weigh the combination."""
    from lstmkit.models.forecaster import LSTMForecaster

    ckpt = out / ".checkpoints" / f"{stage}.json"
    model = LSTMForecaster(cfg.model.horizon, config=cfg)
    return model.fit(
        data,
        progress=progress,
        checkpoint_path=ckpt,
        resume=resume and ckpt.exists(),
        judge=judge,
        command=command,
    )


def with_final_season(cfg, data):
    """``cfg`` with the season chosen once on all of ``data`` (inferred, or ``--season`` unless the data are too
    short for it): the hold-out model then gets the final model's season, so its scores describe the model the
    forecast comes from, and a dropped season is noted once, for the forecast, before the hold-out starts."""
    from lstmkit.data.seasons import choose_season

    cfg.data.season = choose_season(data, cfg.data.season, horizon=cfg.model.horizon)
    return cfg


def start_reference_fits(probe, data, *, holdout: bool) -> None:
    """Hand every classical fit this run will make to a second process, in the order they are needed: the
    hold-out model's, the hold-out scores' (naive methods too) and the final model's (reference_worker)."""
    from lstmkit.evaluate import reference_worker

    if not reference_worker.enabled():  # no child: the fits are made where they are needed
        return
    from lstmkit.data.seasons import choose_season
    from lstmkit.data.tabular import impute
    from lstmkit.evaluate.backtest import truncate
    from lstmkit.evaluate.references import planned_fits

    fits = []
    if holdout:
        train = impute(truncate(data, probe.config.model.horizon)[0])  # as the hold-out model fills it
        with labelled(HOLDOUT_NOTE.format(points=counted(probe.config.model.horizon, "point"))):
            season = choose_season(train, probe.config.data.season, horizon=probe.config.model.horizon)
        fits += probe.reference_fits(train, season=season)
        fits += planned_fits(
            [s.target for s in train.series],
            horizon=probe.config.model.horizon,
            season=season,
            quantiles=tuple(probe.config.model.quantiles),
        )
    reference_worker.start([*fits, *probe.reference_fits(data)])


def run(args: argparse.Namespace) -> int:
    from lstmkit.evaluate import reference_worker

    reference_worker.prepare()  # the child's StatsForecast import overlaps ours of torch
    from lstmkit.evaluate.backtest import format_table, network_alone_note
    from lstmkit.evaluate.metrics import json_ready
    from lstmkit.io import atomic_write_text, staged_folder
    from lstmkit.models.forecast_frame import forecast_frame
    from lstmkit.models.forecaster import LSTMForecaster
    from lstmkit.plots.forecast import plot_forecast, plot_loss

    cfg = build_config(args)
    out = output_dir(args, model_dir="model", command=COMMAND)
    if args.resume:
        check_resumable(out, stages=("holdout", "final"))
    claim_output(args, out)
    progress = show_progress(args)
    probe = LSTMForecaster(cfg.model.horizon, config=cfg)
    with held_back():  # a refused file (or one too short to forecast) shows its error line alone
        data = probe.read(args.data)
        probe = LSTMForecaster(cfg.model.horizon, config=with_final_season(cfg, data))
        obstacle = holdout_obstacle(cfg, data)

    H = cfg.model.horizon
    start_reference_fits(probe, data, holdout=not obstacle)
    evaluation = HoldoutRun(
        cfg, data, out, obstacle=obstacle, progress=progress, resume=args.resume, command=COMMAND
    )
    model = train_model(
        cfg,
        data,
        out,
        progress=progress,
        resume=args.resume,
        stage="final",
        command=COMMAND,
        judge=evaluation.judge,
    )
    metrics, holdout_fc, _ = evaluation.result()
    forecasts = model.forecast_arrays(data)
    frame = forecast_frame(data, forecasts, quantiles=cfg.model.quantiles)

    quantiles = tuple(cfg.model.quantiles)
    with staged_folder(out, owned=["report.html"]) as stage:  # made first, then moved into DIR
        atomic_write_text(stage / "forecast.csv", frame.to_csv(index=False))
        atomic_write_text(stage / "metrics.json", json.dumps(json_ready(metrics), indent=2) + "\n")
        model.history.to_csv(stage / "history.csv")
        model.save(stage / "model")
        plot_forecast(data, forecasts, stage / "forecast.png", quantiles=quantiles, holdout=holdout_fc)
        plot_loss(model.history.rows, stage / "loss.png")
        if not getattr(args, "no_report", False):  # report.html (lstmkit.plots.report_forecast)
            from lstmkit.plots.report_forecast import forecast_report

            forecast_report(
                stage / "report.html",
                model=model,
                data=data,
                metrics=metrics,
                forecasts=forecasts,
                holdout=holdout_fc,
                argv=getattr(args, "argv", None),
            )
    discard_checkpoints(out)

    if not args.quiet:
        if "scores" in metrics:
            print(
                f"hold-out of the last {counted(H, 'point')} ({metrics['series']} series, season {metrics['season']}):"
            )
            print(format_table(metrics["scores"]))
            if network_note := network_alone_note(metrics):
                print(f"note: {network_note}")
        report = "" if getattr(args, "no_report", False) else ", report.html"
        print(
            f"forecast of {counted(H, 'step')} written to {out}/forecast.csv (also metrics.json, forecast.png, loss.png, history.csv{report}, model/)"
        )
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "forecast",
        help="train an LSTM forecaster on DATA and forecast the next H steps",
        description="Train on all of DATA, forecast the H steps after its end, and evaluate the LSTM against "
        "StatsForecast's naive, seasonal naive, AutoETS, AutoARIMA, AutoTheta (MSTL with an AutoETS and with an "
        "AutoARIMA trend for seasons of 24 and more) and their mean on a hold-out of the last H points.",
        epilog=EXAMPLE,
    )
    add_forecast_args(parser)
    parser.set_defaults(func=run)
