"""The default sequence classifier: MiniRocket features beside a trained LSTM's, one ridge on top.

:class:`HybridNet` maps ``(B, T, F)`` series in their own units to ``(B, K)`` class scores:

1. each channel is scaled by the training data's mean and standard deviation (NaN -> 0, i.e. the mean);
2. :class:`~lstmkit.models.minirocket.MiniRocket` turns the scaled series into about 10,000 PPV features;
3. a small bidirectional LSTM (:class:`~lstmkit.models.lstm_fcn.SequenceClassifierNet` with the
   conv branch off) reads the scaled series average-pooled to at most ``lstm_steps`` steps, and
   its attention-pooled outputs are its features;
4. ``head``, a linear map fitted in closed form as a ridge classifier (:mod:`lstmkit.models.ridge`)
   on both blocks, the LSTM block given ``lstm_weight`` of the input's variance.

:func:`fit_hybrid` draws the random kernels, trains the LSTM briefly (large batches, a cosine
schedule, a fixed number of epochs: no hold-out is spent on early stopping) and fits the ridge.
Every part lives in the state dict (kernels, channel masks, biases, LSTM weights, ridge weights),
so the model folder stays safetensors + JSON and the whole network traces to ONNX.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lstmkit.errors import ConfigError
from lstmkit.models.lstm_fcn import ClassifierModelConfig, SequenceClassifierNet
from lstmkit.models.minirocket import MiniRocket, fit_minirocket
from lstmkit.models.ridge import fit_ridge_classifier
from lstmkit.train import History, TrainerConfig, fit


@dataclass
class HybridConfig:
    """The random-convolution + LSTM classifier (``method = "hybrid"``)."""

    rocket_features: int = 10_000  # MiniRocket's count (a multiple of 84 below it); 0 leaves the LSTM alone
    lstm: bool = True  # False: random convolutions and ridge only (MiniRocket itself), for ablations
    lstm_weight: float = 0.3  # the LSTM block's share of the ridge input's variance
    lstm_steps: int = 64  # the LSTM reads the series average-pooled to at most this many steps: cost grows with length


def check_hybrid_config(config: HybridConfig) -> None:
    """Raise :class:`ConfigError` naming a hybrid setting that cannot work."""
    if config.rocket_features < 0 or (0 < config.rocket_features < 84):
        raise ConfigError(f"hybrid.rocket_features must be 0 or at least 84, got {config.rocket_features}")
    if not config.lstm and not config.rocket_features:
        raise ConfigError("hybrid.lstm=false with hybrid.rocket_features=0 leaves no features; turn one of them on")
    if not 0.0 < config.lstm_weight < 1.0:
        raise ConfigError(f"hybrid.lstm_weight must be between 0 and 1 (exclusive), got {config.lstm_weight}")
    if config.lstm_steps < 1:
        raise ConfigError(f"hybrid.lstm_steps must be a positive integer, got {config.lstm_steps}")


def lstm_config(model: ClassifierModelConfig) -> ClassifierModelConfig:
    """The LSTM branch's network settings: the model section's LSTM, no conv branch (the random kernels are it)."""
    return dataclasses.replace(model, conv_channels=(), kernel_sizes=())


def scale_series(x: torch.Tensor, lengths: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """``(x - mean) / std`` per channel, missing values 0 (the mean), zeros past each length: ``(B, T, F)``."""
    mask = torch.arange(x.shape[1], device=x.device)[None, :] < lengths.to(x.device)[:, None]  # (B, T)
    x = (x - mean) / std
    return torch.where(torch.isnan(x), torch.zeros_like(x), x) * mask.unsqueeze(-1).to(x.dtype)


class HybridNet(nn.Module):
    """Random-convolution and LSTM features, a linear head: ``(B, T, F)`` -> ``(B, K)`` scores.

    Args:
        rocket: ``{"dilations": [...], "features_per_dilation": [...]}`` or None (no random kernels).
        pool: the LSTM reads means of ``pool`` consecutive steps; None: no LSTM.
    """

    def __init__(self, n_features: int, n_classes: int, model: ClassifierModelConfig, *,
                 rocket: dict[str, list[int]] | None, pool: int | None):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))
        self.rocket = MiniRocket(n_features, rocket["dilations"], rocket["features_per_dilation"]) if rocket else None
        self.pool = pool
        self.lstm = SequenceClassifierNet(n_features, n_classes, lstm_config(model)) if pool else None
        width = (self.rocket.n_features if self.rocket else 0) + (self.lstm.head.in_features if self.lstm else 0)
        self.head = nn.Linear(width, n_classes)

    def plan(self) -> dict[str, Any]:
        """What :meth:`__init__` needs besides the sizes (written to ``config.json``)."""
        rocket = None if self.rocket is None else {
            "dilations": self.rocket.dilations, "features_per_dilation": self.rocket.features_per_dilation}
        return {"rocket": rocket, "pool": self.pool}

    def scale(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Scaled ``(B, T, F)``: channel-standardised, missing values 0, zeros past each length."""
        return scale_series(x, lengths, self.mean, self.std)

    def pooled(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Means of ``pool`` consecutive valid steps of scaled ``x`` ``(B, T, F)``: ``(B, ceil(T / pool), F)`` and lengths."""
        if self.pool == 1:
            return x, lengths
        valid = (torch.arange(x.shape[1], device=x.device)[None, :] < lengths.to(x.device)[:, None]).to(x.dtype)
        sums = F.avg_pool1d(x.transpose(1, 2), self.pool, ceil_mode=True)  # (B, F, T'): window means, padding as 0
        counts = F.avg_pool1d(valid[:, None, :], self.pool, ceil_mode=True)  # (B, 1, T'): share of valid steps
        pooled = (sums / counts.clamp_min(1e-6)).transpose(1, 2)  # (B, T', F)
        return pooled, torch.div(lengths + self.pool - 1, self.pool, rounding_mode="floor")

    def features(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Both feature blocks side by side: ``(B, T, F)`` raw series -> ``(B, P)``."""
        if lengths is None:
            lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.long, device=x.device)
        x = self.scale(x, lengths)  # (B, T, F)
        blocks = []
        if self.rocket is not None:
            blocks.append(self.rocket(x.transpose(1, 2), lengths))  # (B, P_r)
        if self.lstm is not None:
            blocks.append(self.lstm.features(*self.pooled(x, lengths)))  # (B, P_l)
        return torch.cat(blocks, dim=1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, lengths))  # (B, K)


