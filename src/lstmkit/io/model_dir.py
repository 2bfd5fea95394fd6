"""The model folder: ``model.safetensors`` (weights only) and ``config.json`` (everything else).

Nothing is pickled and loading never executes code from the files: the weights are parsed by
safetensors (a JSON header and raw tensor bytes), and a pickle or ``torch.save`` file put in their
place is recognised by its first bytes and refused without being opened by any unpickler.

Format versions. ``config.json`` carries ``format_version`` (:data:`FORMAT_VERSION` is the one
this lstmkit writes); a newer lstmkit loads every older version by migrating the config step by
step through ``_MIGRATIONS``. To change the format:

1. Bump ``FORMAT_VERSION`` to N + 1 and add ``_MIGRATIONS[N] = _v{N}_to_v{N+1}``, a pure function
   that takes the version-N config dict and returns the version-(N+1) one (with
   ``format_version`` set to N + 1). Weights that change layout need a tensor migration beside it.
2. Keep the committed fixtures of every older version under ``tests/fixtures/format_v{K}/``
   (tiny models, a few KB, made by the lstmkit of that version) untouched, and add
   ``tests/fixtures/format_v{N+1}/`` made by the new code (``tests/fixtures/make_fixtures.py``).
   ``tests/io/test_format_fixtures.py`` loads each and checks that it still predicts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from lstmkit.errors import CheckpointError
from lstmkit.io.atomic import atomic_write_bytes, atomic_write_text

FORMAT_VERSION = 1
WEIGHTS = "model.safetensors"
CONFIG = "config.json"

# format_version -> function upgrading a config dict from that version to the next one.
_MIGRATIONS: dict[int, Any] = {}


def save_model_dir(
    path: str | Path, *, task: str, config: dict[str, Any], tensors: dict[str, torch.Tensor]
) -> Path:
    """Write a model folder at ``path`` (created if needed); each file is replaced atomically.

    Args:
        path: the folder.
        task: ``"forecast"``, ``"classify"``, ``"text"``, ``"text-classify"``...
        config: JSON-ready hyperparameters and fitted preprocessing.
        tensors: the weights, by name.

    Returns:
        The folder's path.
    """
    from lstmkit import __version__

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise CheckpointError(
            f"cannot write a model folder at {path}: a file of that name exists; choose another path"
        )
    header = {"format_version": FORMAT_VERSION, "lstmkit_version": __version__, "task": task}
    text = json.dumps({**header, **config}, indent=2, sort_keys=False, allow_nan=False)
    weights = {name: t.detach().cpu().contiguous() for name, t in tensors.items()}
    # one metadata key only: safetensors orders several at random, and a model should save byte-identically
    atomic_write_bytes(path / WEIGHTS, save_safetensors(weights, metadata={"format": "pt"}))
    atomic_write_text(path / CONFIG, text + "\n")
    return path


def load_model_dir(
    path: str | Path, *, task: str | None = None
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read a model folder written by :func:`save_model_dir`, checking it on the way.

    Args:
        path: the folder (a forecast output folder holding ``model/`` is accepted too).
        task: when given, the task the folder must hold.

    Returns:
        ``(config, tensors)``: the config dict (migrated to the current format) and the weights.

    Raises:
        CheckpointError: missing folder or files, damaged or unsafe files (a pickle is refused
            without being run), a newer format version, or another task's model.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(
            f"model folder {path} not found; pass the folder written by 'lstmkit train' or 'forecast'"
        )
    if not path.is_dir():
        raise CheckpointError(
            f"{path} is a file, not a model folder; pass the folder holding {CONFIG} and {WEIGHTS}"
        )
    if not (path / CONFIG).exists() and (path / "model" / CONFIG).exists():
        path = path / "model"
    for name in (CONFIG, WEIGHTS):
        if not (path / name).is_file():
            raise CheckpointError(
                f"model folder {path} has no {name}; it is incomplete, train the model again"
            )
    config = _read_config(path / CONFIG)
    if task is not None and "task" not in config:
        raise CheckpointError(
            f"{path / CONFIG} has no 'task'; it is not an lstmkit model config, train the model again"
        )
    if task is not None and config.get("task") != task:
        raise CheckpointError(
            f"model folder {path} holds a {config.get('task')!r} model, not a {task!r} model"
        )
    raw = (path / WEIGHTS).read_bytes()
    if _looks_pickled(raw):
        raise CheckpointError(
            f"{path / WEIGHTS} is a pickle or torch.save file, not safetensors; lstmkit never unpickles model files "
            "(they can run code), so it was not loaded: train the model again or use a folder lstmkit wrote"
        )
    try:
        tensors = load_safetensors(raw)
    except (SafetensorError, ValueError, OSError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path / WEIGHTS} is not a valid safetensors file ({_first_line(exc)}); it may be damaged or "
            "tampered with, train the model again"
        ) from None
    return config, tensors


def _looks_pickled(raw: bytes) -> bool:
    """A pickle (protocol 2+) or ``torch.save`` zip archive, and not safetensors (8-byte size, then ``{``)."""
    if raw[8:9] == b"{":
        return False
    return (raw[:1] == b"\x80" and raw[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")) or raw[
        :4
    ] == b"PK\x03\x04"


def _read_config(file: Path) -> dict[str, Any]:
    try:
        config = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(
            f"{file} is not valid JSON ({_first_line(exc)}); it may be damaged, train the model again"
        ) from None
    if not isinstance(config, dict) or not isinstance(config.get("format_version"), int):
        raise CheckpointError(f"{file} has no integer 'format_version'; it is not an lstmkit model config")
    version = config["format_version"]
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{file} has format_version {version}, newer than this lstmkit reads ({FORMAT_VERSION}); upgrade lstmkit"
        )
    if version < 1:
        raise CheckpointError(f"{file} has an invalid format_version {version}")
    while config["format_version"] < FORMAT_VERSION:
        config = _MIGRATIONS[config["format_version"]](config)
    return config


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
