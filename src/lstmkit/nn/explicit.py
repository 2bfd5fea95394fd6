"""The explicit backend: one LSTM layer-direction, gate by gate, with a hand-written backward.

Forward, for the whole sequence at once and then step by step::

    A = X W_ih^T + b_ih + b_hh                       # (N, 4H)  all steps, one matmul
    A_t += h_{t-1} W_hh^T                            # (n_t, 4H) one matmul per step
    o, i, f = sigmoid(A_t[:, :3H]);  g = tanh(A_t[:, 3H:])   # internal gate order [o, i, f, g]
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)                              # h_t = W_hr (o * tanh(c_t)) with projections

Backward through time runs the steps in reverse with two running buffers, ``dh`` and ``dc``,
one row per sequence: a row finished in the forward pass starts there with its ``dh_n, dc_n``,
and whatever is left in them at the end is ``dh_0, dc_0``. The per-step gate gradients land in
one ``(N, 4H)`` buffer, from which the weight gradients come in a few large matmuls after the
loop (``dW_hh = dA^T H_prev``, ``dW_ih = dA^T X``, ``db = sum dA``).

Both time loops run compiled (``csrc/explicit_loop.cpp``, see :mod:`lstmkit.nn.kernel`: one C++
call per loop, one matmul and one fused elementwise pass per step, the backward's gradient
factors computed inline) on CPU when the extension is built, and as the same loops in PyTorch
ops otherwise (:mod:`lstmkit.nn.explicit_loop`: GPU, no compiler, ``LSTMKIT_NO_EXTENSION=1``);
both give the same numbers up to rounding.

Internally the gate blocks are ordered ``[o, i, f | g]`` (torch stores ``i, f, g, o``): the
three sigmoid gates are one contiguous slice, and the three gates whose gradient scales with
``dc`` (i, f, g) are another. The permutation is applied to the weights on the way in and to
their gradients on the way out.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import torch
from torch import Tensor

from lstmkit.nn import autograd_loop, explicit_loop, kernel
from lstmkit.nn.schedule import Schedule, final_state, shifted

# Gate elements per chunk of steps of the inference forward: about 4 MiB of float32.
_CHUNK_GATES = 1 << 20

# torch's gate blocks i=0, f=1, g=2, o=3, in the internal order [o, i, f, g]
_INTERNAL_BLOCKS = (3, 0, 1, 2)


@functools.lru_cache(maxsize=64)
def _perms(hidden: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """Row indices torch -> internal gate order, and back."""
    fwd = torch.cat([torch.arange(b * hidden, (b + 1) * hidden) for b in _INTERNAL_BLOCKS])
    return fwd.to(device), torch.argsort(fwd).to(device)


def to_internal(w: Tensor, hidden: int) -> Tensor:
    """Reorder the gate blocks (dim 0) of a weight or bias from torch's [i,f,g,o] to [o,i,f,g]."""
    return w.index_select(0, _perms(hidden, w.device)[0])


def to_torch_order(w: Tensor, hidden: int) -> Tensor:
    """Undo :func:`to_internal`."""
    return w.index_select(0, _perms(hidden, w.device)[1])


class LayerResult(NamedTuple):
    """What :func:`layer_forward` keeps, all in the packed layout.

    ``out (N, P)`` the hidden sequence; ``gates (N, 4H)`` activated, internal order [o,i,f,g];
    ``cell, tcell (N, H)`` = c_t and tanh(c_t); ``r (N, H)`` = o * tanh(c_t) (``out`` itself
    without projection).
    """

    out: Tensor
    gates: Tensor
    cell: Tensor
    tcell: Tensor
    r: Tensor