def _batched_features(net: HybridNet, x: torch.Tensor, lengths: torch.Tensor, *, batch: int = 32) -> np.ndarray:
    net.eval()
    with torch.no_grad():
        return torch.cat([net.features(x[i : i + batch], lengths[i : i + batch])
                          for i in range(0, len(x), batch)]).double().numpy()


def fit_hybrid(x: torch.Tensor, lengths: torch.Tensor, y: torch.Tensor, n_classes: int, *, hybrid: HybridConfig,
               model: ClassifierModelConfig, trainer: TrainerConfig, stats: tuple[np.ndarray, np.ndarray],
               loss_fn: Callable, checkpoint_path=None, resume: bool = False, progress: bool = False,
               ) -> tuple[HybridNet, History | None, dict[str, float]]:
    """Fit every part on ``x`` ``(N, T, F)`` (zero past ``lengths``) and labels ``y`` ``(N,)``.

    Returns:
        ``(net, history, summary)``: the network on the CPU in eval mode, the LSTM's training
        history (None without an LSTM) and the ridge's leave-one-out accuracy, penalty and temperature.
    """
    check_hybrid_config(hybrid)
    N, T, n_features = x.shape
    median = int(np.median(lengths.numpy()))
    rocket = None
    if hybrid.rocket_features:
        scaled = scale_series(x, lengths, torch.from_numpy(stats[0]), torch.from_numpy(stats[1]))  # (N, T, F)
        drawn = fit_minirocket(scaled.transpose(1, 2), lengths, num_features=hybrid.rocket_features,
                               length=max(median, 9), seed=trainer.seed)
        rocket = {"dilations": drawn.dilations, "features_per_dilation": drawn.features_per_dilation}
    pool = max(1, math.ceil(T / hybrid.lstm_steps)) if hybrid.lstm else None
    net = HybridNet(n_features, n_classes, model, rocket=rocket, pool=pool)
    net.mean.copy_(torch.from_numpy(stats[0]))
    net.std.copy_(torch.from_numpy(stats[1]))
    if rocket is not None:
        net.rocket.load_state_dict(drawn.state_dict())
    history = None
    if net.lstm is not None:
        with torch.no_grad():
            px, plengths = net.pooled(net.scale(x, lengths), lengths)
        history = fit(net.lstm, loss_fn, (px, plengths, y), None, config=trainer,
                      checkpoint_path=checkpoint_path, resume=resume, progress=progress)
        net.lstm.cpu()
    features = _batched_features(net, x, lengths)
    n_rocket = net.rocket.n_features if net.rocket is not None else 0
    column_scale = np.ones(features.shape[1])
    if n_rocket and net.lstm is not None:  # each block gets its share of the variance, however many columns it has
        P = features.shape[1]
        column_scale[:n_rocket] = math.sqrt((1 - hybrid.lstm_weight) * P / n_rocket)
        column_scale[n_rocket:] = math.sqrt(hybrid.lstm_weight * P / (P - n_rocket))
    ridge = fit_ridge_classifier(features, y.numpy(), n_classes, column_scale=column_scale)
    with torch.no_grad():
        net.head.weight.copy_(torch.from_numpy(ridge.weight))
        net.head.bias.copy_(torch.from_numpy(ridge.bias))
    summary = {"loo_accuracy": ridge.loo_accuracy, "alpha": ridge.alpha, "temperature": ridge.temperature}
    return net.eval(), history, summary
