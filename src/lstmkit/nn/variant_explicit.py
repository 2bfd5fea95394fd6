r"""The variant layer: one layer-direction with variants, its time loop with a hand-written backward.

The step is the reference's (:func:`lstmkit.nn.reference.step`, every variant at once, σ / φ the
recurrent / cell activation, d_c / d_h the zoneout keep masks), with ``a_x`` the input part
``LN_ih(W_ih x_t) + b_ih + b_hh`` computed for all steps at once::

    A_t = a_x + LN_hh(W_hh (m ⊙ h_{t-1}))                            # (n, 4H)
    i = σ(A_i + p_i c_{t-1});  f = σ(A_f + p_f c_{t-1}) or 1 - i;  g = φ(A_g)
    c_t = c̃ + d_c (c_{t-1} - c̃),  c̃ = f c_{t-1} + i g
    o = σ(A_o + p_o c_t);  r = o φ(LN_c(c_t))
    h_t = h̃ + d_h (h_{t-1} - h̃),  h̃ = W_hr r (or r)

Both time loops run compiled (``csrc/variant_loop.cpp``, one C++ call each, raw row loops and
one matmul per step) on CPU when the extension is built, and as the same steps in torch ops
otherwise (:mod:`lstmkit.nn.variant_loop`: GPU, no compiler, ``LSTMKIT_NO_EXTENSION=1``);
either way without a per-step autograd graph. The loop keeps the pre-activations, gates, cells, φ(LN_c(c)),
r and the layer-norm statistics; the backward turns the output and state gradients into
``dA = dL/dA_t`` (the gradient of ``a_x``) and ``dz = LN_hh'(dA)``; the small parameter
gradients are summed row by row inside the loop, the weight gradients are one matmul each::

    dW_hh = dz^T (m ⊙ H_prev)     dW_hr = dh̃^T r                        # after the loop
    dp_{i,f} = Σ dA_{i,f} c_{t-1}   dp_o = Σ dA_o c_t                     # in the loop
    dγ_hh = Σ dA ẑ   dβ_hh = Σ dA   dγ_c = Σ dcl ĉ   dβ_c = Σ dcl          # in the loop; ẑ, ĉ normalised

The non-recurrent parts (input projection, its layer norm, the biases, the weight drop) stay
outside, under autograd, in :func:`variant_layer`, which runs a layer-direction.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from torch import Tensor
from torch.nn import functional as F

from lstmkit.nn import autograd_loop, kernel, variant_loop, variants
from lstmkit.nn.schedule import Schedule, final_state, shifted


@dataclass(frozen=True)
class LoopConfig:
    """What the compiled loops need besides tensors."""

    sched: Schedule
    reverse: bool
    act: int  # index of φ in variants.ACTIVATIONS
    ract: int  # index of σ
    coupled: bool


class VariantResult(NamedTuple):
    """What :func:`variant_forward` keeps, all ``(N, X)`` in the packed layout, gates in [i,f,g,o].

    ``pre`` the pre-activations (peepholes added), ``gates`` i, f, g, o, ``phic`` φ(LN_c(c_t)),
    ``r`` o ⊙ phic; ``zn, s_hh, cn, s_c`` the normalised z and c and their 1/std (layer norm only).
    """

    out: Tensor
    pre: Tensor
    gates: Tensor
    cell: Tensor
    phic: Tensor
    r: Tensor
    zn: Tensor | None
    s_hh: Tensor | None
    cn: Tensor | None
    s_c: Tensor | None


def _c(t: Tensor | None) -> Tensor | None:
    return None if t is None else t.contiguous()


def variant_forward(
    a_x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w_hh: Tensor,
    w_hr: Tensor | None,
    ln: tuple[Tensor, Tensor, Tensor, Tensor] | None,
    peep: Tensor | None,
    h_mask: Tensor | None,
    kc: Tensor | None,
    kh: Tensor | None,
    cfg: LoopConfig,
) -> VariantResult:
    """Run the forward loop of one layer-direction.

    Args:
        a_x: ``(N, 4H)`` the input part ``LN_ih(x W_ih^T) + b``; h0, c0: ``(B, P)``, ``(B, H)``.
        w_hh: ``(4H, P)`` (weight-dropped); w_hr: ``(P, H)`` or None.
        ln: ``(γ_hh, β_hh, γ_c, β_c)`` or None; peep: ``(3, H)`` or None.
        h_mask: ``(B, P)`` recurrent-dropout mask or None; kc, kh: ``(N, H)``, ``(N, P)`` zoneout
            keep masks (their expectation in eval) or None.
    """
    n_rows, hid = a_x.size(0), w_hh.size(0) // 4
    new = a_x.new_empty
    pre = a_x.contiguous().clone()  # (N, 4H) a_x in, pre-activations out
    gates, cell, phic, out = (
        torch.empty_like(pre),
        new(n_rows, hid),
        new(n_rows, hid),
        new(n_rows, h0.size(1)),
    )
    r = out if (w_hr is None and kh is None) else new(n_rows, hid)  # (N, H) o φ(LN_c(c)), h̃ before projection
    zn, s_hh, cn, s_c = (
        (new(n_rows, 4 * hid), new(n_rows), new(n_rows, hid), new(n_rows)) if ln else (None,) * 4
    )
    ln_args = tuple(t.contiguous() for t in ln) if ln else (None,) * 4
    loops = torch.ops.lstmkit if kernel.usable_for(a_x) else variant_loop
    loops.variant_forward_loop(
        pre,
        gates,
        cell,
        phic,
        r,
        out,
        zn,
        s_hh,
        cn,
        s_c,
        h0.contiguous(),
        c0.contiguous(),
        w_hh.t().contiguous(),
        None if w_hr is None else w_hr.t(),
        *ln_args,
        _c(peep),
        _c(h_mask),
        _c(kc),
        _c(kh),
        cfg.act,
        cfg.ract,
        cfg.coupled,
        list(cfg.sched.batch_sizes),
        cfg.reverse,
    )
    return VariantResult(out, pre, gates, cell, phic, r, zn, s_hh, cn, s_c)


def _mask_rows(h_mask: Tensor, sched: Schedule) -> Tensor:
    """The recurrent-dropout mask of every packed row, ``(N, P)``."""
    if sched.is_uniform:
        return h_mask.repeat(sched.steps, 1)
    return torch.cat([h_mask[:n] for n in sched.batch_sizes])


def _autograd_forward(
    cfg: LoopConfig,
    a_x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w_hh: Tensor,
    w_hr: Tensor | None,
    ln_hh_w: Tensor | None,
    ln_hh_b: Tensor | None,
    ln_c_w: Tensor | None,
    ln_c_b: Tensor | None,
    peep: Tensor | None,
    h_mask: Tensor | None,
    kc: Tensor | None,
    kh: Tensor | None,
) -> tuple[Tensor, Tensor, Tensor]:
    """:class:`VariantLayerFunction`'s forward as autograd ops (for its recomputing backward)."""
    names = list(variants.ACTIVATIONS)
    v = variants.Variants(
        activation=names[cfg.act], recurrent_activation=names[cfg.ract], coupled_gates=cfg.coupled
    )
    ln: dict[str, Tensor] | None = None
    if ln_hh_w is not None:
        assert ln_hh_b is not None and ln_c_w is not None and ln_c_b is not None  # all four or none
        ln = {"hh_weight": ln_hh_w, "hh_bias": ln_hh_b, "c_weight": ln_c_w, "c_bias": ln_c_b}
    p = variants.StepParams(w_hh, w_hr, ln, peep, h_mask)
    return autograd_loop.variant_layer_steps(a_x, h0, c0, p, v, kc, kh, cfg.sched, cfg.reverse)


