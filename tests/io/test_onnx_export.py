"""ONNX export: onnxruntime reproduces lstmkit's own predictions."""

import copy
import json

import numpy as np
import pandas as pd
import pytest
import torch

from lstmkit.cli import main
from lstmkit.models.forecaster import LSTMForecaster

ort = pytest.importorskip("onnxruntime")


def monthly(n=96, *, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 100 + 10 * np.sin(2 * np.pi * t / 12) + 0.5 * t + rng.normal(0, 1, n)
    return pd.DataFrame({"month": pd.period_range("2000-01", periods=n, freq="M").astype(str), "y": y})


@pytest.fixture(scope="module")
def forecaster(tmp_path_factory):
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("fc")
    model = LSTMForecaster(6, epochs=2, quantiles=(0.1, 0.5, 0.9), ensemble=3, combine="none").fit(monthly())
    model.save(folder / "model")
    return model, folder


def test_forecaster_graph_matches_the_net_for_several_batches_and_lengths(forecaster, tmp_path):
    model, _ = forecaster
    path = model.to_onnx(tmp_path / "f.onnx")
    session = ort.InferenceSession(str(path))
    assert [i.name for i in session.get_inputs()] == ["history"]
    assert [o.name for o in session.get_outputs()] == ["forecast", "quantiles"]
    W = model.net.window
    scale = float(next(iter(model.state.scales.values())))
    for batch, length in ((1, W), (4, W + 9), (7, 2 * W)):
        history = torch.rand(batch, length, 1) * 60 + 80
        forecast, quantiles = session.run(None, {"history": history.numpy()})
        with torch.no_grad():
            ref = model.net(history[:, -W:, 0], torch.full((batch, 1), scale))
        np.testing.assert_allclose(forecast, ref[..., 0].numpy(), rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(quantiles, ref[..., 1:].numpy(), rtol=1e-5, atol=1e-4)
        assert forecast.shape == (batch, 6) and quantiles.shape == (batch, 6, 3)


def test_cli_export_reproduces_lstmkit_predict(forecaster, tmp_path, capsys):
    model, folder = forecaster
    data = tmp_path / "data.csv"
    monthly().to_csv(data, index=False)
    assert (
        main(
            [
                "export",
                "--model",
                str(folder / "model"),
                "--format",
                "onnx",
                "--output",
                str(tmp_path / "m.onnx"),
            ]
        )
        == 0
    )
    assert (
        main(["predict", "--model", str(folder / "model"), str(data), "--output", str(tmp_path / "p.csv")])
        == 0
    )
    predicted = pd.read_csv(tmp_path / "p.csv")
    history = monthly()["y"].to_numpy(np.float32)[None, :, None]  # the whole series: the graph reads its end
    forecast, quantiles = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"history": history})
    np.testing.assert_allclose(forecast[0], predicted["forecast"], rtol=1e-5)
    np.testing.assert_allclose(quantiles[0], predicted[["q0.1", "q0.5", "q0.9"]], rtol=1e-5)


@pytest.fixture(scope="module")
def combined():
    return LSTMForecaster(
        6, epochs=2, ensemble=2, hidden_size=8, quantiles=(0.1, 0.9), **{"data.calendar": True}
    ).fit(monthly())


def test_a_combined_model_fed_its_history_alone_reproduces_predict(combined, tmp_path, capsys):
    """The DESIGN contract: one series, no covariates -> the history alone (the default combined model)."""
    model = copy.deepcopy(combined)
    weights = [0.4, 0.3, 0.2, 0.1]  # the network in the combination, so the comparison below means something
    model.state.combination["weights"]["None"] = weights
    model.state.end["weights"] = weights
    folder = model.save(tmp_path / "model")
    assert main(["export", "--model", str(folder), "--output", str(tmp_path / "c.onnx")]) == 0
    session = ort.InferenceSession(str(tmp_path / "c.onnx"))
    assert [i.name for i in session.get_inputs()] == ["history", "phase"]
    feeds = model.onnx_inputs(monthly())
    assert sorted(feeds) == ["history", "phase"]
    forecast, quantiles = session.run(None, feeds)
    predicted = model.predict(monthly())
    np.testing.assert_allclose(forecast[0], predicted["forecast"], rtol=1e-5)
    np.testing.assert_allclose(quantiles[0], predicted[["q0.1", "q0.9"]], rtol=1e-5)
    # another history (the series without its last 10 points, and a shifted copy): the network alone
    for other in (monthly().iloc[:-10], monthly().assign(y=monthly()["y"] + 5.0)):
        feeds = model.onnx_inputs(other)
        forecast, _ = session.run(None, feeds)
        alone = model.network_forecasts(model.read(other))[0, :, 0]
        np.testing.assert_allclose(forecast[0], alone, rtol=1e-5)


