"""LSTMForecaster: it learns a seasonal pattern, quantiles never cross, save/load predicts the same,
and the preprocessing (scale, log choice, windows) never sees data it should not."""

import numpy as np
import pandas as pd
import pytest
import torch

from lstmkit.data.preprocess import auto_lookbacks, choose_log, min_network_points
from lstmkit.data.tabular import impute, load_series
from lstmkit.errors import CheckpointError, ConfigError, DataError
from lstmkit.evaluate import metrics
from lstmkit.evaluate.backtest import holdout, truncate
from lstmkit.evaluate.references import Reference
from lstmkit.models.forecast_combination import POWER, error_weights
from lstmkit.models.forecaster import LSTMForecaster
from lstmkit.networks.forecast_net import ForecastNet

FAST = {"epochs": 25, "ensemble": 2, "hidden_size": 8, "patience": 25}


def seasonal_frame(n=96, season=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 50 + 0.3 * t + 8 * np.sin(2 * np.pi * t / season) + rng.normal(0, 0.5, n)
    months = pd.period_range("2000-01", periods=n, freq="M").astype(str)
    return pd.DataFrame({"month": months, "sales": y})


def test_it_learns_a_seasonal_pattern_better_than_naive(seed):
    frame = seasonal_frame()
    train, truth = frame.iloc[:-12], frame["sales"].to_numpy()[-12:]
    model = LSTMForecaster(12, epochs=40, ensemble=2, hidden_size=8).fit(train)
    forecast = model.predict()
    assert list(forecast.columns) == [
        "time",
        "step",
        "forecast",
        "q0.1",
        "q0.9",
    ]  # an 80% interval by default
    assert forecast["time"].iloc[0] == "2007-01"
    hist = train["sales"].to_numpy()
    lstm = metrics.mase(truth, forecast["forecast"].to_numpy(), insample=hist, season=12)
    naive = metrics.mase(truth, np.full(12, hist[-1]), insample=hist, season=12)
    assert lstm < 0.5 * naive


def test_quantiles_never_cross(seed):
    quantiles = (0.05, 0.1, 0.5, 0.9, 0.95)
    net = ForecastNet(lookbacks=[6, 8], horizon=3, hidden_size=4, quantiles=quantiles, season=1)
    for p in net.parameters():  # wild weights: monotonicity must hold by construction
        torch.nn.init.normal_(p, std=3.0)
    out = net(torch.randn(64, 8) * 10, torch.ones(64, 1))
    assert out.shape == (64, 3, 1 + len(quantiles))
    assert (out[..., 2:] - out[..., 1:-1] >= 0).all()


def test_quantile_forecast_columns_are_ordered(seed):
    model = LSTMForecaster(6, quantiles=(0.9, 0.1, 0.5), **FAST).fit(seasonal_frame(60))
    frame = model.predict()
    assert list(frame.columns) == ["time", "step", "forecast", "q0.1", "q0.5", "q0.9"]
    assert (frame["q0.1"] <= frame["q0.5"]).all() and (frame["q0.5"] <= frame["q0.9"]).all()


def test_save_then_load_predicts_the_same(tmp_path, seed):
    frame = seasonal_frame(72)
    model = LSTMForecaster(6, quantiles=(0.1, 0.9), **FAST).fit(frame)
    model.save(tmp_path / "m")
    loaded = LSTMForecaster.load(tmp_path / "m")
    pd.testing.assert_frame_equal(model.predict(frame), loaded.predict(frame))
    assert loaded.state == model.state


def test_same_seed_same_forecast(seed):
    frame = seasonal_frame(60)
    a = LSTMForecaster(6, seed=3, **FAST).fit(frame).predict()
    b = LSTMForecaster(6, seed=3, **FAST).fit(frame).predict()
    pd.testing.assert_frame_equal(a, b)


def test_holdout_model_never_sees_the_holdout(seed):
    """Changing the last H points must not change the evaluation model at all (no leakage), even
    with a gap just before the cut, which filling the whole series would fill from the hold-out."""
    frame = seasonal_frame(72)
    frame.loc[frame.index[-7], "sales"] = np.nan  # the last training point is missing
    spoiled = frame.copy()
    spoiled.loc[spoiled.index[-6:], "sales"] = 1e6
    spoiled.loc[spoiled.index[-2], "sales"] = np.nan  # a missing truth: left out of the scores, counted
    runs = []
    for f in (frame, spoiled):
        data = LSTMForecaster(6, **FAST).read(f)  # as the CLI reads: gaps kept until the hold-out is cut
        assert np.isnan(data.series[0].target[-7])
        m, fc, model = holdout(lambda: LSTMForecaster(6, **FAST), data, horizon=6)
        runs.append((fc, model.state, {k: v.clone() for k, v in model.net.state_dict().items()}, m))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]  # scale, log choice, lookbacks, lengths
    for k in runs[0][2]:
        torch.testing.assert_close(runs[0][2][k], runs[1][2][k])
    assert runs[0][1].train_lengths == {"None": 66}
    assert runs[0][3]["missing_truths"] == 0 and runs[1][3]["missing_truths"] == 1
    # the references were fitted on the same history: their forms do not depend on the hold-out
    assert runs[0][3]["references"] == runs[1][3]["references"]


