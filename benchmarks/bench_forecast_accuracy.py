"""Forecast accuracy on a corpus of real series: lstmkit (several seeds, with ablations) against StatsForecast.

    python benchmarks/bench_forecast_accuracy.py                              # the dev corpus, 3 seeds
    python benchmarks/bench_forecast_accuracy.py --variants full,linear,lstm  # the ablation
    python benchmarks/bench_forecast_accuracy.py --only ukgas,nottem --seeds 0 --set model.ensemble=3

The corpus is a folder of CSVs with an ``index.json`` (per file: horizon, season, target,
time column, id column for long-format sets), by default ``../shared/data/forecast-dev``.
For every file and origin (the last ``--origins`` blocks of ``horizon`` points), every method
sees only the raw history before the origin (gaps filled inside it), and is scored by MASE
with the in-sample seasonal-naive scale; a multi-series file is one global lstmkit model and
one score per series. Prints, per method, the geometric mean of MASE over series x origins
(mean and spread over seeds), its ratio to the StatsForecast combo (mean of AutoETS,
AutoARIMA, AutoTheta) and to AutoETS, the worst series against the best of seasonal naive /
AutoETS and how many series x origins are worse than 1.5x it (the issue's bound for a disaster;
mean over seeds). A further row takes, on each series x origin, the best of AutoETS, AutoARIMA and
AutoTheta in hindsight: no forecast, the ceiling of choosing among them. A network alone is scored only on the series it forecasts (not on one too short
for it, which the classical members alone forecast), its ratios taken on those series, and the
table says on how many. ``--save FILE.json`` keeps every forecast for further analysis.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "forecast-dev"


def gmean(values) -> float:
    v = np.maximum(np.asarray(values, dtype=float), 1e-9)
    return float(math.exp(np.log(v).mean()))


def corpus_files(corpus: Path, only: list[str]):
    """Yield (name, spec, raw SeriesData) for every file of the corpus."""
    import pandas as pd

    from lstmkit.data.tabular import load_series
    from lstmkit.errors import DataError

    index = json.loads((corpus / "index.json").read_text())
    for name, spec in index.items():
        if only and name not in only:
            continue
        try:
            data = load_series(
                corpus / f"{name}.csv",
                target=spec["target"],
                time_col=spec.get("time_col"),
                id_col=spec.get("id_col"),
                fill="keep",
            )
        except (
            DataError
        ):  # a time axis this lstmkit cannot read (e.g. an integer index): the values in file order
            frame = pd.read_csv(corpus / f"{name}.csv").drop(columns=[spec["time_col"]])
            data = load_series(frame, target=spec["target"], id_col=spec.get("id_col"), fill="keep")
        yield name, spec, data


def fit_chain(data, *, horizon: int, origins: int, config) -> dict[int, object]:
    """Forecasters fitted on the histories before origins ``origins - 1 .. 0``.

    The history before origin k + 1 is the history before origin k minus its last H points:
    exactly the data of origin k's judge (the network that sets its combination weights without
    seeing the validation points). So each fit hands itself on as the next one's judge, and
    ``origins`` forecasts cost ``origins + 1`` trainings, not ``2 * origins``.
    """
    from lstmkit.evaluate.backtest import truncate
    from lstmkit.models.forecaster import LSTMForecaster

    models, judge = {}, None
    for k in range(origins, -1, -1):  # k = origins: only a judge
        history, _ = truncate(data, (k + 1) * horizon)
        try:
            model = LSTMForecaster(horizon, config=config).fit(history, judge=judge)
        except Exception:  # noqa: BLE001 - the oldest judge may be too short: the next fit trains its own
            model = None
        if k < origins:
            models[k] = model if model is not None else LSTMForecaster(horizon, config=config).fit(history)
        judge = models.get(k, model)
    return models


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--origins", type=int, default=2)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument(
        "--variants", default="full", help="comma list of model.components: full, linear, lstm"
    )
    parser.add_argument("--only", default="")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--save", type=Path)
    parser.add_argument(
        "--report",
        type=Path,
        nargs="+",
        help="print the table of runs saved with --save (e.g. in parallel parts)",
    )
    args = parser.parse_args()
    if args.report:
        runs = [json.loads(path.read_text()) for path in args.report]
        seconds: dict[str, float] = {}
        for run in runs:
            for key, value in run["seconds"].items():
                seconds[key] = seconds.get(key, 0.0) + value
        merged: dict[tuple[str, int], dict] = {}  # parts by files or by seeds: one record per series x origin
        for record in (r for run in runs for r in run["records"]):
            into = merged.setdefault((record["series"], record["origin"]), {**record, "mase": {}})
            for key in ("mase", "forecast", "validation_errors"):
                into.setdefault(key, {}).update(record.get(key, {}))
        records = list(merged.values())
        report(records, args.variants.split(","), [int(s) for s in args.seeds.split(",")], seconds)
        return

    logging.basicConfig(level=logging.ERROR)
    import torch

    torch.set_num_threads(1)
    from lstmkit.config import resolve_config
    from lstmkit.data.tabular import impute
    from lstmkit.evaluate.backtest import truncate
    from lstmkit.evaluate.metrics import mase
    from lstmkit.evaluate.references import reference_forecasts
    from lstmkit.models.forecast_combination import error_weights
    from lstmkit.models.forecast_state import MIN_POINTS
    from lstmkit.models.forecaster import ForecastConfig

    seeds = [int(s) for s in args.seeds.split(",")]
    variants = args.variants.split(",")
    records, seconds = [], {}
    for name, spec, data in corpus_files(args.corpus, [s for s in args.only.split(",") if s]):
        H, m = spec["horizon"], spec["season"]
        # origins before which every series keeps the MIN_POINTS lstmkit forecasts from (a Tourism yearly series
        # of 11 points has one origin at H = 6)
        origins = min(args.origins, (min(len(s.target) for s in data.series) - MIN_POINTS) // H)
        if origins < args.origins:
            print(f"{name}: {origins} of {args.origins} origins (too short for more)", flush=True)
        forecasts: dict[int, dict[str, np.ndarray]] = {k: {} for k in range(origins)}
        errors: dict[int, dict[str, dict]] = {k: {} for k in range(origins)}  # validation, per fit
        histories = {k: truncate(data, (k + 1) * H)[0] for k in range(origins)}
        started = time.perf_counter()
        refs = {
            k: reference_forecasts([s.target for s in impute(h).series], horizon=H, season=m)
            for k, h in histories.items()
        }
        seconds["references"] = seconds.get("references", 0.0) + time.perf_counter() - started
        for k in range(origins):
            forecasts[k].update({ref: r.forecasts[:, :, 0] for ref, r in refs[k].items()})
        for variant in variants:
            for seed in seeds:
                cfg = resolve_config(
                    ForecastConfig(),
                    overrides=[
                        *args.overrides,
                        f"data.season={m}",
                        f"model.components={variant}",
                        f"trainer.seed={seed}",
                    ],
                )
                started = time.perf_counter()
                models = fit_chain(data, horizon=H, origins=origins, config=cfg)
                seconds[variant] = seconds.get(variant, 0.0) + time.perf_counter() - started
                for k, model in models.items():
                    forecasts[k][f"{variant}/{seed}"] = model.forecast_arrays(histories[k])[:, :, 0]
                    alone = model.network_forecasts(impute(histories[k]))[:, :, 0]
                    alone[list(model.network_left_out(histories[k]))] = np.nan  # no forecast of its own
                    forecasts[k][f"{variant} network alone/{seed}"] = alone
                    combination = model.state.combination
                    if combination and "errors" in combination:
                        errors[k][f"{variant}/{seed}"] = combination["errors"]
                    if combination and "errors" in combination:  # the ablation: the same rule, no network
                        held = np.array(
                            [
                                [
                                    [np.nan if e is None else e for e in row]
                                    for row in combination["errors"][str(s.id)]
                                ]
                                for s in histories[k].series
                            ],
                            dtype=np.float64,
                        ).transpose(1, 0, 2)  # (O, S, 1 + K)
                        held[..., 0] = np.where(np.isnan(held[..., 0]), np.nan, np.inf)
                        w = error_weights(held, combination.get("power", 1.0))[:, 1:]
                        members = np.stack(
                            [refs[k][n].forecasts[:, :, 0] for n in combination["members"][1:]], axis=1
                        )
                        forecasts[k][f"classical weighted/{seed}"] = np.einsum("skh,sk->sh", members, w)
        for k in range(origins):
            truths = truncate(truncate(data, k * H)[0], H)[1]
            filled = [s.target for s in impute(histories[k]).series]
            for i, (hist, truth) in enumerate(zip(filled, truths)):
                seen = ~np.isnan(truth)
                made = {meth: f[i] for meth, f in forecasts[k].items() if not np.isnan(f[i]).all()}
                row = {
                    "series": name if len(filled) == 1 else f"{name}:{data.series[i].id}",
                    "origin": k,
                    "kind": spec["kind"],
                    "mase": {
                        meth: mase(truth[seen], f[seen], insample=hist, season=m) for meth, f in made.items()
                    },
                    "forecast": {meth: f.tolist() for meth, f in made.items()},
                    "truth": truth.tolist(),
                    "forms": {ref: r.forms[i] for ref, r in refs[k].items()},
                    "validation_errors": {
                        fit: errs.get(str(data.series[i].id)) for fit, errs in errors[k].items()
                    },
                }
                records.append(row)
                shown = ", ".join(
                    f"{meth}={v:.3f}"
                    for meth, v in row["mase"].items()
                    if "/" not in meth or meth.endswith(f"/{seeds[0]}")
                )
                print(f"{row['series']:28s} origin {k}: {shown}", flush=True)
    if args.save:
        args.save.write_text(json.dumps({"records": records, "seconds": seconds, "argv": sys.argv[1:]}))
    report(records, variants, seeds, seconds)


HINDSIGHT = ("ets", "arima", "theta")
HINDSIGHT_NAME = "hindsight best of three"  # no forecast: the ceiling of choosing among them per series


def best_of_sn_ets(record: dict) -> float:
    """The better of seasonal naive and AutoETS on a series x origin: the issue's bound for a disaster is 1.5x it."""
    return max(min(record["mase"]["seasonal_naive"], record["mase"]["ets"]), 1e-9)


