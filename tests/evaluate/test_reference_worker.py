"""Reference fits in a child process: the very numbers of in-process fits, failures reported alike, and a
child that cannot run leaves the fits to this process."""

import sys

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import main
from lstmkit.evaluate import reference_worker, references
from lstmkit.evaluate.references import planned_fits, reference_forecasts


def seasonal(n=60, season=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / season) + rng.normal(0, 1, n)


@pytest.fixture
def worker(monkeypatch):
    """The worker on, with no fit cached in this process before or after the test."""
    monkeypatch.setenv("LSTMKIT_REFERENCE_WORKER", "1")
    reference_worker.forget()
    references._FITS.clear()
    yield
    reference_worker.forget()
    references._FITS.clear()


def in_process(histories, **kwargs):
    reference_worker.forget()
    references._FITS.clear()
    return reference_forecasts(histories, **kwargs)


def no_local_fits(monkeypatch):
    def refuse(name, y, season):
        raise AssertionError(f"{name} was fitted in this process")

    monkeypatch.setattr(references, "_fit", refuse)
    monkeypatch.setattr(reference_worker, "STEAL_MIN_SECONDS", float("inf"))  # the parent never helps
    monkeypatch.setattr(reference_worker, "STEAL_FIRST_SECONDS", float("inf"))


def test_the_child_forecasts_are_the_in_process_ones_to_the_bit(worker, monkeypatch):
    histories = [seasonal(), seasonal(48, seed=1)]
    plan = dict(horizon=6, season=12, quantiles=(0.1, 0.9))
    reference_worker.start(planned_fits(histories, **plan))
    with monkeypatch.context() as patch:
        no_local_fits(patch)
        got = reference_forecasts(histories, **plan)
        points = reference_forecasts(histories, horizon=6, season=12)  # the first column serves points
    want, want_points = in_process(histories, **plan), in_process(histories, horizon=6, season=12)
    assert list(got) == list(want)
    for name in want:
        np.testing.assert_array_equal(got[name].forecasts, want[name].forecasts)
        np.testing.assert_array_equal(points[name].forecasts, want_points[name].forecasts)
        assert got[name].forms == want[name].forms
        assert got[name].fallbacks == want[name].fallbacks == {}


def test_a_failure_in_the_child_reads_as_the_method_failing(worker):
    fit = reference_worker.Fit("nope", seasonal(), 6, 12, ())
    reference_worker.start([fit])
    with pytest.raises(RuntimeError, match=r"^unknown reference 'nope'$"):
        reference_worker.take(fit)


def test_other_levels_or_horizons_are_fitted_here(worker):
    y = seasonal()
    reference_worker.start([reference_worker.Fit("ets", y, 6, 12, (0.1, 0.9))])
    assert reference_worker.take(reference_worker.Fit("ets", y, 6, 12, (0.25, 0.75))) is None
    assert reference_worker.take(reference_worker.Fit("ets", y, 7, 12, (0.1, 0.9))) is None
    assert reference_worker.take(reference_worker.Fit("ets", y, 6, 12, (0.1, 0.9))) is not None


def test_a_child_that_cannot_run_leaves_the_fits_to_this_process(worker, monkeypatch):
    monkeypatch.setattr(sys, "executable", "/bin/false")
    histories = [seasonal()]
    reference_worker.start(planned_fits(histories, horizon=6, season=12))
    got = reference_forecasts(histories, horizon=6, season=12)
    want = in_process(histories, horizon=6, season=12)
    for name in want:
        np.testing.assert_array_equal(got[name].forecasts, want[name].forecasts)


def test_a_child_prepared_before_its_fits_answers_them_and_no_other_is_started(worker, monkeypatch):
    reference_worker.prepare()
    spare = reference_worker._SPARE[0]
    reference_worker.prepare()  # one spare at a time
    assert reference_worker._SPARE == [spare]
    monkeypatch.setattr(reference_worker, "_spawn", lambda: pytest.fail("a second child was started"))
    histories = [seasonal()]
    reference_worker.start(planned_fits(histories, horizon=6, season=12))
    assert reference_worker._SPARE == [] and reference_worker._WORKERS[0].process is spare
    with monkeypatch.context() as patch:
        no_local_fits(patch)
        got = reference_forecasts(histories, horizon=6, season=12)
    want = in_process(histories, horizon=6, season=12)
    for name in want:
        np.testing.assert_array_equal(got[name].forecasts, want[name].forecasts)


