"""The base of the four jobs: a config, a fitted network, a training history, and the model folder.

A job (:class:`~lstmkit.models.forecaster.LSTMForecaster`,
:class:`~lstmkit.models.classifier.LSTMClassifier`,
:class:`~lstmkit.models.language_model.LanguageModel`,
:class:`~lstmkit.models.text_classifier.TextClassifier`) holds

- ``config``: its typed settings (a dataclass of dataclasses, :mod:`lstmkit.config`);
- ``network_``: the fitted ``nn.Module`` (``None`` until ``fit`` or ``load``), and ``network``,
  the same but raising :class:`~lstmkit.errors.NotFittedError` while there is none;
- ``history_``: the trainer's :class:`~lstmkit.train.History` of the last ``fit``.

``net`` and ``history`` are the forecaster's first names for ``network_`` and ``history_``; they
stay as aliases. The model folder (:mod:`lstmkit.io.model_dir`) is written and read here, once
for every job: a job says which ``task`` it is, what JSON it writes beside the weights
(:meth:`Job.to_config_dict`) and how it rebuilds itself, network included but untrained, from
that JSON (:meth:`Job._from_config_dict`); the base loads the weights and turns every damaged
folder into one :class:`~lstmkit.errors.CheckpointError` that says to train again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, TypeVar

from torch import nn

from lstmkit.errors import CheckpointError, ConfigError, LstmkitError, NotFittedError
from lstmkit.io.model_dir import load_model_dir, save_model_dir
from lstmkit.train import History

J = TypeVar("J", bound="Job")


class Job:
    """What every job has: ``config``, ``network_`` / ``network``, ``history_``, ``save`` and ``load``.

    Subclasses set the class attributes below and define :meth:`to_config_dict` and
    :meth:`_from_config_dict`.
    """

    task: ClassVar[str]  # config.json's "task": the registry (lstmkit.models.registry) maps it back here
    written_by: ClassVar[str]  # the command that writes such a folder, named when a folder is missing
    what: ClassVar[str]  # the job in words ("classifier"), named when a config.json is invalid

    config: Any
    network_: nn.Module | None = None
    history_: History | None = None

    # ---- the fitted network

    @property
    def network(self) -> nn.Module:
        """The fitted network.

        Raises:
            NotFittedError: neither ``fit`` nor ``load`` has run.
        """
        return self._require_fitted()

    def _require_fitted(self) -> Any:
        if self.network_ is None:
            name = type(self).__name__
            raise NotFittedError(f"this {name} is not fitted yet; call fit() or {name}.load() first")
        return self.network_

    @property
    def net(self) -> Any:
        """``network_`` under the forecaster's first name."""
        return self.network_

    @net.setter
    def net(self, value: nn.Module | None) -> None:
        self.network_ = value

    @property
    def history(self) -> History | None:
        """``history_`` under the forecaster's first name."""
        return self.history_

    @history.setter
    def history(self, value: History | None) -> None:
        self.history_ = value

    def to_onnx(self, path: str | Path) -> Path:
        """Export to ONNX; the forecaster and the sequence classifier override this.

        Raises:
            ConfigError: always, here: this job has no ONNX export.
        """
        raise ConfigError(
            f"ONNX export covers forecasters and sequence classifiers, not a {self.what}; "
            "use save() for a model folder lstmkit loads"
        )

    # ---- the model folder

    def to_config_dict(self) -> dict[str, Any]:
        """What ``config.json`` holds beside its header (format version, lstmkit version, task): JSON-ready."""
        raise NotImplementedError

    @classmethod
    def _from_config_dict(cls: type[J], config: dict[str, Any]) -> J:
        """An unfitted job with the settings and fitted preprocessing of ``config`` and its network, built
        but with its initial weights. Raises KeyError, TypeError, ValueError or an LstmkitError on a bad config."""
        raise NotImplementedError

    def save(self, path: str | Path) -> Path:
        """Write the model folder: ``model.safetensors`` (weights) and ``config.json``, each atomically."""
        net = self._require_fitted()
        return save_model_dir(
            path, task=self.task, config=self.to_config_dict(), tensors=dict(net.state_dict())
        )

    @classmethod
    def load(cls: type[J], path: str | Path) -> J:
        """Rebuild a job from a folder written by :meth:`save`; nothing in the files is run.

        Raises:
            CheckpointError: a missing or damaged folder, another task's model, or weights that do
                not fit the config.
        """
        if not Path(path).exists():
            raise CheckpointError(
                f"model folder {path} not found; pass the folder written by {cls.written_by}"
            )
        config, tensors = load_model_dir(path, task=cls.task)
        return cls.from_saved(path, config, tensors)

    @classmethod
    def from_saved(cls: type[J], path: str | Path, config: dict[str, Any], tensors: dict[str, Any]) -> J:
        """Rebuild a job from a model folder's ``config`` and weights, as read by
        :func:`~lstmkit.io.model_dir.load_model_dir` from ``path`` (named in errors)."""
        try:
            model = cls._from_config_dict(config)
            classes = getattr(model, "classes_", None)  # a classifier's score order: one column per label
            if classes is not None and len(set(classes)) != len(classes):
                twice = sorted({c for c in classes if classes.count(c) > 1})
                raise ValueError(f"'classes' lists {', '.join(map(repr, twice))} more than once")
        except (KeyError, TypeError, ValueError, LstmkitError) as exc:
            raise CheckpointError(
                f"{path}: config.json is not a valid {cls.what} config ({exc}); train the model again"
            ) from None
        net = model._require_fitted()
        try:
            net.load_state_dict(tensors)
        except (RuntimeError, KeyError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0]
            raise CheckpointError(
                f"{path}: the weights do not match config.json ({first}); train the model again"
            ) from None
        net.eval()
        return model
