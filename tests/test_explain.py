"""lstmkit.explain: the gates are trace()'s numbers, attributions are complete, the files and the errors."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from lstmkit.config import resolve_config
from lstmkit.data.sequences import SequenceData
from lstmkit.errors import DataError
from lstmkit.explain import GATES, integrated_gradients, write_explanation
from lstmkit.models.classifier import LSTMClassifier
from lstmkit.models.classify_config import ClassifyConfig
from lstmkit.models.forecaster import LSTMForecaster
from lstmkit.models.language_model import LanguageModel, TextConfig

FAST = {"epochs": 6, "ensemble": 2, "hidden_size": 8, "patience": 25}


def seasonal_frame(n=84, season=12):
    t = np.arange(n)
    y = 50 + 0.3 * t + 8 * np.sin(2 * np.pi * t / season) + np.random.default_rng(0).normal(0, 0.5, n)
    return pd.DataFrame({"month": pd.period_range("2000-01", periods=n, freq="M").astype(str), "sales": y})


@pytest.fixture(scope="module", params=["plain", "variants"])
def forecaster(request):
    torch.manual_seed(0)
    extra = (
        {}
        if request.param == "plain"
        else {"model.variants.layer_norm": True, "model.variants.peephole": True}
    )
    return LSTMForecaster(6, **FAST, **extra).fit(seasonal_frame())


def test_forecaster_gates_are_the_traced_member(forecaster):
    expl = forecaster.explain()
    net = forecaster.net
    W = net.window
    k = [m.lookback for m in net.members].index(W)
    x = torch.tensor(seasonal_frame()["sales"].to_numpy()[-W:], dtype=torch.float32)[None]  # (1, W)
    z = torch.log(x) if net.log else x
    level = z[:, -net.season :].mean(1, keepdim=True)
    scale = forecaster.state.scales["None"]
    u = ((z - level) / scale).unsqueeze(-1)  # (1, W, 1), the normalised window by hand
    tr = net.members[k].lstm.trace(u)
    assert expl.gates.shape == (1, 4, W, 8) and expl.num_directions == 1
    for name, field in zip(GATES, ("input_gate", "forget_gate", "output_gate", "cell")):
        np.testing.assert_allclose(expl.gate(name), getattr(tr, field)[0, 0].double().numpy(), atol=1e-5)
    np.testing.assert_allclose(expl.inputs[:, 0], x[0].numpy(), rtol=1e-6)


def test_forecaster_attributions_are_complete_and_explain_the_forecast(forecaster):
    expl = forecaster.explain()
    gap = expl.forecast - expl.baseline
    assert abs(expl.attributions.sum() - gap) <= 0.01 * abs(gap)
    assert expl.completeness_error <= 0.01
    network = forecaster.network_forecasts(
        forecaster.read(seasonal_frame())
    )  # before any combination with the references
    forecast = network[0, :, 0].mean()  # the attributed output is the network's mean point forecast
    assert expl.forecast == pytest.approx(forecast, rel=1e-5)
    assert expl.attributions.shape == (forecaster.net.window,)
    line = expl.summary().splitlines()[-1]  # says which forecast it is: forecast.csv holds the combined one
    total = expl.attributions.sum()
    assert line.startswith(
        f"attributions: the network's mean forecast over the horizon {expl.forecast:.4g} (before the combination "
        f"with the classical methods) = baseline {expl.baseline:.4g} {'-' if total < 0 else '+'} {abs(total):.4g} "
    )
    negative = dataclasses.replace(expl, attributions=-np.abs(expl.attributions))
    assert (
        f"= baseline {expl.baseline:.4g} - {np.abs(expl.attributions).sum():.4g} over" in negative.summary()
    )


def test_integrated_gradients_of_a_linear_function_are_exact():
    w = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    x, base = (
        torch.tensor([3.0, 1.0, -4.0], dtype=torch.float64),
        torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64),
    )
    attr, fx, fb = integrated_gradients(lambda v: v @ w, x, base, steps=4)
    np.testing.assert_allclose(attr, (w * (x - base)).numpy())  # w_i (x_i - b_i), by hand: 2, 0, -2.5
    assert fx - fb == pytest.approx(-0.5)


def test_integrated_gradients_refine_until_complete():
    def f(v):  # curved, so few steps miss completeness
        return (v**3).sum(-1)

    x, base = torch.tensor([2.0, -1.0], dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    attr, fx, fb = integrated_gradients(f, x, base, steps=1)
    assert abs(attr.sum() - (fx - fb)) <= 0.01 * abs(fx - fb)
    np.testing.assert_allclose(attr, [8.0, -1.0], rtol=0.01)  # x_i^3 exactly, each coordinate separable


def test_to_frame_is_the_long_table_of_the_gates(forecaster):
    expl = forecaster.explain()
    frame = expl.to_frame()
    assert list(frame.columns) == ["layer", "direction", "step", "unit", "gate", "value"]
    assert len(frame) == expl.gates.size
    row = frame[(frame.step == 5) & (frame.unit == 3) & (frame.gate == "forget")]
    assert row["value"].item() == pytest.approx(expl.gate("forget")[5, 3])


def test_files_are_written(forecaster, tmp_path):
    paths = write_explanation(forecaster.explain(), tmp_path / "x")
    assert [p.name for p in paths] == ["gates.png", "gates.csv", "attributions.csv"]
    assert (tmp_path / "x" / "gates.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    attr = pd.read_csv(tmp_path / "x" / "attributions.csv")
    assert (
        list(attr.columns) == ["step", "time", "value", "attribution"] and attr["time"].iloc[-1] == "2006-12"
    )
    assert len(pd.read_csv(tmp_path / "x" / "gates.csv")) == forecaster.explain().gates.size


def test_the_steps_are_labelled_with_the_times_as_the_file_writes_them(tmp_path):
    """attributions.csv and the summary named 1/31/2020 steps as 2020-01-31 00:00:00."""
    frame = seasonal_frame(n=48)
    frame["month"] = [
        f"{d.month}/{d.day}/{d.year}" for d in pd.date_range("2000-01-31", periods=48, freq="ME")
    ]
    model = LSTMForecaster(horizon=3, epochs=1, ensemble=1, hidden_size=4, combine="none").fit(frame)
    write_explanation(model.explain(frame), tmp_path / "x")
    attr = pd.read_csv(tmp_path / "x" / "attributions.csv", dtype={"time": str})
    assert attr["time"].iloc[-2:].tolist() == ["11/30/2003", "12/31/2003"]


def test_an_explanation_without_attributions_removes_an_earlier_ones(language_model, tmp_path):
    """A forecaster's attributions.csv stayed beside the gates of a language model explained into the same folder."""
    out = tmp_path / "x"
    out.mkdir()
    (out / "attributions.csv").write_text("step,time,value,attribution\n")
    (out / "notes.txt").write_text("the user's")
    paths = write_explanation(language_model.explain("the lazy dog"), out)
    assert [p.name for p in paths] == ["gates.png", "gates.csv"]
    assert sorted(p.name for p in out.iterdir()) == ["gates.csv", "gates.png", "notes.txt"]


