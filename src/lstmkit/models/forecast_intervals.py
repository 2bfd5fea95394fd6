"""Calibrating the intervals of the forecaster's network and of its classical members on validation.

The members' quantile heads are fitted by pinball loss on the training windows, and windows a
network has fitted look more predictable than the future: on the development corpus the
network's 80% intervals covered about half of the hold-out points. The judge network (trained
without the last ``H`` points, see :mod:`forecast_combination`) forecasts those points; how far
the truth fell from its point forecast, measured in the spread its intervals imply, says how
much wider they must be::

    sigma_t = mean_j |q_jt - p_t| / |Phi^-1(a_j)|      the spread quantile levels a_j imply (normal)
    s       = judge's s * median_t |(y_t - p_t) / sigma_t| / Phi^-1(0.75)   within [1, MAX_INTERVAL_SCALE]

(the median absolute standardised residual over its value for calibrated normal residuals: one
wild validation point does not set the width, as it would through a root mean square)

``s`` scales every quantile's distance from the point (``ForecastNet.interval_scale``), so the
quantiles keep their order and the point is unchanged. One ``s`` per model, pooled over its
series: a handful of validation points per series cannot say more than that. Calibration only
widens: intervals fitted on training windows err narrow.

The classical members' intervals come from the library's model of the errors, which is often too
confident on data it fits poorly (an hourly day taken for the only season, a panel series with a
break). The same rule, with the members' own forecasts of the validation points (their fits on
the history before them), gives each member one ``s`` pooled over the series
(``member_interval_scales``), applied to its forecasts before they are combined. Only from
``MIN_MEMBER_POINTS`` validation points on (a panel, a long horizon): on the development corpus
the 6-18 points of one short series moved the widths more by chance than by need (hold-out
coverage of the 80% intervals 0.80 -> 0.85). It only widens, as for the network: narrowing after
a calm validation stretch took the coverage of an hourly series from 0.60 to 0.29.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

MIN_POINTS = 5  # fewer validation points than this leave the intervals as they are
MAX_INTERVAL_SCALE = 10.0  # a bound for a validation stretch unlike anything trained on
# a classical member's intervals are rescaled on at least this many validation points (pooled over series):
# the median |residual| of n points is off by about 1.17 / sqrt(n) of itself (35% at 12, 18% at 40)
MIN_MEMBER_POINTS = 40
MEDIAN_ABS_NORMAL = NormalDist().inv_cdf(0.75)  # median |r| of well-calibrated normal residuals


def interval_scale(
    forecasts: np.ndarray,
    truths: list[np.ndarray],
    quantiles: tuple[float, ...],
    *,
    judge_scale: float = 1.0,
    min_points: int = MIN_POINTS,
) -> float:
    """The widening ``s`` for a network whose judge forecast ``forecasts`` (S, H, 1 + Q) of ``truths``
    (per series, NaN where missing) with its own widening ``judge_scale`` (itself from fewer than
    ``min_points`` usable points)."""
    levels = [(j, abs(NormalDist().inv_cdf(a))) for j, a in enumerate(quantiles) if a != 0.5]
    if not levels:
        return 1.0
    standardised = []
    for i, truth in enumerate(truths):
        point = forecasts[i, : len(truth), 0]
        sigma = np.mean([np.abs(forecasts[i, : len(truth), 1 + j] - point) / z for j, z in levels], axis=0)
        usable = ~np.isnan(truth) & (sigma > 1e-12 * (1 + np.abs(point)))
        standardised.append((truth[usable] - point[usable]) / sigma[usable])
    residuals = np.concatenate(standardised) if standardised else np.zeros(0)
    if len(residuals) < min_points:
        return judge_scale
    ratio = float(np.median(np.abs(residuals)) / MEDIAN_ABS_NORMAL)
    return float(np.clip(judge_scale * ratio, 1.0, MAX_INTERVAL_SCALE))


def member_interval_scales(
    refs: dict, truths: list[np.ndarray], quantiles: tuple[float, ...]
) -> dict[str, float]:
    """Each classical member's widening ``s`` from its forecasts (``refs``: name -> Reference, (S, H, 1 + Q))
    of the validation ``truths``, over the series where its fit did not fall back."""
    scales = {}
    for name, ref in refs.items():
        kept = [i for i in range(len(truths)) if i not in ref.fallbacks]
        s = interval_scale(
            ref.forecasts[kept],
            [truths[i] for i in kept],
            quantiles,
            min_points=MIN_MEMBER_POINTS,
        )
        scales[name] = round(s, 6)
    return scales


def widened(forecasts: np.ndarray, scale: float) -> np.ndarray:
    """``forecasts`` (..., 1 + Q) with every quantile's distance from the point (column 0) times ``scale``."""
    out = np.array(forecasts, dtype=np.float64)
    out[..., 1:] = out[..., :1] + scale * (out[..., 1:] - out[..., :1])
    return out


__all__ = [
    "MAX_INTERVAL_SCALE",
    "MIN_MEMBER_POINTS",
    "MIN_POINTS",
    "interval_scale",
    "member_interval_scales",
    "widened",
]
