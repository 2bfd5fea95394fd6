r"""LSTM variants: their configuration, their extra parameters and the step that runs them.

Every variant is off by default; with all off the layer is exactly torch.nn.LSTM. One step of a
layer-direction with every variant on, ``x_t`` the input, ``a = W_ih x_t`` precomputed for all
steps, σ the ``recurrent_activation``, φ the ``activation``::

    A_t = LN_ih(W_ih x_t) + b_ih + LN_hh(W_hh (m ⊙ h_{t-1})) + b_hh   # (B, 4H); LN: layer_norm
    i   = σ(A_i + p_i ⊙ c_{t-1})                                      # p: peephole
    f   = σ(A_f + p_f ⊙ c_{t-1})       or  f = 1 - i                  # coupled_gates
    g   = φ(A_g)
    c̃_t = f ⊙ c_{t-1} + i ⊙ g
    c_t = d_c ⊙ c_{t-1} + (1 - d_c) ⊙ c̃_t                             # zoneout (cell)
    o   = σ(A_o + p_o ⊙ c_t)
    h̃_t = o ⊙ φ(LN_c(c_t))                    (then W_hr h̃_t with proj_size)
    h_t = d_h ⊙ h_{t-1} + (1 - d_h) ⊙ h̃_t                             # zoneout (hidden)

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
from dataclasses import dataclass, fields
from typing import Any, Protocol

import torch
from torch import Tensor
from torch.nn import functional as F

from lstmkit.errors import ConfigError
from lstmkit.nn import kernel
from lstmkit.nn.autograd_loop import run_steps, use_autograd_path
from lstmkit.nn.schedule import Schedule, final_state
from lstmkit.nn.variant_explicit import LoopConfig, VariantLayerFunction, variant_forward

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


@dataclass(frozen=True)
class Variants:
    """The resolved variant keywords of a layer or cell; every default is "off"."""

    forget_bias: float = 0.0  # added to the forget-gate bias at init
    layer_norm: bool = False
    peephole: bool = False
    coupled_gates: bool = False
    recurrent_dropout: float = 0.0  # probability of zeroing a unit of h in the recurrence
    weight_drop: float = 0.0  # probability of zeroing a recurrent weight
    zoneout: tuple[float, float] = (0.0, 0.0)  # (cell, hidden): probability of keeping the old value
    activation: str = "tanh"
    recurrent_activation: str = "sigmoid"

    @functools.cached_property
    def changes_math(self) -> bool:
        """Whether the step differs from the standard LSTM (forget_bias only changes the init)."""
        return self != Variants(forget_bias=self.forget_bias)

    @property
    def active(self) -> dict[str, Any]:
        """The keywords that differ from their default, for repr and configs."""
        off = Variants()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != getattr(off, f.name)
        }

    def stochastic(self, training: bool) -> bool:
        return training and (self.recurrent_dropout > 0 or self.weight_drop > 0 or max(self.zoneout) > 0)


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


def _probability(owner: str, name: str, value: Any, *, upper_open: bool = True) -> float:
    ok = (
        not isinstance(value, bool)
        and isinstance(value, (int, float))
        and not math.isnan(value)
        and 0 <= value < 1
    )
    if not ok:
        raise ConfigError(f"{owner} {name} must be a number in [0, 1), got {value!r}")
    return float(value)


def resolve(owner: str, variants: dict[str, Any], *, bias: bool = True) -> Variants:
    """Validate variant keywords (unknown names are checked by the caller) into a :class:`Variants`.

    Raises:
        ConfigError: a value of the wrong type or range, naming the keyword, the value and the fix.
    """
    kw = {k: v for k, v in variants.items() if v is not None}
    out: dict[str, Any] = {}
    if "forget_bias" in kw:
        fb = kw["forget_bias"]
        if isinstance(fb, bool) or not isinstance(fb, (int, float)) or not math.isfinite(fb):
            raise ConfigError(f"{owner} forget_bias must be a finite number (e.g. 1.0), got {fb!r}")
        if fb and not bias:
            raise ConfigError(f"{owner} forget_bias={fb!r} needs bias=True: there is no bias to add it to")
        out["forget_bias"] = float(fb)
    for name in ("layer_norm", "peephole", "coupled_gates"):
        if name in kw:
            if not isinstance(kw[name], bool):
                raise ConfigError(f"{owner} {name} must be True or False, got {kw[name]!r}")
            out[name] = kw[name]
    for name in ("recurrent_dropout", "weight_drop"):
        if name in kw:
            out[name] = _probability(owner, name, kw[name])
    if "zoneout" in kw:
        z = kw["zoneout"]
        if isinstance(z, (tuple, list)):
            if len(z) != 2:
                raise ConfigError(f"{owner} zoneout must be a number or a (cell, hidden) pair, got {z!r}")
            out["zoneout"] = (_probability(owner, "zoneout", z[0]), _probability(owner, "zoneout", z[1]))
        else:
            p = _probability(owner, "zoneout", z)
            out["zoneout"] = (p, p)
    for name in ("activation", "recurrent_activation"):
        if name in kw:
            if kw[name] not in ACTIVATIONS:
                raise ConfigError(f"{owner} {name} must be one of {', '.join(ACTIVATIONS)}, got {kw[name]!r}")
            out[name] = kw[name]
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
    """One layer-direction's tensors for :func:`variant_step`, the dropout masks drawn."""

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


