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
prediction on later data and the ONNX graph all remove the same seasons. The classical members do
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
    seasonally_adjusted,
)

Profiles = dict[str, list[float]]  # per series id: the seasons by phase ([] where none were removed)


def adjusts(season: int) -> bool:
    """Whether the network forecasts seasonally adjusted series: for seasons past what AutoETS models."""
    return seasonally_adjusted(season)


def series_profile(y: np.ndarray, ordinals: np.ndarray, season: int) -> list[float]:
    """The seasons to remove from gap-free ``y`` (whose steps have calendar ``ordinals``), by phase
    (``ordinal mod P``); ``[]`` where MSTL finds them weak or cannot decompose the series (under two
    seasons)."""
    from statsforecast.mstl import mstl

    y = y[-ETS_MAX_POINTS:]  # as the classical mstl member reads it
    periods = mstl_seasons(season, len(y))
    if len(y) < 2 * periods[0] + 1:
        return []
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


def fit_profiles(data: SeriesData, season: int) -> Profiles:
    """Each series' seasons to remove (:func:`series_profile`), by series id."""
    return {str(s.id): series_profile(s.target, _ordinals(data, s), season) for s in data.series}


def seasons_at(profile: list[float], ordinals: np.ndarray) -> np.ndarray:
    """The seasons of ``profile`` at steps ``ordinals`` (zeros for an empty profile)."""
    if not profile:
        return np.zeros(len(ordinals))
    return np.asarray(profile)[np.remainder(ordinals, len(profile))]


def profile_of(profiles: Profiles, data: SeriesData, series: Series, season: int) -> list[float]:
    """The fitted profile of ``series``, or for a series the model has not seen, its own."""
    found = profiles.get(str(series.id))
    return found if found is not None else series_profile(series.target, _ordinals(data, series), season)


def adjusted(data: SeriesData, profiles: Profiles, season: int) -> SeriesData:
    """``data`` with each series' seasons removed from its target."""
    series = [
        replace(s, target=s.target - seasons_at(profile_of(profiles, data, s, season), _ordinals(data, s)))
        for s in data.series
    ]
    return replace(data, series=series)


def future_seasons(data: SeriesData, profiles: Profiles, season: int, horizon: int) -> np.ndarray:
    """(S, H) the seasons of the ``horizon`` steps after each series of ``data``, to put back."""
    rows = []
    for s in data.series:
        after = int(_ordinals(data, s)[-1]) + 1 + np.arange(horizon)
        rows.append(seasons_at(profile_of(profiles, data, s, season), after))
    return np.stack(rows)


def _ordinals(data: SeriesData, series: Series) -> np.ndarray:
    return step_ordinals(series.times, kind=data.time_kind, freq=data.freq, length=len(series.target))


__all__ = [
    "Profiles",
    "adjusted",
    "adjusts",
    "fit_profiles",
    "future_seasons",
    "seasons_at",
    "series_profile",
]
