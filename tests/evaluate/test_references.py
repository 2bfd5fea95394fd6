"""The classical references: StatsForecast's own numbers, named forms, honest fallbacks, the combo."""

import numpy as np
import pytest
from statsforecast.models import AutoETS, AutoTheta, SeasonalNaive

from lstmkit.evaluate import references
from lstmkit.evaluate.references import reference_forecasts, reference_names


def seasonal(n=72, season=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / season) + rng.normal(0, 1, n)


def test_forecasts_and_intervals_are_the_library_own():
    y = seasonal()
    refs = reference_forecasts([y], horizon=6, season=12, quantiles=(0.1, 0.5, 0.9))
    expected = AutoETS(season_length=12).fit(y).predict(6, level=[80])
    np.testing.assert_allclose(refs["ets"].forecasts[0, :, 0], expected["mean"])
    np.testing.assert_allclose(refs["ets"].forecasts[0, :, 1], expected["lo-80"])
    np.testing.assert_allclose(refs["ets"].forecasts[0, :, 2], expected["mean"])  # q0.5 is the mean
    np.testing.assert_allclose(refs["ets"].forecasts[0, :, 3], expected["hi-80"])
    snaive = SeasonalNaive(season_length=12).fit(y).predict(6)["mean"]
    np.testing.assert_allclose(refs["seasonal_naive"].forecasts[0, :, 0], snaive)


def test_every_reference_names_its_form_and_the_combo_is_the_mean_of_three():
    y = seasonal()
    refs = reference_forecasts([y, y * 2], horizon=6, season=12)
    assert list(refs) == ["naive", "seasonal_naive", "ets", "arima", "theta", "combo"]
    assert refs["ets"].forms[0].startswith("ETS(") and refs["arima"].forms[0].startswith("ARIMA(")
    assert refs["theta"].forms[0].startswith("Theta(")
    mean = (refs["ets"].forecasts + refs["arima"].forecasts + refs["theta"].forecasts) / 3
    np.testing.assert_allclose(refs["combo"].forecasts, mean)
    assert not any(r.fallbacks for r in refs.values())
    # an AutoETS that follows the season beats repeating the last value
    truth = 100 + 0.5 * np.arange(72, 78) + 10 * np.sin(2 * np.pi * np.arange(72, 78) / 12)
    err = {n: np.abs(refs[n].forecasts[0, :, 0] - truth).mean() for n in ("ets", "naive")}
    assert err["ets"] < 0.5 * err["naive"]


def test_a_failed_fit_is_reported_and_never_labelled_as_the_method(monkeypatch):
    real = references.fit_forecast

    def flaky(name, y, horizon, season, quantiles):
        if name == "arima":
            raise ValueError("no suitable ARIMA model found")
        return real(name, y, horizon, season, quantiles)

    monkeypatch.setattr(references, "fit_forecast", flaky)
    y = seasonal()
    refs = reference_forecasts([y], horizon=4, season=12)
    assert refs["arima"].forms == ["failed"]
    assert refs["arima"].fallbacks == {0: "no suitable ARIMA model found; seasonal naive used"}
    np.testing.assert_allclose(refs["arima"].forecasts, refs["seasonal_naive"].forecasts)
    assert refs["combo"].fallbacks == {0: "a member fell back"}


def test_long_seasons_add_ets_and_arima_on_the_seasonally_adjusted_series_and_keep_them_non_seasonal():
    assert "mstl" not in reference_names(12) and "mstl_arima" not in reference_names(12)
    assert (
        reference_names(24)[-2:]
        == reference_names(48)[-2:]
        == reference_names(52)[-2:]
        == ["mstl", "mstl_arima"]
    )
    y = seasonal(n=48 * 6, season=48)
    refs = reference_forecasts([y], horizon=48, season=48, names=["ets", "arima", "mstl", "mstl_arima"])
    assert refs["ets"].forms[0].endswith(",N) (season 48 > 24: non-seasonal)")
    assert refs["arima"].forms[0].endswith("(season 48 > 24: non-seasonal)")
    assert refs["mstl"].forms == ["MSTL(season 48) + AutoETS trend"]
    assert refs["mstl_arima"].forms == ["MSTL(season 48) + AutoARIMA trend"]
    truth = 100 + 0.5 * np.arange(288, 336) + 10 * np.sin(2 * np.pi * np.arange(288, 336) / 48)
    error = {name: np.abs(ref.forecasts[0, :, 0] - truth).mean() for name, ref in refs.items()}
    assert error["mstl"] < 0.5 * error["ets"] and error["mstl_arima"] < 0.5 * error["arima"]


