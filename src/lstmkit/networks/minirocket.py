"""MiniRocket random-convolution features (Dempster, Schmidt & Webb, KDD 2021), in torch.

:func:`fit_minirocket` draws the transform from training data; :class:`MiniRocket` applies it:
``(B, C, T)`` series -> ``(B, P)`` features, each the proportion of positive values (PPV) of one
kernel's output minus one bias. As in the published method:

* 84 fixed kernels of length 9, weights -1 everywhere but 2 at three positions (every choice of
  three of the nine), so each kernel's weights sum to zero;
* dilations ``floor(2 ** linspace(0, log2((T - 1) / 8), D))``, ``D = min(32, P / 84)``, the
  features of a kernel spread over them;
* every kernel and dilation convolves a random subset of the channels (1 to 9 of them, the
  count drawn log-uniformly) and sums them (the multivariate form);
* biases are quantiles (the low-discrepancy sequence ``k * golden ratio mod 1``) of the kernel's
  output on one random training case;
* half the kernel-dilation pairs use "same" zero padding, the other half are read over the
  steps they cover without padding only.

Series of unequal length are padded at the end: ``lengths`` keeps padding out of every PPV (a
padded batch gives each series the features it gets alone). The transform is plain torch
(``conv1d`` with dilation, a sort and a bisection per row; comparisons and sums when exported to ONNX). Its tensors are buffers:
``kernels`` (84, 9), ``channels`` (D, 84, C) 0/1 masks and ``biases`` (P,).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

KERNEL_LENGTH = 9
KERNELS = np.asarray(
    [[2.0 if j in c else -1.0 for j in range(KERNEL_LENGTH)] for c in combinations(range(9), 3)],
    dtype=np.float32,
)  # (84, 9)
N_KERNELS = len(KERNELS)
GOLDEN = (np.sqrt(5.0) + 1.0) / 2.0


def dilation_plan(length: int, num_features: int, *, max_dilations: int = 32) -> tuple[list[int], list[int]]:
    """``(dilations, features_per_dilation)`` for series of ``length`` steps: features per kernel spread over the dilations."""
    per_kernel = max(1, num_features // N_KERNELS)
    count = min(per_kernel, max_dilations)
    multiplier = per_kernel / count
    top = np.log2(max(length - 1, 1) / (KERNEL_LENGTH - 1))
    dilations, counts = np.unique(
        np.logspace(0, max(top, 0.0), count, base=2).astype(np.int64), return_counts=True
    )
    features = (counts * multiplier).astype(np.int64)
    for i in range(per_kernel - int(features.sum())):  # the remainder, one each from the smallest dilation up
        features[i % len(features)] += 1
    return [int(d) for d in dilations], [int(f) for f in features]


def quantiles(n: int) -> np.ndarray:
    """The first ``n`` points of ``k * golden ratio mod 1``, ``k = 1..n``: quantile levels spread evenly."""
    return (np.arange(1, n + 1) * GOLDEN) % 1


def _count_above(conv: torch.Tensor, biases: torch.Tensor) -> torch.Tensor:
    """How many steps of ``conv`` ``(B, 84, T)`` exceed each bias ``(84, n)``: ``(B, 84, n)``.

    Sorting each row once (numpy's vectorised sort: many times faster than torch's on the CPU) and
    bisecting it is far cheaper than comparing every step with every bias; ONNX has no bisection
    operator, so an exported graph compares. The features carry no gradient either way.
    """
    if torch.onnx.is_in_onnx_export():
        return (conv[:, :, None, :] > biases[None, :, :, None]).sum(dim=-1)
    ordered = torch.from_numpy(np.sort(conv.detach().cpu().numpy(), axis=-1)).to(conv.device)  # (B, 84, T)
    queries = biases.to(conv.dtype).expand(conv.shape[0], -1, -1).contiguous()  # (B, 84, n)
    return conv.shape[-1] - torch.searchsorted(
        ordered, queries, right=True
    )  # steps above = T - steps at or below


class MiniRocket(nn.Module):
    """The fitted transform: ``(B, C, T)`` and valid lengths ``(B,)`` -> PPV features ``(B, P)``.

    Args:
        n_channels: channels C of the input.
        dilations: one per dilation group; ``features_per_dilation`` biases per kernel at each.
    """

    kernels: torch.Tensor  # buffers, (84, 9), (D, 84, C), (P,)
    channels: torch.Tensor
    biases: torch.Tensor

    def __init__(self, n_channels: int, dilations: list[int], features_per_dilation: list[int]):
        super().__init__()
        self.dilations, self.features_per_dilation = list(dilations), list(features_per_dilation)
        self.register_buffer("kernels", torch.from_numpy(KERNELS.copy()))  # (84, 9)
        self.register_buffer("channels", torch.ones(len(dilations), N_KERNELS, n_channels))  # (D, 84, C)
        self.register_buffer("biases", torch.zeros(self.n_features))  # (P,)

    @property
    def n_features(self) -> int:
        return N_KERNELS * sum(self.features_per_dilation)

    def convolve(self, x: torch.Tensor, d: int) -> torch.Tensor:
        """Every kernel at dilation group ``d`` over its channels, 'same' zero padding: ``(B, C, T) -> (B, 84, T)``."""
        dilation = self.dilations[d]
        weight = self.kernels[:, None, :] * self.channels[d][:, :, None]  # (84, C, 9)
        pad = (KERNEL_LENGTH // 2) * dilation
        return F.conv1d(F.pad(x, (pad, pad)), weight, dilation=dilation)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """PPV features ``(B, P)`` of ``x`` ``(B, C, T)`` (zeros past each length)."""
        T = x.shape[-1]
        steps = torch.arange(T, device=x.device)[None, :]  # (1, T)
        lengths = lengths.to(x.device)[:, None]  # (B, 1)
        out, start = [], 0
        for d, (dilation, n) in enumerate(zip(self.dilations, self.features_per_dilation)):
            conv = self.convolve(x, d)  # (B, 84, T)
            biases = self.biases[start : start + N_KERNELS * n].reshape(N_KERNELS, n)  # (84, n)
            start += N_KERNELS * n
            pad = (KERNEL_LENGTH // 2) * dilation
            full = steps < lengths  # (B, T): padded kernels read every valid step
            inner = (steps >= pad) & (steps < lengths - pad)  # unpadded: the steps the kernel covers
            padded = torch.tensor([(d + k) % 2 == 0 for k in range(N_KERNELS)], device=x.device)  # (84,)
            padded = padded[None, :, None]
            mask = (padded & full[:, None, :]) | (
                ~padded & inner[:, None, :]
            )  # (B, 84, T); ONNX has no Where on bools
            conv = conv.masked_fill(~mask, float("-inf"))  # steps outside the mask exceed no bias
            hits = _count_above(conv, biases)  # (B, 84, n)
            read = mask.sum(dim=-1, keepdim=True).clamp_min(1)  # (B, 84, 1)
            out.append((hits.to(x.dtype) / read.to(x.dtype)).reshape(x.shape[0], -1))
        return torch.cat(out, dim=1)  # (B, P)


def fit_minirocket(
    x: torch.Tensor,
    lengths: torch.Tensor,
    *,
    num_features: int = 10_000,
    length: int | None = None,
    seed: int = 0,
) -> MiniRocket:
    """Draw channel subsets and fit biases on training series ``x`` ``(N, C, T)`` (zero past ``lengths``).

    Args:
        num_features: about how many features (rounded down to a multiple of 84).
        length: the series length the dilations are planned for (default: the longest).
        seed: the random draws (channels, the case each bias comes from).
    """
    rng = np.random.default_rng(seed)
    N, C, T = x.shape
    dilations, per_dilation = dilation_plan(length or T, num_features)
    rocket = MiniRocket(C, dilations, per_dilation)
    top = np.log2(min(C, KERNEL_LENGTH) + 1)
    biases, levels = (
        [],
        quantiles(rocket.n_features),
    )  # consecutive levels for each kernel and dilation in turn
    for d, n in enumerate(per_dilation):
        counts = (2 ** rng.uniform(0, top, N_KERNELS)).astype(np.int64).clip(1, C)
        for k, m in enumerate(counts):
            rocket.channels[d, k] = 0.0
            rocket.channels[d, k, rng.choice(C, m, replace=False)] = 1.0
        cases = rng.integers(0, N, N_KERNELS)  # one training case per kernel
        with torch.no_grad():
            conv = rocket.convolve(x[cases], d).double().numpy()  # (84, 84, T): case k under every kernel
        for k, case in enumerate(cases):
            at = N_KERNELS * sum(per_dilation[:d]) + k * n  # this kernel's run of quantile levels
            biases.append(np.quantile(conv[k, k, : int(lengths[case])], levels[at : at + n]))
    rocket.biases.copy_(torch.from_numpy(np.concatenate(biases).astype(np.float32)))
    return rocket
