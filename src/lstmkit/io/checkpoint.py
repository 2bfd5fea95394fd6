"""Training checkpoints without pickle: tensors in safetensors, everything else in JSON.

A checkpoint at ``PATH`` (say ``DIR/.checkpoints/train.json``) is two files:

* ``PATH`` itself, JSON: ``{"lstmkit_checkpoint": 1, "tensors": NAME, "tensors_sha256": ...,
  "state_sha256": ..., "state": {...}}``. ``state`` is the caller's nested dict with every tensor
  replaced by ``{"__tensor__": key}``; dicts whose keys are not all strings (an optimizer's
  per-parameter state) are written as ``{"__items__": [[key, value], ...]}`` so their keys keep
  their type; tuples become lists.
* ``NAME = <stem>-<12 hex digits>.safetensors`` beside it: the tensors by key. The digits are the
  start of the file's SHA-256, so a new checkpoint never overwrites the file the current JSON
  points at.

Saving writes the tensors file first, then replaces the JSON atomically, then deletes older
tensors files: a crash (even SIGKILL) at any moment leaves the previous or the new checkpoint
whole. Loading checks both hashes, so a truncated or edited checkpoint is refused with one line
(:class:`CheckpointError`); nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from lstmkit.errors import CheckpointError
from lstmkit.io.atomic import atomic_write_bytes, atomic_write_text

FORMAT = 1  # "lstmkit_checkpoint" in the JSON file
_HASH_DIGITS = 12


def _encode(obj: Any, key: str, tensors: dict[str, torch.Tensor]) -> Any:
    """``obj`` as JSON-ready data; its tensors go into ``tensors`` under slash-joined keys."""
    if isinstance(obj, torch.Tensor):
        tensors[key] = obj.detach().cpu().contiguous().clone()  # clone: safetensors refuses shared storage
        return {"__tensor__": key}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj) and "__tensor__" not in obj and "__items__" not in obj:
            return {k: _encode(v, f"{key}/{k}", tensors) for k, v in obj.items()}
        return {"__items__": [[k, _encode(v, f"{key}/{k}", tensors)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return [_encode(v, f"{key}/{i}", tensors) for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"a checkpoint holds tensors and plain data only, not {type(obj).__name__} (at {key})")


def _decode(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"__tensor__"}:
            return tensors[obj["__tensor__"]]
        if set(obj) == {"__items__"}:
            return {k: _decode(v, tensors) for k, v in obj["__items__"]}
        return {k: _decode(v, tensors) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    return obj


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _state_text(state: Any) -> str:
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def _tensor_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.stem}-{'[0-9a-f]' * _HASH_DIGITS}.safetensors"))


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """Write ``state`` (nested dicts/lists of tensors, numbers, strings, None) as a checkpoint at ``path``.

    Raises:
        TypeError: ``state`` holds something else (a checkpoint is plain data and tensors only).
    """
    path = Path(path)
    tensors: dict[str, torch.Tensor] = {}
    plain = _encode(state, "", tensors)
    raw = save_safetensors(tensors, metadata={"format": "pt"})
    digest = _sha256(raw)
    name = f"{path.stem}-{digest[:_HASH_DIGITS]}.safetensors"
    atomic_write_bytes(path.parent / name, raw)
    record = {
        "lstmkit_checkpoint": FORMAT,
        "tensors": name,
        "tensors_sha256": digest,
        "state_sha256": _sha256(_state_text(plain).encode()),
        "state": plain,
    }
    atomic_write_text(path, json.dumps(record, separators=(",", ":")) + "\n")
    for old in _tensor_files(path):
        if old.name != name:
            old.unlink(missing_ok=True)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`; tensors come back on the CPU.

    Raises:
        CheckpointError: the checkpoint is missing, truncated, edited, or not an lstmkit checkpoint.
    """
    path = Path(path)
    fix = "delete it and run without --resume to start afresh"
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path} to resume from; run without --resume to start afresh")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path} is damaged (not JSON: {_first_line(exc)}); {fix}") from None
    if not isinstance(record, dict) or record.get("lstmkit_checkpoint") != FORMAT or "state" not in record:
        raise CheckpointError(
            f"checkpoint {path} is not an lstmkit training checkpoint (format {FORMAT}); {fix}"
        )
    if record.get("state_sha256") != _sha256(_state_text(record["state"]).encode()):
        raise CheckpointError(
            f"checkpoint {path} was changed after it was written (its checksum does not match); {fix}"
        )
    name = str(record.get("tensors", ""))
    tensors_file = path.parent / name
    if Path(name).name != name or not name.endswith(".safetensors") or not tensors_file.is_file():
        raise CheckpointError(f"checkpoint {path} lacks its tensors file {tensors_file.name}; {fix}")
    raw = tensors_file.read_bytes()
    if _sha256(raw) != record.get("tensors_sha256"):
        raise CheckpointError(
            f"checkpoint tensors {tensors_file} are truncated or changed (checksum mismatch); {fix}"
        )
    try:
        tensors = load_safetensors(raw)
        return _decode(record["state"], tensors)
    except (SafetensorError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise CheckpointError(f"checkpoint {path} cannot be read ({_first_line(exc)}); {fix}") from None


def checkpoint_owner(path: str | Path) -> tuple[str | None, str | None]:
    """The job and the command recorded in the checkpoint at ``path`` (its JSON alone, not its tensors), as
    ``(task, command)``: None for either when it was written before it was recorded (or without one), or
    when the checkpoint cannot be read (:func:`load_checkpoint` says why on resume)."""
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))["state"]
        task, command = state.get("task"), state.get("command")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, None
    return (task if isinstance(task, str) else None), (command if isinstance(command, str) else None)


def remove_checkpoint(path: str | Path) -> None:
    """Delete the checkpoint at ``path`` (its JSON first, then its tensors files); absent is fine."""
    path = Path(path)
    path.unlink(missing_ok=True)
    for tensors_file in _tensor_files(path):
        tensors_file.unlink(missing_ok=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
