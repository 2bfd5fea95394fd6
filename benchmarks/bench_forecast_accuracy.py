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
AutoARIMA, AutoTheta) and to AutoETS, and the worst series against the best of seasonal
naive / AutoETS. ``--save FILE.json`` keeps every forecast for further analysis.
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


def cases(corpus: Path, only: list[str], origins: int):
    """Yield (name, spec, history SeriesData (raw), truths list, origin k)."""
    import pandas as pd

    from lstmkit.data.tabular import load_series
    from lstmkit.errors import DataError
    from lstmkit.evaluate.backtest import truncate

    index = json.loads((corpus / "index.json").read_text())
    for name, spec in index.items():
        if only and name not in only:
            continue
        try:
            data = load_series(corpus / f"{name}.csv", target=spec["target"], time_col=spec.get("time_col"),
                               id_col=spec.get("id_col"), fill="keep")
        except DataError:  # a time axis this lstmkit cannot read (e.g. an integer index): the values in file order
            frame = pd.read_csv(corpus / f"{name}.csv").drop(columns=[spec["time_col"]])
            data = load_series(frame, target=spec["target"], id_col=spec.get("id_col"), fill="keep")
        H = spec["horizon"]
        for k in range(origins):
            cut, _ = truncate(data, k * H)
            history, truths = truncate(cut, H)
            yield name, spec, history, truths, k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--origins", type=int, default=2)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--variants", default="full", help="comma list of model.components: full, linear, lstm")
    parser.add_argument("--only", default="")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--save", type=Path)
    args = parser.parse_args()

    logging.basicConfig(level=logging.ERROR)
    import torch

    torch.set_num_threads(1)
    from lstmkit.config import resolve_config
    from lstmkit.data.tabular import impute
    from lstmkit.evaluate.metrics import mase
    from lstmkit.evaluate.references import reference_forecasts
    from lstmkit.models.forecaster import ForecastConfig, LSTMForecaster

    seeds = [int(s) for s in args.seeds.split(",")]
    variants = args.variants.split(",")
    records, seconds = [], {}
    for name, spec, history, truths, k in cases(args.corpus, [s for s in args.only.split(",") if s], args.origins):
        H, m = spec["horizon"], spec["season"]
        filled = [s.target for s in impute(history).series]
        started = time.perf_counter()
        refs = reference_forecasts(filled, horizon=H, season=m)
        seconds["references"] = seconds.get("references", 0.0) + time.perf_counter() - started
        forecasts = {ref: r.forecasts[:, :, 0] for ref, r in refs.items()}
        for variant in variants:
            for seed in seeds:
                cfg = resolve_config(ForecastConfig(), overrides=[*args.overrides, f"data.season={m}",
                                                                  f"model.components={variant}", f"trainer.seed={seed}"])
                started = time.perf_counter()
                model = LSTMForecaster(H, config=cfg).fit(history)
                forecasts[f"{variant}/{seed}"] = model.forecast_arrays(history)[:, :, 0]
                seconds[variant] = seconds.get(variant, 0.0) + time.perf_counter() - started
                forecasts[f"{variant} network alone/{seed}"] = model.network_forecasts(impute(history))[:, :, 0]
                combination = model.state.get("combination")
                if combination and f"classical weighted/{seed}" not in forecasts:  # the ablation without the network
                    w = np.array([combination["weights"][str(s.id)][1:] for s in history.series])
                    w = w / w.sum(axis=1, keepdims=True)
                    members = np.stack([refs[m].forecasts[:, :, 0] for m in combination["members"][1:]], axis=1)  # (S, K, H)
                    forecasts[f"classical weighted/{seed}"] = np.einsum("skh,sk->sh", members, w)
        for i, (hist, truth) in enumerate(zip(filled, truths)):
            seen = ~np.isnan(truth)
            row = {"series": name if len(filled) == 1 else f"{name}:{history.series[i].id}", "origin": k, "kind": spec["kind"],
                   "mase": {method: mase(truth[seen], f[i][seen], insample=hist, season=m) for method, f in forecasts.items()},
                   "forecast": {method: f[i].tolist() for method, f in forecasts.items()}, "truth": truth.tolist(),
                   "forms": {ref: r.forms[i] for ref, r in refs.items()}}
            records.append(row)
            best = ", ".join(f"{meth}={v:.3f}" for meth, v in row["mase"].items() if "/" not in meth or meth.endswith("/0"))
            print(f"{row['series']:28s} origin {k}: {best}", flush=True)
    if args.save:
        args.save.write_text(json.dumps({"records": records, "seconds": seconds, "argv": sys.argv[1:]}))
    report(records, variants, seeds, seconds)


def report(records: list[dict], variants: list[str], seeds: list[int], seconds: dict[str, float]) -> None:
    refs = [m for m in records[0]["mase"] if "/" not in m]
    n = len(records)
    combo = gmean([r["mase"]["combo"] for r in records])
    ets = gmean([r["mase"]["ets"] for r in records])
    print(f"\ngeometric-mean MASE over {n} series x origins")
    print(f"{'method':28s} {'gmean MASE':>14s} {'/ combo':>9s} {'/ AutoETS':>10s} {'worst / best(sn, ets)':>22s}")
    for ref in refs:
        g = gmean([r["mase"][ref] for r in records])
        print(f"{ref:28s} {g:14.3f} {g / combo:9.3f} {g / ets:10.3f}")
    for variant in [v for v in records[0]["mase"] if v.endswith("/0") and "/" in v]:
        variant = variant[:-2]
        per_seed = [gmean([r["mase"][f"{variant}/{s}"] for r in records]) for s in seeds]
        worst = max(max(r["mase"][f"{variant}/{s}"] / max(min(r["mase"]["seasonal_naive"], r["mase"]["ets"]), 1e-9)
                        for s in seeds) for r in records)
        mean, spread = float(np.mean(per_seed)), float(np.std(per_seed))
        print(f"{variant:28s} {mean:8.3f} ±{spread:.3f} {mean / combo:9.3f} {mean / ets:10.3f} {worst:22.2f}")
    print("seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()))


if __name__ == "__main__":
    main()
