"""Boundary checks for the layer and the cell: constructor arguments, inputs and states.

Constructor problems raise :class:`lstmkit.errors.ConfigError`; problems with the tensors
passed to ``forward`` raise the exception type ``torch.nn.LSTM`` raises for the same mistake
(``ValueError`` or ``RuntimeError``), so code written against torch keeps working. Every message
names the expected and the actual value.
"""
from __future__ import annotations

import difflib
import math
from typing import Any

import torch
from torch import Tensor

from lstmkit.errors import ConfigError
from lstmkit.nn.variants import Variants, resolve

BACKENDS = ("auto", "fused", "explicit")

# Variant keywords (issue 5), validated and resolved in variants.py.
VARIANT_KEYWORDS = ("forget_bias", "layer_norm", "peephole", "coupled_gates", "recurrent_dropout", "weight_drop",
                    "zoneout", "activation", "recurrent_activation")  # fmt: skip


def check_variants(owner: str, variants: dict[str, Any], *, bias: bool = True) -> Variants:
    """Reject unknown variant keywords and invalid values; return the resolved :class:`Variants`.

    Raises:
        ConfigError: naming the keyword, a close match, and the valid keywords; or the bad value.
    """
    for name in variants:
        if name not in VARIANT_KEYWORDS:
            close = difflib.get_close_matches(name, VARIANT_KEYWORDS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ConfigError(
                f"{owner} got an unknown keyword argument '{name}'{hint} "
                f"Valid variant keywords are: {', '.join(VARIANT_KEYWORDS)}"
            )
    return resolve(owner, variants, bias=bias)


def check_sizes(*, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0,
                proj_size: int = 0, backend: str = "auto") -> None:  # fmt: skip
    """Validate the layer's constructor arguments.

    Raises:
        ConfigError: for a size that is not a positive integer, a dropout outside [0, 1],
            a proj_size not below hidden_size, or an unknown backend.
    """
    for name, value, low in (("input_size", input_size, 1), ("hidden_size", hidden_size, 1),
                             ("num_layers", num_layers, 1), ("proj_size", proj_size, 0)):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            need = "a positive integer" if low == 1 else "a non-negative integer"
            raise ConfigError(f"{name} must be {need}, got {value!r}")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1 \
            or math.isnan(dropout):  # fmt: skip
        raise ConfigError(f"dropout must be a number in [0, 1] (the probability of zeroing), got {dropout!r}")
    if proj_size >= hidden_size:
        raise ConfigError(
            f"proj_size must be smaller than hidden_size, got proj_size={proj_size} and "
            f"hidden_size={hidden_size}; use proj_size=0 for no projection"
        )
    if backend not in BACKENDS:
        close = difflib.get_close_matches(str(backend), BACKENDS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}{hint}")


def check_input(input: Tensor, *, input_size: int, weight: Tensor, dims: tuple[int, int], owner: str) -> None:
    """Check the dimensionality, feature size and dtype of an input.

    Raises:
        ValueError: wrong number of dimensions, or a dtype other than the parameters'.
        RuntimeError: a last dimension other than ``input_size``.
    """
    if input.dim() not in dims:
        raise ValueError(
            f"{owner}: Expected input to be {dims[0]}D or {dims[1]}D, got {input.dim()}D instead "
            f"(shape {tuple(input.shape)})"
        )
    if input.size(-1) != input_size:
        raise RuntimeError(
            f"input.size(-1) must be equal to input_size. Expected {input_size}, got {input.size(-1)}"
        )
    if input.dtype != weight.dtype:
        raise ValueError(
            f"{owner} input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
            f"Convert input: input.to({weight.dtype}), or convert model: model.to({input.dtype})"
        )


def check_state(state: Tensor, *, name: str, expected: tuple[int, ...], meaning: str, input: Tensor) -> None:
    """Check one initial state tensor against its expected shape and the input's dtype.

    Raises:
        RuntimeError: wrong shape, naming the expected and the actual shape.
        ValueError: dtype other than the input's.
    """
    if not isinstance(state, Tensor):
        raise TypeError(f"{name} must be a tensor, got {type(state).__name__}")
    if tuple(state.shape) != expected:
        raise RuntimeError(
            f"Expected {name} of shape {expected} = ({meaning}), got {tuple(state.shape)}"
        )
    if state.dtype != input.dtype:
        raise ValueError(
            f"{name} dtype ({state.dtype}) does not match input dtype ({input.dtype}); "
            f"convert the state: {name.split(' ')[0]}.to({input.dtype})"
        )


def unpack_hx(hx: Any) -> tuple[Tensor, Tensor]:
    """Split ``hx`` into ``(h_0, c_0)``.

    Raises:
        TypeError: when hx is not a pair of tensors.
    """
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        got = type(hx).__name__ if not isinstance(hx, (tuple, list)) else f"{len(hx)} items"
        raise TypeError(f"hx must be a tuple (h_0, c_0) of two tensors, got {got}")
    return hx[0], hx[1]


def zeros_state(batch: int, size: int, *, lead: tuple[int, ...], like: Tensor) -> Tensor:
    """A zero state ``(*lead, batch, size)`` on the input's device and dtype."""
    return torch.zeros(*lead, batch, size, dtype=like.dtype, device=like.device)
