r"""LSTM variants: their keywords, their validation, their extra parameters and their random draws.

Every variant is off by default; with all off the layer is exactly torch.nn.LSTM. The step they
change is written out once, with every variant, in :mod:`lstmkit.nn.reference` (its symbols: σ
the ``recurrent_activation``, φ the ``activation``, LN, p, m, d). What each keyword means:

- ``forget_bias``: added to the forget-gate block of ``bias_ih`` at initialisation (only).
- ``layer_norm`` (Ba, Kiros and Hinton 2016): ``LN(v) = γ ⊙ (v - mean v) / sqrt(var v + 1e-5) + β``
  over the 4H gate pre-activations of each projection and over the H cells; γ, β start at 1, 0
  and are the parameters ``ln_ih_weight/bias``, ``ln_hh_weight/bias`` (4H) and
  ``ln_c_weight/bias`` (H) with the layer suffix (``_l0``, ``_l0_reverse``).
- ``peephole`` (Gers and Schmidhuber 2000): ``peephole_weight`` ``(3, H)``, rows p_i, p_f, p_o.
- ``recurrent_dropout`` p (Gal and Ghahramani 2016): in training ``m`` is one Bernoulli(1 - p) / (1 - p)
  mask per sequence, shared by all steps, on the h that feeds the recurrence (not the output);
  in eval m = 1.
- ``weight_drop`` p (DropConnect, Merity et al. 2017): in training W_hh is replaced by
  ``W_hh ⊙ M / (1 - p)``, one Bernoulli(1 - p) mask M per forward call; in eval W_hh.
- ``zoneout`` z or ``(z_c, z_h)`` (Krueger et al. 2017): in training ``d`` is a fresh
  Bernoulli(z) mask per step and element (1 keeps the previous state); in eval d = z, the
  expectation.
- ``activation`` φ and ``recurrent_activation`` σ: names from :data:`ACTIVATIONS`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

import torch
from torch import Tensor
from torch.nn import functional as F

from lstmkit.errors import ConfigError

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "hard_sigmoid": lambda x: torch.clamp(
        x / 6 + 0.5, 0, 1
    ),  # torch's slope (F.hardsigmoid rounds 1/6 to float32)
    "hard_tanh": F.hardtanh,
    "relu": torch.relu,
    "softsign": F.softsign,
    "elu": F.elu,
    "gelu": F.gelu,
    "silu": F.silu,
    "identity": lambda x: x,
}

ACTIVATION_INDEX = {name: k for k, name in enumerate(ACTIVATIONS)}  # the compiled loops' activation codes

LN_EPS = 1e-5  # torch.nn.LayerNorm's default


def variant_field(default: Any, kind: str, *, init_only: bool = False) -> Any:
    """A :class:`Variants` field: its default ("off"), how :func:`resolve` checks a value (a key of
    :data:`CHECKS`), and whether it only changes the initialisation (then the step is torch's, the
    ``"auto"`` backend stays fused and ONNX export accepts it)."""
    return field(default=default, metadata={"kind": kind, "init_only": init_only})


@dataclass(frozen=True)
class Variants:
    """The resolved variant keywords of a layer or cell; every default is "off".

    The keywords, their checks and whether they change the step all come from these fields.
    """

    forget_bias: float = variant_field(0.0, "number", init_only=True)  # added to the forget-gate bias at init
    layer_norm: bool = variant_field(False, "flag")
    peephole: bool = variant_field(False, "flag")
    coupled_gates: bool = variant_field(False, "flag")
    recurrent_dropout: float = variant_field(0.0, "probability")  # of zeroing a unit of h in the recurrence
    weight_drop: float = variant_field(0.0, "probability")  # of zeroing a recurrent weight
    zoneout: tuple[float, float] = variant_field(
        (0.0, 0.0), "probability_pair"
    )  # (cell, hidden): keep the old
    activation: str = variant_field("tanh", "activation")
    recurrent_activation: str = variant_field("sigmoid", "activation")

    @functools.cached_property
    def changes_math(self) -> bool:
        """Whether the step differs from the standard LSTM: a field that is not init-only is on."""
        return any(getattr(self, f.name) != f.default for f in fields(self) if not f.metadata["init_only"])

    @property
    def active(self) -> dict[str, Any]:
        """The keywords that differ from their default, for repr and configs."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != f.default}

    def stochastic(self, training: bool) -> bool:
        return training and (self.recurrent_dropout > 0 or self.weight_drop > 0 or max(self.zoneout) > 0)


def keywords() -> tuple[str, ...]:
    """The variant keywords: the fields of :class:`Variants`."""
    return tuple(f.name for f in fields(Variants))


class _LSTMModule(Protocol):
    """What :func:`reset_lstm_parameters` reads of an LSTM layer or cell."""

    hidden_size: int
    variants: Variants

    def parameters(self) -> Iterator[torch.nn.Parameter]: ...


def reset_lstm_parameters(
    module: _LSTMModule, variant_init: dict[str, float | None], bias_ih: list[str]
) -> None:
    """Initialise an LSTM layer or cell as torch does, then its variants.

    Every parameter is drawn from uniform(-1/sqrt(H), 1/sqrt(H)); variant parameters with a
    constant start (layer-norm gains 1, offsets 0) are set to it, and ``forget_bias`` is added
    to the forget-gate block of each ``bias_ih`` parameter named in ``bias_ih``.
    """
    hid = module.hidden_size
    stdv = 1.0 / math.sqrt(hid)
    for w in module.parameters():
        torch.nn.init.uniform_(w, -stdv, stdv)
    with torch.no_grad():
        for name, init in variant_init.items():
            if init is not None:
                getattr(module, name).fill_(init)
        if module.variants.forget_bias:
            for name in bias_ih:
                getattr(module, name)[hid : 2 * hid] += module.variants.forget_bias


