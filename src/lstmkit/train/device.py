"""Turning ``--device auto|cpu|cuda|mps`` into a torch.device, with an error when it is absent."""

from __future__ import annotations

import torch

from lstmkit.errors import ConfigError


def resolve_device(name: str = "auto") -> torch.device:
    """The device to train on: ``auto`` picks CUDA when present, else CPU.

    Raises:
        ConfigError: an unknown name, or a device this machine does not have.
    """
    name = (name or "auto").lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(
                f"--device {name} was asked for but no CUDA GPU is available; use --device cpu or auto"
            )
        return torch.device(name)
    if name == "mps":
        if not torch.backends.mps.is_available():
            raise ConfigError("--device mps was asked for but MPS is not available; use --device cpu or auto")
        return torch.device("mps")
    raise ConfigError(f"unknown device {name!r}; use one of auto, cpu, cuda, mps")
