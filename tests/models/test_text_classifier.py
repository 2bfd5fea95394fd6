"""The text classifier: masking invariance, learning, unknown tokens, save/load."""

import json
import random

import numpy as np
import pytest
import torch

from lstmkit.config import resolve_config
from lstmkit.errors import CheckpointError, DataError
from lstmkit.models.text_classifier import TextClassifier, TextClassifyConfig, pad_ids
from lstmkit.networks.text_net import TextClassifierModelConfig, TextClassifierNet

FAST = [
    "model.hidden_size=16",
    "model.embedding_dim=16",
    "trainer.epochs=30",
    "trainer.patience=30",
    "data.min_count=1",
]


def sentiment_data(n: int = 80, seed: int = 0):
    """Texts whose label is carried by one word among neutral filler."""
    rng = random.Random(seed)
    filler = ["the", "film", "was", "a", "plot", "and", "it", "very", "story", "actors"]
    texts, labels = [], []
    for i in range(n):
        label = ("pos", "neg")[i % 2]
        words = rng.sample(filler, rng.randint(2, 6))
        words.insert(
            rng.randint(0, len(words)),
            rng.choice(["great", "lovely"] if label == "pos" else ["awful", "dull"]),
        )
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def fitted() -> TextClassifier:
    texts, labels = sentiment_data()
    return TextClassifier(resolve_config(TextClassifyConfig(), overrides=FAST)).fit(texts, labels)


@pytest.mark.parametrize("bidirectional", [True, False])
def test_padded_batch_scores_each_text_as_alone(seed, bidirectional):
    config = TextClassifierModelConfig(
        hidden_size=8, embedding_dim=6, num_layers=2, bidirectional=bidirectional
    )
    net = TextClassifierNet(30, 3, config).eval()
    seqs = [[5, 6, 7], [2], [9, 8, 7, 6, 5, 4, 3], [1, 1]]
    ids, lengths = pad_ids(seqs)
    assert ids.shape == (4, 7) and ids[1, 1:].eq(0).all()
    with torch.no_grad():
        batch = net(ids, lengths)
        alone = torch.cat([net(torch.tensor([s]), torch.tensor([len(s)])) for s in seqs])
        # extra padding columns change nothing either
        wider = net(torch.cat([ids, torch.zeros(4, 5, dtype=torch.long)], dim=1), lengths)
    torch.testing.assert_close(batch, alone, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(wider, batch, rtol=1e-5, atol=1e-6)


def test_learns_keywords(fitted):
    texts, labels = sentiment_data(40, seed=1)
    metrics = fitted.evaluate(texts, labels)
    assert metrics["accuracy"] >= 0.95 and metrics["macro_f1"] >= 0.95
    assert fitted.classes_ == ["neg", "pos"]


def test_unknown_and_empty_texts_are_scored(fitted):
    proba = fitted.predict_proba(["zzz qqq never seen", "", "great"])
    assert proba.shape == (3, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert fitted.predict(["great"])[0] == "pos"


def test_predict_proba_does_not_depend_on_batching(fitted):
    texts, _ = sentiment_data(30, seed=2)
    np.testing.assert_allclose(
        fitted.predict_proba(texts, batch_size=7), fitted.predict_proba(texts), rtol=1e-5, atol=1e-6
    )


def test_vocabulary_from_training_split_only():
    texts, labels = sentiment_data(40)
    clf = TextClassifier(
        resolve_config(TextClassifyConfig(), overrides=[*FAST, "trainer.epochs=1", "data.val_fraction=0.5"])
    )
    clf.fit(texts, labels)
    # tokens of the held-out half that the training half lacks are unknown
    held_out_only = set(" ".join(texts).split()) - set(clf.tokenizer_.tokens)
    assert all(clf.tokenizer_.encode(tok) == [1] for tok in held_out_only)


def test_fit_errors():
    clf = TextClassifier(resolve_config(TextClassifyConfig(), overrides=FAST))
    with pytest.raises(
        DataError, match=r"the training labels hold a single class \('a'\); classification needs at least two"
    ):
        clf.fit(["x", "y"], ["a", "a"])
    with pytest.raises(DataError, match="got 2 texts but 1 labels"):
        clf.fit(["x", "y"], ["a"])


def test_evaluate_rejects_unseen_labels(fitted):
    with pytest.raises(
        DataError, match=r"label\(s\) 'meh' were not in the training data; the model's classes are neg, pos"
    ):
        fitted.evaluate(["fine"], ["meh"])


def test_save_load_gives_the_same_predictions(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["classes"] == ["neg", "pos"] and config["task"] == "text-classify"
    loaded = TextClassifier.load(tmp_path / "m")
    texts, _ = sentiment_data(20, seed=3)
    np.testing.assert_array_equal(loaded.predict_proba(texts), fitted.predict_proba(texts))
    with pytest.raises(CheckpointError, match="pass the folder written by 'lstmkit text classify train'"):
        TextClassifier.load(tmp_path / "nothing")
