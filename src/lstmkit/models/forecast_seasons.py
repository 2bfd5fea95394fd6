"""Seasonal adjustment for long seasons: the network forecasts the series with its seasons removed.

Past 24 steps (weekly data's 52, half-hourly data's 48) a window of two or three seasons leaves a
few hundred points only a handful of windows to learn from, and the network must learn the season
from them. So there, as ES-RNN does with its per-series seasonality and R's ``stlf`` with its
models, the network sees the series seasonally adjusted, with windows of a few horizons::

    s_t      MSTL seasons of the training series (the data's season, and the week of sub-hourly
             days), where they explain at least SEASONAL_STRENGTH of the detrended series; else 0
    profile  the last cycle of s (P steps, the longest season), by phase: profile[o mod P] at ordinal o
    x'_t     x_t - profile[o_t mod P]                  the network's training series and windows
    y_t+h    network(x')_h + profile[o_t+h mod P]      the forecast (point and quantiles)

One fixed profile per series, kept in the model's state: training, validation on earlier points,
prediction on later data and the ONNX graph all remove the same seasons. A series under two cycles
(:func:`min_points`) has no seasons to estimate: the network neither learns from nor forecasts it
(the classical members do), and where every series is that short the network sees them as they are. The classical members do
the same with their own decomposition (``mstl``, ``mstl_arima``).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np

from lstmkit.data.calendar import step_ordinals
from lstmkit.data.tabular import Series, SeriesData
from lstmkit.evaluate.references import (
    ETS_MAX_POINTS,
    SEASONAL_STRENGTH,
    mstl_seasons,
    seasonal_strength,
)

# per series id: the seasons by phase ([] where MSTL finds too little season to remove; None for a series too
# short to estimate them from, which the classical members alone forecast)
Profiles = dict[str, list[float] | None]


def min_points(season: int) -> int:
    """The shortest series whose seasons are estimated: two cycles and a point."""
    return 2 * season + 1


def series_profile(y: np.ndarray, ordinals: np.ndarray, season: int) -> list[float] | None:
    """The seasons to remove from gap-free ``y`` (whose steps have calendar ``ordinals``), by phase
    (``ordinal mod P``); ``[]`` where MSTL finds them weak or fails, None for a series under
    :func:`min_points`."""
    from statsforecast.mstl import mstl

    if len(y) < min_points(season):
        return None
    y = y[-ETS_MAX_POINTS:]  # as the classical mstl member reads it
    periods = mstl_seasons(season, len(y))
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            parts = mstl(np.asarray(y, dtype=np.float64), period=periods)
    except Exception:  # noqa: BLE001 - a decomposition that fails leaves the series as it is
        return []
    if seasonal_strength(parts) < SEASONAL_STRENGTH:
        return []
    length, end = max(periods), int(ordinals[-1])
    phases = np.arange(length)
    profile = np.zeros(length)
    for column, period in zip([c for c in parts.columns if c.startswith("seasonal")], periods):
        last = parts[column].to_numpy()[-period:]  # the last cycle: ordinals end - period + 1 .. end
        profile += last[(phases - end - 1) % period]
    return [float(v) for v in profile]


def fit_profiles(data: SeriesData, season: int) -> Profiles | None:
    """Each series' seasons to remove (:func:`series_profile`), by series id; None where every series is too
    short to estimate them (the network then sees the series as they are, with its season)."""
    profiles = {str(s.id): series_profile(s.target, _ordinals(data, s), season) for s in data.series}
    return profiles if any(p is not None for p in profiles.values()) else None


def seasons_at(profile: list[float] | None, ordinals: np.ndarray) -> np.ndarray:
    """The seasons of ``profile`` at steps ``ordinals`` (zeros for an empty profile or none)."""
    if not profile:
        return np.zeros(len(ordinals))
    return np.asarray(profile)[np.remainder(ordinals, len(profile))]


def profile_of(profiles: Profiles, data: SeriesData, series: Series, season: int) -> list[float] | None:
    """The fitted profile of ``series``, or for a series the model has not seen, its own."""
    sid = str(series.id)
    return (
        profiles[sid] if sid in profiles else series_profile(series.target, _ordinals(data, series), season)
    )


def adjusted(data: SeriesData, profiles: Profiles, season: int) -> SeriesData:
    """``data`` with each series' seasons removed from its target."""
    series = [
        replace(s, target=s.target - seasons_at(profile_of(profiles, data, s, season), _ordinals(data, s)))
        for s in data.series
    ]
    return replace(data, series=series)


def _ordinals(data: SeriesData, series: Series) -> np.ndarray:
    return step_ordinals(series.times, kind=data.time_kind, freq=data.freq, length=len(series.target))


__all__ = [
    "Profiles",
    "adjusted",
    "fit_profiles",
    "seasons_at",
    "series_profile",
]
