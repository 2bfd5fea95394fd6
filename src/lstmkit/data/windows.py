"""Training windows as views: several series laid end to end, windows indexed by their start.

``values`` (T, F) holds every series one after the other; ``values.unfold(0, length, 1)`` is a
view of every window of ``length`` steps (no copy), and a batch is that view indexed by a few
valid starts (windows never cross from one series into the next). Memory stays that of the
series itself, so a series of millions of points trains in bounded memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass
class WindowIndex:
    """Valid window starts into the concatenated series, split chronologically.

    ``train`` and ``val`` are int64 tensors of starts; ``series`` maps every start to its series.
    """

    train: torch.Tensor
    val: torch.Tensor
    train_series: torch.Tensor
    val_series: torch.Tensor
    per_epoch: int = 0  # training windows used per epoch (all, or max_windows of them)

    def epoch_rows(self, epoch: int) -> torch.Tensor:
        """Positions in ``train`` used in ``epoch``: every window, or an evenly spaced ``per_epoch`` of
        them whose offset moves each epoch, so successive epochs cover different windows (deterministic)."""
        n = len(self.train)
        if self.per_epoch >= n:
            return torch.arange(n)
        stride = n / self.per_epoch
        offset = (epoch * 0.618034 % 1.0) * stride  # golden-ratio steps spread the offsets evenly
        return (offset + stride * torch.arange(self.per_epoch, dtype=torch.float64)).long().clamp_(max=n - 1)


def window_starts(
    lengths: list[int],
    *,
    length: int,
    horizon: int,
    val_fraction: float,
    max_windows: int = 0,
    skip: Sequence[bool] = (),
) -> WindowIndex:
    """Starts of every window of ``length`` steps (input + horizon) in each series.

    The last ``val_fraction`` of each series' windows are for validation; the ``horizon - 1``
    windows before them are dropped so no training target overlaps a validation target.
    ``max_windows`` > 0 caps the training windows per epoch on long series (see
    :meth:`WindowIndex.epoch_rows`); validation windows are thinned to a fifth of it.

    Args:
        lengths: points in each series, in the order they are concatenated.
        length: the window, lookback + horizon.
        horizon: steps forecast.
        val_fraction: share of each series' windows kept for validation (0 for none).
        max_windows: cap on training windows over all series (0: no cap).
        skip: per series, True to take no windows from it (the series stays in the concatenation).
    """
    train, val = [], []
    offset = 0
    for i, n in enumerate(lengths):
        count = 0 if i < len(skip) and skip[i] else n - length + 1
        if count > 0:
            starts = torch.arange(offset, offset + count)
            n_val = int(round(val_fraction * count)) if val_fraction > 0 else 0
            n_val = min(n_val, max(0, count - horizon - 1))
            if n_val:
                val.append(starts[count - n_val :])
                starts = starts[: max(0, count - n_val - (horizon - 1))]
            train.append(starts)
        offset += n
    cat = lambda parts: torch.cat(parts) if parts else torch.zeros(0, dtype=torch.long)  # noqa: E731
    train_t, val_t = cat(train), cat(val)
    if max_windows and len(val_t) > max(1, max_windows // 5):  # validation: a fixed even subset
        val_t = val_t[:: -(-len(val_t) // max(1, max_windows // 5))].contiguous()
    bounds = torch.tensor([0] + list(torch.tensor(lengths).cumsum(0)))
    ends = bounds[1:].contiguous()
    series_of = lambda t: torch.bucketize(t.contiguous(), ends, right=True)  # noqa: E731
    return WindowIndex(
        train=train_t,
        val=val_t,
        train_series=series_of(train_t),
        val_series=series_of(val_t),
        per_epoch=min(len(train_t), max_windows) if max_windows else len(train_t),
    )


def gather_windows(values: torch.Tensor, starts: torch.Tensor, length: int) -> torch.Tensor:
    """Windows (B, length, F) of ``values`` (T, F) starting at ``starts`` (B,); only the batch is copied."""
    view = values.unfold(0, length, 1)  # (T - length + 1, F, length), a view
    return view[starts].transpose(1, 2)  # (B, length, F)