def report(records: list[dict], variants: list[str], seeds: list[int], seconds: dict[str, float]) -> None:
    refs = [m for m in records[0]["mase"] if "/" not in m]
    n = len(records)
    combo = gmean([r["mase"]["combo"] for r in records])
    ets = gmean([r["mase"]["ets"] for r in records])
    print(f"\ngeometric-mean MASE over {n} series x origins")
    print(
        f"{'method':28s} {'gmean MASE':>14s} {'/ combo':>9s} {'/ AutoETS':>10s} {'worst / best(sn, ets)':>22s}"
        f" {'over 1.5x':>10s}"
    )
    hindsight = [min(r["mase"][m] for m in HINDSIGHT) for r in records]
    for ref, scores in [
        *((ref, [r["mase"][ref] for r in records]) for ref in refs),
        (HINDSIGHT_NAME, hindsight),
    ]:
        g = gmean(scores)
        ratios = [score / best_of_sn_ets(r) for score, r in zip(scores, records)]
        print(
            f"{ref:28s} {g:14.3f} {g / combo:9.3f} {g / ets:10.3f} {max(ratios):22.2f} {sum(x > 1.5 for x in ratios):10d}"
        )
    partial = []
    first = f"/{seeds[0]}"  # the variants, named by their first seed's runs
    for variant in dict.fromkeys(
        v.removesuffix(first) for r in records for v in r["mase"] if v.endswith(first)
    ):
        # a network alone has no score on a series it does not forecast: it is compared on those it does
        scored = [r for r in records if all(f"{variant}/{s}" in r["mase"] for s in seeds)]
        if len(scored) < n:
            partial.append(f"{variant}: {len(scored)} of {n}")
        if not scored:
            print(f"{variant:28s} {'no series':>14s}")
            continue
        per_seed = [gmean([r["mase"][f"{variant}/{s}"] for r in scored]) for s in seeds]
        ratios = [[r["mase"][f"{variant}/{s}"] / best_of_sn_ets(r) for r in scored] for s in seeds]
        worst = max(max(per) for per in ratios)
        over = float(np.mean([sum(x > 1.5 for x in per) for per in ratios]))  # mean over seeds
        mean, spread = float(np.mean(per_seed)), float(np.std(per_seed))
        combo_here = gmean([r["mase"]["combo"] for r in scored])
        ets_here = gmean([r["mase"]["ets"] for r in scored])
        print(
            f"{variant:28s} {mean:8.3f} ±{spread:.3f} {mean / combo_here:9.3f} {mean / ets_here:10.3f} {worst:22.2f}"
            f" {over:10.4g}"
        )
    if partial:
        print(
            "scored only on the series x origins it forecasts (its ratios against combo and AutoETS on those): "
            + "; ".join(partial)
        )
    print("seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()))


if __name__ == "__main__":
    main()
