"""The LSTM-FCN network: ``(B, T, F)`` variable-length series in their own units -> ``(B, K)`` scores.

Two branches look at the normalised input side by side, as in LSTM-FCN (Karim et al., 2017):

* a (bidirectional) :class:`lstmkit.nn.LSTM` run on a PackedSequence, its outputs pooled by
  masked attention (or masked mean, or the final states);
* a fully convolutional branch (Conv1d - BatchNorm - ReLU blocks), masked global average
  pooling at the end.

Padding never reaches the result: the LSTM runs packed, padded steps are zeroed after every
convolution (so a valid step sees exactly the zeros a lone sequence's ``same`` padding gives),
batch-norm statistics are taken over valid steps only and every pooling is masked. A padded
batch scores each sequence as it scores alone. Without ``lengths`` every step is valid (the
form an exported graph takes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstmkit.nn.variants import Variants


@dataclass
class ClassifierModelConfig:
    """The LSTM-FCN network's shape."""

    hidden_size: int = 64  # LSTM units per direction; small data sets need few
    num_layers: int = 1  # one layer: the conv branch supplies the depth
    bidirectional: bool = True  # a whole sequence is seen at once, so both directions help
    dropout: float = 0.3  # before the output layer (and between LSTM layers)
    conv_channels: tuple[int, ...] = (128, 256, 128)  # LSTM-FCN's filter counts; () turns the branch off
    kernel_sizes: tuple[int, ...] = (8, 5, 3)  # LSTM-FCN's kernel widths, one per conv block
    pooling: Literal["attention", "mean", "last"] = "attention"  # how LSTM outputs become one vector
    label_smoothing: float = 0.1  # softer targets calibrate the probabilities of small data sets
    variants: Variants = field(
        default_factory=Variants
    )  # LSTM variants (layer_norm, zoneout, ...): all off = torch.nn.LSTM


def _length_mask(lengths: torch.Tensor | None, B: int, T: int, device: torch.device) -> torch.Tensor:
    """``(B, T)`` bool, True on valid steps."""
    if lengths is None:
        return torch.ones(B, T, dtype=torch.bool, device=device)
    return torch.arange(T, device=device)[None, :] < lengths.to(device)[:, None]


def _sum_over_ranks(t: torch.Tensor) -> torch.Tensor:
    """``t`` summed over data-parallel ranks (differentiably); ``t`` itself outside torchrun."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return t
    from torch.distributed.nn.functional import all_reduce

    return all_reduce(t)


class MaskedBatchNorm1d(nn.BatchNorm1d):
    """BatchNorm1d over ``(B, C, T)`` whose training statistics use valid steps only.

    Under torchrun the statistics are those of the global batch (summed over ranks, as
    SyncBatchNorm does), so data-parallel training matches one process.
    """

    # BatchNorm's forward takes x alone; this one needs the padding mask too (hence the ignore)
    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if not self.training:
            return super().forward(x) * mask
        sums = torch.cat([mask.sum().reshape(1), (x * mask).sum(dim=(0, 2)), (x * x * mask).sum(dim=(0, 2))])
        sums = _sum_over_ranks(
            sums
        )  # data-parallel: statistics of the global batch, as one process takes them
        C = x.shape[1]
        n = sums[0].clamp_min(2.0)
        mean = sums[1 : 1 + C] / n  # (C,)
        var = (sums[1 + C :] / n - mean * mean).clamp_min(0.0)  # (C,)
        # track_running_stats and a fixed momentum (BatchNorm's defaults, never changed here)
        assert self.num_batches_tracked is not None and self.running_mean is not None
        assert self.running_var is not None and self.momentum is not None
        with torch.no_grad():
            self.num_batches_tracked += 1
            self.running_mean.lerp_(mean, self.momentum)
            self.running_var.lerp_(var * n / (n - 1), self.momentum)
        y = (x - mean[None, :, None]) * torch.rsqrt(var[None, :, None] + self.eps)
        return (y * self.weight[None, :, None] + self.bias[None, :, None]) * mask


class ConvBlock(nn.Module):
    """Conv1d ('same' padding) -> masked BatchNorm -> ReLU, padded steps zeroed."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv1d(
            in_channels, out_channels, kernel_size, bias=False
        )  # the batch norm after it has the offset
        self.norm = MaskedBatchNorm1d(out_channels)
        left = (kernel_size - 1) // 2
        self.padding = (left, kernel_size - 1 - left)  # 'same', written out: torch warns on even kernels

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return F.relu(self.norm(self.conv(F.pad(x, self.padding)), mask))  # (B, C, T)


