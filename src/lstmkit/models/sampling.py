"""How a classifier's training cases are split and augmented: stratified hold-outs, random jitter and crops."""

from __future__ import annotations

import numpy as np
import torch

from lstmkit.data.sequences import natural_order
from lstmkit.errors import ConfigError


def stratified_split(
    labels: np.ndarray, *, fraction: float, seed: int, min_per_class: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, val)``: about ``fraction`` of each class held out.

    When the smallest class would lend fewer than ``min_per_class`` cases, nothing is held out:
    early stopping on a validation set of one or two cases per class follows noise, and tiny
    training sets (ArrowHead's 36 cases) need every case.

    Raises:
        ConfigError: ``fraction`` outside [0, 1).
    """
    if not 0.0 <= fraction < 1.0:  # 1 held every case out: "no training examples: the data is too short"
        raise ConfigError(f"data.val_fraction must be in [0, 1), got {fraction:g}")
    classes = natural_order(list(labels))
    smallest = min(int(np.sum(labels == c)) for c in classes)
    if fraction <= 0 or round(fraction * smallest) < min_per_class:
        return np.arange(len(labels), dtype=np.int64), np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    train: list[int] = []
    val: list[int] = []
    for label in classes:
        idx = rng.permutation(np.flatnonzero(labels == label))
        k = int(round(fraction * len(idx)))
        val.extend(idx[:k])
        train.extend(idx[k:])
    return np.sort(np.asarray(train, dtype=np.int64)), np.sort(np.asarray(val, dtype=np.int64))


def augment_batch(
    x: torch.Tensor, lengths: torch.Tensor, std: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random per-case scaling and jitter, and a random crop keeping 80-100% of each sequence.

    Random numbers come from the CPU generator so a resumed run replays them exactly.
    """
    B, T, Fdim = x.shape
    scale = 1.0 + 0.1 * torch.randn(B, 1, Fdim)
    noise = 0.03 * torch.randn(B, T, Fdim) * std.cpu()
    keep = (
        (lengths.cpu().float() * (0.8 + 0.2 * torch.rand(B)))
        .ceil()
        .long()
        .clamp_min(1)
        .clamp_max(lengths.cpu())
    )
    start = ((lengths.cpu() - keep).float() * torch.rand(B)).floor().long()  # (B,)
    steps = (start[:, None] + torch.arange(T)[None, :]).clamp_max(T - 1)  # (B, T)
    x = x.cpu() * scale + noise
    x = torch.gather(x, 1, steps[:, :, None].expand(B, T, Fdim))
    return x.to(std.device), keep.to(lengths.device)
