r"""The reference LSTM: the whole layer written out one step at a time, every variant, plain autograd.

This module is the definition of what :class:`lstmkit.nn.LSTM` computes. Every backend is this,
made fast: torch's fused kernel, the explicit backend's compiled loops with their hand-written
backward, the variant layer's. Every backend's parity tests take :func:`reference_lstm` as the
oracle, beside torch.nn.LSTM with copied weights. It runs ordinary autograd ops, one step at a
time, in the caller's batch order: slow, and plainly the equations. Its :func:`step` is also the
step of :class:`lstmkit.nn.LSTMCell` and of the backends' differentiable path
(:mod:`lstmkit.nn.autograd_loop`).

One step of one layer-direction, in torch's gate order (i, f, g, o); σ is the
``recurrent_activation`` (sigmoid), φ the ``activation`` (tanh)::

    A_t = LN_ih(W_ih x_t) + b_ih + LN_hh(W_hh (m ⊙ h_{t-1})) + b_hh     # (B, 4H)
    i_t = σ(A_i + p_i ⊙ c_{t-1})
    f_t = σ(A_f + p_f ⊙ c_{t-1})           or  f_t = 1 - i_t            # coupled_gates
    g_t = φ(A_g)
    c̃_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    c_t = d_c ⊙ c_{t-1} + (1 - d_c) ⊙ c̃_t                               # zoneout, cell
    o_t = σ(A_o + p_o ⊙ c_t)
    h̃_t = o_t ⊙ φ(LN_c(c_t))                  then W_hr h̃_t if proj_size > 0
    h_t = d_h ⊙ h_{t-1} + (1 - d_h) ⊙ h̃_t                               # zoneout, hidden

With every variant off (LN the identity, p = 0, m = 1, d = 0, σ = sigmoid, φ = tanh) this is
torch.nn.LSTM. LN is layer norm (``layer_norm``), p the peepholes (``peephole``), m the
recurrent-dropout mask and W_hh weight-dropped (``recurrent_dropout``, ``weight_drop``, training
only), d the zoneout keep masks (``zoneout``: fresh Bernoulli(z) per step and unit in training, z
in eval). What each variant means and its parameters: :mod:`lstmkit.nn.variants`.

The layer: layer ``l + 1`` reads layer ``l``'s output, both directions concatenated, with
dropout between layers in training; the reverse direction runs ``t = T-1 .. 0``. A sequence
shorter than T (packed input) stops at its length: its state is carried past its end unchanged
(so its reverse direction starts there from h_0, c_0), and its records there are zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import torch
from torch import Tensor
from torch.nn import functional as F
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from lstmkit.nn.variants import ACTIVATIONS, LN_EPS, StepParams, Variants, zoneout_mask


@dataclass
class LSTMTrace:
    """What an LSTM computed at every step.

    Each per-step field is ``(L*D, T, B, X)``, or ``(L*D, B, T, X)`` when batch_first, with
    the B dimension dropped for unbatched input, X = H except for ``hidden`` (X = P, the proj
    size when proj_size > 0). Index ``layer * D + direction``. Steps a packed sequence does not
    reach are zero.

    Attributes:
        output, h_n, c_n: exactly what ``forward`` returns.
        input_gate, forget_gate, cell_candidate, output_gate: i, f, g, o.
        cell: c_t.
        hidden: h_t.
    """

    output: Tensor | PackedSequence
    h_n: Tensor
    c_n: Tensor
    input_gate: Tensor
    forget_gate: Tensor
    cell_candidate: Tensor
    output_gate: Tensor
    cell: Tensor
    hidden: Tensor


def layer_norm(v: Tensor, gain: Tensor, offset: Tensor) -> Tensor:
    """``γ ⊙ (v - mean v) / sqrt(var v + ε) + β`` over the last dimension (biased variance, ε = 1e-5)."""
    mean = v.mean(-1, keepdim=True)
    var = (v - mean).pow(2).mean(-1, keepdim=True)
    return (v - mean) / torch.sqrt(var + LN_EPS) * gain + offset


def input_part(x: Tensor, w_ih: Tensor, bias: Tensor | None, ln_ih: tuple[Tensor, Tensor] | None) -> Tensor:
    """``LN_ih(W_ih x) + b_ih + b_hh``: ``x (n, F)`` -> ``(n, 4H)``; bias = b_ih + b_hh, ln_ih = (γ, β)."""
    a = F.linear(x, w_ih)  # (n, 4H)
    if ln_ih is not None:
        a = layer_norm(a, *ln_ih)
    return a if bias is None else a + bias


def _zone(prev: Tensor, new: Tensor, keep: Tensor | float | None) -> Tensor:
    """Zoneout: ``keep ⊙ prev + (1 - keep) ⊙ new``; ``new`` when off."""
    return new if keep is None else new + keep * (prev - new)


def step(
    a_x: Tensor,
    h: Tensor,
    c: Tensor,
    p: StepParams,
    v: Variants,
    *,
    keep_c: Tensor | float | None = None,
    keep_h: Tensor | float | None = None,
) -> tuple[Tensor, Tensor, tuple[Tensor, Tensor, Tensor, Tensor]]:
    """One step, every variant: the equations of the module docstring, from ``A_t``'s input part on.

    Args:
        a_x: ``(n, 4H)`` the step's input part, :func:`input_part` of ``x_t``.
        h, c: ``(n, P)``, ``(n, H)`` the state the step starts from (n may be fewer rows than
            ``p.h_mask`` has: the first n sequences of a packed batch).
        p: W_hh (weight-dropped in training), W_hr, the layer-norm and peephole parameters, m.
        keep_c, keep_h: the zoneout keep masks d_c ``(n, H)``, d_h ``(n, P)`` (z itself in eval), or None.

    Returns:
        ``(h_t, c_t, (i, f, g, o))``.
    """
    sigma, phi = ACTIVATIONS[v.recurrent_activation], ACTIVATIONS[v.activation]
    m_h = h if p.h_mask is None else h * p.h_mask[: h.size(0)]  # recurrent dropout
    z = F.linear(m_h, p.w_hh)  # (n, 4H)
    if p.ln is not None:
        z = layer_norm(z, p.ln["hh_weight"], p.ln["hh_bias"])
    a_i, a_f, a_g, a_o = (a_x + z).chunk(4, dim=-1)  # (n, H) each
    if p.peephole is not None:
        a_i, a_f = a_i + p.peephole[0] * c, a_f + p.peephole[1] * c
    i = sigma(a_i)
    f = 1 - i if v.coupled_gates else sigma(a_f)
    g = phi(a_g)
    c_t = _zone(c, f * c + i * g, keep_c)  # (n, H)
    if p.peephole is not None:
        a_o = a_o + p.peephole[2] * c_t
    o = sigma(a_o)
    h_t = o * phi(c_t if p.ln is None else layer_norm(c_t, p.ln["c_weight"], p.ln["c_bias"]))  # (n, H)
    if p.w_hr is not None:
        h_t = F.linear(h_t, p.w_hr)  # (n, P)
    return _zone(h, h_t, keep_h), c_t, (i, f, g, o)


class Draws(NamedTuple):
    """One layer-direction's random draws (see :class:`Noise`), each None where off."""

    w_mask: Tensor | None  # (4H, P)
    h_mask: Tensor | None  # (B, P)
    keep_c: Tensor | None  # (T, B, H)
    keep_h: Tensor | None  # (T, B, P)