def test_a_gap_is_filled_from_the_training_part_only(caplog):
    frame = seasonal_frame(40)
    frame.loc[frame.index[-3], "sales"] = np.nan
    data = LSTMForecaster(2).read(frame)
    said = [r.getMessage() for r in caplog.records if "missing value" in r.getMessage()]
    assert said == [
        "1 missing value(s) in 'sales' of data: each model fills them by linear interpolation from the data "
        "it is given (a hold-out is cut first)"
    ]
    short, truths = truncate(data, 2)
    caplog.clear()
    filled = impute(short).series[0].target
    assert not caplog.records  # said once, at read, not at every fill
    assert filled[-1] == short.series[0].target[-2]  # carried from the last training value, not the truth
    assert not np.isnan(filled).any() and np.isnan(data.series[0].target[-3])


def test_truncate_keeps_the_truth():
    data = load_series(seasonal_frame(30))
    short, truths = truncate(data, 5)
    assert len(short.series[0].target) == 25 and len(short.series[0].times) == 25
    np.testing.assert_array_equal(truths[0], data.series[0].target[-5:])


def test_several_series_with_covariates(seed):
    rows = []
    for sid, level in (("a", 10.0), ("b", 1000.0)):
        f = seasonal_frame(48, seed=int(level))
        rows.append(f.assign(store=sid, sales=f.sales * level / 50, price=np.arange(48.0)))
    frame = pd.concat(rows)
    model = LSTMForecaster(4, id_col="store", target="sales", **FAST).fit(frame)
    out = model.predict()
    assert list(out.columns) == ["id", "time", "step", "forecast", "q0.1", "q0.9"] and len(out) == 8
    assert model.state.n_covariates == 1
    b = out[out.id == "b"].forecast.mean()
    assert 300 < b < 3000  # each series in its own units
    with pytest.raises(DataError, match="covariate columns"):
        model.predict(frame.drop(columns="price"))


def test_log_is_chosen_for_multiplicative_seasonality():
    t = np.arange(120)
    growth = np.exp(0.02 * t)
    assert choose_log(growth * (1 + 0.3 * np.sin(2 * np.pi * t / 12)), 12)
    assert not choose_log(50 + 0.2 * t + 5 * np.sin(2 * np.pi * t / 12), 12)
    assert not choose_log(np.sin(t) - 0.5, 12)


