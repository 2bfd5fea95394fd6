"""The forecasting commands through main(argv): files and exact columns, reproduction, and bad input."""

import html
import json

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import main

FAST = ["--epochs", "4", "--hidden-size", "8", "--set", "model.ensemble=2", "--quiet"]


@pytest.fixture
def monthly_csv(tmp_path):
    t = np.arange(60)
    y = 100 + t + 10 * np.sin(2 * np.pi * t / 12)
    path = tmp_path / "sales.csv"
    pd.DataFrame({"month": pd.period_range("2001-01", periods=60, freq="M").astype(str), "sales": y}).to_csv(
        path, index=False
    )
    return path


def test_forecast_writes_every_file_with_exact_columns(tmp_path, monthly_csv, seed):
    out = tmp_path / "run"
    assert (
        main(
            [
                "forecast",
                str(monthly_csv),
                "--horizon",
                "6",
                "--quantiles",
                "0.1,0.5,0.9",
                "--output",
                str(out),
                *FAST,
            ]
        )
        == 0
    )
    for name in (
        "forecast.csv",
        "metrics.json",
        "forecast.png",
        "loss.png",
        "history.csv",
        "model/model.safetensors",
        "model/config.json",
    ):
        assert (out / name).is_file(), name
    frame = pd.read_csv(out / "forecast.csv")
    assert list(frame.columns) == ["time", "step", "forecast", "q0.1", "q0.5", "q0.9"]
    assert frame["step"].tolist() == [1, 2, 3, 4, 5, 6] and frame["time"].iloc[0] == "2006-01"
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["scores"]) == {
        "lstmkit",
        "lstmkit_network",
        "naive",
        "seasonal_naive",
        "ets",
        "arima",
        "theta",
        "combo",
    }
    weights = metrics["combination"]["weights"]["None"]
    assert (
        metrics["combination"]["members"] == ["lstm", "ets", "arima", "theta"]
        and abs(sum(weights) - 1) < 1e-5
    )
    assert (
        metrics["references"]["ets"]["forms"].startswith("ETS(")
        and metrics["references"]["ets"]["fallbacks"] == {}
    )
    assert metrics["missing_truths"] == 0
    assert {"mae", "rmse", "smape", "mase", "coverage", "pinball"} <= set(metrics["scores"]["lstmkit"])
    assert list(pd.read_csv(out / "history.csv").columns) == [
        "epoch",
        "train_loss",
        "val_loss",
        "lr",
        "seconds",
    ]
    config = json.loads((out / "model" / "config.json").read_text())
    assert config["task"] == "forecast" and config["fitted"]["season"] == 12 and config["fitted"]["lookbacks"]

    again = tmp_path / "again.csv"
    assert main(["predict", "--model", str(out / "model"), str(monthly_csv), "--output", str(again)]) == 0
    assert again.read_text() == (out / "forecast.csv").read_text()
    assert main(["evaluate", "--model", str(out / "model"), str(monthly_csv), "--backtest", "2"]) == 0


def test_a_season_longer_than_the_data_allow_is_dropped_with_a_note_not_refused(tmp_path, seed, caplog):
    t = np.arange(12)
    path = tmp_path / "short.csv"
    pd.DataFrame(
        {"month": pd.period_range("2001-01", periods=12, freq="M").astype(str), "sales": 100 + t}
    ).to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["forecast", str(path), "--horizon", "6", "--season", "12", "--output", str(out), *FAST]) == 0
    assert (
        "note: --season 12 needs at least 18 points per series (a season plus the horizon 6); "
        "the shortest series has 12: forecasting without a season"
    ) in caplog.text
    frame = pd.read_csv(out / "forecast.csv")
    assert len(frame) == 6 and frame["forecast"].notna().all()
    assert json.loads((out / "model" / "config.json").read_text())["fitted"]["season"] == 1


def test_a_dropped_season_is_noted_once_for_the_forecast_and_the_hold_out_uses_the_same(
    tmp_path, seed, caplog
):
    t = np.arange(40)
    path = tmp_path / "sales.csv"
    pd.DataFrame(
        {"month": pd.period_range("2001-01", periods=40, freq="M").astype(str), "sales": 100 + t}
    ).to_csv(path, index=False)
    out = tmp_path / "out"
    argv = ["forecast", str(path), "--horizon", "6", "--season", "36", "--output", str(out), "--no-report"]
    assert main([*argv, *FAST]) == 0
    # the final model's note, unlabelled; the hold-out model (34 points) repeats nothing
    assert [r.getMessage() for r in caplog.records if "season" in r.getMessage()] == [
        "note: --season 36 needs at least 42 points per series (a season plus the horizon 6); "
        "the shortest series has 40: forecasting without a season"
    ]
    assert json.loads((out / "metrics.json").read_text())["season"] == 1


