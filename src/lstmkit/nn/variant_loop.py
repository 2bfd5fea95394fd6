"""The PyTorch time loops of the variant layer: ``csrc/variant_loop.cpp`` written as torch ops.

:func:`variant_forward_loop` and :func:`variant_backward_loop` take the arguments of the ops
``torch.ops.lstmkit.variant_forward_loop`` / ``variant_backward_loop`` and fill the same
buffers with the same numbers (up to rounding), one step at a time and without autograd: the
hand-written backward of :class:`lstmkit.nn.variant_explicit.VariantLayerFunction` where the
extension is unavailable (GPU, no compiler, ``LSTMKIT_NO_EXTENSION=1``). The equations are in
:mod:`lstmkit.nn.variant_explicit`; gate blocks in torch's order [i, f, g, o].
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from lstmkit.nn import variants  # at call time: variants imports this module's caller
from lstmkit.nn.schedule import Schedule, prev_state, shifted


def _hard_sigmoid_grad(x: Tensor, y: Tensor) -> Tensor:
    v = x / 6 + 0.5
    return ((v >= 0) & (v <= 1)).to(x.dtype) / 6


def _gelu_grad(x: Tensor, y: Tensor) -> Tensor:
    return 0.5 * (1 + torch.erf(x * math.sqrt(0.5))) + x * torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _silu_grad(x: Tensor, y: Tensor) -> Tensor:
    s = torch.sigmoid(x)
    return s * (1 + x * (1 - s))


# act'(x) given x and y = act(x), autograd's conventions at the kinks; order of ACTIVATIONS
_GRADS: list[Callable[[Tensor, Tensor], Tensor]] = [
    lambda x, y: 1 - y * y,  # tanh
    lambda x, y: y * (1 - y),  # sigmoid
    _hard_sigmoid_grad,
    lambda x, y: ((x > -1) & (x < 1)).to(x.dtype),  # hard_tanh
    lambda x, y: (x > 0).to(x.dtype),  # relu
    lambda x, y: 1 / (1 + x.abs()) ** 2,  # softsign
    lambda x, y: torch.where(x > 0, torch.ones_like(x), torch.exp(x)),  # elu
    _gelu_grad,
    _silu_grad,
    lambda x, y: torch.ones_like(x),  # identity
]


def _normalize(v: Tensor, out: Tensor, inv_std: Tensor) -> None:
    """``out = (v - mean) / sqrt(var + eps)`` per row; ``inv_std (n,)`` gets 1 / sqrt(var + eps)."""
    normed, _, rstd = torch.native_layer_norm(v, [v.size(1)], None, None, variants.LN_EPS)
    out.copy_(normed)
    inv_std.copy_(rstd.view(-1))


def _normalize_backward(g: Tensor, xn: Tensor, inv_std: Tensor) -> Tensor:
    """The layer norm's input gradient from ``g = dy * gain``, the normalised input and 1/std."""
    return inv_std.unsqueeze(1) * (g - g.mean(1, keepdim=True) - xn * (g * xn).mean(1, keepdim=True))