def test_lookbacks_and_length_errors():
    assert auto_lookbacks(144, season=12, horizon=12, ensemble=3, lookback=None) == [24, 36, 18]
    assert auto_lookbacks(144, season=12, horizon=12, ensemble=2, lookback=30) == [30, 30]
    with pytest.raises(DataError, match="series too short: forecasting 12 steps needs at least"):
        auto_lookbacks(15, season=1, horizon=12, ensemble=1, lookback=None)
    with pytest.raises(DataError, match="--lookback 50 with --horizon 12 needs at least 63 points"):
        auto_lookbacks(40, season=1, horizon=12, ensemble=1, lookback=50)
    for horizon in (1, 6, 12, 48):  # min_network_points is the shortest series auto_lookbacks accepts
        need = min_network_points(horizon)
        assert auto_lookbacks(need, season=12, horizon=horizon, ensemble=1, lookback=None)
        with pytest.raises(
            DataError, match=f"needs at least {need} points, the shortest series has {need - 1}$"
        ):
            auto_lookbacks(need - 1, season=12, horizon=horizon, ensemble=1, lookback=None)


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="quantiles must lie strictly between 0 and 1"):
        LSTMForecaster(3, quantiles=(0.5, 1.2))
    with pytest.raises(ConfigError, match="did you mean 'model.hidden_size'"):
        LSTMForecaster(3, **{"model.hiden_size": 3})


def test_loading_a_missing_folder_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError):
        LSTMForecaster.load(tmp_path / "none")


def test_an_exactly_periodic_series_is_forecast_not_blown_up(seed):
    from lstmkit.data.preprocess import series_scale

    t = np.arange(240)
    y = 5 + np.sin(2 * np.pi * t / 24)  # repeats its season to the last bit: seasonal differences are ~1e-16
    assert series_scale(y, 24) == pytest.approx(np.std(y))
    assert series_scale(np.full(50, 5.0), 1) == 5.0
    model = LSTMForecaster(6, epochs=30, ensemble=1, hidden_size=8, season=24).fit(pd.DataFrame({"y": y}))
    forecast = model.predict()["forecast"].to_numpy()
    np.testing.assert_allclose(forecast, 5 + np.sin(2 * np.pi * np.arange(240, 246) / 24), atol=0.1)


def test_calendar_features_let_it_see_a_december_spike_a_short_window_cannot(seed):
    months = pd.period_range("2000-01", periods=240, freq="M")
    y = np.where(months.month == 12, 10.0, 1.0) + np.random.default_rng(0).normal(0, 0.5, 240)
    frame = pd.DataFrame({"month": months.astype(str), "y": y})
    train, truth = frame.iloc[:-3], y[-3:]  # ends 2019-09: October, November, December follow
    errors = {}
    for calendar in (False, True):
        model = LSTMForecaster(
            3,
            epochs=100,
            patience=100,
            ensemble=1,
            hidden_size=8,
            lookback=3,
            quantiles=(),
            season=12,
            combine="none",
            loss="mse",  # a spike in 1 step of 12 is learnt in fewer epochs where the gradient grows with the miss
            **{"data.calendar": calendar},
        ).fit(train)
        assert model.net.calendar == calendar
        forecast = model.predict()["forecast"].to_numpy()
        errors[calendar] = np.abs(forecast - truth).mean()
        if calendar:
            assert forecast[2] > forecast[0] + 4  # the spike is placed in December
    assert errors[True] < 0.5 * errors[False]


def test_every_data_and_model_setting_is_a_keyword():
    from dataclasses import fields

    from lstmkit.models.forecaster import ForecastData, ForecastModel

    for kind, section in ((ForecastData, "data"), (ForecastModel, "model")):
        for f in fields(kind):
            if f.name in ("variants", "horizon"):
                continue
            value = getattr(kind(), f.name)
            model = LSTMForecaster(12, **{f.name: value})
            assert getattr(getattr(model.config, section), f.name) == value, f.name
    assert LSTMForecaster(12, calendar=True).config.data.calendar is True


