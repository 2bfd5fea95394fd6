"""Tracing: every gate, cell and hidden state of every step of every layer and direction.

On the explicit backend the trace is what the forward computes anyway (variants included). So
is it on the fused backend where the compiled loop applies (:mod:`lstmkit.nn.kernel`; a small trace
takes it only if this process has it already, rather than wait for a build): the
explicit forward gives torch's numbers up to rounding and records every step in one pass,
which costs less than running torch's kernel and then recovering the gates (with several
layers or directions of a padded batch, straight into the trace's buffers: no stacking copy). Elsewhere
(GPU, no compiler) torch's kernel runs layer by layer (so each layer's input is known), and
the gates are recovered afterwards from the hidden sequence with batched matmuls over all steps::

    A = X W_ih^T + H_prev W_hh^T + b_ih + b_hh          # (N, 4H), H_prev = h shifted by one step
    i, f, g, o = σ(A_i), σ(A_f), tanh(A_g), σ(A_o)
    c_t = f_t * c_{t-1} + i_t * g_t                      # a linear recurrence: scan or loop

Tracing runs under ``torch.no_grad()``. The record, :class:`LSTMTrace`, is defined beside the
reference LSTM (:mod:`lstmkit.nn.reference`), whose trace every backend's must equal.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor
from torch.nn import functional as F

from lstmkit.nn import kernel
from lstmkit.nn.explicit import layer_forward, to_internal
from lstmkit.nn.fused import fused_lstm
from lstmkit.nn.reference import LSTMTrace
from lstmkit.nn.schedule import Schedule, final_state, prev_state, prev_views, shifted, to_padded
from lstmkit.nn.variant_explicit import variant_layer

if TYPE_CHECKING:
    from torch.nn.utils.rnn import PackedSequence

    from lstmkit.nn.lstm import LSTM

# i, f, g, o in the explicit loop's gate storage, internal order [o, i, f, g], per unit of H
_STORE_GATES_BLOCKS = (1, 2, 3, 0)

# The cell recurrence runs as a log-depth scan over whole tensors (about 4 log2(T) ops on all
# T * B * H elements) when a step is tiny, B * H * log2(T) up to this bound; otherwise as a
# per-step loop (one addcmul a step on cache-resident rows), which is cheaper.
_SCAN_MAX_WORK = 512


def cell_sequence(f: Tensor, u: Tensor, c0: Tensor, sched: Schedule, reverse: bool) -> Tensor:
    """Solve ``c_t = f_t * c_{t-1} + u_t`` for all steps.

    Args:
        f, u: ``(N, H)`` in the packed layout.
        c0: ``(B, H)``.

    Returns:
        ``(N, H)``.
    """
    steps = sched.steps
    if sched.is_uniform and sched.batch * f.size(1) * math.ceil(math.log2(max(steps, 2))) <= _SCAN_MAX_WORK:
        a = f.view(steps, sched.batch, -1)  # (T, B, H)
        b = u.view(steps, sched.batch, -1)
        if reverse:
            a, b = a.flip(0), b.flip(0)
        else:
            a, b = a.clone(), b.clone()  # the scan works in place
        b[0].addcmul_(a[0], c0)
        d = 1
        while d < steps:  # Hillis-Steele: b_t <- b_t + a_t b_{t-d};  a_t <- a_t a_{t-d}
            b[d:] += a[d:] * b[:-d]
            if 2 * d < steps:
                a[d:] = a[d:] * a[:-d]
            d *= 2
        b = b.flip(0) if reverse else b
        return b.reshape(f.shape)
    cell = torch.empty_like(u)
    c_s, f_s, u_s = cell.split(sched.batch_sizes), f.split(sched.batch_sizes), u.split(sched.batch_sizes)
    c_prev = prev_views(c_s, c0, sched, reverse)
    for t in sched.order(reverse):
        cp = c_prev[t]
        if cp is None:  # no single view: assembled from the previous step and c0
            cp = prev_state(c_s, c0, sched, t, reverse)
        torch.addcmul(u_s[t], f_s[t], cp, out=c_s[t])
    return cell


def _recover(
    x: Tensor,
    y: Tensor,
    h0: Tensor,
    c0: Tensor,
    weights: list[Tensor],
    has_bias: bool,
    sched: Schedule,
    reverse: bool,
) -> list[Tensor]:
    """Gates and cell of one layer-direction from its input ``x (N, F)`` and hidden ``y (N, P)``."""
    w_ih, w_hh = weights[0], weights[1]
    hid = w_hh.size(0) // 4
    if has_bias:
        pre = torch.addmm(weights[2] + weights[3], x, w_ih.t())  # (N, 4H)
    else:
        pre = torch.mm(x, w_ih.t())
    pre.addmm_(shifted(y, h0, sched, reverse), w_hh.t())
    i, f, g, o = pre.chunk(4, dim=1)  # (N, H) each
    pre[:, : 2 * hid].sigmoid_()
    o.sigmoid_()
    g.tanh_()
    cell = cell_sequence(f, i * g, c0, sched, reverse)
    return [i, f, g, o, cell, y]


def _fused_layer_records(
    lstm: LSTM, layer: int, x: Tensor, h0: Tensor, c0: Tensor, prep: Any
) -> tuple[list[list[Tensor]], Tensor, list[Tensor], list[Tensor]]:
    """:func:`_layer_records` on torch's kernel: the layer's outputs, then the gates recovered from them."""
    dirs, sched = lstm.num_directions, prep.sched
    weights = [w for d in range(dirs) for w in lstm.layer_weights(layer, d)]
    data = x if prep.batch_sizes is not None else x.view(sched.steps, sched.batch, x.size(-1))
    out, hl, cl = fused_lstm(
        data,
        (h0, c0),
        weights,
        batch_sizes=prep.batch_sizes,
        bias=lstm.bias,
        num_layers=1,
        dropout=0.0,
        training=False,
        bidirectional=lstm.bidirectional,
        batch_first=False,
    )
    out = out.reshape(sched.rows, -1)  # (N, D*P)
    width = out.size(1) // dirs
    records = []
    for d in range(dirs):
        y = out[:, d * width : (d + 1) * width].contiguous()
        records.append(_recover(x, y, h0[d], c0[d], lstm.layer_weights(layer, d), lstm.bias, sched, d == 1))
    return records, out, list(hl), list(cl)


def _layer_records(
    lstm: LSTM,
    layer: int,
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    prep: Any,
    backend: str,
    store: list[Tensor] | None,
    compiled: bool,
) -> tuple[list[list[Tensor]], Tensor, list[Tensor], list[Tensor]]:
    """Run one layer (all directions): per-direction records, its output (N, D*P), h_n, c_n.

    ``store``: the trace's gates, cell and hidden buffers ``(L*D, N, X)``, written in place by
    the explicit loop, or None. ``compiled``: the compiled loops are to be used (fused backend).
    """
    dirs, sched = lstm.num_directions, prep.sched
    records, outs, h_n, c_n = [], [], [], []
    if backend == "fused" and not compiled:
        return _fused_layer_records(lstm, layer, x, h0, c0, prep)
    if lstm.variants.changes_math:
        for d in range(dirs):
            y, hn, cn, rec = variant_layer(
                x,
                h0[d],
                c0[d],
                lstm.layer_weights(layer, d),
                lstm.variant_weights(layer, d),
                lstm.variants,
                has_bias=lstm.bias,
                sched=sched,
                reverse=d == 1,
                training=lstm.training,
                record=True,
            )
            assert rec is not None  # asked for with record=True
            records.append(rec)
            outs.append(y)
            h_n.append(hn)
            c_n.append(cn)
        return records, outs[0] if dirs == 1 else torch.cat(outs, 1), h_n, c_n
    for d in range(dirs):
        w = lstm.layer_weights(layer, d)
        hid = lstm.hidden_size
        bias = to_internal(w[2] + w[3], hid) if lstm.bias else None
        w_hr = w[-1] if lstm.proj_size else None
        k = layer * lstm.num_directions + d
        into = None if store is None else (store[0][k], store[1][k], store[2][k])
        y, gates, cell, _, _ = layer_forward(
            x,
            h0[d].contiguous(),
            c0[d].contiguous(),
            to_internal(w[0], hid),
            to_internal(w[1], hid),
            bias,
            w_hr,
            sched,
            d == 1,
            into=into,
        )
        o, i, f, g = gates.chunk(4, dim=1)
        records.append([i, f, g, o, cell, y])
        outs.append(y)
        h_n.append(final_state(y, sched, d == 1))
        c_n.append(final_state(cell, sched, d == 1))
    return records, outs[0] if dirs == 1 else torch.cat(outs, 1), h_n, c_n


def trace_lstm(lstm: LSTM, input: Tensor | PackedSequence, hx: tuple[Tensor, Tensor] | None) -> LSTMTrace:
    """Run ``lstm`` over ``input`` and record every step; see :class:`LSTMTrace`."""
    with torch.no_grad():
        prep = lstm.prepare(input, hx)
        backend, dirs = lstm.resolved_backend(), lstm.num_directions
        x = prep.rows(lstm.batch_first)  # (N, F)
        sched, lead, hid = prep.sched, lstm.num_layers * dirs, lstm.hidden_size
        store = None  # several layer-directions of a padded batch: written in place, no stacking
        # a small trace takes the compiled loops only if this process has them: no build for it
        compiled = kernel.usable_for(x, work=sched.rows * hid * lead)
        explicit_loop = not lstm.variants.changes_math and (backend == "explicit" or compiled)
        if explicit_loop and lead > 1 and sched.is_uniform:
            store = [x.new_empty(lead, sched.rows, width) for width in (4 * hid, hid, lstm.proj_size or hid)]
        records, h_n, c_n = [], [], []
        for layer in range(lstm.num_layers):
            k = layer * dirs
            recs, x, hl, cl = _layer_records(
                lstm, layer, x, prep.h0[k : k + dirs], prep.c0[k : k + dirs], prep, backend, store, compiled
            )
            records += recs
            h_n += hl
            c_n += cl
            if lstm.dropout > 0 and lstm.training and layer < lstm.num_layers - 1:
                x = F.dropout(x, lstm.dropout, training=True)
        if prep.batch_sizes is None:
            out = x.view(sched.steps, sched.batch, x.size(-1))  # (T, B, D*P)
            out = out.transpose(0, 1) if lstm.batch_first else out
        else:
            out = x
        output, (h_n_t, c_n_t) = lstm.finish(prep, out, torch.stack(h_n), torch.stack(c_n))
        fields = []
        for j in range(6):
            if store is not None:  # views of the gates [o, i, f, g], cell and hidden buffers
                if j < 4:
                    b = _STORE_GATES_BLOCKS[j]
                    part = store[0][..., b * hid : (b + 1) * hid]
                else:
                    part = store[j - 3]
                seq = part.view(lead, sched.steps, sched.batch, part.size(-1))  # (L*D, T, B, X)
            elif len(records) == 1:  # a view, no copy
                seq = to_padded(records[0][j], sched, prep.unsorted_indices).unsqueeze(0)  # (1, T, B, X)
            else:
                seq = torch.stack(
                    [to_padded(r[j], sched, prep.unsorted_indices) for r in records]
                )  # (L*D, T, B, X)
            if lstm.batch_first:
                seq = seq.transpose(1, 2)  # (L*D, B, T, X)
            if not prep.batched:
                seq = seq.squeeze(1 if lstm.batch_first else 2)
            fields.append(seq)
        return LSTMTrace(output, h_n_t, c_n_t, *fields)
