"""The training checkpoint: plain data and tensors only, written atomically, read without unpickling code.

It is written with ``torch.save`` and read with ``torch.load(weights_only=True)``, which accepts
only tensors and plain containers of numbers and strings, so a tampered file cannot run code.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from lstmkit.errors import CheckpointError
from lstmkit.io.atomic import atomic_output


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically (temporary file, fsync, rename)."""
    with atomic_output(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises:
        CheckpointError: the file is missing, damaged, or holds anything but plain data and tensors.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path} to resume from; run without --resume to start afresh")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for damaged or unsafe files
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CheckpointError(f"checkpoint {path} cannot be read safely ({first}); delete it and train afresh") from None
    if not isinstance(state, dict) or "epoch" not in state:
        raise CheckpointError(f"checkpoint {path} is not an lstmkit training checkpoint; delete it and train afresh")
    return state
