"""Text classification: the sklearn-shaped :class:`TextClassifier` around a token-embedding bidirectional
LSTM (:mod:`lstmkit.networks.text_net`).

Texts become token ids with a :class:`~lstmkit.data.text.Tokenizer` fitted on the training
texts only (rare and unseen tokens read as ``<unk>``). A batch is padded with ``<pad>`` (id 0)
to its longest text; the network never reads the padded steps, so a padded batch scores each
text as it scores alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lstmkit.config import config_from_dict, config_to_dict
from lstmkit.data.labels import class_label, stored_classes
from lstmkit.data.sequences import natural_order
from lstmkit.data.text import Tokenizer
from lstmkit.errors import ConfigError, DataError
from lstmkit.models.base import Job
from lstmkit.networks.text_net import TextClassifierModelConfig, TextClassifierNet
from lstmkit.train import History, TrainerConfig, fit, set_seed

log = logging.getLogger(__name__)

TASK = "text-classify"


# ----------------------------------------------------------------------------- config


@dataclass
class TextClassifyDataConfig:
    """How texts become tokens and how the training rows are split."""

    tokenizer: Literal["word", "char"] = "word"  # words carry meaning; char suits short codes or typos
    lowercase: bool = True  # "Good" and "good" are one token: small data cannot learn them apart
    min_count: int = 2  # rarer training tokens read as <unk>, so the model learns what unknown means
    max_vocab: int = 20000  # the most frequent tokens; more rarely helps and costs memory
    max_len: int = 400  # tokens kept per text (its start); longer texts are cut
    val_fraction: float = 0.2  # stratified hold-out that early stopping watches; 0 trains on all


@dataclass
class TextClassifyConfig:
    """Everything ``lstmkit text classify train`` can set (``--set data.tokenizer=char`` ...)."""

    data: TextClassifyDataConfig = field(default_factory=TextClassifyDataConfig)
    model: TextClassifierModelConfig = field(default_factory=TextClassifierModelConfig)
    trainer: TrainerConfig = field(
        default_factory=lambda: TrainerConfig(
            epochs=100,  # an upper bound: early stopping ends most runs sooner
            lr=3e-3,  # embeddings trained from scratch like a brisk rate
            patience=8,  # text validation loss is noisy; a little patience
        )
    )


def pad_ids(seqs: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id lists with 0 into ``(B, T_max)`` long and their lengths ``(B,)``."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    ids = torch.zeros(len(seqs), int(lengths.max()) if len(seqs) else 0, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return ids, lengths


def _loss(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    ids, lengths, y = batch
    ids = ids[:, : int(lengths.max())]  # (B, T_batch): drop columns that are padding for all
    return F.cross_entropy(model(ids, lengths), y)


# ----------------------------------------------------------------------------- the estimator


class TextClassifier(Job):
    """Classify texts with an LSTM over word or character tokens; sklearn-shaped.

    >>> clf = TextClassifier().fit(texts, labels)
    >>> clf.predict(["a new text"])            # array of labels
    >>> clf.evaluate(texts, labels)["macro_f1"]
    >>> clf.save("model"); TextClassifier.load("model")

    Args:
        config: settings (default :class:`TextClassifyConfig`).
        progress: show a progress bar while training.
    """

    task, written_by, what = TASK, "'lstmkit text classify train'", "text classifier"

    def __init__(self, config: TextClassifyConfig | None = None, *, progress: bool = False):
        self.config = config or TextClassifyConfig()
        self.progress = progress
        self.classes_: list[str] | None = None
        self.tokenizer_: Tokenizer | None = None
        self.network_: TextClassifierNet | None = None
        self.history_: History | None = None
        self.validation_: dict[str, Any] | None = (
            None  # metrics on the validation split (early stopping used it), after fit
        )

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        checkpoint_path: str | Path | None = None,
        resume: bool = False,
    ) -> TextClassifier:
        """Train on ``texts`` and their ``labels``; the vocabulary comes from the training split only.

        Raises:
            DataError: different numbers of texts and labels, fewer than two classes, no tokens.
        """
        from lstmkit.models.sampling import stratified_split

        cfg = self.config
        _check_config(cfg)
        labels = [class_label(v) for v in labels]
        if len(texts) != len(labels):
            raise DataError(f"got {len(texts)} texts but {len(labels)} labels; give one label per text")
        self.classes_ = natural_order(labels)
        if len(self.classes_) < 2:
            found = repr(self.classes_[0]) if self.classes_ else "none"
            raise DataError(
                f"the training labels hold a single class ({found}); classification needs at least two"
            )
        y = np.asarray([self.classes_.index(v) for v in labels], dtype=np.int64)
        train_idx, val_idx = stratified_split(y, fraction=cfg.data.val_fraction, seed=cfg.trainer.seed)
        self.tokenizer_ = Tokenizer.fit(
            [texts[i] for i in train_idx],
            mode=cfg.data.tokenizer,
            min_count=cfg.data.min_count,
            max_size=cfg.data.max_vocab,
            lowercase=cfg.data.lowercase,
        )
        ids, lengths = pad_ids(self.tokenizer_.encode_batch(texts, max_len=cfg.data.max_len))
        y_t = torch.from_numpy(y)
        set_seed(cfg.trainer.seed)
        net = TextClassifierNet(len(self.tokenizer_), len(self.classes_), cfg.model)
        val = (ids[val_idx], lengths[val_idx], y_t[val_idx]) if len(val_idx) else None
        self.history_ = fit(
            net,
            _loss,
            (ids[train_idx], lengths[train_idx], y_t[train_idx]),
            val,
            config=cfg.trainer,
            checkpoint_path=checkpoint_path,
            resume=resume,
            progress=self.progress,
            task=self.task,
        )
        self.network_ = net.cpu().eval()
        if len(val_idx):
            self.validation_ = self.evaluate([texts[i] for i in val_idx], [labels[i] for i in val_idx])
        return self

    @torch.no_grad()
    def predict_proba(self, texts: Sequence[str], *, batch_size: int = 256) -> np.ndarray:
        """Class probabilities ``(N, K)``, columns in the order of ``classes_``."""
        net = self._require_fitted().eval()
        assert self.tokenizer_ is not None and self.classes_ is not None  # set with network_
        seqs = self.tokenizer_.encode_batch(texts, max_len=self.config.data.max_len)
        order = np.argsort([len(s) for s in seqs], kind="stable")  # similar lengths share a batch
        out = np.zeros((len(seqs), len(self.classes_)), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            ids, lengths = pad_ids([seqs[i] for i in idx])
            out[idx] = torch.softmax(net(ids, lengths), dim=-1).numpy()
        return out

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """The most probable label of each text, ``(N,)`` object array of strings."""
        return np.asarray(self.classes_, dtype=object)[self.predict_proba(texts).argmax(axis=1)]

    def evaluate(self, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
        """Accuracy, macro-F1 and the confusion matrix on labelled texts.

        Raises:
            DataError: labels the model was not trained on.
        """
        from lstmkit.evaluate.classification import classification_metrics

        self._require_fitted()
        assert self.classes_ is not None  # set with network_
        labels = [class_label(v) for v in labels]
        unknown = sorted(set(labels) - set(self.classes_))
        if unknown:
            raise DataError(
                f"label(s) {', '.join(map(repr, unknown[:5]))} were not in the training data; "
                f"the model's classes are {', '.join(self.classes_)}"
            )
        return classification_metrics(labels, list(self.predict(texts)), classes=self.classes_)

    def explain(self, texts: Sequence[str], *, case: int | None = None, source: str = "the texts"):
        """The LSTM's gates over the tokens of text ``case`` (default 0) of ``texts`` (named ``source``):
        an :class:`~lstmkit.explain.Explanation`."""
        from lstmkit.explain import explain_text_classifier

        return explain_text_classifier(self, texts, case=case, source=source)

    def to_config_dict(self) -> dict[str, Any]:
        """The classes in score order, the tokenizer's vocabulary and the settings."""
        tok = self.tokenizer_
        assert tok is not None  # written only once fitted
        return {
            "classes": self.classes_,
            "tokenizer": {"mode": tok.mode, "lowercase": tok.lowercase, "tokens": list(tok.tokens)},
            "settings": config_to_dict(self.config),
        }

    @classmethod
    def _from_config_dict(cls, meta: dict[str, Any]) -> TextClassifier:
        model = cls(config_from_dict(TextClassifyConfig, meta.get("settings", {})))
        model.classes_ = stored_classes(meta["classes"])
        tok = meta["tokenizer"]
        model.tokenizer_ = Tokenizer(
            mode=str(tok["mode"]),
            tokens=tuple(str(t) for t in tok["tokens"]),
            lowercase=bool(tok["lowercase"]),
        )
        model.network_ = TextClassifierNet(len(model.tokenizer_), len(model.classes_), model.config.model)
        return model


def _check_config(cfg: TextClassifyConfig) -> None:
    if not 0.0 <= cfg.data.val_fraction < 1.0:
        raise ConfigError(f"data.val_fraction must be in [0, 1), got {cfg.data.val_fraction}")
    for key in ("min_count", "max_vocab", "max_len"):
        if getattr(cfg.data, key) < 1:
            raise ConfigError(f"data.{key} must be >= 1, got {getattr(cfg.data, key)}")
    for key in ("embedding_dim", "hidden_size", "num_layers"):
        if getattr(cfg.model, key) < 1:
            raise ConfigError(f"model.{key} must be >= 1, got {getattr(cfg.model, key)}")
    if not 0.0 <= cfg.model.dropout < 1.0:
        raise ConfigError(f"model.dropout must be in [0, 1), got {cfg.model.dropout}")
