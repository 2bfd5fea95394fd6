"""A forward call of the layer, checked and brought to the layout its backends share, and back.

:func:`prepare` validates the input (a tensor, batched or not, or a PackedSequence) and the
initial state ``hx`` against the layer, with torch.nn.LSTM's exception types and texts
(:mod:`lstmkit.nn.checks`), and returns a :class:`Prepared`; :func:`finish` brings the backends'
results back to the caller's layout and batch order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from torch import Tensor
from torch.nn.utils.rnn import PackedSequence

from lstmkit.nn import checks
from lstmkit.nn.schedule import Schedule

if TYPE_CHECKING:
    from lstmkit.nn.lstm import LSTM


@dataclass
class Prepared:
    """A validated forward call, in the layout the backends share.

    ``input`` is the batched input ``(T, B, F)`` / ``(B, T, F)``, or the packed data ``(N, F)``
    when ``batch_sizes`` is set; ``h0 (L*D, B, P)`` and ``c0 (L*D, B, H)`` are in the packed
    batch order.
    """

    input: Tensor
    h0: Tensor
    c0: Tensor
    sched: Schedule
    batch_sizes: Tensor | None  # packed input only
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None
    batched: bool

    def rows(self, batch_first: bool) -> Tensor:
        """The input in the packed time-major layout ``(N, F)``."""
        if self.batch_sizes is not None:
            return self.input
        x = self.input.transpose(0, 1) if batch_first else self.input  # (T, B, F)
        return x.reshape(-1, x.size(-1))


def _initial_state(lstm: LSTM, hx: Any, *, data: Tensor, batch: int, batched: bool) -> tuple[Tensor, Tensor]:
    """``hx`` checked against the layer and made batched, ``(h0 (L*D, B, P), c0 (L*D, B, H))``."""
    lead, out_size = lstm.num_layers * lstm.num_directions, lstm.proj_size or lstm.hidden_size
    h0, c0 = checks.unpack_hx(hx)
    want = 3 if batched else 2
    if not isinstance(h0, Tensor) or not isinstance(c0, Tensor) or h0.dim() != want or c0.dim() != want:
        dims = tuple(getattr(s, "ndim", None) for s in (h0, c0))
        kind = "batched 3-D" if batched else "unbatched 2-D"
        raise RuntimeError(
            f"For {kind} input, hx and cx should also be {want}-D but got ({dims[0]}-D, {dims[1]}-D) tensors"
        )
    if not batched:
        h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
    size_name = "proj_size" if lstm.proj_size else "hidden_size"
    checks.check_state(
        h0,
        index=0,
        name="h_0",
        expected=(lead, batch, out_size),
        input=data,
        meaning=f"num_layers * num_directions, batch, {size_name}",
    )
    checks.check_state(
        c0,
        index=1,
        name="c_0",
        expected=(lead, batch, lstm.hidden_size),
        input=data,
        meaning="num_layers * num_directions, batch, hidden_size",
    )
    return h0, c0


def prepare(lstm: LSTM, input: Tensor | PackedSequence, hx: tuple[Tensor, Tensor] | None) -> Prepared:
    """Validate a forward call of ``lstm`` and bring it to the shared layout (see :class:`Prepared`).

    Raises:
        ValueError, RuntimeError, TypeError: as torch.nn.LSTM, see :meth:`LSTM.forward`.
    """
    weight = lstm.layer_weights(0, 0)[0]  # weight_ih_l0
    if isinstance(input, PackedSequence):
        data, batch_sizes, sorted_idx, unsorted_idx = input
        checks.check_input(data, input_size=lstm.input_size, weight=weight, dims=(2, 2), owner="LSTM")
        sched, batched = Schedule.of(tuple(batch_sizes.tolist())), True
    else:
        checks.check_input(input, input_size=lstm.input_size, weight=weight, dims=(2, 3), owner="LSTM")
        batched, batch_sizes, sorted_idx, unsorted_idx = input.dim() == 3, None, None, None
        data = input if batched else input.unsqueeze(0 if lstm.batch_first else 1)
        b_dim, t_dim = (0, 1) if lstm.batch_first else (1, 0)
        checks.check_steps(data.size(t_dim))
        sched = Schedule.uniform(data.size(t_dim), data.size(b_dim))
    if hx is None:
        lead = (lstm.num_layers * lstm.num_directions,)
        h0 = checks.zeros_state(sched.batch, lstm.proj_size or lstm.hidden_size, lead=lead, like=data)
        c0 = checks.zeros_state(sched.batch, lstm.hidden_size, lead=lead, like=data)
    else:
        h0, c0 = _initial_state(lstm, hx, data=data, batch=sched.batch, batched=batched)
        if sorted_idx is not None:
            h0, c0 = h0.index_select(1, sorted_idx), c0.index_select(1, sorted_idx)
    return Prepared(data, h0, c0, sched, batch_sizes, sorted_idx, unsorted_idx, batched)


def finish(
    prep: Prepared, out: Tensor, h_n: Tensor, c_n: Tensor, *, batch_first: bool
) -> tuple[Any, tuple[Tensor, Tensor]]:
    """Bring backend results back to the caller's layout and batch order."""
    if prep.batch_sizes is not None:
        if prep.unsorted_indices is not None:
            h_n, c_n = (
                h_n.index_select(1, prep.unsorted_indices),
                c_n.index_select(1, prep.unsorted_indices),
            )
        packed = PackedSequence(out, prep.batch_sizes, prep.sorted_indices, prep.unsorted_indices)
        return packed, (h_n, c_n)
    if not prep.batched:
        out = out.squeeze(0 if batch_first else 1)
        h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
    return out, (h_n, c_n)