def test_notes_of_the_models_fitted_inside_a_job_say_which_model_they_are_about(tmp_path, seed, caplog):
    t = np.arange(34)
    path = tmp_path / "sales.csv"
    pd.DataFrame(
        {
            "month": pd.period_range("2001-01", periods=34, freq="M").astype(str),
            "sales": 100 + t + 9 * (t % 12),
        }
    ).to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["forecast", str(path), "--horizon", "6", "--output", str(out), "--no-report", *FAST]) == 0
    # the final model (34 points) keeps the season; the hold-out model (28 points) is scored with the same
    # season and says it is short for it, and the validation network inside it (22 points) says nothing
    assert json.loads((out / "model" / "config.json").read_text())["fitted"]["season"] == 12
    assert json.loads((out / "metrics.json").read_text())["season"] == 12
    assert [r.getMessage() for r in caplog.records if "season" in r.getMessage()] == [
        "hold-out model (all but the last 6 points): note: the shortest series has 28 points, fewer than two "
        "seasons of 12 plus the horizon 6: a short history to learn the season from; the classical references "
        "carry more of the forecast"
    ]


def forecast_stores(tmp_path, lengths, *, wave=0.0, quiet=True):
    """``lstmkit forecast`` (horizon 6) of a long-format file of monthly stores of these lengths; its folder."""
    rows = [
        (store, str(month), 50 + 10 * i + wave * np.sin(k / 2) + (k % 12))
        for i, (store, n) in enumerate(lengths.items())
        for k, month in enumerate(pd.period_range("2015-01", periods=n, freq="M"))
    ]
    path = tmp_path / "stores.csv"
    pd.DataFrame(rows, columns=["store", "month", "sales"]).to_csv(path, index=False)
    out = tmp_path / "out"
    flags = FAST if quiet else [flag for flag in FAST if flag != "--quiet"]
    assert (
        main(["forecast", str(path), "--horizon", "6", "--id-col", "store", "--output", str(out), *flags])
        == 0
    )
    return path, out


def test_a_backtest_leaves_out_series_too_short_for_it_and_names_them(tmp_path, seed, caplog, capsys):
    path, out = forecast_stores(tmp_path, {"a": 40, "b": 36, "tiny": 10})
    caplog.clear()
    assert main(["evaluate", "--model", str(out / "model"), str(path), "--backtest", "2"]) == 0
    assert (
        "with horizon 6 and lookback 18 needs 30 points per series; 1 series are shorter and left out of the "
        "scores: tiny (10)" in caplog.text
    )
    assert "2 origin(s) x 6 steps, 2 series" in capsys.readouterr().out


def test_one_short_series_in_a_panel_keeps_the_hold_out_and_the_network_for_the_others(
    tmp_path, seed, caplog, capsys
):
    _, out = forecast_stores(tmp_path, {"a": 72, "tiny": 12, "b": 80}, wave=5.0, quiet=False)
    metrics = json.loads((out / "metrics.json").read_text())
    assert "skipped" not in metrics and metrics["series"] == 3  # the hold-out scored every series
    # but the network alone only where it forecasts (tests/evaluate/test_backtest.py checks its scores)
    assert metrics["network_alone"]["series"] == 2
    assert metrics["network_alone"]["left_out"] == {
        "tiny": "6 points, shorter than the network's lookback of 36"
    }
    note = (
        "the classical members alone forecast 1 of the 3 series, so lstmkit_network is scored on the other 2: "
        "tiny (6 points, shorter than the network's lookback of 36)"
    )
    printed = capsys.readouterr().out
    assert f"\ncombo{' ' * 11}" in printed and f"\nnote: {note}\n" in printed  # under the table
    assert f"<p>Note: {html.escape(note)}.</p>" in (out / "report.html").read_text()
    fitted = json.loads((out / "model" / "config.json").read_text())["fitted"]
    assert "network" not in fitted  # trained, on the two long series
    assert fitted["combination"]["weights"]["tiny"][0] == 0.0
    assert (
        "note: the classical references alone forecast 1 series shorter than the network's lookback of 36: "
        "tiny (12)" in caplog.messages
    )
    assert (out / "report.html").is_file()
    assert pd.read_csv(out / "forecast.csv").groupby("id").size().to_dict() == {"a": 6, "b": 6, "tiny": 6}


