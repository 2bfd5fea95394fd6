"""Truncated backpropagation through time: carry ``(h, c)`` across consecutive batches, detached.

Training on a long stream cut into consecutive windows, each batch row continuing the same
stream as in the previous batch, the final state of one window is the initial state of the
next, but gradients stop at the window boundary::

    model = StatefulLSTM(LSTM(F, H, batch_first=True))
    for x, y in windows:                    # consecutive (B, T, F) chunks of B streams
        out, _ = model(x)                   # starts from the previous chunk's (h_n, c_n)
        loss_fn(head(out), y).backward()    # back through this chunk only
    model.reset_state()                     # at the start of a new epoch or new streams
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from lstmkit.nn.lstm import LSTM


def detach_state(state: Any) -> Any:
    """``state`` with every tensor detached from the graph: a tensor, or (nested) tuples/lists of them."""
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    return state


class StatefulLSTM(nn.Module):
    """An :class:`LSTM` that starts each call from the previous call's final state, detached.

    Args:
        lstm: the layer to wrap (any backend and variants); its parameters are this module's.

    ``forward(input, hx=None)`` is the layer's: an explicit ``hx`` wins over the carried state.
    The carried state is dropped (zeros are used) when the batch size changes, e.g. for a
    shorter last batch, and by :meth:`reset_state`.

    Attributes:
        state: the detached ``(h_n, c_n)`` of the last call, or None.
    """

    def __init__(self, lstm: LSTM) -> None:
        super().__init__()
        self.lstm = lstm
        self.state: tuple[Tensor, Tensor] | None = None

    def reset_state(self) -> None:
        """Forget the carried state: the next call starts from zeros."""
        self.state = None

    def _batch(self, input: Tensor | PackedSequence) -> int | None:
        if isinstance(input, PackedSequence):
            return int(input.batch_sizes[0])
        if input.dim() == 2:  # unbatched
            return None
        return input.size(0 if self.lstm.batch_first else 1)

    def forward(
        self, input: Tensor | PackedSequence, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Any, tuple[Tensor, Tensor]]:
        """Run the layer from the carried (or given) state; keep the new final state, detached."""
        if hx is None and self.state is not None:
            h, _ = self.state
            batch = self._batch(input)
            fits = (h.dim() == 2) if batch is None else (h.dim() == 3 and h.size(1) == batch)
            hx = self.state if fits else None
        out, state = self.lstm(input, hx)
        self.state = detach_state(state)
        return out, state