class VariantLayerFunction(torch.autograd.Function):
    """One layer-direction with variants over a packed sequence, with backward through time.

    ``apply(a_x, h0, c0, w_hh, w_hr, ln_hh_w, ln_hh_b, ln_c_w, ln_c_b, peep, h_mask, kc, kh, cfg)
    -> (out (N, P), h_n (B, P), c_n (B, H))``, arguments as in :func:`variant_forward` (the four
    layer-norm parameters all None or all tensors; masks get no gradient). Under ``create_graph``
    (double backward) or vmap (batched gradients) the backward differentiates the autograd loop
    (:func:`lstmkit.nn.autograd_loop.variant_layer_steps`) recomputed from the saved inputs.
    """

    @staticmethod
    def forward(
        ctx: Any,
        a_x: Tensor,
        h0: Tensor,
        c0: Tensor,
        w_hh: Tensor,
        w_hr: Tensor | None,
        ln_hh_w: Tensor | None,
        ln_hh_b: Tensor | None,
        ln_c_w: Tensor | None,
        ln_c_b: Tensor | None,
        peep: Tensor | None,
        h_mask: Tensor | None,
        kc: Tensor | None,
        kh: Tensor | None,
        cfg: LoopConfig,
    ) -> tuple[Tensor, Tensor, Tensor]:
        ln = None
        if ln_hh_w is not None:
            assert ln_hh_b is not None and ln_c_w is not None and ln_c_b is not None  # all four or none
            ln = (ln_hh_w, ln_hh_b, ln_c_w, ln_c_b)
        h0, c0 = h0.contiguous(), c0.contiguous()
        res = variant_forward(a_x, h0, c0, w_hh, w_hr, ln, peep, h_mask, kc, kh, cfg)
        ctx.cfg = cfg
        # the inputs as given (their graphs intact, for the recomputing backward), then the loop's records
        ctx.save_for_backward(
            a_x, h0, c0, w_hh, w_hr, ln_hh_w, ln_hh_b, ln_c_w, ln_c_b, peep, h_mask, kc, kh, *res
        )
        return (
            res.out,
            final_state(res.out, cfg.sched, cfg.reverse),
            final_state(res.cell, cfg.sched, cfg.reverse),
        )

    @staticmethod
    def backward(ctx, d_out: Tensor, d_hn: Tensor, d_cn: Tensor):
        cfg: LoopConfig = ctx.cfg
        inputs, saved = ctx.saved_tensors[:13], ctx.saved_tensors[13:]
        if autograd_loop.needs_recompute(
            (d_out, d_hn, d_cn)
        ):  # create_graph or vmap: differentiate the autograd loop
            grads = autograd_loop.recompute_backward(
                functools.partial(_autograd_forward, cfg),
                inputs,
                ctx.needs_input_grad[:13],
                (d_out, d_hn, d_cn),
            )
            return (*grads, None)
        h0, c0, w_hh = (t.contiguous() for t in inputs[1:4])
        w_hr, ln_hh_w, _, ln_c_w, ln_c_b, peep, h_mask, kc, kh = (_c(t) for t in inputs[4:])
        res = VariantResult(*saved)
        hid = res.cell.size(1)
        dh_run = d_hn.clone(memory_format=torch.contiguous_format)  # (B, P) dh_n in, dh_0 out
        dc_run = d_cn.clone(memory_format=torch.contiguous_format)  # (B, H)
        d_a = torch.empty_like(res.pre)  # (N, 4H) gradient wrt A_t, and so wrt a_x
        ln = ln_hh_w is not None
        d_z = torch.empty_like(d_a) if ln else d_a  # (N, 4H) gradient wrt z = (m ⊙ h_{t-1}) W_hh^T
        d_hid = torch.empty_like(res.out) if w_hr is not None else None  # (N, P) gradient wrt h̃, for dW_hr
        # the sums the loop accumulates: dγ_hh, dβ_hh (4H each), dγ_c, dβ_c (H each), then dp (3, H)
        acc = d_a.new_zeros((10 * hid if ln else 0) + (3 * hid if peep is not None else 0))
        loops = torch.ops.lstmkit if kernel.usable_for(d_a) else variant_loop
        loops.variant_backward_loop(
            d_out.contiguous(),
            dh_run,
            dc_run,
            d_a,
            d_z,
            d_hid,
            acc,
            res.pre,
            res.gates,
            res.cell,
            res.phic,
            res.zn,
            res.s_hh,
            res.cn,
            res.s_c,
            c0,
            w_hh.contiguous(),
            w_hr,
            ln_hh_w,
            ln_c_w,
            ln_c_b,
            peep,
            h_mask,
            kc,
            kh,
            cfg.act,
            cfg.ract,
            cfg.coupled,
            list(cfg.sched.batch_sizes),
            cfg.reverse,
        )
        need = ctx.needs_input_grad
        h_prev = shifted(res.out, h0, cfg.sched, cfg.reverse)  # (N, P)
        if h_mask is not None:
            h_prev = h_prev * _mask_rows(h_mask, cfg.sched)
        d_w_hh = kernel.matmul_tn(d_z, h_prev) if need[3] else None  # (4H, P)
        d_w_hr = kernel.matmul_tn(d_hid, res.r) if (d_hid is not None and need[4]) else None  # (P, H)
        d_ln: list[Tensor | None] = (
            list(acc[: 10 * hid].split([4 * hid, 4 * hid, hid, hid])) if ln else [None] * 4
        )
        d_peep = acc[10 * hid if ln else 0 :].view(3, hid) if peep is not None else None
        return (d_a, dh_run, dc_run, d_w_hh, d_w_hr, *d_ln, d_peep, None, None, None, None)


