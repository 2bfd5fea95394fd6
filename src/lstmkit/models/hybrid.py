"""The default sequence classifier: MiniRocket features beside an LSTM's, one ridge classifier on both.

:class:`HybridNet` maps ``(B, T, F)`` series in their own units to ``(B, K)`` class scores:

1. each channel is scaled by the training data's mean and standard deviation (NaN -> 0, i.e. the mean);
2. :class:`~lstmkit.models.minirocket.MiniRocket` turns the scaled series into about 10,000 PPV features;
3. :class:`NextStepLSTM`, an LSTM trained to predict each next step of the training series
   (average-pooled to at most ``lstm_steps`` steps), reads the series; the mean of its hidden
   states and its final state are its features;
4. ``head``, a ridge classifier fitted in closed form on both blocks (:mod:`lstmkit.models.ridge`).

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
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstmkit.errors import ConfigError
from lstmkit.models.lstm_fcn import ClassifierModelConfig
from lstmkit.models.minirocket import MiniRocket, fit_minirocket
from lstmkit.models.ridge import fit_ridge_classifier
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


def scale_series(
    x: torch.Tensor, lengths: torch.Tensor, mean: torch.Tensor, std: torch.Tensor
) -> torch.Tensor:
    """``(x - mean) / std`` per channel, missing values 0 (the mean), zeros past each length: ``(B, T, F)``."""
    mask = torch.arange(x.shape[1], device=x.device)[None, :] < lengths.to(x.device)[:, None]  # (B, T)
    x = (x - mean) / std
    return torch.where(torch.isnan(x), torch.zeros_like(x), x) * mask.unsqueeze(-1).to(x.dtype)


class NextStepLSTM(nn.Module):
    """An LSTM that predicts each next step of a scaled series; its states are features.

    ``forward(x, lengths)`` -> predictions ``(B, T, F)`` of steps 2..T+1; ``features`` -> ``(B, 2H)``:
    the mean of the hidden states over valid steps beside the state at the last valid step.
    """

    def __init__(self, n_features: int, model: ClassifierModelConfig):
        super().__init__()
        from lstmkit.nn import LSTM

        self.hidden_size = model.hidden_size
        self.lstm = LSTM(n_features, model.hidden_size, batch_first=True, **asdict(model.variants))
        self.out = nn.Linear(model.hidden_size, n_features)

    def states(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden states ``(B, T, H)`` (zero past each length) and the last valid one ``(B, H)``."""
        B, T = x.shape[0], x.shape[1]
        h0 = x.new_zeros(1, B, self.hidden_size)  # sized from x: an exported graph keeps a dynamic batch
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, (h_n, _) = self.lstm(packed, (h0, h0))
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)  # (B, T, H)
        return out, h_n[-1]

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.out(self.states(x, lengths)[0])  # (B, T, F)

    def features(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        out, last = self.states(x, lengths)
        mean = out.sum(dim=1) / lengths.to(out.device, out.dtype)[:, None]  # (B, H): padded steps are zeros
        return torch.cat([mean, last], dim=-1)  # (B, 2H)


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


class HybridNet(nn.Module):
    """A ridge classifier on random-convolution and LSTM features: ``(B, T, F)`` -> ``(B, K)``.

    Args:
        model: the LSTM's settings (``hidden_size``, ``variants``).
        rocket: ``{"dilations": [...], "features_per_dilation": [...]}``, or None: no random kernels.
        pool: the LSTM reads means of ``pool`` consecutive steps; None: no LSTM.
    """

    mean: torch.Tensor  # (F,) buffers: the training data's per-channel scaling
    std: torch.Tensor

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        model: ClassifierModelConfig,
        *,
        rocket: dict[str, list[int]] | None,
        pool: int | None,
    ):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))
        self.rocket = (
            MiniRocket(n_features, rocket["dilations"], rocket["features_per_dilation"]) if rocket else None
        )
        self.pool = pool
        self.lstm = NextStepLSTM(n_features, model) if pool else None
        rocket_width = self.rocket.n_features if self.rocket is not None else 0
        width = rocket_width + (2 * model.hidden_size if pool else 0)
        self.head = nn.Linear(width, n_classes)

    def plan(self) -> dict[str, Any]:
        """What :meth:`__init__` needs besides the sizes (written to ``config.json``)."""
        rocket = (
            None
            if self.rocket is None
            else {
                "dilations": self.rocket.dilations,
                "features_per_dilation": self.rocket.features_per_dilation,
            }
        )
        return {"rocket": rocket, "pool": self.pool}

    def pooled(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Means of ``pool`` consecutive valid steps of scaled ``x`` ``(B, T, F)``: ``(B, ceil(T / pool), F)`` and lengths."""
        assert self.pool is not None  # pooled() serves the LSTM, which comes with pool
        if self.pool == 1:
            return x, lengths
        valid = (torch.arange(x.shape[1], device=x.device)[None, :] < lengths.to(x.device)[:, None]).to(
            x.dtype
        )
        sums = F.avg_pool1d(
            x.transpose(1, 2), self.pool, ceil_mode=True
        )  # (B, F, T'): window means, padding as 0
        counts = F.avg_pool1d(
            valid[:, None, :], self.pool, ceil_mode=True
        )  # (B, 1, T'): share of valid steps
        pooled = (sums / counts.clamp_min(1e-6)).transpose(1, 2)  # (B, T', F)
        return pooled, torch.div(lengths + self.pool - 1, self.pool, rounding_mode="floor")

    def features(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Both feature blocks side by side: ``(B, T, F)`` raw series -> ``(B, P)``."""
        if lengths is None:
            lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.long, device=x.device)
        x = scale_series(x, lengths, self.mean, self.std)  # (B, T, F)
        blocks = []
        if self.rocket is not None:
            blocks.append(self.rocket(x.transpose(1, 2), lengths))  # (B, P_r)
        if self.lstm is not None:
            blocks.append(self.lstm.features(*self.pooled(x, lengths)))  # (B, 2H)
        return torch.cat(blocks, dim=1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, lengths))  # (B, K)


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