@pytest.mark.parametrize("tiny, scored", [(20, 3), (8, 2)])
def test_a_short_series_in_a_panel_does_not_cost_the_others_their_hold_out(
    tmp_path, seed, caplog, tiny, scored
):
    # 20 months: a season plus the horizon, but not once 6 are held out; the season is the panel's (median
    # length), so the hold-out keeps it. 8 months: 2 left once 6 are held out: that series alone is left out
    _, out = forecast_stores(tmp_path, {"a": 72, "tiny": tiny, "b": 80})
    metrics = json.loads((out / "metrics.json").read_text())
    assert "skipped" not in metrics and metrics["series"] == scored and metrics["season"] == 12
    left_out = (
        "hold-out model (all but the last 6 points): 1 series shorter than 9 points (the horizon 6 plus 3 to "
        "train on) is left out of the hold-out evaluation; it is still forecast: tiny (8)"
    )
    assert (left_out in caplog.messages) == (scored == 2)
    assert pd.read_csv(out / "forecast.csv").groupby("id").size().to_dict() == {"a": 6, "b": 6, "tiny": 6}
    assert (out / "report.html").is_file() and (out / "forecast.png").is_file()


def test_id_col_and_no_time_column(tmp_path, seed):
    rows = pd.DataFrame({"shop": np.repeat(["x", "y"], 40), "units": np.tile(np.arange(40.0) % 7 + 5, 2)})
    path = tmp_path / "shops.csv"
    rows.to_csv(path, index=False)
    out = tmp_path / "run"
    assert (
        main(["forecast", str(path), "--horizon", "3", "--id-col", "shop", "--output", str(out), *FAST]) == 0
    )
    frame = pd.read_csv(out / "forecast.csv")
    assert list(frame.columns) == ["id", "step", "forecast", "q0.1", "q0.9"]  # an 80% interval by default
    assert frame["id"].tolist() == ["x"] * 3 + ["y"] * 3


def test_train_writes_the_model_folder_only(tmp_path, monthly_csv, seed):
    out = tmp_path / "m"
    assert main(["train", str(monthly_csv), "--horizon", "4", "--output", str(out), *FAST]) == 0
    assert (
        (out / "config.json").is_file()
        and (out / "history.csv").is_file()
        and not (out / "forecast.csv").exists()
    )
    assert main(["predict", "--model", str(out), str(monthly_csv)]) == 0


def test_train_of_one_epoch_says_epoch(tmp_path, monthly_csv, seed, capsys):
    """It printed 'trained 1 epochs'."""
    out = tmp_path / "m"
    flags = [f for f in FAST if f != "--quiet"]
    assert (
        main(["train", str(monthly_csv), "--horizon", "4", "--output", str(out), *flags, "--epochs", "1"])
        == 0
    )
    assert capsys.readouterr().out.splitlines()[-1] == f"trained 1 epoch (best 1); model written to {out}"


def test_a_forecast_of_one_step_and_its_report_say_step_and_point(
    tmp_path, monthly_csv, seed, capsys, caplog
):
    """The report read 'horizon 1 steps' and 'the last 1 points'; the hold-out note 'the last 1 points'."""
    import logging
    import re

    out = tmp_path / "run"
    flags = [f for f in FAST if f != "--quiet"]
    with caplog.at_level(logging.INFO, logger="lstmkit"):
        assert (
            main(
                [
                    "forecast",
                    str(monthly_csv),
                    "--horizon",
                    "1",
                    "--output",
                    str(out),
                    *flags,
                    "--epochs",
                    "1",
                ]
            )
            == 0
        )
    page = (out / "report.html").read_text()
    assert (
        "horizon 1 step," in page and "the next 1 step (blue)" in page and "The last 1 point of each" in page
    )
    plural_of_one = re.compile(r"\b1 (steps|points|epochs)\b")
    assert not plural_of_one.search(page)
    assert not plural_of_one.search(capsys.readouterr().out + caplog.text)


def test_datasets_lists_airpassengers(capsys):
    assert main(["datasets"]) == 0
    assert "airpassengers" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["forecast", "train", "predict", "evaluate", "datasets", "demo"])
