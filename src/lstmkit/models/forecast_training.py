"""Training helpers of the forecaster's network: thread count, per-epoch window subsets, the trainer's view."""

from __future__ import annotations

import contextlib

import torch

from lstmkit.models.forecast_config import ForecastConfig
from lstmkit.networks.forecast_net import ForecastNet


@contextlib.contextmanager
def few_threads(cfg: ForecastConfig):
    """One intra-op thread for small members: their matrices are too small to split, and on a busy
    machine extra threads spin and slow training down many times (measured: 3.6 s vs 120 s)."""
    before = torch.get_num_threads()
    small = cfg.model.hidden_size <= 128 and cfg.trainer.batch_size <= 256
    if small:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if small:
            torch.set_num_threads(before)


class EpochWindows:
    """Trainer callback: on long series, each epoch trains on a different evenly spaced subset of windows."""

    def __init__(self, index, train: tuple[torch.Tensor, torch.Tensor], scales: torch.Tensor):
        self.index, self.train, self.scales = index, train, scales

    def on_epoch_start(self, epoch: int) -> None:
        if self.index.per_epoch < len(self.index.train):
            rows = self.index.epoch_rows(epoch)
            self.train[0].copy_(self.index.train[rows])
            self.train[1].copy_(self.scales[self.index.train_series[rows]])


class MembersOnly(torch.nn.Module):
    """The trainer's view of the net: normalised windows in, every member's output out."""

    def __init__(self, net: ForecastNet):
        super().__init__()
        self.net = net

    def forward(self, u: torch.Tensor, future: torch.Tensor | None = None) -> torch.Tensor:
        return self.net.members_out(u, future)
