"""The hybrid classifier's network: MiniRocket features beside an LSTM's, a linear head on both.

:class:`HybridNet` maps ``(B, T, F)`` series in their own units to ``(B, K)`` class scores:

1. each channel is scaled by the training data's mean and standard deviation (NaN -> 0, i.e. the mean);
2. :class:`~lstmkit.networks.minirocket.MiniRocket` turns the scaled series into about 10,000 PPV features;
3. :class:`NextStepLSTM`, an LSTM trained to predict each next step of the training series
   (average-pooled to at most ``lstm_steps`` steps), reads the series; the mean of its hidden
   states and its final state are its features;
4. ``head``, a linear layer: the ridge classifier fitted in closed form on both blocks.

Every part lives in the state dict (kernels, channel masks, biases, LSTM weights, ridge weights),
so the model folder stays safetensors + JSON and the network traces to ONNX. How each part is
fitted is :mod:`lstmkit.models.hybrid`'s.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstmkit.networks.lstm_fcn import ClassifierModelConfig
from lstmkit.networks.minirocket import MiniRocket


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