def test_an_unused_spare_child_is_stopped(worker):
    reference_worker.prepare()
    spare = reference_worker._SPARE[0]
    reference_worker.forget()
    assert spare.wait(timeout=30) != 0 and reference_worker._SPARE == []


def test_a_waiting_parent_fits_the_last_fits_itself_with_the_same_numbers(worker, monkeypatch):
    monkeypatch.setattr(reference_worker, "STEAL_MIN_SECONDS", 0.0)
    monkeypatch.setattr(reference_worker, "STEAL_FIRST_SECONDS", 0.0)
    here = []
    real = references.fit_here
    monkeypatch.setattr(references, "fit_here", lambda fit: here.append(fit.key) or real(fit))
    histories = [seasonal(60, seed=k) for k in range(12)]
    plan = dict(horizon=6, season=12, quantiles=(0.1, 0.9))
    fits = planned_fits(histories, **plan)
    reference_worker.start(fits)
    got = reference_forecasts(histories, **plan)
    worker_ = reference_worker._WORKERS[0]
    assert here and worker_.answered + len(here) == len(worker_.fits)  # each fit made once, by one of the two
    assert here == [f.key for f in worker_.fits[worker_.end :][::-1]]  # the parent took them from the end
    monkeypatch.setattr(references, "fit_here", real)
    want = in_process(histories, **plan)
    for name in want:
        np.testing.assert_array_equal(got[name].forecasts, want[name].forecasts)
        assert got[name].forms == want[name].forms


def test_the_setting_and_the_cores_decide(monkeypatch):
    monkeypatch.setenv("LSTMKIT_REFERENCE_WORKER", "0")
    assert not reference_worker.enabled()
    monkeypatch.setenv("LSTMKIT_REFERENCE_WORKER", "1")
    assert reference_worker.enabled()
    monkeypatch.delenv("LSTMKIT_REFERENCE_WORKER")
    monkeypatch.setattr(reference_worker.os, "sched_getaffinity", lambda pid: {0})
    assert not reference_worker.enabled()
    monkeypatch.setattr(reference_worker.os, "sched_getaffinity", lambda pid: {0, 1})
    assert reference_worker.enabled()


def test_forecast_predict_and_evaluate_fit_no_reference_themselves_and_write_the_same_files(
    worker, tmp_path, monkeypatch
):
    t = np.arange(60)
    path = tmp_path / "sales.csv"
    pd.DataFrame(
        {"month": pd.period_range("2001-01", periods=60, freq="M").astype(str), "sales": 100 + t + seasonal()}
    ).to_csv(path, index=False)
    argv = ["forecast", str(path), "--horizon", "6", "--epochs", "3", "--hidden-size", "8", "--quiet"]
    model = ["--model", str(tmp_path / "child" / "model"), str(path)]
    with monkeypatch.context() as patch:
        no_local_fits(patch)
        assert main([*argv, "--output", str(tmp_path / "child"), "--no-report"]) == 0
        for command, name in (("predict", "again.csv"), ("evaluate", "backtest.json")):
            reference_worker.forget()
            references._FITS.clear()
            extra = ["--backtest", "2", "--no-report"] if command == "evaluate" else []
            assert main([command, *model, *extra, "--output", str(tmp_path / "child" / name)]) == 0
    reference_worker.forget()
    references._FITS.clear()
    monkeypatch.setenv("LSTMKIT_REFERENCE_WORKER", "0")
    assert main([*argv, "--output", str(tmp_path / "here"), "--no-report"]) == 0
    assert main(["predict", *model, "--output", str(tmp_path / "here" / "again.csv")]) == 0
    assert (
        main(["evaluate", *model, "--backtest", "2", "--output", str(tmp_path / "here" / "backtest.json")])
        == 0
    )
    for name in ("forecast.csv", "metrics.json", "again.csv", "backtest.json"):
        assert (tmp_path / "child" / name).read_text() == (tmp_path / "here" / name).read_text()


