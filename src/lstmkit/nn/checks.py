"""Boundary checks for the layer and the cell: constructor arguments, inputs and states.

Constructor problems raise :class:`lstmkit.errors.ConfigError` (a ValueError) or
:class:`lstmkit.errors.ConfigTypeError` (a TypeError) where torch raises those; problems with the tensors
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

from lstmkit.errors import ConfigError, ConfigTypeError
from lstmkit.nn import variants as variants_module
from lstmkit.nn.variants import Variants

BACKENDS = ("auto", "fused", "explicit")


def check_variants(owner: str, variants: dict[str, Any], *, bias: bool = True) -> Variants:
    """Reject unknown variant keywords and invalid values; return the resolved :class:`Variants`.

    Raises:
        ConfigError: naming the keyword, a close match, and the valid keywords; or the bad value.
    """
    known = variants_module.keywords()  # the fields of Variants
    for name in variants:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ConfigError(
                f"{owner} got an unknown keyword argument '{name}'{hint} "
                f"Valid variant keywords are: {', '.join(known)}"
            )
    return variants_module.resolve(owner, variants, bias=bias)


def _check_flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ConfigTypeError(
            f"{name} should be of type bool, got: {type(value).__name__}; use True or False"
        )


def check_sizes(
    *,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    dropout: float = 0.0,
    proj_size: int = 0,
    backend: str = "auto",
    bias: bool = True,
    batch_first: bool = False,
    bidirectional: bool = False,
) -> None:
    """Validate the layer's constructor arguments, with torch.nn.LSTM's exception types and texts.

    Raises:
        ConfigError (a ValueError): a size not above zero, a dropout outside [0, 1], a proj_size
            not below hidden_size, or an unknown backend.
        ConfigTypeError (a TypeError): a size that is not an int, a flag that is not a bool.
    """
    if (
        isinstance(dropout, bool)
        or not isinstance(dropout, (int, float))
        or not 0 <= dropout <= 1
        or math.isnan(dropout)
    ):
        raise ConfigError(
            "dropout should be a number in range [0, 1] representing the probability of an element being "
            f"zeroed, got {dropout!r}"
        )
    for name, flag in (("bias", bias), ("batch_first", batch_first), ("bidirectional", bidirectional)):
        _check_flag(name, flag)
    for name, value, low in (
        ("input_size", input_size, 1),
        ("hidden_size", hidden_size, 1),
        ("num_layers", num_layers, 1),
        ("proj_size", proj_size, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigTypeError(f"{name} should be of type int, got: {type(value).__name__}")
        if value < low:
            if low == 1:
                raise ConfigError(f"{name} must be greater than zero, got {value}")
            raise ConfigError(
                f"{name} should be a positive integer or zero to disable projections, got {value}"
            )
    if proj_size >= hidden_size:
        raise ConfigError(
            f"proj_size has to be smaller than hidden_size, got proj_size={proj_size} and "
            f"hidden_size={hidden_size}; use proj_size=0 for no projection"
        )
    if backend not in BACKENDS:
        close = difflib.get_close_matches(str(backend), BACKENDS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}{hint}")


def check_input(input: Tensor, *, input_size: int, weight: Tensor, dims: tuple[int, int], owner: str) -> None:
    """Check the dimensionality, feature size and dtype of an input (torch's texts and types).

    Raises:
        ValueError: wrong number of dimensions, or a dtype other than the parameters'.
        RuntimeError: a last dimension other than ``input_size``.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"{owner}: input must be a tensor or a PackedSequence, got {type(input).__name__}")
    if input.dim() not in dims:
        raise ValueError(
            f"{owner}: Expected input to be {dims[0]}D or {dims[1]}D, got {input.dim()}D instead "
            f"(shape {tuple(input.shape)})"
        )
    if input.size(-1) != input_size:
        if owner == "LSTMCell":  # torch's cell and layer word it differently
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.size(-1)} expected {input_size}"
            )
        raise RuntimeError(
            f"input.size(-1) must be equal to input_size. Expected {input_size}, got {input.size(-1)}"
        )
    if input.dtype != weight.dtype:
        raise ValueError(
            f"{'RNN' if owner == 'LSTM' else owner} input dtype ({input.dtype}) does not match weight dtype "
            f"({weight.dtype}). Convert input: input.to({weight.dtype}), or convert model: model.to({input.dtype})"
        )


def check_steps(steps: int) -> None:
    """A sequence needs at least one step, as torch.nn.LSTM requires.

    Raises:
        RuntimeError: for a zero-length sequence, with torch's text.
    """
    if steps == 0:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN; the input has 0 time steps")


def check_state(
    state: Tensor, *, index: int, name: str, expected: tuple[int, ...], meaning: str, input: Tensor
) -> None:
    """Check one initial state tensor of the layer against its expected shape and the input's dtype.

    Raises:
        RuntimeError: wrong shape, in torch's words (``hidden[0]`` is h_0, ``hidden[1]`` c_0),
            then what the shape means.
        ValueError: dtype other than the input's.
    """
    if not isinstance(state, Tensor):
        raise TypeError(f"{name} must be a tensor, got {type(state).__name__}")
    if tuple(state.shape) != expected:
        raise RuntimeError(
            f"Expected hidden[{index}] size {expected}, got {list(state.shape)}: {name} is ({meaning})"
        )
    check_state_dtype(state, name=name, input=input)


def check_state_dtype(state: Tensor, *, name: str, input: Tensor) -> None:
    """Raises ValueError when a state's dtype is not the input's."""
    if state.dtype != input.dtype:
        raise ValueError(
            f"{name} dtype ({state.dtype}) does not match input dtype ({input.dtype}); "
            f"convert the state: {name}.to({input.dtype})"
        )


def check_cell_state(hx: Any, *, input: Tensor, hidden_size: int) -> tuple[Tensor, Tensor]:
    """Check ``hx = (h, c)`` of :class:`LSTMCell` as torch.nn.LSTMCell does; return it.

    Raises:
        TypeError: hx is not a pair of tensors.
        ValueError: a state that is not 1-D or 2-D (``hx[0]``, ``hx[1]``), or of the wrong dtype.
        RuntimeError: a state whose batch size or width does not fit (``hidden0``, ``hidden1``).
    """
    h, c = unpack_hx(hx)
    for k, state in enumerate((h, c)):
        if not isinstance(state, Tensor):
            raise TypeError(f"LSTMCell: hx[{k}] must be a tensor, got {type(state).__name__}")
        if state.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected hx[{k}] to be 1D or 2D, got {state.dim()}D instead")
    batched = input.dim() == 2
    for k, state in enumerate((h, c)):
        if state.dim() != input.dim():
            raise RuntimeError(
                f"For {'batched 2-D' if batched else 'unbatched 1-D'} input, hx[{k}] should also be "
                f"{input.dim()}-D but got {state.dim()}-D"
            )
        if batched and state.size(0) != input.size(0):
            raise RuntimeError(
                f"Input batch size {input.size(0)} doesn't match hidden{k} batch size {state.size(0)}"
            )
        if state.size(-1) != hidden_size:
            raise RuntimeError(
                f"hidden{k} has inconsistent hidden_size: got {state.size(-1)}, expected {hidden_size}"
            )
        check_state_dtype(state, name="h" if k == 0 else "c", input=input)
    return h, c


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