def layer_forward(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    bias: Tensor | None,
    w_hr: Tensor | None,
    sched: Schedule,
    reverse: bool,
    *,
    into: tuple[Tensor, Tensor, Tensor] | None = None,
) -> LayerResult:
    """Run one layer-direction forward, keeping what the backward and the trace need.

    Args:
        x: packed input ``(N, F)``.
        h0, c0: ``(B, P)`` and ``(B, H)``; P = proj_size or H.
        w_ih, w_hh: ``(4H, F)`` and ``(4H, P)`` in the internal [o,i,f,g] order.
        bias: ``(4H,)`` = b_ih + b_hh in internal order, or None.
        w_hr: ``(P, H)`` projection, or None.
        into: contiguous ``(N, 4H)``, ``(N, H)``, ``(N, P)`` buffers for the gates, cell and
            output (the trace's storage), or None to allocate them.

    Returns:
        a :class:`LayerResult`.
    """
    hid = w_hh.size(0) // 4
    n_rows = x.size(0)
    gates, cell, out = into if into is not None else (None, None, None)
    projected = kernel.linear(x, w_ih, bias)  # (N, 4H)
    gates = projected if gates is None else gates.copy_(projected)
    cell = x.new_empty(n_rows, hid) if cell is None else cell  # (N, H)
    tcell = x.new_empty(n_rows, hid)  # (N, H)
    out = x.new_empty(n_rows, h0.size(1)) if out is None else out  # (N, P)
    r = out if w_hr is None else x.new_empty(n_rows, hid)  # (N, H)
    loops = torch.ops.lstmkit if kernel.usable_for(x) else explicit_loop  # compiled, or the same in torch ops
    loops.forward_loop(
        gates,
        cell,
        tcell,
        r,
        out,
        h0.contiguous(),
        c0.contiguous(),
        w_hh.t().contiguous(),
        None if w_hr is None else w_hr.t(),
        list(sched.batch_sizes),
        reverse,
    )
    return LayerResult(out, gates, cell, tcell, r)


def layer_backward(
    d_out: Tensor,
    d_hn: Tensor,
    d_cn: Tensor,
    *,
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    w_hr: Tensor | None,
    fwd: LayerResult,
    sched: Schedule,
    reverse: bool,
    needs: tuple[bool, ...],
) -> tuple[Tensor | None, ...]:
    """Backward through time of :func:`layer_forward`.

    Per step, with ``dr = dh`` (or ``dh W_hr`` with projections)::

        dc   += dr * k                     dA_o = dr * p_o      dA_{i,f,g} = dc * p_{i,f,g}
        dc_prev = dc * f                   dh_prev = dA W_hh

    Returns:
        ``(dx, dh0, dc0, dw_ih, dw_hh, db, dw_hr)``, weights in internal order; entries not
        in ``needs`` are None.
    """
    gates, bs = fwd.gates, sched.batch_sizes
    d_gates = torch.empty_like(gates)  # (N, 4H) gradient wrt pre-activations
    dh_run = d_hn.clone(memory_format=torch.contiguous_format)  # (B, P) dh_n in, dh_0 out
    dc_run = d_cn.clone(memory_format=torch.contiguous_format)  # (B, H)
    d_hid = None if w_hr is None else torch.empty_like(fwd.out)  # (N, P) gradient wrt the output h, for dW_hr
    loops = torch.ops.lstmkit if kernel.usable_for(d_gates) else explicit_loop
    loops.backward_loop(
        d_out,
        dh_run,
        dc_run,
        d_gates,
        d_hid,
        gates,
        fwd.tcell,
        fwd.cell,
        c0,
        w_hh.contiguous(),
        w_hr,
        list(bs),
        reverse,
    )
    need_x, _, _, need_ih, need_hh, need_b, need_hr = needs
    dx = kernel.linear(d_gates, w_ih.t()) if need_x else None  # (N, F)
    dw_ih = kernel.matmul_tn(d_gates, x) if need_ih else None  # (4H, F)
    dw_hh = kernel.matmul_tn(d_gates, shifted(fwd.out, h0, sched, reverse)) if need_hh else None  # (4H, P)
    db = d_gates.sum(0) if need_b else None  # (4H,)
    dw_hr = torch.mm(d_hid.t(), fwd.r) if (need_hr and d_hid is not None) else None  # (P, H)
    return dx, dh_run, dc_run, dw_ih, dw_hh, db, dw_hr


