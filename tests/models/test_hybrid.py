"""The default classifier: random convolutions + LSTM + ridge. Padding, pooling, learning, ablations, files."""

import json

import numpy as np
import pytest
import torch

from lstmkit.config import resolve_config
from lstmkit.data.sequences import SequenceData, pad_sequences
from lstmkit.errors import ConfigError
from lstmkit.models.classifier import LSTMClassifier
from lstmkit.models.classify_config import ClassifyConfig
from lstmkit.networks.hybrid_net import HybridNet
from lstmkit.networks.lstm_fcn import ClassifierModelConfig
from lstmkit.networks.minirocket import fit_minirocket

TINY = ["model.hidden_size=8", "hybrid.rocket_features=840", "trainer.epochs=15"]


def bumps(n: int, *, seed: int) -> SequenceData:
    """Class "early" has a bump in its first half, "late" in its second; lengths 20-60, noise on top."""
    rng = np.random.default_rng(seed)
    series, labels = [], []
    for i in range(n):
        T = int(rng.integers(20, 61))
        late = i % 2
        t = np.arange(T) / T
        bump = np.exp(-((t - (0.75 if late else 0.25)) ** 2) / 0.005)
        series.append((bump[:, None] + 0.2 * rng.normal(size=(T, 2))).astype(np.float32))
        labels.append("late" if late else "early")
    return SequenceData(series=series, labels=np.asarray(labels, dtype=object), name="bumps")


def test_padded_batch_scores_each_sequence_as_alone(seed):
    x = torch.randn(4, 30, 3)
    lengths = torch.tensor([30, 11, 24, 4])
    drawn = fit_minirocket(x.transpose(1, 2), lengths, num_features=84 * 4, seed=0)
    plan = {"dilations": drawn.dilations, "features_per_dilation": drawn.features_per_dilation}
    net = HybridNet(3, 2, ClassifierModelConfig(hidden_size=5), rocket=plan, pool=4).eval()
    net.rocket.load_state_dict(drawn.state_dict())
    net.mean.copy_(torch.tensor([0.5, -1.0, 2.0]))
    garbage = x.clone()
    garbage[lengths[:, None] <= torch.arange(30)] = 1e3  # padding must not matter
    with torch.no_grad():
        batch = net(garbage, lengths)
        for i, n in enumerate(lengths.tolist()):
            torch.testing.assert_close(batch[i : i + 1], net(x[i : i + 1, :n]), rtol=1e-5, atol=1e-5)


def test_missing_values_become_the_channel_mean_in_training_and_prediction(seed):
    data = bumps(20, seed=6)
    holed = bumps(20, seed=6)
    for s, t in zip(holed.series, data.series):
        s += 5.0  # far from 0: a hole read as 0 instead of the mean would show
        t += 5.0
        s[3, 1] = np.nan
    config = resolve_config(ClassifyConfig(), overrides=[*TINY, "trainer.epochs=2"])
    filled = LSTMClassifier(config).fit(holed)
    mean = filled.network_.mean.numpy()
    for s in data.series:
        s[3, 1] = mean[1]  # what the network puts in the hole
    reference = LSTMClassifier(config).fit(data)
    x, lengths = (torch.from_numpy(a) for a in pad_sequences(data.series))
    with torch.no_grad():  # scores, not probabilities: those saturate at 0 and 1 on this easy pattern
        torch.testing.assert_close(
            filled.network_(x, lengths), reference.network_(x, lengths), rtol=1e-4, atol=1e-4
        )


def test_the_lstm_reads_means_of_consecutive_valid_steps():
    net = HybridNet(1, 2, ClassifierModelConfig(hidden_size=4), rocket=None, pool=3)
    x = torch.arange(16.0).reshape(2, 8, 1)
    x[1, 4:] = 0.0  # past the second series' end: zeros, as the network's scaling leaves them
    lengths = torch.tensor([8, 4])
    pooled, pooled_lengths = net.pooled(x, lengths)
    assert pooled_lengths.tolist() == [3, 2]
    torch.testing.assert_close(
        pooled[0, :, 0], torch.tensor([1.0, 4.0, 6.5])
    )  # (0+1+2)/3, (3+4+5)/3, (6+7)/2
    torch.testing.assert_close(pooled[1, :2, 0], torch.tensor([9.0, 11.0]))  # (8+9+10)/3, then step 11 alone


@pytest.mark.parametrize(
    "ablation, parts",
    [
        ([], ("rocket", "lstm")),
        (["hybrid.lstm=false"], ("rocket",)),
        (["hybrid.rocket_features=0"], ("lstm",)),
    ],
)
def test_learns_a_pattern_with_either_part_or_both(seed, ablation, parts):
    config = resolve_config(ClassifyConfig(), overrides=[*TINY, *ablation])
    clf = LSTMClassifier(config).fit(bumps(40, seed=1))
    net = clf.network_
    assert isinstance(net, HybridNet) and clf.classes_ == ["early", "late"]
    assert (net.rocket is not None, net.lstm is not None) == ("rocket" in parts, "lstm" in parts)
    assert clf.evaluate(bumps(40, seed=2))["accuracy"] >= 0.9
    assert 0.0 <= clf.ridge_["loo_accuracy"] <= 1.0 and clf.ridge_["alpha"] > 0
    both = "rocket" in parts and "lstm" in parts  # the LSTM's share is chosen only when there are two blocks
    assert (
        (clf.ridge_["lstm_share"] in config.hybrid.lstm_shares) if both else clf.ridge_["lstm_share"] is None
    )
    proba = clf.predict_proba(bumps(6, seed=3))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_save_then_load_predicts_the_same(seed, tmp_path):
    clf = LSTMClassifier(resolve_config(ClassifyConfig(), overrides=TINY)).fit(bumps(20, seed=4))
    clf.save(tmp_path / "m")
    loaded = LSTMClassifier.load(tmp_path / "m")
    data = bumps(8, seed=5)
    np.testing.assert_array_equal(loaded.predict_proba(data), clf.predict_proba(data))
    saved = json.loads((tmp_path / "m" / "config.json").read_text())
    assert saved["settings"]["method"] == "hybrid" and saved["classes"] == ["early", "late"]
    assert saved["network"]["rocket"]["dilations"] == clf.network_.rocket.dilations
    assert loaded.ridge_ == clf.ridge_


def test_bad_hybrid_settings_name_the_key(seed):
    config = resolve_config(ClassifyConfig(), overrides=[*TINY, "hybrid.rocket_features=50"])
    with pytest.raises(ConfigError, match="hybrid.rocket_features must be 0 or at least 84, got 50"):
        LSTMClassifier(config).fit(bumps(10, seed=0))
    config = resolve_config(ClassifyConfig(), overrides=["hybrid.lstm=false", "hybrid.rocket_features=0"])
    with pytest.raises(ConfigError, match="leaves no model"):
        LSTMClassifier(config).fit(bumps(10, seed=0))