# packed as the op schema in csrc/variant_loop.cpp (27 arguments, its order), hence the fmt: skip
def variant_forward_loop(pre: Tensor, gates: Tensor, cell: Tensor, phic: Tensor, r: Tensor, out: Tensor,
                         zn: Tensor | None, s_hh: Tensor | None, cn: Tensor | None, s_c: Tensor | None,
                         h0: Tensor, c0: Tensor, w_hh_t: Tensor, w_hr_t: Tensor | None, ln_hh_w: Tensor | None,
                         ln_hh_b: Tensor | None, ln_c_w: Tensor | None, ln_c_b: Tensor | None,
                         peep: Tensor | None, h_mask: Tensor | None, kc: Tensor | None, kh: Tensor | None,
                         act: int, ract: int, coupled: bool, bs: list[int], reverse: bool) -> None:  # fmt: skip
    """``variant_forward_loop`` in torch ops: fills the buffers in place."""
    sched = Schedule.of(tuple(bs))
    forward = list(variants.ACTIVATIONS.values())  # by activation code
    phi, sig = forward[act], forward[ract]
    y_s, c_s = out.split(bs), cell.split(bs)
    for t in sched.order(reverse):
        n, rows = bs[t], slice(sched.offsets[t], sched.offsets[t] + bs[t])
        hp, cp = prev_state(y_s, h0, sched, t, reverse), prev_state(c_s, c0, sched, t, reverse)
        z = torch.mm(hp if h_mask is None else hp * h_mask[:n], w_hh_t)  # (n, 4H)
        a = pre[rows]
        if zn is not None:
            assert s_hh is not None and ln_hh_w is not None and ln_hh_b is not None  # come with zn
            _normalize(z, zn[rows], s_hh[rows])
            a.addcmul_(zn[rows], ln_hh_w).add_(ln_hh_b)
        else:
            a.add_(z)
        a_i, a_f, a_g, a_o = a.chunk(4, dim=1)  # (n, H) each
        if peep is not None:
            a_i.addcmul_(peep[0], cp)
            a_f.addcmul_(peep[1], cp)
        i, f, g, o = gates[rows].chunk(4, dim=1)
        i.copy_(sig(a_i))
        f.copy_(1 - i if coupled else sig(a_f))
        g.copy_(phi(a_g))
        c = c_s[t]
        torch.addcmul(f * cp, i, g, out=c)
        if kc is not None:
            c.addcmul_(kc[rows], cp - c)
        if peep is not None:
            a_o.addcmul_(peep[2], c)
        o.copy_(sig(a_o))
        cl = c
        if cn is not None:
            assert s_c is not None and ln_c_w is not None and ln_c_b is not None  # come with cn
            _normalize(c, cn[rows], s_c[rows])
            cl = cn[rows] * ln_c_w + ln_c_b
        phic[rows] = phi(cl)
        torch.mul(o, phic[rows], out=r[rows])
        ht = r[rows] if w_hr_t is None else torch.mm(r[rows], w_hr_t)  # (n, P)
        if kh is not None:
            y_s[t].copy_(ht + kh[rows] * (hp - ht))
        elif w_hr_t is not None or r.data_ptr() != out.data_ptr():
            y_s[t].copy_(ht)