class LSTMLayerFunction(torch.autograd.Function):
    """One layer-direction of an LSTM over a packed sequence, with backward through time.

    ``apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, sched, reverse) -> (out, h_n, c_n)`` with
    weights in torch's layout and gate order; ``b_ih, b_hh, w_hr`` may be None. Shapes:
    ``x (N, F)``, ``h0 (B, P)``, ``c0 (B, H)``, ``out (N, P)``, ``h_n (B, P)``, ``c_n (B, H)``.
    The backward is the hand-written one, except under ``create_graph`` (double backward) or
    vmap (batched gradients), where it differentiates :func:`lstmkit.nn.autograd_loop.plain_layer`
    recomputed from the saved inputs.
    """

    @staticmethod
    def forward(
        ctx: Any,
        x: Tensor,
        h0: Tensor,
        c0: Tensor,
        w_ih: Tensor,
        w_hh: Tensor,
        b_ih: Tensor | None,
        b_hh: Tensor | None,
        w_hr: Tensor | None,
        sched: Schedule,
        reverse: bool,
    ) -> tuple[Tensor, Tensor, Tensor]:
        hid = w_hh.size(0) // 4
        w_ih_i, w_hh_i = to_internal(w_ih, hid), to_internal(w_hh, hid)
        bias = None if b_ih is None or b_hh is None else to_internal(b_ih + b_hh, hid)
        fwd = layer_forward(
            x.contiguous(), h0.contiguous(), c0.contiguous(), w_ih_i, w_hh_i, bias, w_hr, sched, reverse
        )
        h_n, c_n = final_state(fwd.out, sched, reverse), final_state(fwd.cell, sched, reverse)
        ctx.sched, ctx.reverse, ctx.hid = sched, reverse, hid
        r = fwd.r if w_hr is not None else None  # without projection r is out, saved already
        # the inputs as given (their graphs intact, for the recomputing backward), then the
        # internal-order weights and what the forward kept
        ctx.save_for_backward(
            x,
            h0,
            c0,
            w_ih,
            w_hh,
            b_ih,
            b_hh,
            w_hr,
            w_ih_i,
            w_hh_i,
            fwd.out,
            fwd.gates,
            fwd.cell,
            fwd.tcell,
            r,
        )
        return fwd.out, h_n, c_n

    @staticmethod
    def backward(ctx, d_out: Tensor, d_hn: Tensor, d_cn: Tensor):
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, w_ih_i, w_hh_i, out, gates, cell, tcell, r = (
            ctx.saved_tensors
        )
        nd = ctx.needs_input_grad
        if autograd_loop.needs_recompute(
            (d_out, d_hn, d_cn)
        ):  # create_graph or vmap: differentiate the autograd loop
            run = functools.partial(autograd_loop.plain_layer, sched=ctx.sched, reverse=ctx.reverse)
            grads = autograd_loop.recompute_backward(
                run, (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr), nd[:8], (d_out, d_hn, d_cn)
            )
            return (*grads, None, None)
        fwd = LayerResult(out, gates, cell, tcell, out if r is None else r)
        needs = (nd[0], nd[1], nd[2], nd[3], nd[4], nd[5] or nd[6], nd[7])
        dx, dh0, dc0, dw_ih, dw_hh, db, dw_hr = layer_backward(
            d_out.contiguous(),
            d_hn,
            d_cn,
            x=x.contiguous(),
            h0=h0.contiguous(),
            c0=c0.contiguous(),
            w_ih=w_ih_i,
            w_hh=w_hh_i,
            w_hr=w_hr,
            fwd=fwd,
            sched=ctx.sched,
            reverse=ctx.reverse,
            needs=needs,
        )
        hid = ctx.hid
        dw_ih = None if dw_ih is None else to_torch_order(dw_ih, hid)
        dw_hh = None if dw_hh is None else to_torch_order(dw_hh, hid)
        db = None if (db is None or b_ih is None) else to_torch_order(db, hid)
        db2 = None if db is None else db.clone()  # b_ih and b_hh must not share one tensor
        return dx, dh0, dc0, dw_ih, dw_hh, db, db2, dw_hr, None, None


