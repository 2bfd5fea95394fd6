"""The sequence classifier with its LSTM-FCN network (the hybrid: test_hybrid.py): masking invariance, learning, save/load, errors, metrics."""

import json

import numpy as np
import pytest
import torch

from lstmkit.config import resolve_config
from lstmkit.data.sequences import SequenceData
from lstmkit.errors import CheckpointError, ConfigError, DataError
from lstmkit.evaluate.classification import classification_metrics
from lstmkit.models.classifier import LSTMClassifier
from lstmkit.models.classify_config import ClassifyConfig
from lstmkit.models.sampling import augment_batch, stratified_split
from lstmkit.networks.lstm_fcn import ClassifierModelConfig, MaskedBatchNorm1d, SequenceClassifierNet

TINY = ["method=lstm-fcn", "model.hidden_size=8", "model.conv_channels=8,16,8", "trainer.batch_size=16"]


def slopes(n: int, *, seed: int, features: int = 2) -> SequenceData:
    """Class "up" rises, class "down" falls; lengths 5-20; noise on top."""
    rng = np.random.default_rng(seed)
    series, labels = [], []
    for i in range(n):
        T = int(rng.integers(5, 21))
        sign = 1.0 if i % 2 else -1.0
        ramp = sign * np.linspace(0, 2, T)[:, None] + 3.0
        series.append((ramp + 0.3 * rng.normal(size=(T, features))).astype(np.float32))
        labels.append("up" if sign > 0 else "down")
    return SequenceData(series=series, labels=np.asarray(labels, dtype=object), name="slopes")


@pytest.mark.parametrize("pooling", ["attention", "mean", "last"])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_padded_batch_scores_each_sequence_as_alone(seed, pooling, bidirectional):
    config = ClassifierModelConfig(
        hidden_size=6,
        conv_channels=(4, 5),
        kernel_sizes=(4, 3),
        pooling=pooling,
        bidirectional=bidirectional,
        num_layers=2,
    )
    net = SequenceClassifierNet(3, 4, config)
    net.train()
    net(torch.randn(5, 9, 3), torch.tensor([9, 3, 7, 1, 5]))  # move the batch-norm running statistics
    net.eval()
    lengths = torch.tensor([2, 9, 5, 1])
    x = torch.randn(4, 9, 3)
    x[lengths[:, None] <= torch.arange(9)] = 1e3  # garbage in the padding must not matter
    batch = net(x, lengths)
    for i, n in enumerate(lengths.tolist()):
        alone = net(x[i : i + 1, :n], None)
        torch.testing.assert_close(batch[i : i + 1], alone, rtol=1e-5, atol=1e-5)


def test_masked_batch_norm_uses_valid_steps_only(seed):
    norm, reference = MaskedBatchNorm1d(3), torch.nn.BatchNorm1d(3)
    x = torch.randn(2, 3, 6)
    lengths = torch.tensor([6, 2])
    mask = (torch.arange(6)[None, :] < lengths[:, None]).float()[:, None, :]
    y = norm(x, mask)
    valid = torch.cat([x[0], x[1, :, :2]], dim=1)  # (3, 8): the valid steps side by side
    expected = reference(valid[None])[0]
    torch.testing.assert_close(torch.cat([y[0], y[1, :, :2]], dim=1), expected)
    torch.testing.assert_close(norm.running_mean, reference.running_mean)
    torch.testing.assert_close(norm.running_var, reference.running_var)
    assert (y[1, :, 2:] == 0).all()


def test_missing_values_become_the_channel_mean(seed):
    net = SequenceClassifierNet(
        2, 2, ClassifierModelConfig(hidden_size=4, conv_channels=(4,), kernel_sizes=(3,))
    ).eval()
    net.mean.copy_(torch.tensor([1.0, -2.0]))
    x = torch.tensor([[[1.0, 5.0], [float("nan"), 0.0]]])
    filled = x.clone()
    filled[0, 1, 0] = 1.0
    torch.testing.assert_close(net(x), net(filled))


def test_augment_keeps_valid_lengths(seed):
    x = torch.randn(4, 10, 2)
    lengths = torch.tensor([10, 4, 1, 7])
    out, new = augment_batch(x, lengths, torch.ones(2))
    assert out.shape == x.shape and (new >= 1).all() and (new <= lengths).all()
    assert (new >= (0.8 * lengths).floor()).all()