def test_mstl_forecasts_without_a_season_where_its_decomposition_finds_little_of_one():
    """Weekly closes of a stock index have no year in them: MSTL's seasonal part of such a walk is noise, and
    forecasting it on (as the weekly EU stock indices of the development data showed) only adds error."""
    from lstmkit.evaluate.references import SEASONAL_STRENGTH, seasonal_strength

    walk = 100 + np.cumsum(np.random.default_rng(1).normal(0, 1, 300))
    refs = reference_forecasts(
        [walk], horizon=13, season=52, names=["mstl", "mstl_arima"], quantiles=(0.1, 0.9)
    )
    assert refs["mstl"].forms[0].startswith("ETS(") and refs["mstl"].forms[0].endswith(
        f" < {SEASONAL_STRENGTH}: no season)"
    )
    assert refs["mstl_arima"].forms[0].startswith("ARIMA(") and "no season" in refs["mstl_arima"].forms[0]
    expected = AutoETS(model="ZZN").fit(walk).predict(13, level=[80])
    np.testing.assert_allclose(refs["mstl"].forecasts[0, :, 0], expected["mean"])
    np.testing.assert_allclose(refs["mstl"].forecasts[0, :, 1], expected["lo-80"])
    from statsforecast.models import MSTL

    seasonal_walk = walk + 10 * np.sin(2 * np.pi * np.arange(300) / 52)
    strengths = [
        seasonal_strength(MSTL(season_length=52, trend_forecaster=AutoETS(model="ZZN")).fit(y).model_)
        for y in (walk, seasonal_walk)
    ]
    assert strengths[0] < SEASONAL_STRENGTH < strengths[1]
    refs = reference_forecasts([seasonal_walk], horizon=13, season=52, names=["mstl"])
    assert refs["mstl"].forms == ["MSTL(season 52) + AutoETS trend"]