def test_a_combined_model_keeps_its_last_window_once_and_reads_older_files_that_kept_it_in_end(
    combined, tmp_path
):
    folder = combined.save(tmp_path / "model")
    config = json.loads((folder / "config.json").read_text())
    fitted = config["fitted"]
    assert sorted(fitted["end"]) == ["references", "weights"]
    assert fitted["last_window"] == [
        float(v) for v in monthly()["y"].to_numpy()[-len(fitted["last_window"]) :]
    ]
    # an older model file: the window in end["tail"], no last_window
    fitted["end"]["tail"] = fitted.pop("last_window")
    (folder / "config.json").write_text(json.dumps(config))
    older = LSTMForecaster.load(folder)
    assert older.state.last_window == combined.state.last_window and "tail" not in older.state.end
    assert main(["export", "--model", str(folder), "--output", str(tmp_path / "o.onnx")]) == 0
    session = ort.InferenceSession(str(tmp_path / "o.onnx"))
    assert [i.name for i in session.get_inputs()] == ["history", "phase"]
    forecast, _ = session.run(None, older.onnx_inputs(monthly()))
    np.testing.assert_allclose(forecast[0], combined.predict(monthly())["forecast"], rtol=1e-5)


def test_a_panel_with_a_series_shorter_than_the_lookback_reproduces_predict(tmp_path):
    panel = pd.concat(
        [
            monthly(96).assign(shop="long"),
            monthly(14, seed=1).assign(shop="short"),
            monthly(90, seed=2).assign(shop="x"),
        ]
    )
    model = LSTMForecaster(6, epochs=2, ensemble=2, hidden_size=8, id_col="shop").fit(panel)
    assert model.window > 14
    session = ort.InferenceSession(str(model.to_onnx(tmp_path / "p.onnx")))
    feeds = model.onnx_inputs(panel)
    assert feeds["weights"][1, 0] == 0.0  # the short series: the references alone
    forecast, quantiles = session.run(None, feeds)
    predicted = model.predict(panel)
    np.testing.assert_allclose(forecast.reshape(-1), predicted["forecast"], rtol=1e-5)
    np.testing.assert_allclose(quantiles.reshape(-1, 2), predicted[["q0.1", "q0.9"]], rtol=1e-5)


def test_a_combined_model_takes_the_references_and_reproduces_predict(combined, tmp_path):
    model = combined
    members = model.state.combination["members"]
    assert members == ["lstm", "ets", "arima", "theta"]
    session = ort.InferenceSession(str(model.to_onnx(tmp_path / "c.onnx", references=True)))
    assert [i.name for i in session.get_inputs()] == ["history", "phase", "references", "weights"]
    feeds = model.onnx_inputs(monthly(), references=True)
    assert feeds["references"].shape == (1, 3, 6, 3) and feeds["weights"].shape == (1, 4)
    np.testing.assert_allclose(feeds["weights"].sum(), 1.0, rtol=1e-6)
    forecast, quantiles = session.run(None, feeds)
    predicted = model.predict(monthly())
    np.testing.assert_allclose(forecast[0], predicted["forecast"], rtol=1e-5)
    np.testing.assert_allclose(quantiles[0], predicted[["q0.1", "q0.9"]], rtol=1e-5)
    alone, _ = session.run(None, {**feeds, "weights": np.array([[1, 0, 0, 0]], dtype=np.float32)})
    np.testing.assert_allclose(alone[0], model.network_forecasts(model.read(monthly()))[0, :, 0], rtol=1e-5)


def test_export_refuses_other_tasks_and_folders(tmp_path, capsys):
    from lstmkit.io import save_model_dir

    save_model_dir(tmp_path / "lm", task="text", config={}, tensors={"w": torch.zeros(1)})
    assert main(["export", "--model", str(tmp_path / "lm"), "--output", str(tmp_path / "x.onnx")]) == 2
    assert capsys.readouterr().err.startswith(
        "error: ONNX export covers forecasters and sequence classifiers;"
    )
    assert main(["export", "--model", str(tmp_path / "missing"), "--output", str(tmp_path / "x.onnx")]) == 2
    assert "not found" in capsys.readouterr().err
    assert not (tmp_path / "x.onnx").exists()