def test_every_help_has_a_worked_example(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "example:" in capsys.readouterr().out


BAD = [
    (["forecast", "{csv}", "--horizon", "0"], "--horizon: expected a positive integer, got 0"),
    (["forecast", "{csv}", "--quantiles", "0.1,1.5"], "quantiles must lie strictly between 0 and 1"),
    (["forecast", "{csv}", "--epochs", "-1"], "--epochs: expected a positive integer"),
    (
        ["forecast", "{csv}", "--target", "units"],
        "target column 'units' not found in sales.csv; columns are: month, sales",
    ),
    (["forecast", "{csv}", "--time-col", "date"], "time column 'date' not found"),
    (["forecast", "{csv}", "--set", "model.hiden_size=4"], "did you mean 'model.hidden_size'"),
    (["forecast", "{csv}", "--set", "trainer.lr=fast"], "trainer.lr must be a number"),
    (["forecast", "{csv}", "--lookback", "80"], "--lookback 80"),
    (["forecast", "{missing}"], "not found"),
    (["forecast", "{empty}"], "is empty"),
    (["forecast", "{header}"], "no rows of data"),
    (["forecast", "{dupes}"], "time 2000-01 appears twice (rows 1 and 2)"),
    (["forecast", "{csv}", "--output", "{csv}"], "is a file"),
    (["forecast", "{csv}", "--resume"], "holds no interrupted run"),
    (["predict", "--model", "{missing}", "{csv}"], "not found"),
    (["predict", "--model", "{csv}", "{csv}"], "is a file, not a model folder"),
    (["evaluate", "--model", "{missing}", "{csv}"], "not found"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[" ".join(a[:1] + a[2:]) for a, _ in BAD])
def test_bad_input_is_one_error_line_exit_2_and_nothing_written(tmp_path, monthly_csv, capsys, argv, message):
    files = {
        "csv": monthly_csv,
        "missing": tmp_path / "missing.csv",
        "empty": tmp_path / "empty.csv",
        "header": tmp_path / "header.csv",
        "dupes": tmp_path / "dupes.csv",
    }
    files["empty"].write_text("")
    files["header"].write_text("month,sales\n")
    files["dupes"].write_text("month,sales\n2000-01,1\n2000-01,2\n2000-02,3\n")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    out = tmp_path / "out"
    argv = [a.format(**files) for a in argv]
    if "--output" not in argv and argv[0] == "forecast":
        argv += ["--output", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written


def test_the_hold_out_scores_a_model_with_the_final_models_season(tmp_path, seed):
    t = np.arange(
        120
    )  # 120 weeks: two seasons of 52 plus the horizon for the final model, not for the hold-out
    y = 100 + 10 * np.sin(2 * np.pi * t / 52) + np.random.default_rng(0).normal(0, 1, 120)
    path = tmp_path / "weekly.csv"
    weeks = pd.date_range("2015-01-04", periods=120, freq="W-SUN").strftime("%Y-%m-%d")
    pd.DataFrame({"week": weeks, "sales": y}).to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["forecast", str(path), "--horizon", "13", "--output", str(out), "--no-report", *FAST]) == 0
    fitted = json.loads((out / "model" / "config.json").read_text())["fitted"]
    assert fitted["season"] == json.loads((out / "metrics.json").read_text())["season"] == 52


@pytest.fixture
def trained(monkeypatch):
    """The length of the (first) series each network trains on, in order."""
    import lstmkit.models.forecaster as forecaster

    lengths: list[int] = []
    real = forecaster.train_network

    def recording(net, state, data, *args, **kwargs):
        lengths.append(len(data.series[0].target))
        return real(net, state, data, *args, **kwargs)

    monkeypatch.setattr(forecaster, "train_network", recording)
    return lengths


def test_the_final_network_trains_first_and_the_hold_out_runs_once(tmp_path, monthly_csv, seed, trained):
    out = tmp_path / "out"
    assert (
        main(["forecast", str(monthly_csv), "--horizon", "6", "--output", str(out), "--no-report", *FAST])
        == 0
    )
    # the final model (60 points) while the classical fits run in the second process; then the hold-out
    # model (54) and the judge that weighs it (48); the hold-out model then judges the final one
    assert trained == [60, 54, 48]
    metrics = json.loads((out / "metrics.json").read_text())
    assert "lstmkit" in metrics["scores"] and len(metrics["combination"]["errors"]["None"][0]) == 4


def test_hourly_unix_times_keep_their_daily_season_and_predict_reproduces_the_forecast(tmp_path, seed):
    start = 1_577_836_800  # 2020-01-01 00:00 UTC, in seconds
    t = np.arange(24 * 8)
    y = 10 + 3 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(0).normal(0, 0.2, len(t))
    path = tmp_path / "load.csv"
    pd.DataFrame({"ts": start + 3600 * t, "load": y}).to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["forecast", str(path), "--horizon", "24", "--output", str(out), "--no-report", *FAST]) == 0
    assert json.loads((out / "metrics.json").read_text())["season"] == 24
    forecast = pd.read_csv(out / "forecast.csv")
    assert forecast["time"].tolist() == [start + 3600 * h for h in range(len(t), len(t) + 24)]
    assert (
        main(["predict", "--model", str(out / "model"), str(path), "--output", str(tmp_path / "p.csv")]) == 0
    )
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "p.csv"), forecast)