def test_a_panel_plans_validation_fits_only_for_the_series_long_enough_to_validate():
    from lstmkit.data.tabular import load_series
    from lstmkit.models.forecast_combination import member_fits

    months = pd.period_range("2001-01", periods=60, freq="M").astype(str)
    panel = pd.concat(
        [
            pd.DataFrame({"shop": "long", "month": months, "sales": seasonal()}),
            pd.DataFrame({"shop": "short", "month": months[-8:], "sales": seasonal()[-8:]}),
        ]
    )
    data = load_series(panel, target="sales", time_col="month", id_col="shop")
    fits = member_fits(data, horizon=6, season=12, quantiles=(0.1, 0.9))
    lengths = sorted({len(fit.y) for fit in fits})
    assert lengths == [8, 54, 60]  # the short series' 2 points before its validation are not fitted


def test_long_data_plan_the_fits_before_every_block_the_judge_forecasts():
    from lstmkit.data.tabular import load_series
    from lstmkit.models.forecast_combination import member_fits

    frame = pd.DataFrame({"t": np.arange(300), "y": np.sin(np.arange(300) / 3) + np.arange(300) / 50})
    data = load_series(frame, target="y", time_col="t")
    fits = member_fits(data, horizon=6, season=1, quantiles=(0.1, 0.9), classical_origins=5)
    lengths = sorted({len(fit.y) for fit in fits})
    assert lengths == [264, 270, 276, 282, 288, 294, 300]  # blocks 1-5, the one a hold-out's judge adds, all
    widened = [fit for fit in fits if fit.quantiles]
    assert sorted({len(fit.y) for fit in widened}) == [
        294,
        300,
    ]  # intervals: the last block's and the forecast's
    shorter = member_fits(
        data, horizon=7, season=1, quantiles=(0.1, 0.9), classical_origins=5
    )  # 5 x 7 > 10% of 300: not long
    assert sorted({len(fit.y) for fit in shorter}) == [265, 272, 279, 293, 300]


def test_without_a_worker_no_fit_plan_is_made(tmp_path, monkeypatch):
    from lstmkit.models.forecaster import LSTMForecaster

    def refuse(*args, **kwargs):
        raise AssertionError("a fit plan was built for no worker")

    monkeypatch.setenv("LSTMKIT_REFERENCE_WORKER", "0")
    monkeypatch.setattr(LSTMForecaster, "reference_fits", refuse)
    path = tmp_path / "sales.csv"
    months = pd.period_range("2001-01", periods=60, freq="M").astype(str)
    pd.DataFrame({"month": months, "sales": seasonal()}).to_csv(path, index=False)
    argv = ["forecast", str(path), "--horizon", "6", "--epochs", "2", "--hidden-size", "8", "--quiet"]
    assert main([*argv, "--output", str(tmp_path / "out"), "--no-report"]) == 0
    model = ["--model", str(tmp_path / "out" / "model"), str(path)]
    assert main(["predict", *model, "--output", str(tmp_path / "again.csv")]) == 0
    assert main(["evaluate", *model, "--backtest", "2", "--output", str(tmp_path / "b.json")]) == 0


def test_the_plan_holds_every_classical_fit_a_forecaster_makes_further_validation_origins_included(
    monkeypatch,
):
    from lstmkit.data.tabular import load_series
    from lstmkit.evaluate import references
    from lstmkit.models.forecaster import LSTMForecaster

    monkeypatch.setenv("LSTMKIT_REFERENCE_WORKER", "0")
    months = pd.period_range("2001-01", periods=60, freq="M").astype(str)
    data = load_series(pd.DataFrame({"month": months, "sales": seasonal()}), target="sales", time_col="month")
    made = []
    real = references.fit_here
    monkeypatch.setattr(references, "fit_here", lambda fit: made.append(fit.key) or real(fit))
    model = LSTMForecaster(6, epochs=2, hidden_size=8)
    planned = {fit.key for fit in model.reference_fits(data, season=12)}
    model.fit(data)
    model.forecast_arrays(data)
    assert set(made) == planned
    # AutoETS, AutoARIMA, AutoTheta (and the seasonal naive they fall back to) before the validation points
    # (54), before 3 further origins 6 apart, and on all 60 points
    assert sorted(key[2] for key in planned) == sorted([30, 36, 42, 54, 60] * 4)
