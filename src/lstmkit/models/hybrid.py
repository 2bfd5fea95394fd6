"""The default sequence classifier's fitting: MiniRocket features beside an LSTM's, one ridge classifier on both.

:func:`fit_hybrid` fits every part of a :class:`~lstmkit.networks.hybrid_net.HybridNet` (which
maps ``(B, T, F)`` series in their own units to ``(B, K)`` class scores): the channel scaling,
the MiniRocket kernels' biases, the :class:`~lstmkit.networks.hybrid_net.NextStepLSTM` (trained
to predict each next step of the training series) and the head, a ridge classifier fitted in
closed form on both feature blocks (:mod:`lstmkit.models.ridge`).

The LSTM never sees the labels, so the ridge's exact leave-one-out error is an honest guide: it
picks the penalty and the share of the input variance the LSTM block gets (of ``lstm_shares``;
never zero: the LSTM always takes part). A trained-on-labels LSTM would look perfect on the
cases it was fitted to and steer that choice wrongly. Training is brief (large batches, a cosine
schedule, a fixed number of epochs). Every part lives in the state dict (kernels, channel masks,
biases, LSTM weights, ridge weights), so the model folder stays safetensors + JSON and the
network traces to ONNX.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lstmkit.errors import ConfigError
from lstmkit.models.ridge import fit_ridge_classifier
from lstmkit.networks.hybrid_net import HybridNet, scale_series
from lstmkit.networks.lstm_fcn import ClassifierModelConfig
from lstmkit.networks.minirocket import fit_minirocket
from lstmkit.train import History, TrainerConfig, fit


@dataclass
class HybridConfig:
    """The random-convolution + LSTM classifier (``method = "hybrid"``)."""

    rocket_features: int = 10_000  # MiniRocket's count (a multiple of 84 below it); 0 leaves the LSTM alone
    lstm: bool = True  # False: random convolutions and ridge only (MiniRocket itself), for ablations
    lstm_steps: int = (
        64  # the LSTM reads the series average-pooled to at most this many steps: cost grows with length
    )
    lstm_shares: tuple[float, ...] = (
        0.1,
        0.25,
        0.5,
    )  # LSTM block's share of the ridge input; leave-one-out picks one


def check_hybrid_config(config: HybridConfig) -> None:
    """Raise :class:`ConfigError` naming a hybrid setting that cannot work."""
    if config.rocket_features < 0 or (0 < config.rocket_features < 84):
        raise ConfigError(f"hybrid.rocket_features must be 0 or at least 84, got {config.rocket_features}")
    if not config.lstm and not config.rocket_features:
        raise ConfigError(
            "hybrid.lstm=false with hybrid.rocket_features=0 leaves no model; turn one of them on"
        )
    if not config.lstm_shares or not all(0.0 < v < 1.0 for v in config.lstm_shares):
        raise ConfigError(
            f"hybrid.lstm_shares must be numbers between 0 and 1 (exclusive), got {config.lstm_shares}"
        )
    if config.lstm_steps < 1:
        raise ConfigError(f"hybrid.lstm_steps must be a positive integer, got {config.lstm_steps}")


def next_step_loss(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """Squared error of each predicted next step, averaged over each case's steps, then over cases.

    A mean over cases, so data-parallel ranks (each averaging its share) average to the global batch's loss.
    """
    x, lengths = batch
    x = x[:, : int(lengths.max())]  # (B, T, F)
    predicted = model(x, lengths)[:, :-1]  # (B, T-1, F)
    valid = (torch.arange(1, x.shape[1], device=x.device)[None, :] < lengths.to(x.device)[:, None]).to(
        x.dtype
    )
    error = ((predicted - x[:, 1:]) ** 2).mean(dim=-1) * valid  # (B, T-1)
    return (error.sum(dim=1) / valid.sum(dim=1).clamp_min(1.0)).mean()  # a one-step case adds 0


def _batched_features(
    net: HybridNet, x: torch.Tensor, lengths: torch.Tensor, *, batch: int = 64
) -> np.ndarray:
    net.eval()
    with torch.no_grad():
        return (
            torch.cat(
                [net.features(x[i : i + batch], lengths[i : i + batch]) for i in range(0, len(x), batch)]
            )
            .double()
            .numpy()
        )


def fit_hybrid(
    x: torch.Tensor,
    lengths: torch.Tensor,
    y: torch.Tensor,
    n_classes: int,
    *,
    hybrid: HybridConfig,
    model: ClassifierModelConfig,
    trainer: TrainerConfig,
    stats: tuple[np.ndarray, np.ndarray],
    checkpoint_path=None,
    resume: bool = False,
    progress: bool = False,
) -> tuple[HybridNet, History | None, dict[str, float | None]]:
    """Fit every part on ``x`` ``(N, T, F)`` (zero past ``lengths``) and labels ``y`` ``(N,)``.

    Returns:
        ``(net, history, ridge)``: the network on the CPU in eval mode, the LSTM's training history
        (None without an LSTM) and the ridge's leave-one-out accuracy, penalty, temperature and
        the LSTM block's share.
    """
    check_hybrid_config(hybrid)
    N, T, n_features = x.shape
    mean, std = (torch.from_numpy(np.asarray(v, dtype=np.float32)) for v in stats)
    scaled = scale_series(x, lengths, mean, std)  # (N, T, F)
    plan = None
    if hybrid.rocket_features:
        median = int(np.median(lengths.numpy()))
        rocket = fit_minirocket(
            scaled.transpose(1, 2),
            lengths,
            num_features=hybrid.rocket_features,
            length=max(median, 9),
            seed=trainer.seed,
        )
        plan = {"dilations": rocket.dilations, "features_per_dilation": rocket.features_per_dilation}
    pool = max(1, math.ceil(T / hybrid.lstm_steps)) if hybrid.lstm else None
    net = HybridNet(n_features, n_classes, model, rocket=plan, pool=pool)
    net.mean.copy_(mean)
    net.std.copy_(std)
    if net.rocket is not None:
        net.rocket.load_state_dict(rocket.state_dict())
    history = None
    if net.lstm is not None:
        px, plengths = net.pooled(scaled, lengths)
        history = fit(
            net.lstm,
            next_step_loss,
            (px, plengths),
            None,
            config=trainer,
            checkpoint_path=checkpoint_path,
            resume=resume,
            progress=progress,
            task="classify",  # the hybrid's one job: LSTMClassifier's default method
        )
        net.lstm.cpu()
    features = _batched_features(net, x, lengths)  # (N, P)
    n_rocket, P = (net.rocket.n_features if net.rocket is not None else 0), features.shape[1]
    shares = hybrid.lstm_shares if (plan and pool) else (0.0,)
    scales = []
    for share in shares:  # each block gets its share of the variance, however many columns it has
        scale = np.ones(P)
        if share:
            scale[:n_rocket] = math.sqrt((1 - share) * P / n_rocket)
            scale[n_rocket:] = math.sqrt(share * P / (P - n_rocket))
        scales.append(scale)
    ridge = fit_ridge_classifier(features, y.numpy(), n_classes, column_scales=tuple(scales))
    with torch.no_grad():
        net.head.weight.copy_(torch.from_numpy(ridge.weight))
        net.head.bias.copy_(torch.from_numpy(ridge.bias))
    lstm_share = (
        shares[next(i for i, c in enumerate(scales) if c is ridge.column_scale)] if plan and pool else None
    )
    summary = {
        "loo_accuracy": ridge.loo_accuracy,
        "alpha": ridge.alpha,
        "temperature": ridge.temperature,
        "lstm_share": lstm_share,
    }
    return net.eval(), history, summary
