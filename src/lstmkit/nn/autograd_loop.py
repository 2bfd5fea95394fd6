"""The explicit backend as plain autograd ops: the differentiable path behind the fast one.

The explicit backend's time loops (:class:`lstmkit.nn.explicit.LSTMLayerFunction`,
:class:`lstmkit.nn.variant_explicit.VariantLayerFunction`) have a hand-written, compiled
backward through time. This module runs the same step one time step at a time as ordinary
differentiable torch ops, out of place, so that autograd and torch.func can see through it.
It serves where the hand-written backward cannot:

- double backward (``create_graph=True``: gradient penalties, Hessian-vector products, MAML):
  the backward recomputes the layer here and differentiates it with ``create_graph``, so the
  gradient it returns has a graph (:func:`recompute_backward`);
- batched gradients (``torch.autograd.functional.jacobian(..., vectorize=True)``,
  ``gradcheck(check_batched_grad=True)``): the backward runs under vmap, and the same
  recomputation batches;
- torch.func transforms over the forward (``torch.func.grad``, ``jacrev``, ``vmap``), and an
  empty batch: the layer runs here from the start (:func:`use_autograd_path`).

The numbers are those of the fast path up to rounding; only speed differs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torch.nn import functional as F

from lstmkit.nn import reference
from lstmkit.nn.schedule import Schedule
from lstmkit.nn.variants import StepParams, Variants

_PLAIN = Variants()  # every variant off: the step of torch.nn.LSTM


def transforms_active() -> bool:
    """Whether a torch.func transform (vmap, grad, jvp, ...) is running around this call."""
    return bool(torch._C._are_functorch_transforms_active())


def use_autograd_path(sched: Schedule) -> bool:
    """Whether a layer-direction must run as autograd ops: under torch.func, or for an empty batch."""
    return sched.batch == 0 or transforms_active()


def _advance(state: Tensor, new: Tensor) -> Tensor:
    """The running state ``(B, X)`` with its first rows replaced by a step's ``(n, X)`` result."""
    return new if new.size(0) == state.size(0) else torch.cat([new, state[new.size(0) :]])


def run_steps(
    a_x: Tensor,
    h0: Tensor,
    c0: Tensor,
    sched: Schedule,
    reverse: bool,
    step: Callable[[Tensor, Tensor, Tensor, slice], tuple[Tensor, Tensor]],
) -> tuple[Tensor, Tensor, Tensor]:
    """Run ``step(a_x rows, h_prev, c_prev, rows) -> (h_t, c_t)`` over the packed schedule.

    The running states keep one row per sequence: in a forward direction the rows that have
    finished keep their final state, in a reverse one the rows that have not started yet keep
    their initial state, so after the loop they are ``h_n, c_n``.

    Returns:
        ``(out (N, P), h_n (B, P), c_n (B, H))``.
    """
    h, c = h0, c0
    outs: list[Tensor] = [a_x.new_empty(0)] * sched.steps
    for t in sched.order(reverse):
        n, first = sched.batch_sizes[t], sched.offsets[t]
        rows = slice(first, first + n)
        h_t, c_t = step(a_x[rows], h[:n], c[:n], rows)
        outs[t] = h_t
        h, c = _advance(h, h_t), _advance(c, c_t)
    out = torch.cat(outs) if sched.steps > 1 else outs[0]
    return out, h, c


def plain_layer(
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
    """One standard LSTM layer-direction, :func:`lstmkit.nn.reference.step` per step.

    Arguments as :class:`lstmkit.nn.explicit.LSTMLayerFunction`, weights in torch's layout and
    gate order. Returns ``(out (N, P), h_n (B, P), c_n (B, H))``.
    """
    a_x = F.linear(x, w_ih, None if b_ih is None or b_hh is None else b_ih + b_hh)  # (N, 4H)
    p = StepParams(w_hh, w_hr, None, None, None)

    def step(a: Tensor, h: Tensor, c: Tensor, rows: slice) -> tuple[Tensor, Tensor]:
        h_t, c_t, _ = reference.step(a, h, c, p, _PLAIN)
        return h_t, c_t

    return run_steps(a_x, h0, c0, sched, reverse, step)


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
    """The variant layer's time loop, :func:`lstmkit.nn.reference.step` per step.

    The differentiable path of :func:`lstmkit.nn.variant_explicit.variant_layer`; masks as
    drawn for the compiled loop, ``keep_c (N, H)``, ``keep_h (N, P)`` or None.

    Returns:
        ``(out (N, P), h_n (B, P), c_n (B, H))``.
    """

    def step(a: Tensor, h: Tensor, c: Tensor, rows: slice) -> tuple[Tensor, Tensor]:
        kc = None if keep_c is None else keep_c[rows]
        kh = None if keep_h is None else keep_h[rows]
        h_t, c_t, _ = reference.step(a, h, c, p, v, keep_c=kc, keep_h=kh)
        return h_t, c_t

    return run_steps(a_x, h0, c0, sched, reverse, step)


def recompute_backward(
    run: Callable[..., Sequence[Tensor]],
    inputs: Sequence[Tensor | None],
    needs: Sequence[bool],
    grads: Sequence[Tensor],
) -> list[Tensor | None]:
    """The gradients of ``run(*inputs)`` by autograd through a recomputation.

    For a custom function's backward when its hand-written one cannot serve: under
    ``create_graph`` the gradients keep a graph to ``inputs`` and ``grads`` (double backward);
    under vmap (batched ``grads``) the recomputation batches.

    Args:
        run: the differentiable forward, returning its outputs in the order of ``grads``.
        inputs: the function's tensor inputs, as saved (their graphs intact).
        needs: which inputs want a gradient (``ctx.needs_input_grad``).
        grads: the gradients of the outputs.

    Returns:
        one gradient (or None) per input.
    """
    create_graph = torch.is_grad_enabled()
    with torch.enable_grad():
        outs = run(*inputs)
    wanted = [(k, t) for k, t in enumerate(inputs) if t is not None and needs[k]]
    found = torch.autograd.grad(
        outs, [t for _, t in wanted], grads, create_graph=create_graph, allow_unused=True
    )
    result: list[Tensor | None] = [None] * len(inputs)
    for (k, _), g in zip(wanted, found):
        result[k] = g
    return result


def _batched(t: Tensor) -> bool:
    """Whether ``t`` carries a vmap batch dimension (torch.func's, or autograd's ``is_grads_batched``)."""
    functorch = torch._C._functorch
    return bool(functorch.is_batchedtensor(t) or functorch.is_legacy_batchedtensor(t))


def needs_recompute(grads: Sequence[Tensor]) -> bool:
    """Whether a hand-written backward, given ``grads``, must hand over to :func:`recompute_backward`.

    True under ``create_graph`` (the gradient must itself be differentiable) and under vmap
    (batched gradients: the compiled loops have no batching rule).
    """
    return torch.is_grad_enabled() or transforms_active() or any(_batched(g) for g in grads)