def _number(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{owner} {name} must be a finite number (e.g. 1.0), got {value!r}")
    return float(value)


def _flag(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{owner} {name} must be True or False, got {value!r}")
    return value


def _probability(owner: str, name: str, value: Any) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and not math.isnan(value)
    if not ok or not 0 <= value < 1:
        raise ConfigError(f"{owner} {name} must be a number in [0, 1), got {value!r}")
    return float(value)


def _probability_pair(owner: str, name: str, value: Any) -> tuple[float, float]:
    """One probability for both, or a pair."""
    if not isinstance(value, (tuple, list)):
        p = _probability(owner, name, value)
        return (p, p)
    if len(value) != 2:
        raise ConfigError(f"{owner} {name} must be a number or a (cell, hidden) pair, got {value!r}")
    return (_probability(owner, name, value[0]), _probability(owner, name, value[1]))


def _activation(owner: str, name: str, value: Any) -> str:
    if value not in ACTIVATIONS:
        raise ConfigError(f"{owner} {name} must be one of {', '.join(ACTIVATIONS)}, got {value!r}")
    return value


# How resolve() checks a value of each kind of field: (owner, keyword, value) -> resolved value.
CHECKS: dict[str, Callable[[str, str, Any], Any]] = {
    "number": _number,
    "flag": _flag,
    "probability": _probability,
    "probability_pair": _probability_pair,
    "activation": _activation,
}


def resolve(owner: str, variants: dict[str, Any], *, bias: bool = True) -> Variants:
    """Validate variant keywords (unknown names are checked by the caller) into a :class:`Variants`.

    Each value is checked by its field's kind (:func:`variant_field`); None means the default.

    Raises:
        ConfigError: a value of the wrong type or range, naming the keyword, the value and the fix.
    """
    out = {
        f.name: CHECKS[f.metadata["kind"]](owner, f.name, variants[f.name])
        for f in fields(Variants)
        if variants.get(f.name) is not None
    }
    fb = out.get("forget_bias")
    if fb and not bias:
        raise ConfigError(
            f"{owner} forget_bias={variants['forget_bias']!r} needs bias=True: there is no bias to add it to"
        )
    return Variants(**out)


def extra_parameter_shapes(
    v: Variants, hidden: int, suffix: str
) -> list[tuple[str, tuple[int, ...], float | None]]:
    """The variant parameters of one layer-direction: ``(name, shape, constant init or None)``.

    None means uniform in ±1/sqrt(H) like the LSTM weights; layer-norm gains start at 1 and
    offsets at 0.
    """
    shapes: list[tuple[str, tuple[int, ...], float | None]] = []
    if v.layer_norm:
        for part, size in (("ih", 4 * hidden), ("hh", 4 * hidden), ("c", hidden)):
            shapes += [(f"ln_{part}_weight{suffix}", (size,), 1.0), (f"ln_{part}_bias{suffix}", (size,), 0.0)]
    if v.peephole:
        shapes.append((f"peephole_weight{suffix}", (3, hidden), None))
    return shapes


@dataclass
class StepParams:
    """One layer-direction's tensors for :func:`lstmkit.nn.reference.step`, the dropout masks drawn."""

    w_hh: Tensor  # (4H, P), weight-dropped in training
    w_hr: Tensor | None  # (P, H)
    ln: dict[str, Tensor] | None  # "hh_weight", "hh_bias", "c_weight", "c_bias"
    peephole: Tensor | None  # (3, H)
    h_mask: Tensor | None  # (B, P) recurrent dropout, scaled


def draw(
    v: Variants, w_hh: Tensor, batch: int, out_size: int, *, training: bool
) -> tuple[Tensor, Tensor | None]:
    """The weight-dropped W_hh and the recurrent-dropout mask ``(B, P)`` of one forward call."""
    if training and v.weight_drop > 0:
        w_hh = F.dropout(w_hh, v.weight_drop, training=True)
    mask = None
    if training and v.recurrent_dropout > 0:
        mask = F.dropout(w_hh.new_ones(batch, out_size), v.recurrent_dropout, training=True)
    return w_hh, mask


def zoneout_mask(like: Tensor, z: float) -> Tensor:
    """A fresh Bernoulli(z) mask: 1 where a unit keeps its previous value."""
    return torch.bernoulli(torch.full_like(like, z))


def zoneout_keeps(
    v: Variants, cell_like: Tensor, hidden_like: Tensor, *, training: bool
) -> tuple[Tensor | None, Tensor | None]:
    """The zoneout keep masks ``d_c, d_h`` for all rows at once (the cell first), None where off.

    In training a fresh Bernoulli(z) per row and element; in eval z itself, the expectation.
    """
    keeps: list[Tensor | None] = []
    for z, like in zip(v.zoneout, (cell_like, hidden_like)):
        if z == 0:
            keeps.append(None)
        else:
            keeps.append(zoneout_mask(like, z) if training else torch.full_like(like, z))
    return keeps[0], keeps[1]


def step_params(
    v: Variants,
    w_hh: Tensor,
    w_hr: Tensor | None,
    extra: dict[str, Tensor],
    *,
    batch: int,
    out_size: int,
    training: bool,
) -> StepParams:
    """Collect a layer-direction's step tensors and draw this call's dropout masks."""
    w_hh, mask = draw(v, w_hh, batch, out_size, training=training)
    ln = (
        {k[3:]: extra[k] for k in ("ln_hh_weight", "ln_hh_bias", "ln_c_weight", "ln_c_bias")}
        if v.layer_norm
        else None
    )
    return StepParams(w_hh, w_hr, ln, extra.get("peephole_weight"), mask)