def test_a_series_too_short_for_the_network_is_forecast_by_the_references(tmp_path):
    frame = seasonal_frame(20)
    model = LSTMForecaster(12, **FAST).fit(frame)
    assert model.state.network.startswith("not trained: series too short")
    assert model.state.combination["weights"]["None"][0] == 0.0
    out = model.predict()
    assert len(out) == 12 and out["forecast"].notna().all()
    again = LSTMForecaster.load(model.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(again.predict(frame), out)
    with pytest.raises(DataError, match="series too short"):
        LSTMForecaster(12, combine="none", **FAST).fit(frame)


def test_an_untrained_network_gets_no_weight_on_a_series_it_has_not_seen():
    model = LSTMForecaster(12, id_col="shop", **FAST).fit(seasonal_frame(20).assign(shop="a"))
    new = model.read(seasonal_frame(30, seed=1).assign(shop="new"))  # long enough for a trained network
    assert model.network_left_out(new) == {
        0: "the network was not trained: series too short: forecasting 12 steps needs at least 22 points, the "
        "shortest series has 20"
    }
    weights = model.combination_weights(new, model.classical_forecasts(new))  # were equal, the network's too
    assert weights[0].tolist() == pytest.approx([0.0, 1 / 3, 1 / 3, 1 / 3])


def short_series_panel():
    """Three 96-month series and one of 20 months (too short for the network), in long format."""
    frames = []
    for sid, n, seed in (("a", 96, 0), ("b", 96, 1), ("short", 20, 2), ("c", 96, 3)):
        frames.append(seasonal_frame(n, seed=seed).assign(shop=sid))
    return pd.concat(frames, ignore_index=True)


def test_one_short_series_in_a_panel_leaves_the_network_to_the_others(tmp_path, caplog):
    from lstmkit.evaluate.references import reference_forecasts
    from lstmkit.models.forecast_combination import classical_members

    panel = short_series_panel()
    with caplog.at_level("WARNING"):
        model = LSTMForecaster(12, id_col="shop", **FAST).fit(panel)
    assert model.state.network is None  # trained: on the three long series
    assert model.state.lookbacks[0] == 24  # chosen for 96 points, not 20
    assert (
        "note: the classical references alone forecast 1 series shorter than the network's lookback of 36: "
        "short (20)" in caplog.messages
    )
    weights = model.state.combination["weights"]
    assert weights["short"][0] == 0.0 and sum(weights["short"][1:]) == pytest.approx(1.0, abs=1e-5)
    assert model.state.combination["errors"]["short"][0][0] is None  # not scored: it read padding
    out = model.predict()
    short = out[out["id"] == "short"]["forecast"].to_numpy()
    y = panel[panel["shop"] == "short"]["sales"].to_numpy()
    members = classical_members(model.season)
    refs = reference_forecasts([y], horizon=12, season=model.season, names=members)
    expected = sum(w * refs[m].forecasts[0, :, 0] for w, m in zip(weights["short"][1:], members))
    np.testing.assert_allclose(short, expected, rtol=1e-4)
    again = LSTMForecaster.load(model.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(again.predict(panel), out)
    with pytest.raises(
        DataError, match=r"^series too short: forecasting 12 steps needs at least 22 points, the sh"
    ):
        LSTMForecaster(12, id_col="shop", combine="none", **FAST).fit(panel)  # the network alone: refused


def test_a_series_of_two_values_is_left_out_of_a_panel_with_one_warning(caplog):
    panel = pd.concat(
        [
            short_series_panel(),
            pd.DataFrame({"month": ["2000-01", "2000-02"], "sales": [1.0, 2.0]}).assign(shop="two"),
        ]
    )
    with caplog.at_level("WARNING"):
        model = LSTMForecaster(12, id_col="shop", **FAST).fit(panel)
    assert "1 series have fewer than 3 values and are left out: two (2)" in caplog.messages
    assert sorted(model.predict(panel)["id"].unique()) == ["a", "b", "c", "short"]


def test_the_weights_average_this_models_validation_with_its_judges():
    frame = seasonal_frame(96)
    judge = LSTMForecaster(12, **FAST).fit(
        frame.iloc[:-12]
    )  # weighed on points 72..83, judged by a network on 0..71
    model = LSTMForecaster(12, **FAST).fit(frame, judge=judge)
    mine, judged = model.state.combination, judge.state.combination
    # each: its own origin, the judge's (the final model only), then 3 more origins of the classical members
    assert len(judged["errors"]["None"]) == 1 + 3 and len(mine["errors"]["None"]) == 2 + 3
    assert mine["errors"]["None"][1] == judged["errors"]["None"][0]  # the judge's own validation, reused
    assert [row[0] for row in mine["errors"]["None"][2:]] == [None] * 3  # no network at the further origins
    assert all(e is not None for row in mine["errors"]["None"] for e in row[1:])
    errors = np.array(mine["errors"]["None"], dtype=np.float64)[:, None, :]
    assert mine["power"] == POWER
    np.testing.assert_allclose(mine["weights"]["None"], error_weights(errors, POWER)[0], atol=1e-6)
    single = LSTMForecaster(12, combine_origins=1, **FAST).fit(frame, judge=judge).state.combination
    assert len(single["errors"]["None"]) == 1 + 3
    assert single["errors"]["None"][0] == mine["errors"]["None"][0]
    two = LSTMForecaster(12, classical_origins=2, **FAST).fit(frame, judge=judge).state.combination
    assert two["errors"]["None"] == mine["errors"]["None"][:2]


def test_a_judge_made_on_demand_is_asked_once_after_this_network_trained_and_weighs_alike():
    frame = seasonal_frame(96)
    judge = LSTMForecaster(12, **FAST).fit(frame.iloc[:-12])
    asked = []

    def make_judge():
        asked.append(model.network_ is not None and model.history_ is not None)  # this network trained
        return judge

    model = LSTMForecaster(12, **FAST)
    model.fit(frame, judge=make_judge)
    assert asked == [True]
    direct = LSTMForecaster(12, **FAST).fit(frame, judge=judge)
    assert model.state.combination == direct.state.combination
    unasked = LSTMForecaster(12, combine="none", **FAST).fit(frame, judge=lambda: asked.append("again"))
    assert asked == [True] and unasked.state.combination is None


def test_the_fitted_state_is_typed_and_round_trips_through_config_json(tmp_path):
    from lstmkit.models.forecast_state import ForecastState

    model = LSTMForecaster(6, **FAST).fit(seasonal_frame(60))
    state = model.state
    assert isinstance(state, ForecastState) and state.season == 12 and state.combination is not None
    assert ForecastState.from_dict(state.to_dict()) == state
    assert "network" not in state.to_dict()  # written only for an untrained network
    v1 = {  # a format-v1 folder's entry: no calendar, baseline, drift or combination
        "season": 4,
        "log": False,
        "lookbacks": [6],
        "scales": {"None": 2.0},
        "columns": {},
        "n_covariates": 0,
        "last_times": {"None": None},
        "train_lengths": {"None": 20},
    }
    old = ForecastState.from_dict(v1)
    assert (old.calendar, old.baseline, old.drift, old.combination) == (False, "none", 0.0, None)
    with pytest.raises(TypeError):
        ForecastState.from_dict({k: v for k, v in v1.items() if k != "season"})


def test_checking_a_config_leaves_it_as_it_is_and_the_model_sorts_its_quantiles():
    from lstmkit.models.forecast_config import ForecastConfig, check_config

    cfg = ForecastConfig()
    cfg.model.quantiles = (0.9, 0.1, 0.9)
    check_config(cfg)
    assert cfg.model.quantiles == (0.9, 0.1, 0.9)
    assert LSTMForecaster(6, config=cfg).config.model.quantiles == (0.1, 0.9)
    assert cfg.model.quantiles == (0.9, 0.1, 0.9)


def test_the_intervals_are_widened_as_the_judges_validation_forecasts_ask(seed):
    from lstmkit.models.forecast_intervals import interval_scale

    data = load_series(seasonal_frame(120), target="sales", time_col="month")
    hist, truths = truncate(data, 12)
    judge = LSTMForecaster(12, combine="none", **FAST).fit(hist)
    judge.network_.interval_scale.fill_(1.25)  # a judge widened at its own origin passes that on
    expected = interval_scale(judge.network_forecasts(hist), truths, (0.1, 0.9), judge_scale=1.25)
    model = LSTMForecaster(12, **FAST).fit(data, judge=judge)
    assert expected > 1.0  # (the judge's widened intervals still err narrow here)
    torch.testing.assert_close(model.network_.interval_scale, torch.full((2,), expected))
    assert model.combination["interval_scale"] == pytest.approx(expected, abs=1e-6)  # shown in metrics.json
    model.network_.interval_scale.fill_(1.0)
    raw = model.network_forecasts(data)
    model.network_.interval_scale.fill_(expected)
    widened = model.network_forecasts(data)
    np.testing.assert_allclose(widened[..., 0], raw[..., 0])
    assert ((widened[..., 2] - widened[..., 1]) > (raw[..., 2] - raw[..., 1])).all()


def test_the_classical_members_intervals_are_scaled_as_their_validation_forecasts_ask(seed):
    from lstmkit.models.forecast_combination import combine, member_forecasts, series_weights
    from lstmkit.models.forecast_intervals import member_interval_scales, widened

    panel = pd.concat([seasonal_frame(120, seed=k).assign(shop=f"s{k}") for k in range(4)])
    data = load_series(panel, target="sales", time_col="month", id_col="shop")
    hist, truths = truncate(data, 12)  # 4 x 12 validation points
    judge = LSTMForecaster(12, id_col="shop", combine="none", **FAST).fit(hist)
    model = LSTMForecaster(12, id_col="shop", **FAST).fit(data, judge=judge)
    members = ["ets", "arima", "theta"]
    before = member_forecasts([s.target for s in hist.series], horizon=12, season=12, quantiles=(0.1, 0.9))
    expected = member_interval_scales(before, truths, (0.1, 0.9))
    assert model.combination["member_interval_scales"] == expected  # kept in config.json
    assert all(scale != 1.0 for scale in expected.values())
    raw = member_forecasts([s.target for s in data.series], horizon=12, season=12, quantiles=(0.1, 0.9))
    scaled = {name: Reference(name, widened(raw[name].forecasts, expected[name])) for name in members}
    weights = series_weights(model.combination, [str(s.id) for s in data.series], scaled)
    np.testing.assert_allclose(
        model.forecast_arrays(data), combine(model.network_forecasts(data), scaled, weights), rtol=1e-6
    )


def test_an_epoch_of_long_windows_holds_proportionally_fewer(monkeypatch):
    from lstmkit.models import forecast_training
    from lstmkit.models.forecast_training import FULL_COST_LOOKBACK, windows_per_epoch

    assert windows_per_epoch(2000, FULL_COST_LOOKBACK) == 2000
    assert windows_per_epoch(2000, 4 * FULL_COST_LOOKBACK) == 500
    assert windows_per_epoch(0, 500) == 0  # no cap stays no cap
    seen = []
    real = forecast_training.fit

    def spy(model, loss_fn, train, val, **kwargs):
        seen.append(len(train[0]))
        return real(model, loss_fn, train, val, **kwargs)

    monkeypatch.setattr(forecast_training, "fit", spy)
    frame = seasonal_frame(600)
    LSTMForecaster(6, lookback=72, max_windows=100, combine="none", epochs=1, ensemble=1).fit(frame)
    assert seen == [50]  # 100 windows of up to 36 steps, in windows of 72


def test_data_with_a_negative_value_may_be_forecast_below_zero(seed):
    t = np.arange(96)
    frame = seasonal_frame().assign(sales=20 - 0.5 * t + 3 * np.sin(2 * np.pi * t / 12))  # falls through 0
    model = LSTMForecaster(12, combine="none", **FAST).fit(frame)
    assert not model.state.nonnegative
    assert (model.predict()["forecast"] < 0).all()
    counts = seasonal_frame().assign(sales=np.maximum(0.0, 20 - 0.5 * t))  # the same fall, floored at 0
    model = LSTMForecaster(12, combine="none", **FAST).fit(counts)
    assert model.state.nonnegative and (model.predict()[["forecast", "q0.1", "q0.9"]].to_numpy() >= 0).all()


def test_long_seasons_combine_ets_and_arima_fitted_on_the_seasonally_adjusted_series():
    from lstmkit.models.forecast_combination import classical_members

    assert classical_members(12) == ["ets", "arima", "theta"]
    # hourly: AutoETS and AutoARIMA model the day, the MSTL pair the day and the week
    assert classical_members(24) == ["ets", "arima", "theta", "mstl", "mstl_arima"]
    assert classical_members(48) == classical_members(52) == ["mstl", "mstl_arima", "theta"]
    times = pd.date_range("2021-05-01", periods=48 * 8, freq="30min").strftime("%Y-%m-%d %H:%M")
    t = np.arange(48 * 8)
    y = 50 + 0.02 * t + 10 * np.sin(2 * np.pi * t / 48) + np.random.default_rng(0).normal(0, 0.5, len(t))
    model = LSTMForecaster(48, **FAST).fit(pd.DataFrame({"time": times, "load": y}))
    combination = model.state.combination
    assert combination["members"] == ["lstm", "mstl", "mstl_arima", "theta"]
    assert np.isclose(sum(combination["weights"]["None"]), 1.0)
    assert all(e is not None for row in combination["errors"]["None"] for e in row[1:])  # every member scored


def test_hourly_data_with_a_week_weigh_the_mstl_pair_over_the_day_only_members():
    hours = pd.date_range("2021-03-01", periods=24 * 7 * 4 - 48, freq="h")  # from a Monday to a Friday night
    t = np.arange(len(hours))
    weekend = np.asarray(hours.dayofweek >= 5)
    y = 50 + 8 * np.sin(2 * np.pi * t / 24) - 15 * weekend + np.random.default_rng(3).normal(0, 0.5, len(t))
    model = LSTMForecaster(24, **FAST).fit(
        pd.DataFrame({"time": hours.strftime("%Y-%m-%d %H:%M"), "load": y})
    )
    combination = model.combination
    assert combination["members"] == ["lstm", "ets", "arima", "theta", "mstl", "mstl_arima"]
    weights = combination["weights"]["None"]
    assert weights[4] + weights[5] > 0.8 * sum(weights[1:])  # the weekend the day-only fits miss


def test_a_folder_fitted_with_other_members_forecasts_with_its_own(tmp_path):
    import json

    hours = pd.date_range("2020-01-01", periods=120, freq="h").strftime("%Y-%m-%d %H:%M")
    y = 10 + np.sin(2 * np.pi * np.arange(120) / 24) + np.random.default_rng(0).normal(0, 0.1, 120)
    frame = pd.DataFrame({"time": hours, "load": y})
    model = LSTMForecaster(6, **FAST).fit(frame)
    assert model.state.combination["members"] == ["lstm", "ets", "arima", "theta", "mstl", "mstl_arima"]
    folder = model.save(tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    combination = config["fitted"]["combination"]  # as a version without MSTL for hourly data wrote it
    combination["members"] = ["lstm", "ets", "arima", "theta"]
    combination["weights"] = {sid: [0.1, 0.3, 0.3, 0.3] for sid in combination["weights"]}
    del combination["errors"], config["fitted"]["end"]
    (folder / "config.json").write_text(json.dumps(config))
    old = LSTMForecaster.load(folder)
    out = old.forecast_arrays(old.read(frame))
    from lstmkit.evaluate.references import reference_forecasts

    refs = reference_forecasts([y], horizon=6, season=24, names=["ets", "arima", "theta"])
    network = old.network_forecasts(old.read(frame))[0, :, 0]
    expected = 0.1 * network + 0.3 * sum(refs[m].forecasts[0, :, 0] for m in ("ets", "arima", "theta"))
    np.testing.assert_allclose(out[0, :, 0], expected, rtol=1e-6)


def test_the_automatic_ensemble_shrinks_where_points_times_the_longest_window_is_large():
    from lstmkit.config import resolve_config
    from lstmkit.models.forecast_config import ForecastConfig
    from lstmkit.models.forecast_state import fit_state

    def lookbacks(n, season, **settings):
        overrides = [f"model.horizon={13 if season == 52 else 12}", f"data.season={season}"]
        cfg = resolve_config(
            ForecastConfig(), overrides=overrides + [f"model.{k}={v}" for k, v in settings.items()]
        )
        frame = pd.DataFrame({"y": 100 + np.sin(2 * np.pi * np.arange(n) / season)})
        return fit_state(load_series(frame, target="y"), cfg)[0].lookbacks

    assert lookbacks(1500, 12) == [24, 36, 18, 24, 36]  # monthly: 5 members up to 1,500 points
    assert lookbacks(1501, 12) == [24, 36, 18]
    # weeks: windows of horizons on the seasonally adjusted series (forecast_seasons)
    assert lookbacks(1355, 52) == [26, 39, 19, 26, 39]  # 1,355 weeks x 39-step windows: still small
    assert lookbacks(2710, 52) == [26, 39, 19]
    assert lookbacks(2710, 52, ensemble=5) == [26, 39, 19, 26, 39]  # a set ensemble is kept
    assert lookbacks(1355, 12, lookback=156) == [156, 156, 156]  # long windows: 1,355 x 156 > 1,500 x 36


def daily_frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 50 + 6 * np.sin(2 * np.pi * t / 7) + np.cumsum(rng.normal(0, 0.5, n)) + rng.normal(0, 1, n)
    return pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="D"), "value": y})


