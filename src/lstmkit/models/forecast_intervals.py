"""Calibrating the network's intervals on the forecaster's out-of-sample validation origin.

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
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

MIN_POINTS = 5  # fewer validation points than this leave the intervals as they are
MAX_INTERVAL_SCALE = 10.0  # a bound for a validation stretch unlike anything trained on
MEDIAN_ABS_NORMAL = NormalDist().inv_cdf(0.75)  # median |r| of well-calibrated normal residuals


def interval_scale(
    forecasts: np.ndarray, truths: list[np.ndarray], quantiles: tuple[float, ...], *, judge_scale: float = 1.0
) -> float:
    """The widening ``s`` for a network whose judge forecast ``forecasts`` (S, H, 1 + Q) of ``truths``
    (per series, NaN where missing) with its own widening ``judge_scale``."""
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
    if len(residuals) < MIN_POINTS:
        return judge_scale
    ratio = float(np.median(np.abs(residuals)) / MEDIAN_ABS_NORMAL)
    return float(np.clip(judge_scale * ratio, 1.0, MAX_INTERVAL_SCALE))


__all__ = ["MAX_INTERVAL_SCALE", "MIN_POINTS", "interval_scale"]