def _keep(z: float, kept: Tensor | None, t: int) -> Tensor | float | None:
    """The zoneout keep mask of step t: the drawn one in training, z itself in eval, None when off."""
    if z == 0:
        return None
    return z if kept is None else kept[t]


@dataclass
class Noise:
    """The random draws of one training-mode forward, in the reference's layout.

    One entry per layer-direction (index ``layer * D + direction``), batch in the caller's order:
    ``w_mask (4H, P)`` the scaled weight-drop mask of W_hh, ``h_mask (B, P)`` the scaled
    recurrent-dropout mask, ``keep_c (T, B, H)`` and ``keep_h (T, B, P)`` the zoneout keep masks
    (None where off); ``between`` one scaled dropout mask ``(T, B, D*P)`` per gap between layers.
    """

    w_mask: list[Tensor | None] = field(default_factory=list)
    h_mask: list[Tensor | None] = field(default_factory=list)
    keep_c: list[Tensor | None] = field(default_factory=list)
    keep_h: list[Tensor | None] = field(default_factory=list)
    between: list[Tensor] = field(default_factory=list)

    def at(self, k: int) -> Draws:
        """The draws of layer-direction ``k``."""
        return Draws(self.w_mask[k], self.h_mask[k], self.keep_c[k], self.keep_h[k])