def input_part(
    x: Tensor, w_ih: Tensor, bias: Tensor | None, extra: dict[str, Tensor], v: variants.Variants
) -> Tensor:
    """``LN_ih(x W_ih^T) + b_ih + b_hh`` for all rows at once: ``x (N, F)`` -> ``(N, 4H)``."""
    if not v.layer_norm:
        return kernel.project(x, w_ih, bias)  # (N, 4H)
    a_x = kernel.project(x, w_ih)  # (N, 4H)
    offset = (
        extra["ln_ih_bias"] if bias is None else extra["ln_ih_bias"] + bias
    )  # β_ih + b_ih + b_hh, one pass
    return F.layer_norm(a_x, (a_x.size(1),), extra["ln_ih_weight"], offset, variants.LN_EPS)


def variant_layer(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    weights: list[Tensor],
    extra: dict[str, Tensor],
    v: variants.Variants,
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
    (:class:`VariantLayerFunction`), compiled where the extension applies.

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
    p = variants.step_params(v, w_hh, w_hr, extra, batch=sched.batch, out_size=h0.size(1), training=training)
    keep_c, keep_h = variants.zoneout_keeps(
        v, c0.new_empty(sched.rows, c0.size(1)), h0.new_empty(sched.rows, h0.size(1)), training=training
    )
    cfg = LoopConfig(
        sched,
        reverse,
        variants.ACTIVATION_INDEX[v.activation],
        variants.ACTIVATION_INDEX[v.recurrent_activation],
        v.coupled_gates,
    )
    ln = (p.ln["hh_weight"], p.ln["hh_bias"], p.ln["c_weight"], p.ln["c_bias"]) if p.ln else None
    if record:
        res = variant_forward(a_x, h0, c0, p.w_hh, p.w_hr, ln, p.peephole, p.h_mask, keep_c, keep_h, cfg)
        out, cell = res.out, res.cell
        records = [*res.gates.chunk(4, dim=1), cell, out]
        return out, final_state(out, sched, reverse), final_state(cell, sched, reverse), records
    if autograd_loop.use_autograd_path(sched):  # under torch.func, or an empty batch
        return (*autograd_loop.variant_layer_steps(a_x, h0, c0, p, v, keep_c, keep_h, sched, reverse), None)
    out, h_n, c_n = VariantLayerFunction.apply(
        a_x, h0, c0, p.w_hh, p.w_hr, *(ln or (None,) * 4), p.peephole, p.h_mask, keep_c, keep_h, cfg
    )
    return out, h_n, c_n, None