def test_stratified_split_keeps_class_shares():
    labels = np.array([0] * 40 + [1] * 15 + [2] * 20)
    train, val = stratified_split(labels, fraction=0.2, seed=0)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(75))
    assert np.bincount(labels[val], minlength=3).tolist() == [8, 3, 4]
    assert len(stratified_split(labels, fraction=0.0, seed=0)[1]) == 0
    tiny = np.array([0] * 12 + [1] * 12)  # 2 cases per class would be held out: too few to watch
    train, val = stratified_split(tiny, fraction=0.2, seed=0)
    assert len(val) == 0 and len(train) == 24


@pytest.mark.parametrize("fraction", [1.0, -0.1])
def test_a_validation_fraction_outside_0_to_1_is_refused_by_its_name(fraction):
    """LSTM-FCN with data.val_fraction=1 said 'no training examples: the data is too short'."""
    labels = np.array([0] * 40 + [1] * 40)
    with pytest.raises(ConfigError, match=rf"^data\.val_fraction must be in \[0, 1\), got {fraction:g}$"):
        stratified_split(labels, fraction=fraction, seed=0)


def test_learns_a_simple_two_class_pattern(seed):
    config = resolve_config(ClassifyConfig(), overrides=[*TINY, "trainer.epochs=25", "trainer.patience=25"])
    clf = LSTMClassifier(config).fit(slopes(80, seed=1))  # 40 per class: 8 held out each
    assert clf.classes_ == ["down", "up"]
    result = clf.evaluate(slopes(60, seed=2))
    assert result["accuracy"] >= 0.9
    assert clf.validation_ is not None and clf.validation_["n"] == 16
    proba = clf.predict_proba(slopes(10, seed=3))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


@pytest.fixture(scope="module")
def fitted():
    torch.manual_seed(0)
    config = resolve_config(ClassifyConfig(), overrides=[*TINY, "trainer.epochs=2"])
    return LSTMClassifier(config).fit(slopes(30, seed=4))


def test_save_then_load_predicts_the_same(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    loaded = LSTMClassifier.load(tmp_path / "m")
    data = slopes(12, seed=5)
    np.testing.assert_array_equal(loaded.predict_proba(data), fitted.predict_proba(data))
    assert loaded.config == fitted.config and loaded.classes_ == fitted.classes_
    saved = json.loads((tmp_path / "m" / "config.json").read_text())
    assert saved["task"] == "classify" and saved["classes"] == ["down", "up"] and saved["n_features"] == 2


def test_arrays_with_labels_are_accepted(seed):
    config = resolve_config(ClassifyConfig(), overrides=[*TINY, "trainer.epochs=1", "data.val_fraction=0"])
    data = slopes(8, seed=0)
    clf = LSTMClassifier(config).fit(data.series, list(data.labels))
    assert clf.predict([s[:, 0:2] for s in data.series]).shape == (8,)
    assert clf.validation_ is None


def test_feature_count_mismatch_is_a_data_error(fitted):
    with pytest.raises(DataError) as info:
        fitted.predict([np.zeros((5, 3), np.float32)])
    assert str(info.value) == (
        "data: sequence 0 has 3 feature(s) per step but the model expects 2; use data with the same channels as the training data"
    )


def test_unknown_labels_in_evaluation(fitted):
    data = slopes(4, seed=0)
    data.labels[0] = "sideways"
    with pytest.raises(
        DataError,
        match="class label\\(s\\) 'sideways' the model was not trained on; its classes are down, up",
    ):
        fitted.evaluate(data)


def test_single_class_is_refused():
    data = slopes(4, seed=0)
    data.labels[:] = "up"
    with pytest.raises(DataError, match="has a single class \\('up'\\)"):
        LSTMClassifier().fit(data)


def test_load_errors(tmp_path, fitted):
    with pytest.raises(
        CheckpointError,
        match="model folder .*missing not found; pass the folder written by 'lstmkit classify train'",
    ):
        LSTMClassifier.load(tmp_path / "missing")
    fitted.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["settings"]["model"]["hidden_size"] = 9
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="the weights do not match config.json"):
        LSTMClassifier.load(tmp_path / "m")


def test_classification_metrics_by_hand():
    result = classification_metrics(["a", "a", "b", "c"], ["a", "b", "b", "b"], classes=["a", "b", "c"])
    assert result["confusion"] == [[1, 1, 0], [0, 1, 0], [0, 1, 0]]
    assert result["accuracy"] == 0.5
    # F1: a = 2/3, b = 2*1/(1+3) = 0.5, c = 0
    assert result["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 0.0) / 3)