def test_mstl_models_the_week_of_sub_daily_data_once_two_weeks_are_there():
    from lstmkit.evaluate.references import mstl_seasons

    assert mstl_seasons(48, 672) == [48, 336] and mstl_seasons(48, 671) == [48]  # half-hourly
    assert mstl_seasons(24, 336) == [24, 168] and "mstl" in reference_names(24)  # hourly: MSTL joins
    assert "mstl" not in reference_names(12)  # monthly (or 2-hourly: the same season)
    assert mstl_seasons(96, 2000) == [96, 672]  # 15 minutes
    assert mstl_seasons(52, 5000) == [52] and mstl_seasons(30, 5000) == [30, 210]  # weekly: no week in a week
    t = np.arange(48 * 7 * 4)
    daily, weekly = np.sin(2 * np.pi * t / 48), np.where((t // 48) % 7 >= 5, -3.0, 0.0)  # quiet weekends
    y = 10 + daily + weekly + np.random.default_rng(0).normal(0, 0.1, len(t))
    refs = reference_forecasts([y[:-96]], horizon=96, season=48, names=["mstl"])
    assert refs["mstl"].forms == ["MSTL(season 48 and 336) + AutoETS trend"]
    from statsforecast.models import MSTL, AutoETS

    daily_only = MSTL(season_length=48, trend_forecaster=AutoETS(model="ZZN")).forecast(y=y[:-96], h=96)[
        "mean"
    ]
    error = np.abs(refs["mstl"].forecasts[0, :, 0] - y[-96:]).mean()
    assert error < 0.5 * np.abs(daily_only - y[-96:]).mean()  # the weekend is forecast


@pytest.mark.parametrize("n", [3, 7])
def test_very_short_histories_still_get_forecasts(n):
    refs = reference_forecasts([np.arange(1.0, n + 1)], horizon=3, season=4, quantiles=(0.1, 0.9))
    for ref in refs.values():
        assert ref.forecasts.shape == (1, 3, 3) and np.isfinite(ref.forecasts).all()


def test_a_history_is_fitted_once_whatever_the_horizon_and_levels(monkeypatch):
    from lstmkit.evaluate import references

    made = []
    real = references._model
    monkeypatch.setattr(
        references, "_model", lambda name, season, n: made.append(name) or real(name, season, n)
    )
    y = (
        100 + 10 * np.sin(np.arange(60) * 2 * np.pi / 12) + np.arange(60.0) + 0.37
    )  # a history no other test fits
    first = reference_forecasts([y], horizon=12, season=12, quantiles=(0.1, 0.9), names=["ets", "theta"])
    again = reference_forecasts([y], horizon=6, season=12, quantiles=(), names=["ets", "theta"])
    assert {"ets", "theta"} <= set(made) and len(made) == len(set(made))  # each method fitted once
    for name in ("ets", "theta"):  # the same fit: the shorter point forecast is the longer one's start
        np.testing.assert_allclose(again[name].forecasts[0, :, 0], first[name].forecasts[0, :6, 0])


@pytest.mark.filterwarnings("ignore:possible convergence problem")  # StatsForecast's own, on a smooth series
@pytest.mark.parametrize(
    "n, season, approximated", [(150, 12, False), (151, 12, True), (100, 24, True), (100, 4, False)]
)
def test_auto_arima_searches_by_least_squares_where_r_does(n, season, approximated):
    from statsforecast.models import AutoARIMA

    y = seasonal(n, season)
    refs = reference_forecasts([y], horizon=6, season=season, names=["arima"])
    expected = AutoARIMA(season_length=season, approximation=approximated).forecast(y=y, h=6)["mean"]
    np.testing.assert_allclose(refs["arima"].forecasts[0, :, 0], expected)


@pytest.mark.filterwarnings("ignore:possible convergence problem")  # the library's own fit, refitted here
def test_slow_methods_read_the_most_recent_points_of_a_long_history_and_say_so():
    from statsforecast.models import AutoARIMA, AutoTheta

    from lstmkit.evaluate.references import ARIMA_MAX_POINTS, THETA_MAX_POINTS

    y = seasonal(THETA_MAX_POINTS + 200, 12)
    refs = reference_forecasts([y], horizon=6, season=12, names=["arima", "theta", "ets"])
    assert refs["arima"].forms[0].endswith(f" on the last {ARIMA_MAX_POINTS} of {len(y)} points")
    assert refs["theta"].forms[0].endswith(f" on the last {THETA_MAX_POINTS} of {len(y)} points")
    assert "on the last" not in refs["ets"].forms[0]  # within AutoETS's limit: all points
    recent = AutoTheta(season_length=12).forecast(y=y[-THETA_MAX_POINTS:], h=6)["mean"]
    np.testing.assert_allclose(refs["theta"].forecasts[0, :, 0], recent)
    recent = AutoARIMA(season_length=12, approximation=True).forecast(y=y[-ARIMA_MAX_POINTS:], h=6)["mean"]
    np.testing.assert_allclose(refs["arima"].forecasts[0, :, 0], recent)


def test_each_member_interval_holds_its_point_on_a_noise_free_trend():
    # AutoTheta's own bounds of 0, 1, ..., 9 both lie below its point (10.968 and 10.968 around 10.991)
    y = np.arange(10, dtype=np.float64)
    raw = AutoTheta(season_length=1).fit(y).predict(4, level=[80])
    assert (raw["hi-80"] < raw["mean"]).any()
    refs = reference_forecasts([y], horizon=4, season=1, quantiles=(0.1, 0.5, 0.9), names=["theta", "ets"])
    for ref in refs.values():
        point, low, median, high = np.moveaxis(ref.forecasts[0], -1, 0)
        assert (low <= point).all() and (point <= high).all()
        np.testing.assert_array_equal(median, point)
    np.testing.assert_allclose(refs["theta"].forecasts[0, :, 0], raw["mean"])
    np.testing.assert_allclose(refs["theta"].forecasts[0, :, 1], np.minimum(raw["lo-80"], raw["mean"]))
    np.testing.assert_allclose(refs["theta"].forecasts[0, :, 3], np.maximum(raw["hi-80"], raw["mean"]))