def test_long_data_weigh_the_network_at_every_origin_by_one_judge_trained_before_them_all():
    from lstmkit.evaluate.metrics import mase
    from lstmkit.models.forecast_combination import ROLLING_POWER, block_validation, rolling_origins

    frame = daily_frame(300)  # 5 origins of 6 points take 10% of it
    model = LSTMForecaster(6, **FAST).fit(frame)
    judge, data = model.judge_, model.data_
    assert rolling_origins(data, horizon=6, classical_origins=5) == 5
    assert judge.state.train_lengths == {"None": 300 - 5 * 6} and judge.state.combination is None
    errors = model.state.combination["errors"]["None"]
    assert len(errors) == 5 and all(e is not None for row in errors for e in row)
    for block in (1, 3, 5):  # the judge's forecast of each block from the points before it
        hist, truths = block_validation(data, 6, block)
        forecast = judge.network_forecasts(hist)[0, :, 0]
        expected = mase(truths[0], forecast, insample=hist.series[0].target, season=7)
        assert errors[block - 1][0] == pytest.approx(expected, rel=1e-5)
    assert model.state.combination["power"] == ROLLING_POWER  # five origins: sharper weights
    weights = error_weights(np.array(errors, dtype=np.float64)[:, None, :], ROLLING_POWER)[0]
    np.testing.assert_allclose(model.state.combination["weights"]["None"], weights, atol=1e-6)
    # one origin fewer (the 6 points before the last) would not be long: the judge's origin and its own
    short = LSTMForecaster(6, **FAST).fit(frame.iloc[-290:])
    assert (
        len(short.state.combination["errors"]["None"]) == 1 + 3 and short.state.combination["power"] == POWER
    )
    assert short.judge_.state.train_lengths == {"None": 290 - 6}


