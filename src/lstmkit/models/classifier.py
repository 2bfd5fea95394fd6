"""Sequence classification: :class:`LSTMClassifier`, sklearn-shaped, around two networks.

The default (``method = "hybrid"``, :mod:`lstmkit.models.hybrid`) fits a closed-form ridge
classifier on MiniRocket random-convolution features beside the features of a briefly trained
LSTM: seconds to train, MiniRocket's accuracy. ``method = "lstm-fcn"`` trains the LSTM-FCN network
(:mod:`lstmkit.networks.lstm_fcn`) end to end, in minutes: it holds out a stratified validation split
for early stopping, weights classes against imbalance and augments batches (jitter, scaling,
cropping); model folders written before the hybrid existed load as LSTM-FCN. Either way the
per-channel scaling fitted on the training data lives inside the network, so a saved model takes
data in its own units; ``predict_proba``, ``predict`` and ``evaluate`` batch sequences of similar
length; ``save``/``load`` use the model folder (``config.json`` lists the class labels in score
order under ``"classes"``). The settings are :class:`~lstmkit.models.classify_config.ClassifyConfig`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from lstmkit.config import config_from_dict, config_to_dict
from lstmkit.data.labels import class_label, stored_classes
from lstmkit.data.sequences import SequenceData, channel_stats, natural_order, pad_sequences
from lstmkit.errors import DataError
from lstmkit.models.base import Job
from lstmkit.models.classify_config import ClassifyConfig
from lstmkit.models.hybrid import fit_hybrid
from lstmkit.models.sampling import augment_batch, stratified_split
from lstmkit.networks.hybrid_net import HybridNet
from lstmkit.networks.lstm_fcn import SequenceClassifierNet
from lstmkit.train import History, fit, resolve_device, set_seed

log = logging.getLogger(__name__)

TASK = "classify"


def _as_data(data: SequenceData | Sequence[np.ndarray], labels: Sequence | None = None) -> SequenceData:
    if isinstance(data, SequenceData):
        if labels is not None:
            data = dataclasses.replace(
                data, labels=np.asarray([class_label(v) for v in labels], dtype=object)
            )
        return data
    series = []
    for i, s in enumerate(data):
        a = np.asarray(s, dtype=np.float32)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2 or len(a) == 0:
            raise DataError(f"sequence {i} must be an array (T,) or (T, F) with T >= 1, got shape {a.shape}")
        series.append(a)
    if not series:
        raise DataError("no sequences given")
    return SequenceData(
        series=series,
        labels=None if labels is None else np.asarray([class_label(v) for v in labels], dtype=object),
    )


class LSTMClassifier(Job):
    """Classify variable-length multivariate sequences; sklearn-shaped.

    >>> clf = LSTMClassifier().fit(train)          # SequenceData, or arrays plus labels
    >>> clf.predict(test)                           # array of labels
    >>> clf.evaluate(test)["accuracy"]
    >>> clf.save("model"); LSTMClassifier.load("model")

    Args:
        config: settings (default :class:`ClassifyConfig`).
        progress: show a progress bar while training.
    """

    task, written_by, what = TASK, "'lstmkit classify train'", "classifier"

    def __init__(self, config: ClassifyConfig | None = None, *, progress: bool = False):
        self.config = config or ClassifyConfig()
        self.progress = progress
        self.classes_: list[str] | None = None
        self.n_features_: int | None = None
        self.feature_names_: list[str] | None = None  # a long table's feature columns, in model order
        self.network_: SequenceClassifierNet | HybridNet | None = None
        self.history_: History | None = None
        self.validation_: dict[str, Any] | None = None  # metrics on the held-out split, after fit
        self.ridge_: dict[str, float | None] | None = (
            None  # hybrid: the ridge's leave-one-out accuracy, penalty, temperature
        )
        self.training_data_: dict[str, Any] | None = (
            None  # where the training data came from (the CLI records it)
        )

    # -- training

    def fit(
        self,
        data: SequenceData | Sequence[np.ndarray],
        labels: Sequence | None = None,
        *,
        checkpoint_path: str | Path | None = None,
        resume: bool = False,
    ) -> LSTMClassifier:
        """Train on labelled sequences (a :class:`SequenceData`, or arrays ``(T_i, F)`` with ``labels``).

        Raises:
            DataError: no labels, a single class, or sequences with different feature counts.
        """
        data = _as_data(data, labels)
        cfg = self.config
        if data.labels is None:
            raise DataError(f"{data.name} has no class labels; training needs labelled data")
        self._check_features(data, expected=data.n_features)
        present = set(data.labels)
        order = [c for c in data.classes if c in present] if data.classes else natural_order(list(present))
        absent = [c for c in data.classes or () if c not in present]
        if absent:  # a test file's cases of them can only be misclassified
            log.warning(
                "%s declares class(es) %s but has no case of them; the model will not predict them",
                data.name,
                ", ".join(map(repr, absent)),
            )
        if len(order) < 2:
            raise DataError(
                f"{data.name} has a single class ({order[0]!r}); classification needs at least two"
            )
        self.classes_, self.n_features_, self.feature_names_ = list(order), data.n_features, data.features
        y = np.asarray([order.index(v) for v in data.labels], dtype=np.int64)

        set_seed(cfg.trainer.seed)
        mean, std = channel_stats(data.series)
        if cfg.method == "hybrid":
            return self._fit_hybrid(data, y, (mean, std), checkpoint_path=checkpoint_path, resume=resume)
        net = SequenceClassifierNet(data.n_features, len(order), cfg.model)
        net.mean.copy_(torch.from_numpy(mean))
        net.std.copy_(torch.from_numpy(std))
        x_np, lengths_np = pad_sequences(data.series, value=0.0)
        x, lengths, y_t = torch.from_numpy(x_np), torch.from_numpy(lengths_np), torch.from_numpy(y)

        train_idx, val_idx = stratified_split(y, fraction=cfg.data.val_fraction, seed=cfg.trainer.seed)
        counts = np.bincount(y[train_idx], minlength=len(order)).astype(np.float64)
        weight = None
        if cfg.data.class_weight == "balanced":
            weight = torch.tensor(
                len(train_idx) / (len(order) * np.maximum(counts, 1.0)), dtype=torch.float32
            )
        loss_fn = self._loss_fn(weight)
        device = resolve_device(cfg.trainer.device)
        net.to(device)

        val = (x[val_idx], lengths[val_idx], y_t[val_idx]) if len(val_idx) else None
        trainer = cfg.trainer
        if trainer.batch_size <= 0:
            trainer = dataclasses.replace(trainer, batch_size=int(np.clip(len(train_idx) // 10, 4, 32)))
        self.history_ = fit(
            net,
            loss_fn,
            (x[train_idx], lengths[train_idx], y_t[train_idx]),
            val,
            config=trainer,
            checkpoint_path=checkpoint_path,
            resume=resume,
            progress=self.progress,
            task=self.task,
        )
        self.network_ = net.cpu().eval()
        if val is not None:
            self.validation_ = self.evaluate(data.subset(val_idx))
        if cfg.data.refit and val is not None and self.history_.best_epoch:
            set_seed(cfg.trainer.seed + 1)
            refit_net = SequenceClassifierNet(data.n_features, len(order), cfg.model)
            refit_net.mean.copy_(net.mean.cpu())
            refit_net.std.copy_(net.std.cpu())
            refit_cfg = dataclasses.replace(trainer, epochs=self.history_.best_epoch, lr_schedule="none")
            fit(refit_net, loss_fn, (x, lengths, y_t), None, config=refit_cfg, progress=self.progress)
            self.network_ = refit_net.cpu().eval()
        return self

    def _fit_hybrid(
        self,
        data: SequenceData,
        y: np.ndarray,
        stats: tuple[np.ndarray, np.ndarray],
        *,
        checkpoint_path: str | Path | None,
        resume: bool,
    ) -> LSTMClassifier:
        cfg = self.config
        assert self.classes_ is not None  # fit() sets it first
        x, lengths = pad_sequences(
            data.series, value=0.0
        )  # NaN stays: the network reads it as the channel mean
        trainer = cfg.trainer
        if trainer.batch_size <= 0:
            trainer = dataclasses.replace(trainer, batch_size=int(np.clip(len(y) // 4, 16, 64)))
        net, self.history_, self.ridge_ = fit_hybrid(
            torch.from_numpy(x),
            torch.from_numpy(lengths),
            torch.from_numpy(y),
            len(self.classes_),
            hybrid=cfg.hybrid,
            model=cfg.model,
            trainer=trainer,
            stats=stats,
            checkpoint_path=checkpoint_path,
            resume=resume,
            progress=self.progress,
        )
        self.network_ = net
        return self

    def _loss_fn(self, weight: torch.Tensor | None):
        smoothing, augment = self.config.model.label_smoothing, self.config.data.augment

        def loss_fn(model: SequenceClassifierNet, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            x, lengths, y = batch
            x = x[:, : int(lengths.max())]  # (B, T_batch, F)
            if model.training and augment:
                x, lengths = augment_batch(
                    x, lengths, getattr(model, "module", model).std
                )  # module: under DDP
            logits = model(x, lengths)  # (B, K)
            losses = F.cross_entropy(logits, y, label_smoothing=smoothing, reduction="none")  # (B,)
            if weight is not None:
                losses = losses * weight.to(logits.device)[y]
            return (
                losses.mean()
            )  # a mean over cases, so data-parallel ranks average to the global batch's loss

        return loss_fn

    # -- inference

    def readable(self, data: SequenceData | Sequence[np.ndarray]) -> SequenceData:
        """``data`` as the fitted network reads it: its features in training order, checked.

        Raises:
            DataError: features the model was not trained on.
        """
        self._require_fitted()
        assert self.n_features_ is not None  # set with network_
        data = self._match_features(_as_data(data))
        self._check_features(data, expected=self.n_features_)
        return data

    def _match_features(self, data: SequenceData) -> SequenceData:
        """``data`` with its long-table columns in the training order, or a DataError naming them."""
        names, trained = data.features, self.feature_names_
        if names is None or trained is None or names == trained:
            return data
        if sorted(names) != sorted(trained):
            missing = [c for c in trained if c not in names]
            extra = [c for c in names if c not in trained]
            raise DataError(
                f"{data.name}: feature columns differ from the training data's ({', '.join(trained)}): "
                + "; ".join(
                    part
                    for part in (
                        f"missing {', '.join(missing)}" if missing else "",
                        f"unexpected {', '.join(extra)}" if extra else "",
                    )
                    if part
                )
                + "; drop or rename columns to match"
            )
        order = [names.index(c) for c in trained]
        return dataclasses.replace(data, series=[s[:, order] for s in data.series], features=list(trained))

    def _check_features(self, data: SequenceData, *, expected: int) -> None:
        for i, s in enumerate(data.series):
            if s.ndim != 2 or s.shape[1] != expected:
                got = s.shape[1] if s.ndim == 2 else s.ndim
                raise DataError(
                    f"{data.name}: sequence {i} has {got} feature(s) per step but the model expects {expected}; "
                    "use data with the same channels as the training data"
                )

    def predict_proba(
        self, data: SequenceData | Sequence[np.ndarray], *, batch_size: int = 256
    ) -> np.ndarray:
        """Class probabilities ``(N, K)``, columns in the order of ``classes_``."""
        net = self._require_fitted()
        assert self.classes_ is not None  # set with network_
        data = self.readable(data)
        net.eval()
        order = np.argsort(data.lengths, kind="stable")  # similar lengths share a batch: less padding
        out = np.zeros((len(data), len(self.classes_)), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                x, lengths = pad_sequences([data.series[i] for i in idx])
                logits = net(torch.from_numpy(x), torch.from_numpy(lengths))
                out[idx] = torch.softmax(logits, dim=-1).numpy()
        return out

    def predict(self, data: SequenceData | Sequence[np.ndarray]) -> np.ndarray:
        """The most probable class label of each sequence, ``(N,)`` object array of strings."""
        proba = self.predict_proba(data)
        return np.asarray(self.classes_, dtype=object)[proba.argmax(axis=1)]

    def evaluate(
        self, data: SequenceData | Sequence[np.ndarray], labels: Sequence | None = None
    ) -> dict[str, Any]:
        """Accuracy, macro-F1 and the confusion matrix on labelled data.

        Raises:
            DataError: unlabelled data, or labels the model has never seen.
        """
        from lstmkit.evaluate.classification import classification_metrics

        self._require_fitted()
        assert self.classes_ is not None  # set with network_
        data = _as_data(data, labels)
        if data.labels is None:
            raise DataError(f"{data.name} has no class labels; evaluating needs labelled data")
        unknown = sorted(set(data.labels) - set(self.classes_))
        if unknown:
            raise DataError(
                f"{data.name} has class label(s) {', '.join(map(repr, unknown[:5]))} the model was not trained on; "
                f"its classes are {', '.join(self.classes_)}; evaluate on cases of those, or train on data with "
                "every class"
            )
        return classification_metrics(list(data.labels), list(self.predict(data)), classes=self.classes_)

    def explain(
        self, data: SequenceData | Sequence[np.ndarray], *, case: int | None = None, label: str | None = None
    ):
        """The LSTM's gates on case ``case`` (default 0) or averaged over class ``label``: an
        :class:`~lstmkit.explain.Explanation`."""
        from lstmkit.explain import explain_classifier

        return explain_classifier(self, data, case=case, label=label)

    def to_onnx(self, path: str | Path) -> Path:
        """Export to ONNX: ``sequences`` (B, T, F), NaN-padded at the end -> ``scores`` (B, K) probabilities."""
        from lstmkit.io.onnx_export import export_classify_net

        net = self._require_fitted()
        assert self.n_features_ is not None  # set with the network
        return export_classify_net(net, path, n_features=self.n_features_)

    # -- files

    def to_config_dict(self) -> dict[str, Any]:
        """The classes in score order, the channels' scaling and the settings (and a hybrid's network plan)."""
        net = self._require_fitted()
        config = {
            "classes": self.classes_,
            "n_features": self.n_features_,
            "feature_names": self.feature_names_,
            "preprocessing": {"mean": net.mean.tolist(), "std": net.std.tolist(), "missing": "channel mean"},
            "settings": config_to_dict(self.config),
        }
        if self.training_data_ is not None:
            config["training_data"] = self.training_data_  # lets 'classify evaluate' fit the references on it
        if isinstance(net, HybridNet):
            config["network"] = net.plan()  # the random kernels' dilations, the LSTM's pooling
            config["ridge"] = self.ridge_
        return config

    @classmethod
    def _from_config_dict(cls, meta: dict[str, Any]) -> LSTMClassifier:
        settings = dict(meta.get("settings", {}))
        settings.setdefault("method", "lstm-fcn")  # folders from before the hybrid hold LSTM-FCN weights
        model = cls(config_from_dict(ClassifyConfig, settings))
        model.classes_ = stored_classes(meta["classes"])
        model.n_features_ = int(meta["n_features"])
        names = meta.get("feature_names")
        model.feature_names_ = None if names is None else [str(c) for c in names]
        model.training_data_ = meta.get("training_data")
        n_classes, cfg = len(model.classes_), model.config
        if cfg.method == "hybrid":
            plan = meta["network"]
            model.network_ = HybridNet(
                model.n_features_, n_classes, cfg.model, rocket=plan["rocket"], pool=plan["pool"]
            )
            model.ridge_ = meta.get("ridge")
        else:
            model.network_ = SequenceClassifierNet(model.n_features_, n_classes, cfg.model)
        return model
