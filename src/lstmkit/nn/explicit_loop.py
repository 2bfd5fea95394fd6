"""The explicit backend's time loops in PyTorch ops: ``csrc/explicit_loop.cpp`` written as torch ops.

:func:`forward_loop` and :func:`backward_loop` take the arguments of the ops
``torch.ops.lstmkit.forward_loop`` / ``backward_loop`` and fill the same buffers with the same
numbers (up to rounding), one step at a time and without autograd: the loops of
:mod:`lstmkit.nn.explicit` where the extension is unavailable (GPU, no compiler,
``LSTMKIT_NO_EXTENSION=1``). Equations and layout in :mod:`lstmkit.nn.explicit`; gate blocks in the
internal order [o, i, f, g].
"""

from __future__ import annotations

import torch
from torch import Tensor

from lstmkit.nn.schedule import Schedule, prev_state, prev_views, shifted

# Rows per chunk of the backward's factor computation: about 256 KiB of float32 gates.
_CHUNK_ELEMENTS = 1 << 16


def grad_factors(
    gates: Tensor, tcell: Tensor, cell: Tensor, c0: Tensor, sched: Schedule, reverse: bool
) -> tuple[Tensor, Tensor]:
    """The factors that turn state gradients into gate gradients, for all steps::

        p_o = σ'(o) tanh(c_t)    p_i = σ'(i) g    p_f = σ'(f) c_{t-1}    p_g = i (1 - g²)
        k = o (1 - tanh(c_t)²)                      # dc_t / dr_t

    Computed in chunks of rows small enough to stay in cache: a handful of whole-tensor ops
    per chunk instead of per step. For the PyTorch loop; the compiled one computes them inline.

    Returns:
        ``p (N, 4H)`` in internal order [o,i,f,g] and ``k (N, H)``.
    """
    n_rows, hid = cell.shape
    c_prev = shifted(cell, c0, sched, reverse)  # (N, H)
    p, k = torch.empty_like(gates), torch.empty_like(cell)
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
        torch.addcmul(o, o * tc, tc, value=-1, out=k[rows])  # o - o tanh(c)²
    return p, k


def forward_loop(
    gates: Tensor,
    cell: Tensor,
    tcell: Tensor,
    r: Tensor,
    out: Tensor,
    h0: Tensor,
    c0: Tensor,
    w_hh_t: Tensor,
    w_hr_t: Tensor | None,
    batch_sizes: list[int],
    reverse: bool,
) -> None:
    """``forward_loop`` in torch ops: fills ``gates`` (the input part in, the activated gates out),
    ``cell``, ``tcell`` = tanh(c), ``r`` = o tanh(c) and ``out`` in place."""
    sched, bs, hid = Schedule.of(tuple(batch_sizes)), batch_sizes, cell.size(1)
    g_all, sig, cand = gates.split(bs), gates[:, : 3 * hid].split(bs), gates[:, 3 * hid :].split(bs)
    o_s, i_s, f_s = (gates[:, k * hid : (k + 1) * hid].split(bs) for k in range(3))
    c_s, tc_s, r_s, y_s = cell.split(bs), tcell.split(bs), r.split(bs), out.split(bs)
    h_prev, c_prev = prev_views(y_s, h0, sched, reverse), prev_views(c_s, c0, sched, reverse)
    for t in sched.order(reverse):
        hp, cp = h_prev[t], c_prev[t]
        if hp is None or cp is None:  # a reverse direction's batch grows: new rows start from h0, c0
            hp, cp = prev_state(y_s, h0, sched, t, reverse), prev_state(c_s, c0, sched, t, reverse)
        g_all[t].addmm_(hp, w_hh_t)
        sig[t].sigmoid_()
        cand[t].tanh_()
        c, tc = c_s[t], tc_s[t]
        torch.mul(f_s[t], cp, out=c)
        c.addcmul_(i_s[t], cand[t])
        torch.tanh(c, out=tc)
        torch.mul(o_s[t], tc, out=r_s[t])
        if w_hr_t is not None:
            torch.mm(r_s[t], w_hr_t, out=y_s[t])


def backward_loop(
    d_out: Tensor,
    dh_run: Tensor,
    dc_run: Tensor,
    d_gates: Tensor,
    d_hid: Tensor | None,
    gates: Tensor,
    tcell: Tensor,
    cell: Tensor,
    c0: Tensor,
    w_hh: Tensor,
    w_hr: Tensor | None,
    batch_sizes: list[int],
    reverse: bool,
) -> None:
    """``backward_loop`` in torch ops: fills ``d_gates`` and ``d_hid`` (projections only) and turns
    ``dh_run, dc_run`` from ``dh_n, dc_n`` into ``dh_0, dc_0``, in place."""
    sched, hid = Schedule.of(tuple(batch_sizes)), cell.size(1)
    p, k = grad_factors(gates, tcell, cell, c0, sched, reverse)
    bs, n_rows = sched.batch_sizes, gates.size(0)
    dg_all = d_gates.split(bs)
    dg_o = d_gates[:, :hid].split(bs)
    dg_ifg = d_gates.view(n_rows, 4, hid)[:, 1:].split(bs)  # (n, 3, H) per step
    p_o = p[:, :hid].split(bs)
    p_ifg = p.view(n_rows, 4, hid)[:, 1:].split(bs)
    k_s, f_s, dy_s = k.split(bs), gates[:, 2 * hid : 3 * hid].split(bs), d_out.split(bs)

    rows = {n: (dh_run[:n], dc_run[:n], dc_run[:n].unsqueeze(1)) for n in set(bs)}
    if w_hr is not None and d_hid is not None:  # d_hid (N, P): the gradient wrt the output h, for dW_hr
        dh_s = d_hid.split(bs)
        dr_buf = dc_run.new_empty(dc_run.shape)  # (B, H)
        dr_rows = {n: dr_buf[:n] for n in set(bs)}
    order = list(reversed(sched.order(reverse)))
    if sched.is_uniform:
        # dh_t = dy_t + dA_{t+1} W_hh arrives in one addmm; dh holds dy + carry on entry.
        dh, dc, dc3 = rows[bs[0]]
        dh_in = dh if w_hr is None else dh_s[order[0]]  # (B, P)
        torch.add(dy_s[order[0]], dh, out=dh_in)
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
        return
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
