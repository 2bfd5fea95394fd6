"""Forecast accuracy metrics: MAE, RMSE, sMAPE, seasonal MASE, interval coverage and pinball loss.

All take NumPy arrays in the data's own units; ``y`` is the truth, ``f`` the forecast, both
shaped alike (one series' horizon, or several stacked).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def mae(y: np.ndarray, f: np.ndarray) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(np.asarray(y) - np.asarray(f))))


def rmse(y: np.ndarray, f: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((np.asarray(y) - np.asarray(f)) ** 2)))


def smape(y: np.ndarray, f: np.ndarray) -> float:
    """Symmetric MAPE in percent, 0..200: mean of ``200 |y - f| / (|y| + |f|)`` (0/0 counts as 0)."""
    y, f = np.asarray(y, dtype=float), np.asarray(f, dtype=float)
    denom = np.abs(y) + np.abs(f)
    ratio = np.divide(2.0 * np.abs(y - f), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(100.0 * np.mean(ratio))


def mase_scale(insample: np.ndarray, season: int = 1) -> float:
    """Mean absolute seasonal difference of the training data (lag ``season``, or 1 if too short).

    Falls back to lag 1 when the series is shorter than two seasons, and to 1.0 when the series
    is constant, so MASE is always defined.
    """
    x = np.asarray(insample, dtype=float)
    m = season if season > 1 and len(x) > season else 1
    if len(x) <= m:
        return 1.0
    scale = float(np.mean(np.abs(x[m:] - x[:-m])))
    if scale <= 0 and m > 1:
        scale = float(np.mean(np.abs(np.diff(x))))
    return scale if scale > 0 else 1.0


def mase(y: np.ndarray, f: np.ndarray, *, insample: np.ndarray, season: int = 1) -> float:
    """Mean absolute scaled error: MAE divided by the in-sample seasonal-naive MAE."""
    return mae(y, f) / mase_scale(insample, season)


def coverage(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of truths inside ``[lower, upper]``."""
    y = np.asarray(y)
    return float(np.mean((y >= np.asarray(lower)) & (y <= np.asarray(upper))))


def pinball(y: np.ndarray, quantiles: Mapping[float, np.ndarray]) -> float:
    """Mean pinball (quantile) loss over the given ``{q: forecast}`` quantiles."""
    y = np.asarray(y, dtype=float)
    losses = []
    for q, f in quantiles.items():
        diff = y - np.asarray(f, dtype=float)
        losses.append(np.mean(np.maximum(q * diff, (q - 1.0) * diff)))
    return float(np.mean(losses))


def point_metrics(y: np.ndarray, f: np.ndarray, *, insample: np.ndarray, season: int) -> dict[str, float]:
    """MAE, RMSE, sMAPE and MASE of one forecast; MASE is NaN (undefined) when the history is constant."""
    history = np.asarray(insample, dtype=float)
    constant = len(history) > 1 and bool(
        (history == history[0]).all()
    )  # no step size: MASE would divide by zero
    return {
        "mae": mae(y, f),
        "rmse": rmse(y, f),
        "smape": smape(y, f),
        "mase": float("nan") if constant else mase(y, f, insample=insample, season=season),
    }


def json_ready(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by ``"undefined"`` (JSON has no NaN)."""
    if isinstance(value, Mapping):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "undefined"
    return value


def quantile_metrics(y: np.ndarray, quantiles: Mapping[float, np.ndarray]) -> dict[str, float]:
    """Pinball loss and, for the outermost pair of quantiles, the coverage of their interval."""
    out = {"pinball": pinball(y, quantiles)}
    levels = sorted(quantiles)
    if len(levels) >= 2:
        lo, hi = levels[0], levels[-1]
        out["coverage"] = coverage(y, quantiles[lo], quantiles[hi])
        out["coverage_nominal"] = round(hi - lo, 6)
    return out
