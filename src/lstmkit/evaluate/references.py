"""Classical forecasting references from StatsForecast: what an LSTM forecast is measured against.

``reference_forecasts`` fits, on each history separately, the field's standard automatic
methods and returns their point forecasts and intervals (from the library itself):

- ``naive`` (last value) and ``seasonal_naive`` (last season repeated);
- ``ets`` (AutoETS: error, trend and season chosen by AICc), ``arima`` (AutoARIMA) and
  ``theta`` (AutoTheta: the best of the Theta family);
- ``mstl`` and ``mstl_arima`` (MSTL decomposition with an AutoETS / AutoARIMA trend: AutoETS and
  AutoARIMA on the seasonally adjusted series, as R's ``stlf`` forecasts hourly, weekly and half-hourly
  data) for seasons of 24 steps and more: past 24 AutoETS cannot model the season and AutoARIMA gets
  slow, and hourly data's week (168) no other reference models. Where MSTL's decomposition shows
  little season (``seasonal_strength``) its trend model forecasts the series alone;
- ``combo``: the mean of ``ets``, ``arima`` and ``theta``, the classical combination that is
  hard to beat on real series (M4).

Every reference reports its chosen form per series (``ETS(M,A,M)``, ``ARIMA(0,1,1)(0,1,1)[12]``,
``Theta(OTM)``...). A fit that fails is never hidden behind the method's name: the series gets
the seasonal naive forecast instead and the result says so under ``fallbacks``.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstmkit.evaluate import reference_worker

log = logging.getLogger(__name__)

COMBO = ("ets", "arima", "theta")  # the members of "combo"
LONG_SEASON = 24  # AutoETS models seasons up to this length; longer ones get MSTL
# AutoARIMA on the most recent points only: its search grows fast with length, and on the development
# files longer than this (EU stock markets, co2, taylor) the last 480 points forecast better than 1,500
# (geometric-mean MASE 2.62 against 3.09 over 18 series x origins) in a quarter of the time
ARIMA_MAX_POINTS = 480
# AutoARIMA's model search by conditional sums of squares (the chosen model then fitted by maximum likelihood)
# on series longer than this or seasons longer than ARIMA_EXACT_SEASON: R's auto.arima default, 5-14x faster
ARIMA_EXACT_POINTS = 150
ARIMA_EXACT_SEASON = 12
ETS_MAX_POINTS = 3000  # smoothing forgets the distant past anyway
# AutoTheta's time grows with the square of the length (49 s on 17,520 half-hours, 1.2 s on 3,000, 0.17 s on
# 1,000); on the development series longer than this the last 1,000 points forecast better (geometric-mean
# MASE 2.38 against 2.59 with all points over 18 series x origins: EU stock markets, co2, taylor)
THETA_MAX_POINTS = 1000
MINUTES_PER_DAY = 1440
HOURLY_DAY = 24  # the daily season of hourly data: from here on MSTL joins the references
# MSTL keeps its seasons where they explain at least this share of the detrended series (seasonal_strength);
# else its trend model forecasts the series alone. On the long-season development series the seasonal ones
# (weekly co2, half-hourly taylor) measure 0.94-1.0, the weekly closes of the EU stock indices 0.19-0.32
SEASONAL_STRENGTH = 0.6


@dataclass
class Reference:
    """One method's forecasts for every series: ``forecasts`` (S, H, 1 + Q), the form chosen per series,
    and ``fallbacks``: series index -> why the method failed there (seasonal naive used instead)."""

    name: str
    forecasts: np.ndarray
    forms: list[str] = field(default_factory=list)
    fallbacks: dict[int, str] = field(default_factory=dict)


def _levels(quantiles: tuple[float, ...]) -> list[int | float]:
    """StatsForecast interval levels (in %) whose bounds are the requested quantiles."""
    return sorted({round(100 * abs(1 - 2 * q), 6) for q in quantiles if q != 0.5})


def _quantile_columns(pred: dict, quantiles: tuple[float, ...]) -> list[np.ndarray]:
    """The interval bounds of ``pred`` (keys such as ``lo-80.0``) that are the requested quantiles."""
    bounds = {
        (key[:2], round(float(key[3:]), 6)): value for key, value in pred.items() if key[:3] in ("lo-", "hi-")
    }
    return [
        pred["mean"] if q == 0.5 else bounds[("lo" if q < 0.5 else "hi", round(100 * abs(1 - 2 * q), 6))]
        for q in quantiles
    ]


def _model(name: str, season: int, n: int):
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, AutoTheta, Naive, SeasonalNaive

    m = max(1, season)
    if name == "naive":
        return Naive()
    if name == "seasonal_naive":
        return SeasonalNaive(season_length=m)
    if name == "ets":
        return AutoETS(season_length=m if m <= LONG_SEASON else 1)
    if name == "arima":
        m = m if m <= LONG_SEASON else 1
        return AutoARIMA(season_length=m, approximation=n > ARIMA_EXACT_POINTS or m > ARIMA_EXACT_SEASON)
    if name == "theta":
        return AutoTheta(season_length=m)
    if name in ("mstl", "mstl_arima"):
        return MSTL(season_length=mstl_seasons(m, n), trend_forecaster=_trend_model(name, n))
    raise ValueError(f"unknown reference {name!r}")


def _trend_model(name: str, n: int):
    """The seasonless model MSTL member ``name`` forecasts the seasonally adjusted series with."""
    from statsforecast.models import AutoARIMA, AutoETS

    if name == "mstl":
        return AutoETS(model="ZZN")
    return AutoARIMA(season_length=1, approximation=n > ARIMA_EXACT_POINTS)


def seasonal_strength(parts) -> float:
    """How much of an MSTL decomposition's detrended series (``parts``: a fitted MSTL's ``model_`` frame) its
    seasons explain: ``1 - var(remainder) / var(seasons + remainder)``, 0 where it found no season (Hyndman
    and Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., section 4.3)."""
    seasons = parts[[c for c in parts.columns if c.startswith("seasonal")]].sum(axis=1).to_numpy()
    remainder = parts["remainder"].to_numpy()
    spread = np.var(seasons + remainder)
    return float(max(0.0, 1.0 - np.var(remainder) / spread)) if spread > 0 else 0.0


def with_mstl(season: int) -> bool:
    """Whether ``mstl`` and ``mstl_arima`` are among the references: for seasons longer than AutoETS models
    (where it and AutoARIMA fit without one), and for the day of hourly data (24), whose week (168) no other
    reference models."""
    return season >= HOURLY_DAY


def seasonally_adjusted(season: int) -> bool:
    """Whether the season is past what AutoETS models (and AutoARIMA fits in reasonable time): there they fit
    it without one, and ``mstl`` / ``mstl_arima`` fit them on the series with the season removed."""
    return season > LONG_SEASON


def mstl_seasons(season: int, n: int) -> list[int]:
    """MSTL's seasons for ``n`` points: ``season``, and where it is the daily cycle of data an hour apart or
    closer (a whole number of minutes per step, as lstmkit infers it) the week too, once the history holds
    two weeks."""
    week = 7 * season
    if season >= HOURLY_DAY and MINUTES_PER_DAY % season == 0 and n >= 2 * week:
        return [season, week]
    return [season]


def _form(name: str, fitted, season: int) -> str:
    model: Any = getattr(fitted, "model_", None)  # statsforecast's dict of the chosen model; None: none
    try:
        if name == "ets":
            form = str(model["method"])
            return form + (
                f" (season {season} > {LONG_SEASON}: non-seasonal)" if season > LONG_SEASON else ""
            )
        if name == "arima":
            from statsforecast.arima import arima_string

            form = arima_string(model).strip()
            return form + (
                f" (season {season} > {LONG_SEASON}: non-seasonal)" if season > LONG_SEASON else ""
            )
        if name == "theta":
            kind = model.get("decomposition_type") if model.get("decompose") else None
            return f"Theta({model['modeltype']})" + (f", {kind} seasonal adjustment" if kind else "")
        if name in ("mstl", "mstl_arima"):
            seasons = fitted.season_length if isinstance(fitted.season_length, list) else [season]
            trend = "AutoETS" if name == "mstl" else "AutoARIMA"
            return f"MSTL(season {' and '.join(map(str, seasons))}) + {trend} trend"
    except (KeyError, TypeError, AttributeError):
        pass
    return {"naive": "last value", "seasonal_naive": f"last season of {season}"}.get(name, name)


_FITS: dict[tuple, tuple[Any, str]] = {}  # the hold-out, its judge and the final fit share histories
_FITS_SIZE = 512


def fit_forecast(
    name: str, y: np.ndarray, horizon: int, season: int, quantiles: tuple[float, ...]
) -> tuple[np.ndarray, str]:
    """(H, 1 + Q) forecast of one method on one history, and its chosen form.

    A method is fitted once per history (and season): forecasts of other horizons or interval
    levels from the same history reuse the fit. A fit handed to a :mod:`reference_worker` is
    taken from it.
    """
    fit = reference_worker.Fit(name, y, horizon, season, quantiles)
    prefetched = reference_worker.take(fit)
    if prefetched is not None:
        return prefetched
    return fit_here(fit)


def fit_here(fit: reference_worker.Fit) -> tuple[np.ndarray, str]:
    """:func:`fit_forecast` in this process (no worker asked)."""
    name, y, horizon, season, quantiles = fit.name, fit.y, fit.horizon, fit.season, fit.quantiles
    key = fit.history_key
    if key not in _FITS:
        if len(_FITS) >= _FITS_SIZE:
            _FITS.pop(next(iter(_FITS)))
        _FITS[key] = _fit(name, y, season)
    fitted, form = _FITS[key]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        pred = fitted.predict(horizon, level=_levels(quantiles) or None)
    cols = [pred["mean"], *_quantile_columns(pred, quantiles)]
    out = np.column_stack([np.asarray(c, dtype=np.float64) for c in cols])  # (H, 1 + Q)
    if not np.isfinite(out).all():
        raise FloatingPointError("non-finite forecast")
    return _bracketing(out, quantiles), form


def _bracketing(forecast: np.ndarray, quantiles: tuple[float, ...]) -> np.ndarray:
    """``forecast`` (H, 1 + Q) with each quantile below 0.5 at most the point and each above at least it.

    AutoTheta's bounds can both fall below its point on a noise-free trend (``0, 1, ..., 9``: point
    10.99, bounds 10.968); a combination of such members would put the forecast outside its own interval.
    """
    lower = [1 + j for j, q in enumerate(quantiles) if q < 0.5]
    upper = [1 + j for j, q in enumerate(quantiles) if q > 0.5]
    forecast[:, lower] = np.minimum(forecast[:, lower], forecast[:, :1])
    forecast[:, upper] = np.maximum(forecast[:, upper], forecast[:, :1])
    return forecast


def _fit(name: str, y: np.ndarray, season: int) -> tuple[Any, str]:
    """The library's model ``name`` fitted on ``y`` (its most recent points where the method is slow on
    long series), and its chosen form (which says so: ``ARIMA(1,1,1) on the last 480 of 2175 points``)."""
    limit = {
        "arima": ARIMA_MAX_POINTS,
        "ets": ETS_MAX_POINTS,
        "mstl": ETS_MAX_POINTS,
        "mstl_arima": ETS_MAX_POINTS,
        "theta": THETA_MAX_POINTS,
    }.get(name)
    cut = ""
    if limit and len(y) > limit:
        cut, y = f" on the last {limit} of {len(y)} points", y[-limit:]
    model = _model(name, season, len(y))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        fitted = model.fit(y)
        if (
            name in ("mstl", "mstl_arima")
            and (strength := seasonal_strength(fitted.model_)) < SEASONAL_STRENGTH
        ):
            trend = _trend_model(name, len(y)).fit(y)  # a season of noise would only add noise
            kind = "ets" if name == "mstl" else "arima"
            why = f" (seasonal strength {strength:.2f} < {SEASONAL_STRENGTH}: no season)"
            return trend, _form(kind, trend, 1) + why + cut
    return fitted, _form(name, fitted, season) + cut


def failure_text(exc: BaseException) -> str:
    """The first line of a failed fit's error, as ``fallbacks`` reports it."""
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def _snaive_season(y: np.ndarray, season: int) -> int:
    """The season of the seasonal naive fallback: none for a history shorter than one season."""
    return season if len(y) >= season else 1