def test_thirty_months_with_a_season_of_12_are_forecast_by_the_classical_methods_with_notes(
    tmp_path, seed, caplog
):
    t = np.arange(30)
    path = tmp_path / "short.csv"
    months = pd.period_range("2020-01", periods=30, freq="M").astype(str)
    pd.DataFrame({"month": months, "y": 100 + t + 10 * np.sin(2 * np.pi * t / 12)}).to_csv(path, index=False)
    out = tmp_path / "out"
    argv = ["forecast", str(path), "--season", "12", "--horizon", "18", "--output", str(out), "--no-report"]
    assert main([*argv, *FAST]) == 0
    assert caplog.messages == [
        "note: the shortest series has 30 points, fewer than two seasons of 12 plus the horizon 18: a short "
        "history to learn the season from; the classical references carry more of the forecast",
        "note: too short for the network (forecasting 18 steps needs at least 32 points, the shortest series "
        "has 30); the classical references alone forecast it",
        "series too short to hold out 18 points and keep the season of 12 (a season plus the horizon need 30 "
        "points, 12 would be left); no hold-out evaluation",
    ]
    forecast = pd.read_csv(out / "forecast.csv")
    assert len(forecast) == 18 and forecast["forecast"].between(100, 160).all()
    assert json.loads((out / "model" / "config.json").read_text())["fitted"]["season"] == 12


def test_forecast_and_train_refuse_a_folder_holding_another_jobs_run(tmp_path, monthly_csv, seed, capsys):
    """A forecast into a classifier's folder overwrote its history.csv and report.html and left its
    config.json and weights beside the forecast files."""
    import hashlib

    clf = tmp_path / "clf"
    clf.mkdir()
    (clf / "config.json").write_text(json.dumps({"format_version": 1, "task": "classify"}))
    (clf / "history.csv").write_text("epoch\n1\n")
    before = {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in clf.iterdir()}
    for command in ("forecast", "train"):
        assert main([command, str(monthly_csv), "--horizon", "4", "--output", str(clf), *FAST]) == 2
        assert capsys.readouterr().err == (
            f"error: --output {clf} holds a 'classify' run (config.json); choose another folder, "
            "or delete that one first\n"
        )
    assert {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in clf.iterdir()} == before
    run, model = tmp_path / "run", tmp_path / "model"  # each command may replace its own earlier run
    for command, out in (("forecast", run), ("train", model)):
        for _ in range(2):
            assert main([command, str(monthly_csv), "--horizon", "4", "--output", str(out), *FAST]) == 0
    # a forecast run holds a model folder, not a model: train refuses it, and forecast a train's model folder
    assert main(["train", str(monthly_csv), "--horizon", "4", "--output", str(run), *FAST]) == 2
    assert "holds a 'forecast' run (model/config.json)" in capsys.readouterr().err
    assert main(["forecast", str(monthly_csv), "--horizon", "4", "--output", str(model), *FAST]) == 2
    assert "holds a 'forecast' run (config.json)" in capsys.readouterr().err


def test_a_long_series_trains_three_networks_and_weighs_them_at_every_origin(tmp_path, trained):
    from lstmkit.models.forecaster import LSTMForecaster

    n = 300
    t = np.arange(n)
    values = 50 + 6 * np.sin(2 * np.pi * t / 7) + np.random.default_rng(0).normal(0, 1, n).cumsum() * 0.3
    dates = pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d")
    pd.DataFrame({"date": dates, "value": values}).to_csv(tmp_path / "daily.csv", index=False)
    out = tmp_path / "run"
    assert (
        main(
            [
                "forecast",
                str(tmp_path / "daily.csv"),
                "--horizon",
                "4",
                "--output",
                str(out),
                "--no-report",
                *FAST,
            ]
        )
        == 0
    )
    assert sorted(trained) == [296 - 5 * 4, 296, 300]  # the hold-out model's judge weighs the final model too
    holdout = json.loads((out / "metrics.json").read_text())["combination"]
    assert holdout["power"] == 8.0 and len(holdout["errors"]["None"]) == 5
    final = LSTMForecaster.load(out / "model").state.combination
    assert len(final["errors"]["None"]) == 6 and final["errors"]["None"][1:] == holdout["errors"]["None"]
