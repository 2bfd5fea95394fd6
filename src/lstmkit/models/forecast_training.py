"""Training the forecaster's network: windows of the transformed series, the loss, the trainer's view.

Each training example is a window of ``W + H`` points of one transformed series ``z`` (and its
covariates), gathered from a view of the concatenated series by its start; the network's own
:meth:`~lstmkit.networks.forecast_net.ForecastNet.inputs` turns the first ``W`` into the members'
inputs (as in prediction), and the last ``H``, normalised the same way, are the target.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import torch

from lstmkit.data.tabular import SeriesData
from lstmkit.data.windows import gather_windows, window_starts
from lstmkit.models.forecast_config import ForecastConfig, ForecastModel
from lstmkit.models.forecast_state import FULL_COST_LOOKBACK, ForecastState, ordinals
from lstmkit.networks.forecast_net import ForecastNet, member_loss
from lstmkit.train import History, fit


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


def windows_per_epoch(max_windows: int, lookback: int) -> int:
    """``data.max_windows`` counted in windows of ``lookback`` steps: an LSTM's cost grows with the window, so
    an epoch of long windows (weekly or half-hourly seasons) holds proportionally fewer (0: no cap).
    Measured on two real long-season series in benchmarks/README.md."""
    if max_windows <= 0 or lookback <= FULL_COST_LOOKBACK:
        return max_windows
    return max(1, max_windows * FULL_COST_LOOKBACK // lookback)


def build_network(state: ForecastState, m: ForecastModel) -> ForecastNet:
    """The forecaster's untrained network for fitted preprocessing ``state`` and model settings ``m``."""
    return ForecastNet(
        lookbacks=state.lookbacks,
        horizon=m.horizon,
        n_covariates=state.n_covariates,
        hidden_size=m.hidden_size,
        num_layers=m.num_layers,
        dropout=m.dropout,
        quantiles=tuple(m.quantiles),
        season=state.network_season,
        log=state.log,
        calendar=state.calendar,
        variants=m.variants,
        components=m.components,
        baseline=state.baseline,
        drift=state.drift,
    )


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


def train_network(
    net: ForecastNet,
    state: ForecastState,
    data: SeriesData,
    z: list[np.ndarray],
    cfg: ForecastConfig,
    *,
    progress: bool = False,
    checkpoint_path: str | Path | None = None,
    resume: bool = False,
    command: str | None = None,
) -> History:
    """Train ``net``'s members on windows of the transformed series ``z`` of gap-free ``data``; ``command``:
    the command line training, recorded in the checkpoint (:func:`lstmkit.train.fit`)."""
    H, window = cfg.model.horizon, net.window
    if data.covariate_names:  # covariate standardisation, from the training data
        cov = np.concatenate([s.covariates for s in data.series])
        std = cov.std(axis=0)
        net.cov_mean.copy_(torch.as_tensor(cov.mean(axis=0), dtype=torch.float32))
        net.cov_std.copy_(torch.as_tensor(np.where(std > 0, std, 1.0), dtype=torch.float32))
    values = torch.as_tensor(
        np.concatenate([np.column_stack([zi, s.covariates]) for zi, s in zip(z, data.series)]),
        dtype=torch.float32,
    )  # (T, 1 + C)
    index = window_starts(
        [len(zi) for zi in z],
        length=window + H,
        horizon=H,
        val_fraction=cfg.data.val_fraction,
        max_windows=windows_per_epoch(cfg.data.max_windows, window),
        skip=[len(zi) < state.network_points(window) for zi in z],  # too short to remove their seasons
    )
    scales = torch.tensor([state.scales[str(s.id)] for s in data.series], dtype=torch.float32)
    steps = torch.as_tensor(np.concatenate([ordinals(data, s) for s in data.series]))  # (T,) calendar
    rows = index.epoch_rows(0)
    train = (
        index.train[rows].clone(),
        scales[index.train_series[rows]],
    )  # refilled each epoch on long series
    val = (index.val, scales[index.val_series]) if len(index.val) else None
    quantiles = tuple(cfg.model.quantiles)
    values_on: dict[torch.device, torch.Tensor] = {}  # the series, copied once per device

    def loss_fn(model: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        starts, scale = batch
        if values_on.get(starts.device) is None:
            values_on[starts.device] = values.to(starts.device)
        win = gather_windows(values_on[starts.device], starts, window + H)  # (B, W + H, F)
        first = steps[starts.cpu() + window].to(starts.device)  # (B,) first forecast step's ordinal
        u, future, level = net.inputs(win[:, :window, 0], win[:, :window, 1:], scale.unsqueeze(1), first)
        target = (win[:, window:, 0] - level) / scale.unsqueeze(1)  # (B, H)
        return member_loss(model(u, future), target, quantiles, point=cfg.model.loss)

    with few_threads(cfg):
        return fit(
            MembersOnly(net),
            loss_fn,
            train,
            val,
            config=cfg.trainer,
            callbacks=[EpochWindows(index, train, scales)],
            checkpoint_path=checkpoint_path,
            resume=resume,
            progress=f"{len(z)} series, {len(train[0]):,} windows/epoch" if progress else False,
            task="forecast",  # LSTMForecaster.task
            command=command,
        )