def test_layers_with_variants_or_projections_are_refused_and_explicit_ones_export(tmp_path):
    from torch import nn

    from lstmkit.errors import ConfigError
    from lstmkit.io.onnx_export import _export
    from lstmkit.nn import LSTM

    class Last(nn.Module):
        def __init__(self, lstm):
            super().__init__()
            self.lstm = lstm

        def forward(self, x):
            return self.lstm(x)[0][:, -1]

    x = torch.randn(2, 5, 3)
    spec = dict(inputs=["x"], outputs=["y"], dynamic={"x": {0: "b", 1: "t"}})
    with pytest.raises(ConfigError, match="uses layer_norm, which the ONNX LSTM operator lacks"):
        _export(Last(LSTM(3, 4, batch_first=True, layer_norm=True)), (x,), tmp_path / "a.onnx", **spec)
    with pytest.raises(ConfigError, match="has proj_size=2"):
        _export(Last(LSTM(3, 4, batch_first=True, proj_size=2)), (x,), tmp_path / "b.onnx", **spec)
    assert not (tmp_path / "a.onnx").exists() and not (tmp_path / "b.onnx").exists()

    model = Last(LSTM(3, 4, batch_first=True, backend="explicit")).eval()
    _export(model, (x,), tmp_path / "c.onnx", **spec)
    assert model.lstm.backend == "explicit"  # the model itself is left as it was
    longer = torch.randn(3, 9, 3)
    (got,) = ort.InferenceSession(str(tmp_path / "c.onnx")).run(None, {"x": longer.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(got, model(longer).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "method", [["--set", "hybrid.lstm_steps=4"], ["--set", "method=lstm-fcn"]]
)  # hybrid: pooled LSTM
def test_classifier_graph_reproduces_classify_predict_with_unequal_lengths(tmp_path, method, capfd):
    from lstmkit.data.ts_format import read_ts

    rng = np.random.default_rng(0)
    lines = [
        "@problemName Slopes",
        "@dimensions 2",
        "@equalLength false",
        "@classLabel true up down flat",
        "@data",
    ]
    for i in range(30):
        T, kind = int(rng.integers(3, 15)), ["up", "down", "flat"][i % 3]
        slope = {"up": 1, "down": -1, "flat": 0}[kind]
        chans = [",".join(f"{slope * t / T + 0.1 * rng.normal():.4f}" for t in range(T)) for _ in range(2)]
        lines.append(":".join(chans) + f":{kind}")
    data = tmp_path / "train.ts"
    data.write_text("\n".join(lines) + "\n")
    flags = [
        "--epochs",
        "2",
        "--hidden-size",
        "8",
        "--set",
        "model.conv_channels=8,8",
        "--set",
        "model.kernel_sizes=3,3",
        "--quiet",
        *method,
    ]
    assert main(["classify", "train", str(data), "--output", str(tmp_path / "m"), *flags]) == 0
    capfd.readouterr()
    assert main(["export", "--model", str(tmp_path / "m"), "--output", str(tmp_path / "c.onnx")]) == 0
    # torch's C++ exporter printed three 'may result in wrong shape inference' lines past Python's warnings
    assert capfd.readouterr().err == f"ONNX model written to {tmp_path / 'c.onnx'}\n"
    assert (
        main(
            [
                "classify",
                "predict",
                "--model",
                str(tmp_path / "m"),
                str(data),
                "--output",
                str(tmp_path / "p.csv"),
            ]
        )
        == 0
    )
    predicted = pd.read_csv(tmp_path / "p.csv")
    classes = __import__("json").loads((tmp_path / "m" / "config.json").read_text())["classes"]
    session = ort.InferenceSession(str(tmp_path / "c.onnx"))
    assert [i.name for i in session.get_inputs()] == ["sequences"]
    series = read_ts(data).series
    for batch in ([0], [1, 2, 3, 4], list(range(30))):  # several batch sizes, unequal lengths padded with NaN
        T = max(len(series[i]) for i in batch)
        x = np.full((len(batch), T, 2), np.nan, dtype=np.float32)
        for row, i in enumerate(batch):
            x[row, : len(series[i])] = series[i]
        (scores,) = session.run(None, {"sequences": x})
        expected = predicted.loc[batch, [f"p_{c}" for c in classes]].to_numpy()
        np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)
        assert [classes[k] for k in scores.argmax(1)] == predicted.loc[batch, "label"].tolist()


def test_forecaster_with_calendar_takes_the_phase(tmp_path):
    model = LSTMForecaster(
        6, epochs=2, ensemble=2, hidden_size=8, combine="none", **{"data.calendar": True}
    ).fit(monthly())
    assert model.net.calendar
    session = ort.InferenceSession(str(model.to_onnx(tmp_path / "c.onnx")))
    assert [i.name for i in session.get_inputs()] == ["history", "phase"]
    predicted = model.predict(monthly())
    history = monthly()["y"].to_numpy(np.float32)[None, :, None]
    # the series ends in 2007-12: the first forecast step is a January, phase 0
    forecast, _ = session.run(None, {"history": history, "phase": np.array([0], dtype=np.int64)})
    np.testing.assert_allclose(forecast[0], predicted["forecast"], rtol=1e-5)
    other, _ = session.run(None, {"history": history, "phase": np.array([6], dtype=np.int64)})
    assert not np.allclose(other, forecast)  # the phase is read


def test_a_layer_with_an_init_only_variant_exports(tmp_path, monkeypatch):
    """A variant field marked init-only (as forget_bias) keeps torch's step: export takes the layer."""
    from dataclasses import dataclass

    from torch import nn

    from lstmkit.io.onnx_export import _export
    from lstmkit.nn import LSTM, variants

    grown = dataclass(frozen=True)(
        type(
            "GrownVariants",
            (variants.Variants,),
            {
                "__annotations__": {"init_scale": float},
                "init_scale": variants.variant_field(0.0, "number", init_only=True),
            },
        )
    )
    monkeypatch.setattr(variants, "Variants", grown)

    class Last(nn.Module):
        def __init__(self, lstm):
            super().__init__()
            self.lstm = lstm

        def forward(self, x):
            return self.lstm(x)[0][:, -1]

    model = Last(LSTM(3, 4, batch_first=True, forget_bias=1.0, init_scale=0.5)).eval()
    x = torch.randn(2, 5, 3)
    _export(model, (x,), tmp_path / "i.onnx", inputs=["x"], outputs=["y"], dynamic={"x": {0: "b", 1: "t"}})
    (got,) = ort.InferenceSession(str(tmp_path / "i.onnx")).run(None, {"x": x.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(got, model(x).numpy(), rtol=1e-5, atol=1e-6)


def test_a_model_of_counts_keeps_its_forecasts_at_or_above_zero_in_onnx_too(tmp_path):
    rng = np.random.default_rng(3)
    frame = monthly().assign(y=rng.poisson(0.6, 96).astype(float))  # mostly zeros and ones
    model = LSTMForecaster(6, epochs=2, ensemble=2, combine="none").fit(frame)
    assert model.state.nonnegative
    model.network_.interval_scale.fill_(50.0)  # intervals far below zero before the floor
    predicted = model.predict(frame)
    assert (predicted[["forecast", "q0.1", "q0.9"]].to_numpy() >= 0).all()
    assert (predicted["q0.1"] == 0).any()
    session = ort.InferenceSession(str(model.to_onnx(tmp_path / "n.onnx")))
    forecast, quantiles = session.run(None, model.onnx_inputs(frame))
    np.testing.assert_allclose(forecast[0], predicted["forecast"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(quantiles[0], predicted[["q0.1", "q0.9"]], rtol=1e-5, atol=1e-6)


def test_a_combined_model_of_counts_floors_the_combination_not_its_network_in_predict_and_onnx(
    combined, tmp_path
):
    model = copy.deepcopy(combined)
    model.state.nonnegative = True
    model.state.combination["weights"]["None"] = [0.7, 0.1, 0.1, 0.1]  # the network carries the combination
    model.network_.interval_scale.fill_(400.0)  # its lower quantile far below zero, the members' not
    raw = model._network_out(model.read(monthly()))
    assert (raw[..., 1] < 0).any()
    predicted = model.predict(monthly())
    assert (predicted[["forecast", "q0.1", "q0.9"]].to_numpy() >= 0).all()
    session = ort.InferenceSession(str(model.to_onnx(tmp_path / "c.onnx", references=True)))
    forecast, quantiles = session.run(None, model.onnx_inputs(monthly(), references=True))
    np.testing.assert_allclose(forecast[0], predicted["forecast"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(quantiles[0], predicted[["q0.1", "q0.9"]], rtol=1e-5, atol=1e-5)


def test_the_members_widened_intervals_reach_the_graph_as_predict_uses_them(combined, tmp_path):
    model = copy.deepcopy(combined)
    before = model.predict(monthly())
    model.state.combination["member_interval_scales"] = {"ets": 2.0, "arima": 1.5, "theta": 3.0}
    predicted = model.predict(monthly())
    np.testing.assert_allclose(predicted["forecast"], before["forecast"], rtol=1e-12)
    wider = (predicted["q0.9"] - predicted["q0.1"]) - (before["q0.9"] - before["q0.1"])
    assert (wider > 0).all()
    session = ort.InferenceSession(str(model.to_onnx(tmp_path / "c.onnx", references=True)))
    forecast, quantiles = session.run(None, model.onnx_inputs(monthly(), references=True))
    np.testing.assert_allclose(forecast[0], predicted["forecast"], rtol=1e-5)
    np.testing.assert_allclose(quantiles[0], predicted[["q0.1", "q0.9"]], rtol=1e-5)


def test_a_long_horizon_model_carries_its_widened_members_in_the_graph(tmp_path):
    hours = pd.date_range("2024-01-01", periods=360, freq="h")
    t = np.arange(360)
    y = 50 + 10 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(3).normal(0, 3, 360)
    frame = pd.DataFrame({"time": hours.strftime("%Y-%m-%d %H:%M"), "y": y})
    model = LSTMForecaster(48, epochs=2, ensemble=1, hidden_size=8).fit(frame)
    assert sorted(model.state.combination["member_interval_scales"]) == [
        "arima",
        "ets",
        "mstl",
        "mstl_arima",
        "theta",
    ]
    session = ort.InferenceSession(str(model.to_onnx(tmp_path / "h.onnx")))
    forecast, quantiles = session.run(None, model.onnx_inputs(frame))
    predicted = model.predict(frame)
    np.testing.assert_allclose(forecast[0], predicted["forecast"], rtol=1e-5)
    np.testing.assert_allclose(quantiles[0], predicted[["q0.1", "q0.9"]], rtol=1e-5)


def weekly(n, *, seed=3):
    t = np.arange(n)
    y = 50 + 0.1 * t + 6 * np.sin(2 * np.pi * t / 52) + np.random.default_rng(seed).normal(0, 0.3, n)
    return pd.DataFrame({"week": pd.date_range("2019-01-06", periods=n, freq="W-SUN").astype(str), "y": y})


def test_a_weekly_model_of_one_series_carries_its_seasons_and_takes_the_history_alone(tmp_path):
    """The DESIGN contract holds past a season of 24: the graph knows the training data's last window, so that
    window alone (or any longer end of the series) gives predict's forecast, and places the seasons of any
    other history by its length, so the series' file (or its first T points) is all it needs."""
    frame = weekly(160)
    model = LSTMForecaster(13, epochs=2, ensemble=2, hidden_size=8).fit(frame)
    assert model.fitted.seasons is not None
    session = ort.InferenceSession(str(model.to_onnx(tmp_path / "w.onnx")))
    assert [i.name for i in session.get_inputs()] == ["history"]
    predicted = model.predict(frame)
    y = frame["y"].to_numpy(np.float32)
    # the whole file, the last window alone, a little more than it, and two such histories as a batch
    for history in (
        y[None, :],
        y[None, -model.window :],
        y[None, -model.window - 7 :],
        np.stack([y[-60:]] * 2),
    ):
        forecast, quantiles = session.run(None, {"history": history[:, :, None]})
        for row in range(len(history)):
            np.testing.assert_allclose(forecast[row], predicted["forecast"], rtol=1e-5)
            np.testing.assert_allclose(quantiles[row], predicted[["q0.1", "q0.9"]], rtol=1e-5)
    for other in (frame.iloc[:-20], weekly(175)):  # earlier and later ends: the network alone, in season
        forecast, _ = session.run(None, model.onnx_inputs(other))
        alone = model.network_forecasts(model.read(other))[0, :, 0]
        np.testing.assert_allclose(forecast[0], alone, rtol=1e-5)


def test_a_weekly_panel_takes_the_seasons_its_network_had_removed_and_reproduces_predict(tmp_path):
    panel = pd.concat([weekly(160).assign(shop="a"), weekly(140, seed=4).assign(shop="b")])
    model = LSTMForecaster(13, epochs=2, ensemble=2, hidden_size=8, id_col="shop").fit(panel)
    session = ort.InferenceSession(str(model.to_onnx(tmp_path / "p.onnx")))
    assert [i.name for i in session.get_inputs()] == ["history", "scale", "seasons", "references", "weights"]
    feeds = model.onnx_inputs(panel)
    assert feeds["seasons"].shape == (2, model.window + 13)
    np.testing.assert_allclose(
        feeds["history"][0, :, 0], weekly(160)["y"].to_numpy()[-model.window :], rtol=1e-6
    )
    forecast, quantiles = session.run(None, feeds)
    predicted = model.predict(panel)
    np.testing.assert_allclose(forecast.reshape(-1), predicted["forecast"], rtol=1e-5)
    np.testing.assert_allclose(quantiles.reshape(-1, 2), predicted[["q0.1", "q0.9"]], rtol=1e-5)
