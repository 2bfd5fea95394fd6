"""The default sequence classifier: MiniRocket features and a ridge, an LSTM trained on what they miss.

:class:`HybridNet` maps ``(B, T, F)`` series in their own units to ``(B, K)`` class scores (logits),
the sum of two parts:

1. each channel is scaled by the training data's mean and standard deviation (NaN -> 0, i.e. the mean);
2. :class:`~lstmkit.models.minirocket.MiniRocket` turns the scaled series into about 10,000 PPV
   features and ``head``, a ridge classifier fitted in closed form (:mod:`lstmkit.models.ridge`),
   scores them;
3. a small bidirectional LSTM (:class:`~lstmkit.models.lstm_fcn.SequenceClassifierNet` with its
   conv branch off) reads the scaled series average-pooled to at most ``lstm_steps`` steps and
   adds its own scores.

:func:`fit_hybrid` draws the kernels and fits the ridge first; then it trains the LSTM by
gradient descent on the sum, with each training case's ridge scores taken from the ridge fitted
without that case (exact leave-one-out, divided by the fitted temperature). The LSTM so learns
what the random convolutions get wrong on cases they did not see (a boosting step), not what the
ridge already fits; without random kernels it is a plain LSTM classifier. Training is brief
(large batches, a cosine schedule, a fixed number of epochs: no hold-out is spent on early
stopping). Every part lives in the state dict (kernels, channel masks, biases, ridge weights,
LSTM weights), so the model folder stays safetensors + JSON and the network traces to ONNX.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
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
    lstm_steps: int = 64  # the LSTM reads the series average-pooled to at most this many steps: cost grows with length


def check_hybrid_config(config: HybridConfig) -> None:
    """Raise :class:`ConfigError` naming a hybrid setting that cannot work."""
    if config.rocket_features < 0 or (0 < config.rocket_features < 84):
        raise ConfigError(f"hybrid.rocket_features must be 0 or at least 84, got {config.rocket_features}")
    if not config.lstm and not config.rocket_features:
        raise ConfigError("hybrid.lstm=false with hybrid.rocket_features=0 leaves no model; turn one of them on")
    if config.lstm_steps < 1:
        raise ConfigError(f"hybrid.lstm_steps must be a positive integer, got {config.lstm_steps}")


def scale_series(x: torch.Tensor, lengths: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """``(x - mean) / std`` per channel, missing values 0 (the mean), zeros past each length: ``(B, T, F)``."""
    mask = torch.arange(x.shape[1], device=x.device)[None, :] < lengths.to(x.device)[:, None]  # (B, T)
    x = (x - mean) / std
    return torch.where(torch.isnan(x), torch.zeros_like(x), x) * mask.unsqueeze(-1).to(x.dtype)


class HybridNet(nn.Module):
    """Ridge scores of random-convolution features plus an LSTM's scores: ``(B, T, F)`` -> ``(B, K)``.

    Args:
        model: the LSTM's settings (its conv branch is turned off).
        rocket: ``{"dilations": [...], "features_per_dilation": [...]}``, or None: no random kernels.
        pool: the LSTM reads means of ``pool`` consecutive steps; None: no LSTM.
    """

    def __init__(self, n_features: int, n_classes: int, model: ClassifierModelConfig, *,
                 rocket: dict[str, list[int]] | None, pool: int | None):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))
        self.rocket = MiniRocket(n_features, rocket["dilations"], rocket["features_per_dilation"]) if rocket else None
        self.head = nn.Linear(self.rocket.n_features, n_classes) if rocket else None
        self.pool = pool
        lstm_config = replace(model, conv_channels=(), kernel_sizes=())
        self.lstm = SequenceClassifierNet(n_features, n_classes, lstm_config) if pool else None

    def plan(self) -> dict[str, Any]:
        """What :meth:`__init__` needs besides the sizes (written to ``config.json``)."""
        rocket = None if self.rocket is None else {
            "dilations": self.rocket.dilations, "features_per_dilation": self.rocket.features_per_dilation}
        return {"rocket": rocket, "pool": self.pool}

    def pooled(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Means of ``pool`` consecutive valid steps of scaled ``x`` ``(B, T, F)``: ``(B, ceil(T / pool), F)`` and lengths."""
        if self.pool == 1:
            return x, lengths
        valid = (torch.arange(x.shape[1], device=x.device)[None, :] < lengths.to(x.device)[:, None]).to(x.dtype)
        sums = F.avg_pool1d(x.transpose(1, 2), self.pool, ceil_mode=True)  # (B, F, T'): window means, padding as 0
        counts = F.avg_pool1d(valid[:, None, :], self.pool, ceil_mode=True)  # (B, 1, T'): share of valid steps
        pooled = (sums / counts.clamp_min(1e-6)).transpose(1, 2)  # (B, T', F)
        return pooled, torch.div(lengths + self.pool - 1, self.pool, rounding_mode="floor")

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if lengths is None:
            lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.long, device=x.device)
        x = scale_series(x, lengths, self.mean, self.std)  # (B, T, F)
        scores = 0.0
        if self.rocket is not None:
            scores = self.head(self.rocket(x.transpose(1, 2), lengths))  # (B, K)
        if self.lstm is not None:
            scores = scores + self.lstm(*self.pooled(x, lengths))  # (B, K)
        return scores