def _zone(prev: Tensor, new: Tensor, keep: Tensor | None) -> Tensor:
    return new if keep is None else new + keep * (prev - new)


def variant_step(
    a_x: Tensor,
    h: Tensor,
    c: Tensor,
    p: StepParams,
    v: Variants,
    *,
    keep_c: Tensor | None,
    keep_h: Tensor | None,
) -> tuple[Tensor, Tensor, tuple[Tensor, Tensor, Tensor, Tensor]]:
    """One step with every variant (see the module docstring), recorded by autograd.

    Args:
        a_x: ``(n, 4H)`` the step's input part ``LN_ih(W_ih x_t) + b_ih + b_hh``.
        h, c: ``(n, P)``, ``(n, H)`` the states the step starts from.
        keep_c, keep_h: the step's zoneout masks ``(n, H)``, ``(n, P)`` (see :func:`zoneout_keeps`), or None.

    Returns:
        ``(h_t, c_t, (i, f, g, o))``.
    """
    act, ract = ACTIVATIONS[v.activation], ACTIVATIONS[v.recurrent_activation]
    n, hid = c.shape
    hr = h if p.h_mask is None else h * p.h_mask[:n]
    z = torch.mm(hr, p.w_hh.t())  # (n, 4H)
    if p.ln is not None:
        z = F.layer_norm(z, (4 * hid,), p.ln["hh_weight"], p.ln["hh_bias"], LN_EPS)
    a_i, a_f, a_g, a_o = (a_x + z).chunk(4, dim=1)  # (n, H) each
    if p.peephole is not None:
        a_i, a_f = a_i + p.peephole[0] * c, a_f + p.peephole[1] * c
    i = ract(a_i)
    f = 1 - i if v.coupled_gates else ract(a_f)
    g = act(a_g)
    c_new = _zone(c, f * c + i * g, keep_c)
    if p.peephole is not None:
        a_o = a_o + p.peephole[2] * c_new
    o = ract(a_o)
    cc = c_new if p.ln is None else F.layer_norm(c_new, (hid,), p.ln["c_weight"], p.ln["c_bias"], LN_EPS)
    h_new = o * act(cc)
    if p.w_hr is not None:
        h_new = torch.mm(h_new, p.w_hr.t())
    h_new = _zone(h, h_new, keep_h)
    return h_new, c_new, (i, f, g, o)


def input_part(x: Tensor, w_ih: Tensor, bias: Tensor | None, extra: dict[str, Tensor], v: Variants) -> Tensor:
    """``LN_ih(x W_ih^T) + b_ih + b_hh`` for all rows at once: ``x (N, F)`` -> ``(N, 4H)``."""
    if not v.layer_norm:
        return kernel.project(x, w_ih, bias)  # (N, 4H)
    a_x = kernel.project(x, w_ih)  # (N, 4H)
    offset = (
        extra["ln_ih_bias"] if bias is None else extra["ln_ih_bias"] + bias
    )  # β_ih + b_ih + b_hh, one pass
    return F.layer_norm(a_x, (a_x.size(1),), extra["ln_ih_weight"], offset, LN_EPS)


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


