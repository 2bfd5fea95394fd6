"""The time-step schedule of a batch of sequences, in torch's packed, time-major layout.

Every backend works on the packed layout: the rows of all time steps stacked, step ``t``
holding ``batch_sizes[t]`` rows (the sequences still running, sorted longest first), so the
step's rows are ``data[offsets[t] : offsets[t] + batch_sizes[t]]``. A padded ``(T, B, F)``
batch is the special case ``batch_sizes = (B,) * T`` and costs nothing to convert
(``x.reshape(T * B, F)``).

A forward direction runs ``t = 0 .. T-1`` with a shrinking batch; a reverse direction runs
``t = T-1 .. 0`` with a growing batch, its new rows starting from their initial state. This
module owns that bookkeeping: the state each step starts from, the final state of each row,
and conversion between the packed and padded layouts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence


@dataclass(frozen=True)
class Schedule:
    """Active rows per step of a packed batch.

    Attributes:
        batch_sizes: rows active at each step, non-increasing; ``batch_sizes[0]`` is B.
        offsets: first row of each step in the packed layout.
    """

    batch_sizes: tuple[int, ...]
    offsets: tuple[int, ...]

    @staticmethod
    @functools.lru_cache(maxsize=512)
    def of(batch_sizes: tuple[int, ...]) -> Schedule:
        """The schedule for these batch sizes (cached: schedules repeat across calls)."""
        offsets, total = [], 0
        for n in batch_sizes:
            offsets.append(total)
            total += n
        return Schedule(tuple(batch_sizes), tuple(offsets))

    @staticmethod
    def uniform(steps: int, batch: int) -> Schedule:
        """The schedule of a padded ``(T, B, F)`` batch: B rows at every one of T steps."""
        return Schedule.of((batch,) * steps)

    @property
    def steps(self) -> int:
        return len(self.batch_sizes)

    @property
    def batch(self) -> int:
        return self.batch_sizes[0]

    @property
    def rows(self) -> int:
        return self.offsets[-1] + self.batch_sizes[-1]

    @property
    def is_uniform(self) -> bool:
        return self.batch_sizes[0] == self.batch_sizes[-1]

    def order(self, reverse: bool) -> range:
        """The steps in the order a direction processes them."""
        return range(self.steps - 1, -1, -1) if reverse else range(self.steps)


def prev_state(steps: list[Tensor], init: Tensor, sched: Schedule, t: int, reverse: bool) -> Tensor:
    """The state step ``t`` starts from: the previous step's rows, topped up from ``init``.

    Args:
        steps: per-step views ``(batch_sizes[s], X)`` of the state sequence.
        init: the initial state ``(B, X)``.

    Returns:
        ``(batch_sizes[t], X)``; a view unless a reverse direction's batch grows at ``t``.
    """
    n = sched.batch_sizes[t]
    q = t + 1 if reverse else t - 1
    if q < 0 or q >= sched.steps:
        return init if n == init.size(0) else init[:n]
    m = sched.batch_sizes[q]
    if m == n:
        return steps[q]
    if m > n:
        return steps[q][:n]
    return torch.cat([steps[q], init[m:n]])


def prev_views(
    steps: tuple[Tensor, ...] | list[Tensor], init: Tensor, sched: Schedule, reverse: bool
) -> list[Tensor | None]:
    """For each step, the view of the state it starts from; None where it must be assembled."""
    views: list[Tensor | None] = []
    bs, steps_n = sched.batch_sizes, sched.steps
    for t in range(steps_n):
        q = t + 1 if reverse else t - 1
        if q < 0 or q >= steps_n:
            views.append(init if bs[t] == init.size(0) else init[: bs[t]])
        elif bs[q] == bs[t]:
            views.append(steps[q])
        elif bs[q] > bs[t]:
            views.append(steps[q][: bs[t]])
        else:
            views.append(None)
    return views


def shifted(seq: Tensor, init: Tensor, sched: Schedule, reverse: bool) -> Tensor:
    """The state every step starts from, for all steps at once.

    Args:
        seq: a state sequence in the packed layout, ``(N, X)``.
        init: the initial state ``(B, X)``.

    Returns:
        ``(N, X)``: row ``r`` of step ``t`` holds that sequence's state before step ``t``.
    """
    n, b = seq.size(0), sched.batch
    if sched.is_uniform:
        if reverse:
            return torch.cat([seq[b:], init])
        return torch.cat([init, seq[: n - b]])
    steps = list(seq.split(sched.batch_sizes))
    return torch.cat([prev_state(steps, init, sched, t, reverse) for t in range(sched.steps)])


def final_state(seq: Tensor, sched: Schedule, reverse: bool) -> Tensor:
    """Each row's state after its last step, ``(B, X)``, a fresh tensor.

    Args:
        seq: a state sequence in the packed layout, ``(N, X)``.
    """
    if reverse:  # every row ends at step 0, the first rows of the layout
        return seq[: sched.batch].clone()
    if sched.is_uniform:
        return seq[seq.size(0) - sched.batch :].clone()
    pieces, bs, off = [], sched.batch_sizes, sched.offsets
    for t in range(sched.steps - 1, -1, -1):
        done = bs[t + 1] if t + 1 < sched.steps else 0  # rows still running after step t
        if bs[t] > done:
            pieces.append(seq[off[t] + done : off[t] + bs[t]])
    return torch.cat(pieces)


def to_padded(seq: Tensor, sched: Schedule, unsorted_indices: Tensor | None) -> Tensor:
    """A packed ``(N, X)`` sequence as a zero-padded ``(T, B, X)`` tensor in the caller's batch order."""
    if sched.is_uniform:
        return seq.view(sched.steps, sched.batch, seq.size(-1))
    sizes = torch.tensor(sched.batch_sizes, dtype=torch.int64)
    padded, _ = pad_packed_sequence(PackedSequence(seq, sizes), total_length=sched.steps)
    if unsorted_indices is not None:
        padded = padded.index_select(1, unsorted_indices.to(padded.device))
    return padded