# packed as the op schema in csrc/variant_loop.cpp (30 arguments, its order), hence the fmt: skip
def variant_backward_loop(d_out: Tensor, dh_run: Tensor, dc_run: Tensor, d_a: Tensor, d_z: Tensor,
                          d_hid: Tensor | None, acc: Tensor, pre: Tensor, gates: Tensor, cell: Tensor,
                          phic: Tensor, zn: Tensor | None, s_hh: Tensor | None, cn: Tensor | None,
                          s_c: Tensor | None, c0: Tensor, w_hh: Tensor, w_hr: Tensor | None,
                          ln_hh_w: Tensor | None, ln_c_w: Tensor | None, ln_c_b: Tensor | None,
                          peep: Tensor | None, h_mask: Tensor | None, kc: Tensor | None, kh: Tensor | None,
                          act: int, ract: int, coupled: bool, bs: list[int], reverse: bool) -> None:  # fmt: skip
    """``variant_backward_loop`` in torch ops: fills ``d_a, d_z, d_hid, acc``, updates ``dh_run, dc_run``."""
    sched, hid = Schedule.of(tuple(bs)), cell.size(1)
    dphi, dsig = _GRADS[act], _GRADS[ract]
    ln = zn is not None
    acc_ln = acc[: 10 * hid] if ln else None  # dγ_hh, dβ_hh (4H each), dγ_c, dβ_c (H each)
    acc_p = acc[10 * hid if ln else 0 :].view(-1, hid) if peep is not None else None  # dp (3, H)
    c_s = cell.split(bs)
    # what the forward left fixes every local derivative, for all rows at once:
    # fac = [σ'(a_i), σ'(a_f), φ'(a_g), φ(cl) σ'(a_o)] (N, 4H), k = o φ'(cl) (N, H)
    i, f, g, o = gates.chunk(4, dim=1)
    a_i, a_f, a_g, a_o = pre.chunk(4, dim=1)
    cl = cell
    if cn is not None:
        assert ln_c_w is not None and ln_c_b is not None  # come with cn
        cl = cn * ln_c_w + ln_c_b
    fac = torch.cat([dsig(a_i, i), dsig(a_f, f), dphi(a_g, g), phic * dsig(a_o, o)], dim=1)
    k = o * dphi(cl, phic)
    d_cl_all = torch.empty_like(cell) if cn is not None else None  # (N, H) for dγ_c, dβ_c
    for t in reversed(sched.order(reverse)):
        n, rows = bs[t], slice(sched.offsets[t], sched.offsets[t] + bs[t])
        dh, dc = dh_run[:n], dc_run[:n]
        dh.add_(d_out[rows])
        dht = dh if kh is None else dh - kh[rows] * dh  # (n, P) dh̃
        dr = dht
        if w_hr is not None:
            assert d_hid is not None  # comes with w_hr
            d_hid[rows] = dht
            dr = torch.mm(dht, w_hr)  # (n, H)
        cp = prev_state(c_s, c0, sched, t, reverse)
        i_t, f_t, g_t, _ = gates[rows].chunk(4, dim=1)
        d_cl = dr * k[rows] if d_cl_all is None else torch.mul(dr, k[rows], out=d_cl_all[rows])
        da = d_a[rows]
        da_i, da_f, da_g, da_o = da.chunk(4, dim=1)
        torch.mul(dr, fac[rows, 3 * hid :], out=da_o)
        if cn is not None:
            assert ln_c_w is not None and s_c is not None  # come with cn
            dc.add_(_normalize_backward(d_cl * ln_c_w, cn[rows], s_c[rows]))
        else:
            dc.add_(d_cl)
        if peep is not None:
            dc.addcmul_(da_o, peep[2])
        dt = dc.clone() if kc is None else dc - kc[rows] * dc  # dc̃
        torch.mul(dt, g_t, out=da_i)
        torch.mul(dt, cp, out=da_f)
        torch.mul(dt, i_t, out=da_g)
        if kc is None:
            torch.mul(dt, f_t, out=dc)
        else:
            dc.mul_(kc[rows]).addcmul_(dt, f_t)
        if coupled:  # f = 1 - i
            da_i.sub_(da_f)
            da_f.zero_()
        da[:, : 3 * hid].mul_(fac[rows, : 3 * hid])
        if peep is not None:
            dc.addcmul_(da_i, peep[0]).addcmul_(da_f, peep[1])
        if zn is not None:
            assert ln_hh_w is not None and s_hh is not None  # come with zn
            d_z[rows] = _normalize_backward(da * ln_hh_w, zn[rows], s_hh[rows])
        back = torch.mm(d_z[rows], w_hh)  # (n, P)
        if h_mask is not None:
            back = back * h_mask[:n]
        if kh is None:
            dh.copy_(back)
        else:
            dh.mul_(kh[rows]).add_(back)
    if acc_ln is not None:
        assert zn is not None and cn is not None and d_cl_all is not None  # layer norm: both norms
        acc_ln += torch.cat([(d_a * zn).sum(0), d_a.sum(0), (d_cl_all * cn).sum(0), d_cl_all.sum(0)])
    if acc_p is not None:
        c_prev = shifted(cell, c0, sched, reverse)  # (N, H)
        d_i, d_f, d_o = d_a[:, :hid], d_a[:, hid : 2 * hid], d_a[:, 3 * hid :]
        acc_p += torch.stack([(d_i * c_prev).sum(0), (d_f * c_prev).sum(0), (d_o * cell).sum(0)])