def test_unknown_series_is_a_data_error(forecaster):
    with pytest.raises(
        DataError,
        match=r"--series 'nope' given, but the data holds one series \(no id column\); drop --series",
    ):
        forecaster.explain(series="nope")


def test_series_are_chosen_by_id(seed):
    a, b = seasonal_frame(), seasonal_frame()
    b["sales"] = b["sales"] * 2
    frame = pd.concat([a.assign(store="a"), b.assign(store="b")])
    model = LSTMForecaster(6, id_col="store", **FAST).fit(frame)
    expl = model.explain(series="b")
    np.testing.assert_allclose(expl.inputs[:, 0], b["sales"].to_numpy()[-model.net.window :])
    assert "series b" in expl.title
    with pytest.raises(DataError, match=r"--series 'c' not found in the data; its series are: a, b"):
        model.explain(series="c")


# ----------------------------------------------------------------------------- classifier


def slopes(n=16, seed=0):
    rng = np.random.default_rng(seed)
    series, labels = [], []
    for i in range(n):
        T = int(rng.integers(5, 12))
        sign = 1.0 if i % 2 else -1.0
        series.append(
            (sign * np.linspace(0, 2, T)[:, None] + 0.3 * rng.normal(size=(T, 2))).astype(np.float32)
        )
        labels.append("up" if sign > 0 else "down")
    return SequenceData(series=series, labels=np.asarray(labels, dtype=object), name="slopes")


@pytest.fixture(scope="module")
def classifier():
    torch.manual_seed(0)
    cfg = resolve_config(
        ClassifyConfig(),
        overrides=["method=lstm-fcn", "model.hidden_size=6", "model.conv_channels=4,4,4", "trainer.epochs=2"],
    )
    return LSTMClassifier(cfg).fit(slopes())


def test_the_default_hybrid_classifier_shows_its_lstm_on_the_pooled_series():
    from lstmkit.networks.hybrid_net import scale_series

    torch.manual_seed(0)
    cfg = resolve_config(
        ClassifyConfig(), overrides=["model.hidden_size=6", "trainer.epochs=2", "hybrid.lstm_steps=4"]
    )
    clf = LSTMClassifier(cfg).fit(slopes())
    net, data = clf.network_, slopes()
    expl = clf.explain(data, case=1)
    x = torch.from_numpy(data.series[1][None])
    lengths = torch.tensor([x.shape[1]])
    z, steps = net.pooled(
        scale_series(x, lengths, net.mean, net.std), lengths
    )  # what the LSTM reads, by hand
    tr = net.lstm.lstm.trace(z)
    T = int(steps[0])
    assert expl.gates.shape[2] == T and T <= 4
    np.testing.assert_allclose(expl.gate("forget"), tr.forget_gate[0, 0, :T].double().numpy(), atol=1e-5)