def planned_fits(
    histories: list[np.ndarray],
    *,
    horizon: int,
    season: int,
    quantiles: tuple[float, ...] = (),
    names: list[str] | None = None,
) -> list[reference_worker.Fit]:
    """The fits :func:`reference_forecasts` with these arguments makes (for :func:`reference_worker.start`)."""
    names = names or reference_names(season)
    fits = []
    for y in histories:
        fits.append(reference_worker.Fit("seasonal_naive", y, horizon, _snaive_season(y, season), quantiles))
        fits += [reference_worker.Fit(name, y, horizon, season, quantiles) for name in names]
    return fits


def reference_names(season: int) -> list[str]:
    """The references fitted for data of this season (``combo`` is computed from three of them)."""
    names = ["naive", "seasonal_naive", "ets", "arima", "theta"]
    return names + ["mstl", "mstl_arima"] if with_mstl(season) else names


def reference_forecasts(
    histories: list[np.ndarray],
    *,
    horizon: int,
    season: int,
    quantiles: tuple[float, ...] = (),
    names: list[str] | None = None,
) -> dict[str, Reference]:
    """Fit every reference on every history and forecast ``horizon`` steps.

    Args:
        histories: one 1-D array per series, without missing values.
        horizon: H.
        season: m (1: none).
        quantiles: levels in (0, 1) whose values the intervals give.
        names: which references (default :func:`reference_names`); ``combo`` is added when its
            three members are present.

    Returns:
        name -> :class:`Reference`, in the order of ``names``, then ``combo``.
    """
    names = names or reference_names(season)
    quantiles = tuple(quantiles)
    results: dict[str, Reference] = {}
    snaive: list[np.ndarray] = []
    for y in histories:
        try:
            snaive.append(fit_forecast("seasonal_naive", y, horizon, _snaive_season(y, season), quantiles)[0])
        except Exception:  # noqa: BLE001 - a one-point history: repeat it
            snaive.append(np.full((horizon, 1 + len(quantiles)), float(y[-1])))
    for name in names:
        ref = Reference(name, np.zeros((len(histories), horizon, 1 + len(quantiles))))
        for i, y in enumerate(histories):
            try:
                ref.forecasts[i], form = fit_forecast(name, y, horizon, season, quantiles)
            except Exception as exc:  # noqa: BLE001 - any failure of a library fit is reported, not raised
                why = failure_text(exc)
                ref.forecasts[i], form = snaive[i], "failed"
                ref.fallbacks[i] = f"{why}; seasonal naive used"
                log.info("reference %s failed on series %d (%s); seasonal naive used", name, i, why)
            ref.forms.append(form)
        results[name] = ref
    if all(n in results for n in COMBO):
        combo = np.mean([results[n].forecasts for n in COMBO], axis=0)
        failed = {i: "a member fell back" for n in COMBO for i in results[n].fallbacks}
        results["combo"] = Reference("combo", combo, ["mean of " + ", ".join(COMBO)] * len(histories), failed)
    return results


__all__ = [
    "COMBO",
    "Reference",
    "failure_text",
    "fit_forecast",
    "fit_here",
    "planned_fits",
    "reference_forecasts",
    "reference_names",
    "seasonal_strength",
    "seasonally_adjusted",
    "with_mstl",
]