def variant_layer_steps(
    a_x: Tensor,
    h0: Tensor,
    c0: Tensor,
    p: StepParams,
    v: Variants,
    keep_c: Tensor | None,
    keep_h: Tensor | None,
    sched: Schedule,
    reverse: bool,
) -> tuple[Tensor, Tensor, Tensor]:
    """The time loop of :func:`variant_layer` as autograd ops, :func:`variant_step` per step.

    The differentiable path of the variant layer (see :mod:`lstmkit.nn.autograd_loop`); masks
    as drawn for the compiled loop, ``keep_c (N, H)``, ``keep_h (N, P)`` or None.

    Returns:
        ``(out (N, P), h_n (B, P), c_n (B, H))``.
    """

    def step(a: Tensor, h: Tensor, c: Tensor, rows: slice) -> tuple[Tensor, Tensor]:
        kc = None if keep_c is None else keep_c[rows]
        kh = None if keep_h is None else keep_h[rows]
        h_t, c_t, _ = variant_step(a, h, c, p, v, keep_c=kc, keep_h=kh)
        return h_t, c_t

    return run_steps(a_x, h0, c0, sched, reverse, step)


def variant_layer(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    weights: list[Tensor],
    extra: dict[str, Tensor],
    v: Variants,
    *,
    has_bias: bool,
    sched: Schedule,
    reverse: bool,
    training: bool,
    record: bool = False,
) -> tuple[Tensor, Tensor, Tensor, list[Tensor] | None]:
    """One layer-direction with variants over a packed sequence.

    Everything that is not recurrent runs once for all steps, under autograd (the input
    projection, its layer norm, the biases, the weight drop, the dropout and zoneout masks).
    The time loop has a hand-written backward
    (:class:`lstmkit.nn.variant_explicit.VariantLayerFunction`), compiled where the extension
    applies; :func:`variant_step`, the same step under autograd, serves :class:`LSTMCell`.

    Args:
        x: packed input ``(N, F)``; h0, c0: ``(B, P)``, ``(B, H)``.
        weights: torch's flat ``[w_ih, w_hh, (b_ih, b_hh), (w_hr)]``.
        extra: variant parameters by name without the layer suffix (``ln_ih_weight``, ...).
        record: also return ``[i, f, g, o, c, h]``, each ``(N, X)``, for the trace.

    Returns:
        ``(out (N, P), h_n (B, P), c_n (B, H), records or None)``.
    """
    w_ih, w_hh = weights[0], weights[1]
    bias = weights[2] + weights[3] if has_bias else None
    w_hr = weights[-1] if len(weights) == (5 if has_bias else 3) else None
    a_x = input_part(x, w_ih, bias, extra, v)  # (N, 4H)
    p = step_params(v, w_hh, w_hr, extra, batch=sched.batch, out_size=h0.size(1), training=training)
    keep_c, keep_h = zoneout_keeps(
        v, c0.new_empty(sched.rows, c0.size(1)), h0.new_empty(sched.rows, h0.size(1)), training=training
    )
    cfg = LoopConfig(
        sched,
        reverse,
        ACTIVATION_INDEX[v.activation],
        ACTIVATION_INDEX[v.recurrent_activation],
        v.coupled_gates,
    )
    ln = (p.ln["hh_weight"], p.ln["hh_bias"], p.ln["c_weight"], p.ln["c_bias"]) if p.ln else None
    if record:
        res = variant_forward(a_x, h0, c0, p.w_hh, p.w_hr, ln, p.peephole, p.h_mask, keep_c, keep_h, cfg)
        out, cell = res.out, res.cell
        records = [*res.gates.chunk(4, dim=1), cell, out]
        return out, final_state(out, sched, reverse), final_state(cell, sched, reverse), records
    if use_autograd_path(sched):  # under torch.func, or an empty batch
        return (*variant_layer_steps(a_x, h0, c0, p, v, keep_c, keep_h, sched, reverse), None)
    out, h_n, c_n = VariantLayerFunction.apply(
        a_x, h0, c0, p.w_hh, p.w_hr, *(ln or (None,) * 4), p.peephole, p.h_mask, keep_c, keep_h, cfg
    )
    return out, h_n, c_n, None