def draw_noise(module: Any, steps: int, batch: int, like: Tensor) -> Noise:
    """Fresh draws for a training-mode :func:`reference_lstm`, from the layer's distributions."""
    v: Variants = getattr(module, "variants", Variants())
    hid, out = module.hidden_size, module.proj_size or module.hidden_size
    dirs = 2 if module.bidirectional else 1
    noise = Noise()
    for k in range(module.num_layers * dirs):
        sfx = f"_l{k // dirs}" + ("_reverse" if k % dirs else "")
        w_hh = getattr(module, "weight_hh" + sfx)
        noise.w_mask.append(F.dropout(torch.ones_like(w_hh), v.weight_drop) if v.weight_drop else None)
        rd = v.recurrent_dropout
        noise.h_mask.append(F.dropout(like.new_ones(batch, out), rd) if rd else None)
        zc, zh = v.zoneout
        noise.keep_c.append(zoneout_mask(like.new_empty(steps, batch, hid), zc) if zc else None)
        noise.keep_h.append(zoneout_mask(like.new_empty(steps, batch, out), zh) if zh else None)
    if module.dropout > 0:
        ones = like.new_ones(steps, batch, dirs * out)
        noise.between = [F.dropout(ones, module.dropout, training=True) for _ in range(module.num_layers - 1)]
    return noise


def direction(
    x: Tensor,
    h: Tensor,
    c: Tensor,
    w: Mapping[str, Tensor],
    v: Variants,
    *,
    lengths: Tensor,
    reverse: bool,
    draws: Draws | None = None,
) -> tuple[list[Tensor], Tensor, Tensor]:
    """One layer-direction over a padded sequence, one :func:`step` at a time.

    Args:
        x: ``(T, B, F)``; h, c: ``(B, P)``, ``(B, H)`` the initial state.
        w: the direction's parameters by name without the layer suffix (``weight_ih``, ...,
            ``ln_ih_weight``, ``peephole_weight``).
        lengths: ``(B,)`` the steps of each sequence.
        draws: in training, this layer-direction's random draws; None in eval.

    Returns:
        ``([i, f, g, o, c, h] each (T, B, X), zero past each sequence's end; h_n (B, P), c_n (B, H))``.
    """
    bias = w["bias_ih"] + w["bias_hh"] if "bias_ih" in w else None
    ln_ih = (w["ln_ih_weight"], w["ln_ih_bias"]) if v.layer_norm else None
    ln = (
        {part: w["ln_" + part] for part in ("hh_weight", "hh_bias", "c_weight", "c_bias")}
        if v.layer_norm
        else None
    )
    d = draws or Draws(None, None, None, None)
    w_hh = w["weight_hh"] if d.w_mask is None else w["weight_hh"] * d.w_mask  # weight drop
    p = StepParams(w_hh, w.get("weight_hr"), ln, w.get("peephole_weight"), d.h_mask)
    steps = x.size(0)
    records: list[list[Tensor]] = [[] for _ in range(6)]
    for t in range(steps - 1, -1, -1) if reverse else range(steps):
        keep_c, keep_h = (_keep(z, kept, t) for z, kept in zip(v.zoneout, (d.keep_c, d.keep_h)))
        a_x = input_part(x[t], w["weight_ih"], bias, ln_ih)  # (B, 4H)
        h_t, c_t, gates = step(a_x, h, c, p, v, keep_c=keep_c, keep_h=keep_h)
        alive = (t < lengths).unsqueeze(1)  # (B, 1) the sequences that reach step t
        h, c = torch.where(alive, h_t, h), torch.where(alive, c_t, c)
        for rec, value in zip(records, (*gates, c_t, h_t)):
            rec.append(torch.where(alive, value, 0.0))
    if reverse:
        records = [rec[::-1] for rec in records]
    return [torch.stack(rec) for rec in records], h, c