def infer_layer(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    bias: Tensor | None,
    w_hr: Tensor | None,
    sched: Schedule,
    reverse: bool,
) -> tuple[Tensor, Tensor, Tensor]:
    """:func:`layer_forward` when no backward will follow: ``(out (N, P), h_n, c_n)``.

    With the compiled loop and a padded batch, the steps run in chunks of about 4 MiB of gates,
    each chunk's input projection, gates, cell and tanh(cell) in buffers the allocator reuses,
    so a long sequence never touches (and page-faults) memory for all steps' gates. Arguments
    as :func:`layer_forward` (internal gate order).
    """
    hid, batch, steps = w_hh.size(0) // 4, sched.batch, sched.steps
    per = max(1, _CHUNK_GATES // max(1, batch * 4 * hid))  # steps per chunk
    if per >= steps or not sched.is_uniform or not kernel.usable_for(x):
        fwd = layer_forward(x, h0, c0, w_ih, w_hh, bias, w_hr, sched, reverse)
        return fwd.out, final_state(fwd.out, sched, reverse), final_state(fwd.cell, sched, reverse)
    out = x.new_empty(x.size(0), h0.size(1))  # (N, P)
    w_hh_t = w_hh.t().contiguous()  # (P, 4H)
    w_hr_t = None if w_hr is None else w_hr.t()  # (H, P)
    h, c = h0.contiguous(), c0.contiguous()
    starts = list(range(0, steps, per))
    for start in reversed(starts) if reverse else starts:
        n = min(per, steps - start)
        rows = slice(start * batch, (start + n) * batch)
        gates = kernel.linear(x[rows], w_ih, bias)  # (n B, 4H)
        cell, tcell = x.new_empty(n * batch, hid), x.new_empty(n * batch, hid)
        y = out[rows]
        r = y if w_hr is None else x.new_empty(n * batch, hid)
        torch.ops.lstmkit.forward_loop(gates, cell, tcell, r, y, h, c, w_hh_t, w_hr_t, [batch] * n, reverse)
        last = slice(0, batch) if reverse else slice((n - 1) * batch, n * batch)  # the chunk's final step
        h, c = y[last], cell[last]
    return out, h.clone(), c.clone()


def explicit_layer(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    weights: list[Tensor],
    *,
    has_bias: bool,
    sched: Schedule,
    reverse: bool,
) -> tuple[Tensor, Tensor, Tensor]:
    """Apply :class:`LSTMLayerFunction` with a layer-direction's weights in torch's flat order."""
    w_ih, w_hh = weights[0], weights[1]
    b_ih, b_hh = (weights[2], weights[3]) if has_bias else (None, None)
    w_hr = weights[4 if has_bias else 2] if len(weights) == (5 if has_bias else 3) else None
    if autograd_loop.use_autograd_path(sched):  # under torch.func, or an empty batch
        return autograd_loop.plain_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, sched, reverse)
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (x, h0, c0, *weights)):
        return LSTMLayerFunction.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, sched, reverse)
    hid = w_hh.size(0) // 4  # inference: no graph, no saved tensors
    bias = None if b_ih is None or b_hh is None else to_internal(b_ih + b_hh, hid)
    return infer_layer(
        x.contiguous(), h0, c0, to_internal(w_ih, hid), to_internal(w_hh, hid), bias, w_hr, sched, reverse
    )
