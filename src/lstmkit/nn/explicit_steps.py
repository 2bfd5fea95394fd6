"""The PyTorch backward time loop of the explicit backend, where the compiled one does not apply.

:func:`backward_steps` fills the same buffers as ``torch.ops.lstmkit.backward_loop``
(``csrc/lstm_loop.cpp``) with the same numbers up to rounding: GPU, no compiler,
``LSTMKIT_NO_EXTENSION=1``. Equations and layout in :mod:`lstmkit.nn.explicit`; gate blocks in the
internal order [o, i, f, g].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

from lstmkit.nn.schedule import Schedule, shifted

if TYPE_CHECKING:
    from lstmkit.nn.explicit import LayerResult

# Rows per chunk of the backward's factor computation: about 256 KiB of float32 gates.
_CHUNK_ELEMENTS = 1 << 16


def grad_factors(fwd: LayerResult, c0: Tensor, sched: Schedule, reverse: bool) -> tuple[Tensor, Tensor]:
    """The factors that turn state gradients into gate gradients, for all steps::

        p_o = σ'(o) tanh(c_t)    p_i = σ'(i) g    p_f = σ'(f) c_{t-1}    p_g = i (1 - g²)
        k = o (1 - tanh(c_t)²)                      # dc_t / dr_t

    Computed in chunks of rows small enough to stay in cache: a handful of whole-tensor ops
    per chunk instead of per step. For the PyTorch loop; the compiled one computes them inline.

    Returns:
        ``p (N, 4H)`` in internal order [o,i,f,g] and ``k (N, H)``.
    """
    gates, tcell, r = fwd.gates, fwd.tcell, fwd.r
    n_rows, hid = fwd.cell.shape
    c_prev = shifted(fwd.cell, c0, sched, reverse)  # (N, H)
    p, k = torch.empty_like(gates), torch.empty_like(fwd.cell)
    chunk = max(64, _CHUNK_ELEMENTS // (4 * hid))
    for a in range(0, n_rows, chunk):
        rows = slice(a, min(a + chunk, n_rows))
        s, pc, tc = gates[rows, : 3 * hid], p[rows], tcell[rows]
        o, i, g = gates[rows, :hid], gates[rows, hid : 2 * hid], gates[rows, 3 * hid :]
        torch.addcmul(s, s, s, value=-1, out=pc[:, : 3 * hid])  # σ' = σ - σ²
        pc[:, :hid].mul_(tc)
        pc[:, hid : 2 * hid].mul_(g)
        pc[:, 2 * hid : 3 * hid].mul_(c_prev[rows])
        pg = torch.mul(g, g, out=pc[:, 3 * hid :])
        torch.addcmul(i, i, pg, value=-1, out=pg)  # i - i g²
        torch.addcmul(o, r[rows], tc, value=-1, out=k[rows])  # o - o tanh(c)², r = o tanh(c)
    return p, k


def backward_steps(
    d_out: Tensor,
    d_hn: Tensor,
    d_cn: Tensor,
    d_gates: Tensor,
    fwd: LayerResult,
    c0: Tensor,
    w_hh: Tensor,
    w_hr: Tensor | None,
    sched: Schedule,
    reverse: bool,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """The PyTorch time loop of :func:`lstmkit.nn.explicit.layer_backward`: fills ``d_gates``, returns
    ``dh_0, dc_0, d_hid``."""
    gates, hid = fwd.gates, fwd.cell.size(1)
    p, k = grad_factors(fwd, c0, sched, reverse)
    bs, n_rows = sched.batch_sizes, gates.size(0)
    dg_all = d_gates.split(bs)
    dg_o = d_gates[:, :hid].split(bs)
    dg_ifg = d_gates.view(n_rows, 4, hid)[:, 1:].split(bs)  # (n, 3, H) per step
    p_o = p[:, :hid].split(bs)
    p_ifg = p.view(n_rows, 4, hid)[:, 1:].split(bs)
    k_s, f_s, dy_s = k.split(bs), gates[:, 2 * hid : 3 * hid].split(bs), d_out.split(bs)

    dh_run = d_hn.clone()  # (B, P)
    dc_run = d_cn.clone()  # (B, H)
    rows = {n: (dh_run[:n], dc_run[:n], dc_run[:n].unsqueeze(1)) for n in set(bs)}
    d_hid = None  # (N, P) gradient wrt the output h, kept for dW_hr
    if w_hr is not None:
        d_hid = torch.empty_like(fwd.out)
        dh_s = d_hid.split(bs)
        dr_buf = d_cn.new_empty(d_cn.shape)  # (B, H)
        dr_rows = {n: dr_buf[:n] for n in set(bs)}
    order = list(reversed(sched.order(reverse)))
    if sched.is_uniform:
        # dh_t = dy_t + dA_{t+1} W_hh arrives in one addmm; dh holds dy + carry on entry.
        dh, dc, dc3 = rows[bs[0]]
        dh_in = dh if w_hr is None else dh_s[order[0]]  # (B, P)
        torch.add(dy_s[order[0]], d_hn, out=dh_in)
        for j, t in enumerate(order):
            dr = dh_in if w_hr is None else torch.mm(dh_in, w_hr, out=dr_buf)  # (B, H)
            dc.addcmul_(dr, k_s[t])
            torch.mul(dr, p_o[t], out=dg_o[t])
            torch.mul(p_ifg[t], dc3, out=dg_ifg[t])
            dc.mul_(f_s[t])
            if j + 1 < len(order):
                q = order[j + 1]
                dh_in = dh if w_hr is None else dh_s[q]
                torch.addmm(dy_s[q], dg_all[t], w_hh, out=dh_in)
            else:
                torch.mm(dg_all[t], w_hh, out=dh)
        return dh_run, dc_run, d_hid
    for t in order:
        n = bs[t]
        dh, dc, dc3 = rows[n]
        if w_hr is None:
            dr = dh.add_(dy_s[t])
        else:
            torch.add(dy_s[t], dh, out=dh_s[t])
            dr = torch.mm(dh_s[t], w_hr, out=dr_rows[n])  # (n, H)
        dc.addcmul_(dr, k_s[t])
        torch.mul(dr, p_o[t], out=dg_o[t])
        torch.mul(p_ifg[t], dc3, out=dg_ifg[t])
        dc.mul_(f_s[t])
        torch.mm(dg_all[t], w_hh, out=dh)
    return dh_run, dc_run, d_hid