def test_classifier_case_gates_match_trace_both_directions(classifier):
    data = slopes()
    expl = classifier.explain(data, case=3)
    net = classifier.network_
    z = (torch.from_numpy(data.series[3])[None] - net.mean) / net.std  # (1, T, 2)
    tr = net.lstm.trace(z)
    T = len(data.series[3])
    assert expl.gates.shape == (2, 4, T, 6) and expl.num_directions == 2
    for d in (0, 1):
        np.testing.assert_allclose(
            expl.gate("forget", direction=d), tr.forget_gate[d, 0].double().numpy(), atol=1e-5
        )
        np.testing.assert_allclose(expl.gate("cell", direction=d), tr.cell[d, 0].double().numpy(), atol=1e-5)


def test_class_mean_averages_the_cases_that_reach_each_step(classifier):
    data = slopes()
    expl = classifier.explain(data, label="up")
    cases = [i for i in range(len(data)) if data.labels[i] == "up"]
    T = max(len(data.series[i]) for i in cases)
    total, count = np.zeros((2, 4, T, 6)), np.zeros(T)
    for i in cases:
        g = classifier.explain(data, case=i).gates
        total[:, :, : g.shape[2]] += g
        count[: g.shape[2]] += 1
    np.testing.assert_allclose(expl.gates, total / count[None, None, :, None], atol=1e-5)


def test_classifier_errors(classifier):
    with pytest.raises(DataError, match=r"--case 16 is out of range: slopes has 16 cases \(0 to 15\)"):
        classifier.explain(slopes(), case=16)
    with pytest.raises(DataError, match=r"class 'sideways' has no case in slopes; its classes are: down, up"):
        classifier.explain(slopes(), label="sideways")


# ----------------------------------------------------------------------------- language model


@pytest.fixture(scope="module")
def language_model():
    torch.manual_seed(0)
    cfg = resolve_config(
        TextConfig(),
        overrides=[
            "model.hidden_size=12",
            "model.embedding_dim=6",
            "model.num_layers=2",
            "model.dropout=0",
            "trainer.epochs=2",
            "data.chunk_len=8",
        ],
    )
    return LanguageModel(cfg).fit("the quick brown fox jumps over the lazy dog.\n" * 20)


def test_language_model_gates_and_surprisal(language_model, tmp_path):
    text = "the lazy dog jumps"
    expl = language_model.explain(text)
    net, vocab = language_model.network_, language_model.vocab_
    ids = torch.tensor(vocab.encode(text))[None]
    tr = net.lstm.trace(net.embedding(ids))
    assert expl.gates.shape == (2, 4, len(text), 12) and expl.step_labels == list(text)
    for k in (0, 1):
        np.testing.assert_allclose(
            expl.gate("input", layer=k), tr.input_gate[k, 0].double().numpy(), atol=1e-5
        )
    p = torch.softmax(net(ids)[0][0], -1)  # (T, V)
    bits = [-np.log2(p[t, ids[0, t + 1]].item()) for t in range(len(text) - 1)]
    np.testing.assert_allclose(expl.surprisal[:-1], bits, rtol=1e-4)
    assert np.isnan(expl.surprisal[-1])
    assert "layer 1: mean forget gate" in expl.summary()
    assert expl.plot(tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_language_model_needs_two_characters(language_model):
    with pytest.raises(
        DataError, match=r"the text has 1 character\(s\); explaining a language model needs at least two"
    ):
        language_model.explain("t")


def test_summary_numbers_by_hand():
    from lstmkit.explain import Explanation

    gates = np.full((1, 4, 5, 3), 0.5)  # (L*D, gate, T, H)
    gates[0, 1, :, 2] = 0.99  # unit 2 never forgets: its forget gate is saturated at every step
    gates[0, 3] = np.array([0.0, 0.1, 0.3, 1.3, 1.4])[:, None]  # cell: the jump is at step 3, then step 2
    expl = Explanation(
        kind="classify",
        title="by hand",
        gates=gates,
        num_directions=1,
        inputs=np.zeros((5, 1)),
        input_names=["x"],
    )
    assert expl.summary().splitlines()[1] == (
        "layer 0: mean forget gate 0.663; most saturated units (gates within 0.1 of 0 or 1): 2 (33% of gate-steps); "
        "largest cell change at step 1, step 2, step 3"
    )
    assert list(expl.unit_order()) == [2, 0, 1]
