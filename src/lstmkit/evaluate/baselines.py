"""Classical baseline forecasts: naive, seasonal naive, drift, and exponential smoothing (ETS).

Each takes the history (N,) and returns the next ``horizon`` values. ``ets`` picks among a few
Holt-Winters forms (trend none/damped, seasonality none/additive/multiplicative) by AICc, as the
usual automatic ETS does; it is also the classical half of the forecaster's hybrid.
"""
from __future__ import annotations

import contextlib
import ctypes
import logging
import warnings

import numpy as np

log = logging.getLogger(__name__)

# Longest history ETS is fitted on: smoothing forgets the distant past anyway, and this keeps
# a million-point series from taking minutes.
ETS_MAX_POINTS = 2000


def _openblas_libraries() -> list:
    """The OpenBLAS copies NumPy and SciPy loaded, with their get/set thread-count functions."""
    found = []
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line and line.rstrip().endswith(".so")}
    except OSError:  # not Linux: leave the threads alone
        return found
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for suffix in ("64_", ""):
            get = getattr(lib, f"scipy_openblas_get_num_threads{suffix}", None)
            put = getattr(lib, f"scipy_openblas_set_num_threads{suffix}", None)
            if get is not None and put is not None:
                found.append((get, put))
                break
    return found


@contextlib.contextmanager
def one_blas_thread():
    """Run small linear algebra (ETS fitting) on one BLAS thread.

    OpenBLAS threads spin on tiny matrices; on a busy 2-core machine an ETS fit took 2.6 s with
    them and 0.28 s without.
    """
    import scipy.optimize  # noqa: F401 - loads SciPy's OpenBLAS so it can be found

    libs = _openblas_libraries()
    before = [get() for get, _ in libs]
    for _, put in libs:
        put(1)
    try:
        yield
    finally:
        for (_, put), n in zip(libs, before):
            put(n)


def naive(history: np.ndarray, horizon: int, season: int = 1) -> np.ndarray:
    """The last value, repeated."""
    return np.full(horizon, float(history[-1]))


def seasonal_naive(history: np.ndarray, horizon: int, season: int = 1) -> np.ndarray:
    """The last season, repeated (the naive forecast when ``season`` is 1 or too long)."""
    if season <= 1 or len(history) < season:
        return naive(history, horizon)
    last = np.asarray(history[-season:], dtype=float)
    return np.resize(last, horizon)


def drift(history: np.ndarray, horizon: int, season: int = 1) -> np.ndarray:
    """The line through the first and last values, extended."""
    h = np.asarray(history, dtype=float)
    slope = (h[-1] - h[0]) / (len(h) - 1) if len(h) > 1 else 0.0
    return h[-1] + slope * np.arange(1, horizon + 1)


def ets_fit(history: np.ndarray, season: int = 1) -> dict:
    """Choose and fit an ETS form by AICc; returns ``{"trend", "seasonal", "damped", "params"}``-like spec
    plus the fitted result under ``"result"`` (not JSON)."""
    y = np.asarray(history, dtype=float)[-ETS_MAX_POINTS:]
    seasonal_options = [None]
    if season > 1 and len(y) >= 2 * season + 2:
        seasonal_options += ["add"] + (["mul"] if (y > 0).all() else [])
    trend_options = [(None, False), ("add", True)] if len(y) >= 10 else [(None, False)]
    best = None
    with one_blas_thread():
        best = _best_ets(y, season, seasonal_options, trend_options)
    return best[1] if best else {"trend": None, "damped": False, "seasonal": None, "result": None}


def _best_ets(y, season, seasonal_options, trend_options):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    best = None
    for seasonal in seasonal_options:
        for trend, damped in trend_options:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    model = ExponentialSmoothing(
                        y, trend=trend, damped_trend=damped, seasonal=seasonal,
                        seasonal_periods=season if seasonal else None, initialization_method="estimated",
                    )
                    result = model.fit()
                score = result.aicc if np.isfinite(result.aicc) else result.aic
            except Exception as exc:  # noqa: BLE001 - an ETS form that does not fit is skipped
                log.debug("ETS %s/%s failed: %s", trend, seasonal, exc)
                continue
            if not np.isfinite(score) or not np.isfinite(result.fittedvalues).all():
                continue
            if best is None or score < best[0]:
                best = (score, {"trend": trend, "damped": damped, "seasonal": seasonal, "result": result})
    return best


def ets(history: np.ndarray, horizon: int, season: int = 1) -> np.ndarray:
    """Automatic exponential smoothing (statsmodels Holt-Winters, form chosen by AICc)."""
    fitted = ets_fit(history, season)
    if fitted["result"] is None:
        return naive(history, horizon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecast = np.asarray(fitted["result"].forecast(horizon), dtype=float)
    return forecast if np.isfinite(forecast).all() else naive(history, horizon)


BASELINES = {"naive": naive, "seasonal_naive": seasonal_naive, "drift": drift, "ets": ets}


def _steps_ahead_scale(name: str, horizon: int, season: int, n: int) -> np.ndarray:
    """How a one-step error's spread grows with the step h, for each simple method (Hyndman & Athanasopoulos, 5.5)."""
    h = np.arange(1, horizon + 1, dtype=float)
    if name == "naive":
        return np.sqrt(h)
    if name == "seasonal_naive" and season > 1:
        return np.sqrt(np.floor((h - 1) / season) + 1)
    if name == "drift":
        return np.sqrt(h * (1 + h / max(n - 1, 1)))
    return np.sqrt(h)


def baseline_quantiles(name: str, history: np.ndarray, point: np.ndarray, quantiles: tuple[float, ...], *,
                       season: int = 1) -> dict[float, np.ndarray]:
    """Quantile forecasts of a baseline, so its intervals can be scored beside the LSTM's.

    Naive, seasonal naive and drift use normal intervals from their one-step in-sample residuals,
    widened with the step as those methods' error variances grow. ETS uses the same residual
    spread of its own fit, growing with the square root of the step.
    """
    from statistics import NormalDist

    y = np.asarray(history, dtype=float)
    H = len(point)
    lag = season if name == "seasonal_naive" and season > 1 and len(y) > season else 1
    if name == "ets":
        fitted = ets_fit(y, season)
        result = fitted["result"]
        residuals = (y[-len(result.fittedvalues):] - result.fittedvalues) if result is not None else np.diff(y)
    elif name == "drift":
        slope = (y[-1] - y[0]) / max(len(y) - 1, 1)
        residuals = np.diff(y) - slope
    else:
        residuals = y[lag:] - y[:-lag]
    sigma = float(np.sqrt(np.mean(np.square(residuals)))) if len(residuals) else 0.0
    spread = sigma * _steps_ahead_scale(name, H, season, len(y))
    return {q: point + NormalDist().inv_cdf(q) * spread for q in quantiles}