def residual_loss(*, smoothing: float, weight: torch.Tensor | None, augment: Callable | None) -> Callable:
    """``loss_fn(lstm, (x, lengths, y, offset))``: cross-entropy of the LSTM's scores plus the fixed ridge scores."""

    def loss_fn(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x, lengths, y, offset = batch
        x = x[:, : int(lengths.max())]  # (B, T_batch, F)
        if model.training and augment is not None:
            x, lengths = augment(x, lengths, getattr(model, "module", model).std)  # module: under DDP
        logits = model(x, lengths) + offset  # (B, K)
        losses = F.cross_entropy(logits, y, label_smoothing=smoothing, reduction="none")  # (B,)
        if weight is not None:
            losses = losses * weight.to(logits.device)[y]
        return losses.mean()

    return loss_fn


def _rocket_features(rocket: MiniRocket, x: torch.Tensor, lengths: torch.Tensor, *, batch: int = 64) -> np.ndarray:
    with torch.no_grad():
        return torch.cat([rocket(x[i : i + batch].transpose(1, 2), lengths[i : i + batch])
                          for i in range(0, len(x), batch)]).double().numpy()


def fit_hybrid(x: torch.Tensor, lengths: torch.Tensor, y: torch.Tensor, n_classes: int, *, hybrid: HybridConfig,
               model: ClassifierModelConfig, trainer: TrainerConfig, stats: tuple[np.ndarray, np.ndarray],
               loss_fn: Callable, checkpoint_path=None, resume: bool = False, progress: bool = False,
               ) -> tuple[HybridNet, History | None, dict[str, float] | None]:
    """Fit every part on ``x`` ``(N, T, F)`` (zero past ``lengths``) and labels ``y`` ``(N,)``.

    Args:
        loss_fn: from :func:`residual_loss`.

    Returns:
        ``(net, history, ridge)``: the network on the CPU in eval mode, the LSTM's training history
        (None without an LSTM) and the ridge's leave-one-out accuracy, penalty and temperature
        (None without random kernels).
    """
    check_hybrid_config(hybrid)
    N, T, n_features = x.shape
    mean, std = (torch.from_numpy(np.asarray(v, dtype=np.float32)) for v in stats)
    scaled = scale_series(x, lengths, mean, std)  # (N, T, F)
    rocket, offset, summary = None, torch.zeros(N, n_classes), None
    if hybrid.rocket_features:
        median = int(np.median(lengths.numpy()))
        rocket = fit_minirocket(scaled.transpose(1, 2), lengths, num_features=hybrid.rocket_features,
                                length=max(median, 9), seed=trainer.seed)
        ridge = fit_ridge_classifier(_rocket_features(rocket, scaled, lengths), y.numpy(), n_classes)
        offset = torch.from_numpy(ridge.loo_scores)  # (N, K): what the ridge scores each case without seeing it
        summary = {"loo_accuracy": ridge.loo_accuracy, "alpha": ridge.alpha, "temperature": ridge.temperature}
    plan = None if rocket is None else {"dilations": rocket.dilations, "features_per_dilation": rocket.features_per_dilation}
    pool = max(1, math.ceil(T / hybrid.lstm_steps)) if hybrid.lstm else None
    net = HybridNet(n_features, n_classes, model, rocket=plan, pool=pool)
    net.mean.copy_(mean)
    net.std.copy_(std)
    if rocket is not None:
        net.rocket.load_state_dict(rocket.state_dict())
        with torch.no_grad():
            net.head.weight.copy_(torch.from_numpy(ridge.weight))
            net.head.bias.copy_(torch.from_numpy(ridge.bias))
    history = None
    if net.lstm is not None:
        px, plengths = net.pooled(scaled, lengths)
        history = fit(net.lstm, loss_fn, (px, plengths, y, offset), None, config=trainer,
                      checkpoint_path=checkpoint_path, resume=resume, progress=progress)
        net.lstm.cpu()
    return net.eval(), history, summary
