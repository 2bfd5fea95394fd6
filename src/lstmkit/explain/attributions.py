"""Integrated gradients with an adaptive path: each input step's share of a scalar output's change.

Used by :mod:`lstmkit.explain.forecast` to attribute a forecast to the steps of its input window.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

COMPLETENESS_TOLERANCE = 0.01  # attributions add up to forecast - baseline within 1% of it
_SPLIT = (
    8  # an interval that misses completeness is cut in this many: steep stretches are reached in few rounds
)


def integrated_gradients(
    f: Any,
    x: torch.Tensor,
    baseline: torch.Tensor,
    *,
    steps: int = 32,
    near_zero: int = 0,
    max_points: int = 2048,
) -> tuple[np.ndarray, float, float]:
    """Integrated gradients of scalar ``f`` from ``baseline`` to ``x`` (both ``(W,)``), adaptive midpoint rule.

    The path ``b + a (x - b)``, a in [0, 1], starts as ``steps`` equal intervals (plus ``near_zero``
    log-spaced ones next to the baseline); each interval's share is ``(x - b) * grad f(midpoint) * width``.
    The intervals whose share misses their own change ``f(end) - f(start)`` the most are cut in
    :data:`_SPLIT` (only the new pieces are evaluated) until the attributions add up to ``f(x) - f(b)``
    within :data:`COMPLETENESS_TOLERANCE`, or there are ``max_points`` intervals: steep stretches, such as
    layer norm next to an all-zero input, get fine steps, smooth ones stay coarse.

    Returns:
        ``(attributions (W,), f(x), f(baseline))``.
    """
    delta = x - baseline

    def values(alphas: torch.Tensor) -> torch.Tensor:  # (S,) -> f on the path, (S,)
        with torch.no_grad():
            return f(baseline + alphas[:, None] * delta).double()

    def shares(
        lo: torch.Tensor, hi: torch.Tensor
    ) -> torch.Tensor:  # intervals (S,) -> their attributions (S, W)
        path = (baseline + ((lo + hi) / 2)[:, None] * delta).requires_grad_(True)
        (grad,) = torch.autograd.grad(f(path).sum(), path)
        return (delta * grad * (hi - lo)[:, None]).detach().double()

    knots = torch.linspace(0.0, 1.0, steps + 1, dtype=x.dtype)
    if near_zero:
        knots = torch.sort(torch.cat([knots, torch.logspace(-9, -1, near_zero, dtype=x.dtype)])).values
    ends = values(knots)
    lo, hi, f_lo, f_hi = knots[:-1], knots[1:], ends[:-1], ends[1:]
    part = shares(lo, hi)  # (S, W)
    fx, fb = float(ends[-1]), float(ends[0])
    while True:
        attr = part.sum(0)
        if (
            abs(float(attr.sum()) - (fx - fb)) <= COMPLETENESS_TOLERANCE * abs(fx - fb) + 1e-9
            or len(lo) >= max_points
        ):
            return attr.numpy(), fx, fb
        miss = ((f_hi - f_lo) - part.sum(1)).abs()  # (S,)
        order = torch.argsort(miss, descending=True)
        count = (
            int(torch.searchsorted(miss[order].cumsum(0), 0.5 * miss.sum())) + 1
        )  # those holding half the miss
        worst, keep = order[:count], order[count:]
        cuts = (
            lo[worst, None] + (hi - lo)[worst, None] * torch.arange(_SPLIT + 1, dtype=x.dtype) / _SPLIT
        )  # (c, 9)
        inner = values(cuts[:, 1:-1].flatten()).view(count, _SPLIT - 1)
        fv = torch.cat([f_lo[worst, None], inner, f_hi[worst, None]], dim=1)  # (c, 9)
        new_lo, new_hi = cuts[:, :-1].flatten(), cuts[:, 1:].flatten()
        lo, hi = torch.cat([lo[keep], new_lo]), torch.cat([hi[keep], new_hi])
        f_lo, f_hi = (
            torch.cat([f_lo[keep], fv[:, :-1].flatten()]),
            torch.cat([f_hi[keep], fv[:, 1:].flatten()]),
        )
        part = torch.cat([part[keep], shares(new_lo, new_hi)])
