"""Long seasons: the network forecasts the series with its MSTL seasons removed, and the seasons put back."""

import json

import numpy as np
import pandas as pd
import pytest
from statsforecast.mstl import mstl

from lstmkit.evaluate import metrics
from lstmkit.evaluate.backtest import truncate
from lstmkit.models.forecast_seasons import seasons_at, series_profile
from lstmkit.models.forecaster import LSTMForecaster

FAST = {"epochs": 25, "ensemble": 2, "hidden_size": 8, "patience": 25}


def weekly(n, *, seed=0, amplitude=8.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 100 + 0.05 * t + amplitude * np.sin(2 * np.pi * t / 52) + rng.normal(0, 0.5, n)
    return pd.DataFrame(
        {"week": pd.date_range("2015-01-04", periods=n, freq="W-SUN").strftime("%Y-%m-%d"), "y": y}
    )


def test_the_profile_is_the_last_cycle_of_the_mstl_seasons_by_phase():
    y = weekly(300)["y"].to_numpy()
    ordinals = 1000 + np.arange(300)  # a calendar axis that does not start at a cycle's start
    profile = series_profile(y, ordinals, 52)
    seasonal = mstl(y, period=52)["seasonal"].to_numpy()
    assert len(profile) == 52
    np.testing.assert_allclose(seasons_at(profile, ordinals[-52:]), seasonal[-52:])
    after = ordinals[-1] + 1 + np.arange(60)  # the forecast steps repeat the last cycle
    np.testing.assert_allclose(seasons_at(profile, after), np.tile(seasonal[-52:], 2)[:60])


def test_half_hours_remove_the_day_and_the_week_once_two_weeks_are_seen():
    t = np.arange(48 * 7 * 3)
    rng = np.random.default_rng(1)
    y = 20 + 5 * np.sin(2 * np.pi * t / 48) + 3 * np.sin(2 * np.pi * t / 336) + rng.normal(0, 0.3, len(t))
    profile = series_profile(y, t, 48)
    parts = mstl(y, period=[48, 336])
    assert len(profile) == 336  # each season's last cycle, as MSTL forecasts them: the last day repeated
    last_day, last_week = parts["seasonal48"].to_numpy()[-48:], parts["seasonal336"].to_numpy()[-336:]
    np.testing.assert_allclose(
        seasons_at(profile, t[-1] + 1 + np.arange(336)), np.tile(last_day, 7) + last_week
    )


def test_no_seasons_are_removed_where_mstl_finds_them_weak_and_none_estimated_under_two_seasons():
    walk = 100 + np.cumsum(np.random.default_rng(2).normal(0, 1, 300))
    assert series_profile(walk, np.arange(300), 52) == []
    assert series_profile(weekly(104)["y"].to_numpy(), np.arange(104), 52) is None
    assert len(series_profile(weekly(105)["y"].to_numpy(), np.arange(105), 52)) == 52
    assert seasons_at([], np.arange(5)).tolist() == seasons_at(None, np.arange(5)).tolist() == [0.0] * 5


def test_a_series_too_short_for_its_seasons_is_left_to_the_classical_members(caplog):
    panel = pd.concat([weekly(200).assign(shop="long"), weekly(80, seed=1).assign(shop="short")])
    model = LSTMForecaster(13, id_col="shop", **FAST).fit(panel)
    assert model.fitted.seasons["short"] is None and len(model.fitted.seasons["long"]) == 52
    assert model.combination["weights"]["short"][0] == 0.0  # the network: no weight
    assert model.network_left_out(model.read(panel)) == {  # nor a score as the network's (metrics.json)
        1: "80 points, shorter than the 105 points the network's seasonal adjustment needs (two seasons of 52, "
        "and one)"
    }
    assert (
        "the classical references alone forecast 1 series shorter than the 105 points the network's seasonal "
        "adjustment needs (two seasons of 52, and one): short (80)" in caplog.text
    )
    # every series that short: the network sees them as they are, with the season
    from lstmkit.plots.report_forecast import _network_reads

    assert _network_reads(model.fitted) == (
        "the seasonally adjusted series where MSTL finds a season (1 of 2 series; 1 too short to estimate a "
        "season from, left to the classical methods)"
    )
    alone = LSTMForecaster(13, **{"data.season": 52}, **FAST).fit(weekly(80))
    assert alone.fitted.seasons is None and alone.fitted.network_season == 52


def test_the_windows_of_a_skipped_series_are_not_trained_on():
    from lstmkit.data.windows import window_starts

    index = window_starts([50, 30, 40], length=20, horizon=5, val_fraction=0.0, skip=[False, True, False])
    starts = index.train.tolist()
    assert starts == list(range(0, 31)) + list(range(80, 101))  # none of 50..79


@pytest.fixture(scope="module")
def weekly_model():
    frame = weekly(213)
    return LSTMForecaster(13, combine="none", **FAST).fit(frame.iloc[:-13]), frame


def test_weekly_data_train_the_network_on_short_windows_of_the_adjusted_series_and_forecast_the_season(
    weekly_model,
):
    model, frame = weekly_model
    state = model.fitted
    assert state.season == 52 and state.network_season == 1 and len(state.seasons["None"]) == 52
    assert max(state.lookbacks) < 52  # horizons, not seasons: many windows from 200 points
    history, truth = frame["y"].to_numpy()[:-13], frame["y"].to_numpy()[-13:]
    forecast = model.predict()["forecast"].to_numpy()
    error = metrics.mase(truth, forecast, insample=history, season=52)
    flat = metrics.mase(truth, np.full(13, history[-52:].mean()), insample=history, season=52)
    assert error < 0.5 and error < 0.2 * flat  # the season is put back: a flat line misses it by 8


def test_later_data_are_adjusted_with_the_fitted_seasons_by_calendar_position(weekly_model, tmp_path):
    model, frame = weekly_model
    loaded = LSTMForecaster.load(model.save(tmp_path / "m"))
    assert (
        json.loads((tmp_path / "m" / "config.json").read_text())["fitted"]["seasons"] == model.fitted.seasons
    )
    later = loaded.predict(frame)  # 13 weeks past the training data: forecast from there
    truth = weekly(226)["y"].to_numpy()[-13:]
    assert metrics.mase(truth, later["forecast"].to_numpy(), insample=frame["y"].to_numpy(), season=52) < 0.5
    np.testing.assert_array_equal(
        loaded.predict(frame.iloc[:-13]), model.predict()
    )  # save then load: the same
    earlier, _ = truncate(model.read(frame.iloc[:-13]), 26)  # validation origins before the training end
    out = model.network_forecasts(earlier)[0, :, 0]
    truth = frame["y"].to_numpy()[-39:-26]
    assert metrics.mase(truth, out, insample=frame["y"].to_numpy()[:-39], season=52) < 0.5


def test_explaining_a_weekly_model_says_it_reads_the_adjusted_series(weekly_model):
    model, frame = weekly_model
    explanation = model.explain(frame.iloc[:-13])
    assert explanation.input_names == ["y (seasonally adjusted)"]
    assert any("season of 52 steps removed" in note for note in explanation.notes)
    adjusted = frame["y"].to_numpy()[-13 - model.window : -13] - seasons_at(
        model.fitted.seasons["None"], np.arange(200)[-model.window :] + _first_ordinal(model, frame)
    )
    np.testing.assert_allclose(explanation.inputs[:, 0], adjusted, rtol=1e-5)


def _first_ordinal(model, frame):
    from lstmkit.models.forecast_state import ordinals

    data = model.read(frame.iloc[:-13])
    return int(ordinals(data, data.series[0])[0])


def test_the_report_says_the_network_reads_the_seasonally_adjusted_series(weekly_model, tmp_path):
    from lstmkit.plots.report_forecast import forecast_report

    model, frame = weekly_model
    page = forecast_report(tmp_path / "report.html", model=model, data=model.read(frame)).read_text()
    assert (
        "the seasonally adjusted series (MSTL" in page
        and "seasons removed, put back on the forecast)" in page
    )


def test_the_calendar_asked_for_a_weekly_model_is_off_with_a_note(caplog):
    model = LSTMForecaster(13, combine="none", **{"data.calendar": True}, **FAST).fit(weekly(150))
    assert not model.fitted.calendar and not model.network.calendar
    assert (
        "note: data.calendar is off for a season of 52: the network reads the series with their seasons"
        in (caplog.text)
    )
