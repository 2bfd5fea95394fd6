"""Which job a model folder holds: ``config.json``'s ``task`` mapped to its job class, in one place.

Every caller that loads "whatever model this folder holds" (``lstmkit explain``, ``lstmkit
export``) asks here; a new job adds one line to :data:`JOBS`. Job modules are imported on first
use, so naming them costs nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lstmkit.errors import CheckpointError
from lstmkit.io.model_dir import load_model_dir
from lstmkit.models.base import Job

# task -> (module, class) of the job whose folders carry that task
JOBS: dict[str, tuple[str, str]] = {
    "forecast": ("lstmkit.models.forecaster", "LSTMForecaster"),
    "classify": ("lstmkit.models.classifier", "LSTMClassifier"),
    "text": ("lstmkit.models.language_model", "LanguageModel"),
    "text-classify": ("lstmkit.models.text_classifier", "TextClassifier"),
}


def job_class(task: str) -> type[Job]:
    """The job class of ``task``.

    Raises:
        CheckpointError: a task no job of this lstmkit has.
    """
    if task not in JOBS:
        raise CheckpointError(f"unknown task {task!r}; lstmkit's jobs are {', '.join(JOBS)}")
    module, name = JOBS[task]
    return getattr(importlib.import_module(module), name)


def load_model(path: str | Path, *, accept: Callable[[Any], None] | None = None) -> Job:
    """The job saved in the model folder ``path``, whichever its task; the folder is read once.

    Args:
        path: the folder (a forecast output folder holding ``model/`` is accepted too).
        accept: called with the folder's task before any network is built; it raises the caller's
            own error for a task the caller does not handle.

    Raises:
        CheckpointError: a missing or damaged folder, or a task this lstmkit does not know.
    """
    config, tensors = load_model_dir(path)
    task = config.get("task")
    if accept is not None:
        accept(task)
    if task not in JOBS:
        raise CheckpointError(
            f"model folder {path} holds a {task!r} model, which this lstmkit does not know "
            f"(its jobs are {', '.join(JOBS)}); train the model again"
        )
    return job_class(task).from_saved(path, config, tensors)
