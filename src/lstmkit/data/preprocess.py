"""Forecasting preprocessing fitted on training data: the log-transform choice, each series' scale,
and the members' lookbacks (the window normalisation itself is in-graph, in ``ForecastNet``)."""

from __future__ import annotations

import numpy as np

from lstmkit.errors import DataError


def choose_log(y: np.ndarray, season: int) -> bool:
    """True for positive data whose swings grow with its level (multiplicative seasonality or noise)."""
    if len(y) < 8 or not (y > 0).all():
        return False
    block = season if season > 1 else max(4, len(y) // 10)
    n = len(y) // block
    if n < 3:
        return False
    blocks = y[len(y) - n * block :].reshape(n, block)
    means, spread = blocks.mean(axis=1), blocks.std(axis=1)
    if means.max() / means.min() < 1.3 or spread.std() == 0:
        return False
    return bool(np.corrcoef(means, spread)[0, 1] > 0.5)


def series_scale(z: np.ndarray, season: int) -> float:
    """Mean absolute seasonal difference of the transformed series (its natural step size).

    A series that repeats its season exactly (a difference of rounding size only) takes its
    standard deviation instead, and a constant one its mean magnitude: dividing by a step of
    almost nothing would blow the normalised windows up.
    """
    m = season if season > 1 and len(z) > 2 * season else 1
    d = np.abs(z[m:] - z[:-m]) if len(z) > m else np.zeros(1)
    scale = float(d.mean()) if d.size else 0.0
    spread = float(np.std(z)) if len(z) else 0.0
    if not scale > 1e-6 * spread:
        scale = spread
    if not scale > 0:
        scale = float(np.abs(z).mean()) or 1.0
    return scale


def min_network_points(horizon: int) -> int:
    """The fewest points of a series the network learns from with automatic lookbacks: a lookback of 2, the
    horizon, and a few windows more (at least 8, two thirds of the horizon)."""
    return horizon + max(8, 2 * horizon // 3) + 2


def auto_lookbacks(n: int, *, season: int, horizon: int, ensemble: int, lookback: int | None) -> list[int]:
    """Lookbacks for the members: two, three and four seasons (or horizons), as many as the data allow."""
    room = n - min_network_points(horizon) + 2  # leave at least a few windows to learn from
    if lookback is not None:
        if lookback > n - horizon:
            raise DataError(
                f"--lookback {lookback} with --horizon {horizon} needs at least {lookback + horizon + 1} points; "
                f"the shortest series has {n}; use a shorter --lookback"
            )
        return [lookback] * ensemble
    base = season if season > 1 else max(horizon, 4)
    options = [lb for lb in (2 * base, 3 * base, int(1.5 * base)) if lb <= room] or [
        max(2, min(2 * base, room))
    ]
    if room < 2:
        raise DataError(
            f"series too short: forecasting {horizon} steps needs at least {min_network_points(horizon)} points, "
            f"the shortest series has {n}"
        )
    return [options[k % len(options)] for k in range(ensemble)]