def test_the_hold_out_models_judge_weighs_the_final_model_too():
    frame = daily_frame(310)  # the hold-out's 304 points are long too
    holdout = LSTMForecaster(6, **FAST).fit(frame.iloc[:-6])
    assert holdout.judge_.state.train_lengths == {"None": 304 - 5 * 6}
    final = LSTMForecaster(6, **FAST).fit(frame, judge=lambda: holdout)
    assert final.judge_ is holdout.judge_  # no network trained for it: six origins, one block more
    errors = final.state.combination["errors"]["None"]
    assert len(errors) == 6 and errors[1:] == holdout.state.combination["errors"]["None"]


def test_a_long_panel_weighs_each_series_at_every_origin():
    panel = pd.concat(
        [daily_frame(300, seed=1).assign(shop="a"), daily_frame(300, seed=2).iloc[-280:].assign(shop="b")]
    )
    model = LSTMForecaster(4, id_col="shop", **FAST).fit(panel)  # 5 x 4 points: under 10% of 280
    assert model.judge_.state.train_lengths == {"a": 280, "b": 260}
    combination = model.state.combination
    assert combination["power"] == 8.0 and set(combination["weights"]) == {"a", "b"}
    for sid in ("a", "b"):
        assert len(combination["errors"][sid]) == 5
        assert all(e is not None for row in combination["errors"][sid] for e in row)
    assert len(model.predict(panel)) == 2 * 4
