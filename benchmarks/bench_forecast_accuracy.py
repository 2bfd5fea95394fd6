"""Forecast accuracy of lstmkit's default forecaster against seasonal naive and ETS on real series.

Needs the series from statsmodels and pmdarima (install them in a scratch environment, not as
lstmkit dependencies)::

    python3 -m venv /tmp/scratch && /tmp/scratch/bin/pip install torch==2.13.0 numpy pandas \
        statsmodels pmdarima safetensors tqdm matplotlib
    /tmp/scratch/bin/python benchmarks/bench_forecast_accuracy.py [--origins 2] [--only air,lynx] [--set model.ensemble=3]

For every series and origin (the last ``origins`` non-overlapping blocks of ``horizon`` points),
each method is fitted on the history before the origin only and scored by MASE (seasonal
scale from that history). Prints per-series MASE and the geometric mean per method, with times.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def _series() -> dict[str, tuple[pd.DataFrame, int, str]]:
    """name -> (frame with time/value columns, horizon, kind)."""
    import pmdarima.datasets as pm
    import statsmodels.api as sm

    out = {}

    def monthly(values, start):
        return pd.DataFrame({"month": pd.period_range(start, periods=len(values), freq="M").astype(str), "value": values})

    def quarterly(values, start):
        p = pd.period_range(start, periods=len(values), freq="Q")
        return pd.DataFrame({"quarter": [f"{x.year}-Q{x.quarter}" for x in p], "value": values})

    def yearly(values, start):
        return pd.DataFrame({"year": np.arange(start, start + len(values)), "value": values})

    # short classic series
    out["airpassengers"] = (monthly(pm.load_airpassengers(), "1949-01"), 12, "short")
    out["wineind"] = (monthly(pm.load_wineind(), "1980-01"), 12, "short")
    out["woolyrnq"] = (quarterly(pm.load_woolyrnq(), "1965Q1"), 8, "short")
    out["austres"] = (quarterly(pm.load_austres(), "1971Q2"), 8, "short")
    out["ausbeer"] = (quarterly(pm.load_ausbeer(), "1956Q1"), 8, "short")
    out["lynx"] = (yearly(pm.load_lynx(), 1821), 6, "short")
    out["nile"] = (yearly(sm.datasets.nile.load_pandas().data["volume"].to_numpy(), 1871), 6, "short")
    macro = sm.datasets.macrodata.load_pandas().data
    out["realgdp"] = (quarterly(macro["realgdp"].to_numpy(), "1959Q1"), 8, "short")
    out["unemp"] = (quarterly(macro["unemp"].to_numpy(), "1959Q1"), 8, "short")
    out["sunspots_yearly"] = (yearly(sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(), 1700), 11, "short")
    # long series
    co2 = sm.datasets.co2.load_pandas().data["co2"].resample("MS").mean().interpolate()
    out["co2_monthly"] = (monthly(co2.to_numpy(), "1958-03"), 12, "long")
    el = sm.datasets.elnino.load_pandas().data.drop(columns="YEAR").to_numpy().reshape(-1)
    out["elnino"] = (monthly(el, "1950-01"), 12, "long")
    out["sunspots_monthly"] = (monthly(np.asarray(pm.load_sunspots(), dtype=float), "1749-01"), 24, "long")
    taylor = np.asarray(pm.load_taylor(), dtype=float)  # half-hourly electricity demand, 4032 points
    t = pd.date_range("2000-06-05", periods=len(taylor), freq="30min")
    out["taylor"] = (pd.DataFrame({"time": t.strftime("%Y-%m-%d %H:%M:%S"), "value": taylor}), 48, "long")
    try:  # pmdarima downloads this one on first use; skipped offline
        out["gasoline"] = (pd.DataFrame({"value": np.asarray(pm.load_gasoline(), dtype=float)}), 13, "long")
    except Exception as exc:  # noqa: BLE001
        print(f"# skipped gasoline (needs a download): {type(exc).__name__}", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--origins", type=int, default=2)
    parser.add_argument("--only", default="")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    import logging

    logging.basicConfig(level=logging.ERROR)
    from lstmkit.config import resolve_config
    from lstmkit.data.tabular import choose_season, load_series
    from lstmkit.evaluate import baselines, metrics
    from lstmkit.models.forecaster import ForecastConfig, LSTMForecaster

    rows, times = [], {"lstmkit": 0.0, "ets": 0.0}
    for name, (frame, horizon, kind) in _series().items():
        if args.only and name not in args.only.split(","):
            continue
        data = load_series(frame)
        season = 52 if name == "gasoline" else choose_season(data, None, horizon=horizon)
        y = data.series[0].target
        for k in range(args.origins):
            end = len(y) - k * horizon
            hist, truth = frame.iloc[: end - horizon], y[end - horizon : end]
            insample = y[: end - horizon]
            cfg = resolve_config(ForecastConfig(), overrides=[*args.overrides, f"data.season={season}"])
            started = time.perf_counter()
            model = LSTMForecaster(horizon, config=cfg).fit(hist)
            fc = model.predict()["forecast"].to_numpy()
            lstm_s = time.perf_counter() - started
            started = time.perf_counter()
            ets = baselines.ets(insample, horizon, season)
            ets_s = time.perf_counter() - started
            times["lstmkit"] += lstm_s
            times["ets"] += ets_s
            row = {"series": name, "kind": kind, "n": len(insample), "origin": k, "season": season,
                   "log": model.state["log"], "epochs": len(model.history.rows), "lstm_s": round(lstm_s, 1)}
            for method, f in (("lstmkit", fc), ("seasonal_naive", baselines.seasonal_naive(insample, horizon, season)),
                              ("ets", ets), ("naive", baselines.naive(insample, horizon)),
                              ("lstm_ets_mean", (fc + ets) / 2)):
                row[method] = metrics.mase(truth, f, insample=insample, season=season)
            rows.append(row)
            print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)
    table = pd.DataFrame(rows)
    per_series = table.groupby(["series", "kind"])[["lstmkit", "seasonal_naive", "ets", "naive", "lstm_ets_mean", "lstm_s"]].mean()
    print()
    print(per_series.round(3).to_string())
    gm = lambda s: math.exp(np.log(np.maximum(s, 1e-9)).mean())  # noqa: E731
    print("\ngeometric-mean MASE (over series x origins)")
    for kind in ("short", "long", None):
        part = table if kind is None else table[table.kind == kind]
        if part.empty:
            continue
        label = kind or "all"
        print(f"  {label:6s} n={len(part):3d}  " + "  ".join(f"{m}={gm(part[m]):.3f}" for m in ("lstmkit", "seasonal_naive", "ets", "naive", "lstm_ets_mean")))
    print(f"total seconds: lstmkit {times['lstmkit']:.0f}, ets {times['ets']:.0f}")


if __name__ == "__main__":
    main()