def _padded(input: Tensor | PackedSequence, batch_first: bool) -> tuple[Tensor, Tensor, bool]:
    """The input as ``(T, B, F)`` in the caller's batch order, each sequence's length, and whether batched."""
    if isinstance(input, PackedSequence):
        x, lengths = pad_packed_sequence(input)
        return x, lengths.to(x.device), True
    batched = input.dim() == 3
    x = input if batched else input.unsqueeze(0 if batch_first else 1)
    x = x.transpose(0, 1) if batch_first else x
    return x, torch.full((x.size(1),), x.size(0), device=x.device), batched


def _pack_like(out: Tensor, packed: PackedSequence) -> PackedSequence:
    """A padded ``(T, B, X)`` output in the layout of the packed input: step t's rows in sorted order."""
    order = packed.sorted_indices
    order = torch.arange(out.size(1), device=out.device) if order is None else order.to(out.device)
    data = torch.cat([out[t, order[:n]] for t, n in enumerate(packed.batch_sizes.tolist())])
    return PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)


def reference_lstm(
    module: Any,
    input: Tensor | PackedSequence,
    hx: tuple[Tensor, Tensor] | None = None,
    *,
    noise: Noise | None = None,
) -> LSTMTrace:
    """Run ``module``'s weights through the equations of this module, step by step, under autograd.

    Args:
        module: an :class:`lstmkit.nn.LSTM` or a :class:`torch.nn.LSTM`: its sizes, flags,
            variants, mode (train/eval) and parameters (torch's names, ``_l{k}[_reverse]``).
        input, hx: as ``module.forward`` takes them (padded, unbatched or packed).
        noise: in training, the layer's random draws to reuse (see :class:`Noise`); drawn
            afresh when None.

    Returns:
        an :class:`LSTMTrace`: the forward's ``output, h_n, c_n`` and every step's records.
    """
    v: Variants = getattr(module, "variants", Variants())
    x, lengths, batched = _padded(input, module.batch_first)  # (T, B, F)
    steps, batch, dirs = x.size(0), x.size(1), 2 if module.bidirectional else 1
    lead, out_size = module.num_layers * dirs, module.proj_size or module.hidden_size
    if hx is None:
        h0, c0 = x.new_zeros(lead, batch, out_size), x.new_zeros(lead, batch, module.hidden_size)
    else:
        h0, c0 = hx if batched else (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
    if not module.training:
        noise = None
    elif noise is None:
        noise = draw_noise(module, steps, batch, x)
    records, h_n, c_n, inp = [], [], [], x
    for layer in range(module.num_layers):
        if layer > 0 and noise is not None and module.dropout > 0:
            inp = inp * noise.between[layer - 1]  # dropout between layers
        outs = []
        for d in range(dirs):
            k, sfx = layer * dirs + d, f"_l{layer}" + ("_reverse" if d else "")
            w = {name[: -len(sfx)]: p for name, p in module.named_parameters() if name.endswith(sfx)}
            draws = noise.at(k) if noise is not None else None
            recs, h, c = direction(inp, h0[k], c0[k], w, v, lengths=lengths, reverse=d == 1, draws=draws)
            records.append(recs)
            outs.append(recs[5])
            h_n.append(h)
            c_n.append(c)
        inp = torch.cat(outs, -1)  # (T, B, D*P)
    return _as_trace(module, input, inp, torch.stack(h_n), torch.stack(c_n), records, batched)


def _as_trace(
    module: Any,
    input: Tensor | PackedSequence,
    out: Tensor,
    h_n: Tensor,
    c_n: Tensor,
    records: list[list[Tensor]],
    batched: bool,
) -> LSTMTrace:
    """The reference's results in the layout of ``module.forward`` and :meth:`lstmkit.nn.LSTM.trace`."""
    fields = [torch.stack([rec[j] for rec in records]) for j in range(6)]  # (L*D, T, B, X)
    if module.batch_first:
        fields = [f.transpose(1, 2) for f in fields]  # (L*D, B, T, X)
    if isinstance(input, PackedSequence):
        output: Tensor | PackedSequence = _pack_like(out, input)
    else:
        output = out.transpose(0, 1) if module.batch_first else out
        if not batched:
            output, h_n, c_n = output.squeeze(0 if module.batch_first else 1), h_n.squeeze(1), c_n.squeeze(1)
            fields = [f.squeeze(1 if module.batch_first else 2) for f in fields]
    return LSTMTrace(output, h_n, c_n, *fields)