class AttentionPool(nn.Module):
    """Masked additive attention over time: ``sum_t softmax(v . tanh(W h_t)) h_t``."""

    def __init__(self, size: int):
        super().__init__()
        self.proj = nn.Linear(size, size)
        self.score = nn.Linear(size, 1, bias=False)

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # h (B, T, D), mask (B, T)
        scores = self.score(torch.tanh(self.proj(h))).squeeze(-1)  # (B, T)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        return torch.einsum("bt,btd->bd", weights, h)  # (B, D)


class SequenceClassifierNet(nn.Module):
    """LSTM-FCN: ``(B, T, F)`` raw series -> ``(B, K)`` class scores (logits).

    The per-channel scaling fitted on training data lives in the buffers ``mean`` and ``std``;
    missing values (NaN) become the channel mean after scaling.
    """

    mean: torch.Tensor  # (F,) buffers: the training data's per-channel scaling
    std: torch.Tensor

    def __init__(self, n_features: int, n_classes: int, config: ClassifierModelConfig):
        super().__init__()
        from lstmkit.nn import LSTM

        self.config = config
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))
        directions = 2 if config.bidirectional else 1
        self.lstm = LSTM(
            n_features,
            config.hidden_size,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            bidirectional=config.bidirectional,
            **asdict(config.variants),
        )
        lstm_out = config.hidden_size * directions
        self.pool = AttentionPool(lstm_out) if config.pooling == "attention" else None
        channels = [n_features, *config.conv_channels]
        self.conv = nn.ModuleList(
            ConvBlock(a, b, k) for a, b, k in zip(channels, channels[1:], config.kernel_sizes)
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(lstm_out + (channels[-1] if self.conv else 0), n_classes)

    def _lstm_features(
        self, x: torch.Tensor, lengths: torch.Tensor | None, mask: torch.Tensor
    ) -> torch.Tensor:
        B, T = x.shape[0], x.shape[1]
        directions = 2 if self.config.bidirectional else 1
        # zero states sized from x, so an exported graph keeps a dynamic batch (a packed batch's size is a constant)
        h0 = x.new_zeros(self.config.num_layers * directions, B, self.config.hidden_size)
        if lengths is None:
            out, (h_n, _) = self.lstm(x, (h0, h0))  # (B, T, D*H)
        else:
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, (h_n, _) = self.lstm(packed, (h0, h0))
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)  # (B, T, D*H)
        if self.pool is not None:  # pooling "attention"
            return self.pool(out, mask)
        if self.config.pooling == "mean":
            m = mask.unsqueeze(-1).to(out.dtype)
            return (out * m).sum(1) / m.sum(1)
        return torch.cat(list(h_n[-directions:]), dim=-1)  # (B, D*H): last layer's final states

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        B, T, _ = x.shape
        mask = _length_mask(lengths, B, T, x.device)  # (B, T)
        x = (x - self.mean) / self.std
        x = torch.where(torch.isnan(x), torch.zeros_like(x), x) * mask.unsqueeze(-1)  # (B, T, F)
        features = [self._lstm_features(x, lengths, mask)]
        if len(self.conv):
            m = mask.unsqueeze(1).to(x.dtype)  # (B, 1, T)
            z = x.transpose(1, 2)  # (B, F, T)
            for block in self.conv:
                z = block(z, m)  # (B, C, T)
            features.append(z.sum(-1) / m.sum(-1))  # (B, C)
        return self.head(self.drop(torch.cat(features, dim=-1)))  # (B, K)
