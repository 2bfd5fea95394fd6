"""lstmkit's training loop: Adam, clipping and a learning-rate schedule, in epochs with callbacks.

The loop is lean on purpose (the data sets are often small, where framework overhead
dominates). Data is a tuple of tensors sharing their first dimension; a batch is those
tensors indexed by a set of rows, so views (windows made with ``Tensor.unfold``) are never
copied whole. A job supplies ``loss_fn(model, batch) -> loss``. Early stopping, the step and
time budget, the progress bar and checkpoints are callbacks (:mod:`lstmkit.train.callbacks`).
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from lstmkit.errors import CheckpointError, ConfigError, LstmkitError
from lstmkit.io.atomic import atomic_output
from lstmkit.train.adam import adam
from lstmkit.train.callbacks import (
    Budget,
    Callback,
    Checkpoint,
    EarlyStopping,
    ProgressBar,
    TrainState,
    watched_loss,
)
from lstmkit.train.device import resolve_device
from lstmkit.train.distributed import is_main_process, local_rows, world

__all__ = ["Callback", "History", "LossFn", "TrainerConfig", "check_trainer_config", "fit"]

Tensors = tuple[torch.Tensor, ...]
LossFn = Callable[[nn.Module, Tensors], torch.Tensor]


@dataclass
class TrainerConfig:
    """How to train; every job embeds one as its ``trainer`` section."""

    epochs: int = 100  # an upper bound: early stopping usually ends training sooner
    batch_size: int = 32  # the global batch; small batches generalise well on small series
    lr: float = 1e-3  # Adam's default, as in the classic program
    weight_decay: float = 0.0  # off: dropout and early stopping regularise enough by default
    grad_clip: float = 1.0  # max global gradient norm; LSTMs' gradients can spike
    patience: int = 10  # epochs without validation improvement before stopping
    min_delta: float = 0.0  # improvement smaller than this does not count
    lr_schedule: Literal["plateau", "cosine", "none"] = "plateau"  # halve the rate when progress stalls
    seed: int = 0  # the same seed gives the same model on the same machine
    device: str = "auto"  # CUDA when present, else CPU
    max_steps: int = 0  # optimisation steps to stop after (a budget that ignores machine load); 0: none
    max_seconds: float = 0.0  # opt-in wall-clock cap: results then depend on the machine's load; 0: none

    def __post_init__(self) -> None:
        # checked when set (flag, --set, TOML, a saved config): NumPy's generators crashed on a negative seed
        if not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"trainer.seed must be an integer from 0 to {MAX_SEED}, got {self.seed!r}")


MAX_SEED = 2**32 - 1  # what every generator lstmkit seeds (Python, NumPy, torch) takes


def check_trainer_config(config: TrainerConfig) -> None:
    """Raise :class:`ConfigError` naming the setting when a trainer value cannot train (``--set`` reaches all of them)."""
    finite = lambda v: math.isfinite(float(v))  # noqa: E731
    checks = (
        ("epochs", config.epochs >= 1, "a positive integer"),
        ("batch_size", config.batch_size >= 1, "a positive integer"),
        ("lr", finite(config.lr) and config.lr > 0, "a positive number such as 1e-3"),
        ("weight_decay", finite(config.weight_decay) and config.weight_decay >= 0, "a number >= 0"),
        (
            "grad_clip",
            finite(config.grad_clip) and config.grad_clip >= 0,
            "a number >= 0 (0 turns clipping off)",
        ),
        ("patience", config.patience >= 1, "a positive integer"),
        ("min_delta", finite(config.min_delta) and config.min_delta >= 0, "a number >= 0"),
        ("max_steps", config.max_steps >= 0, "an integer >= 0 (0: no step budget)"),
        (
            "max_seconds",
            finite(config.max_seconds) and config.max_seconds >= 0,
            "a number >= 0 (0: no budget)",
        ),
    )
    for name, ok, expected in checks:
        if not ok:
            raise ConfigError(f"trainer.{name} must be {expected}, got {getattr(config, name)!r}")


@dataclass
class History:
    """One row per finished epoch: epoch, train_loss, val_loss, lr, seconds."""

    rows: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    def to_csv(self, path: str | Path) -> None:
        """Write the rows to ``path`` atomically."""
        columns = ["epoch", "train_loss", "val_loss", "lr", "seconds"]
        with atomic_output(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self.rows)


def _batches(n: int, batch_size: int, order: torch.Tensor) -> list[torch.Tensor]:
    return list(order.split(batch_size)) if n else []


def _mean_loss(
    model: nn.Module, loss_fn: LossFn, data: Tensors, batch_size: int, device: torch.device
) -> float:
    total, count = 0.0, 0
    n = len(data[0])
    with torch.no_grad():
        for idx in _batches(n, batch_size, torch.arange(n)):
            batch = tuple(t[idx].to(device, non_blocking=True) for t in data)
            total += float(loss_fn(model, batch)) * len(idx)
            count += len(idx)
    return total / max(count, 1)


def _global_mean(local: torch.Tensor) -> float:
    """The batch loss over all ranks (each rank's loss already carries its row weight)."""
    if world()[1] > 1:
        local = local.clone()
        torch.distributed.all_reduce(local)
        local /= world()[1]
    return local.item()


def _make_scheduler(optimizer: torch.optim.Optimizer, config: TrainerConfig):
    if config.lr_schedule == "plateau":
        patience = max(1, config.patience // 3)
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=patience)
    if config.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, config.epochs))
    return None


def _check_data(train: Tensors, val: Tensors | None) -> None:
    for name, data in (("training", train), ("validation", val)):
        if data is None:
            continue
        if not data or any(len(t) != len(data[0]) for t in data):
            raise LstmkitError(
                f"{name} tensors must share their first dimension, got {[tuple(t.shape) for t in data]}"
            )
    if len(train[0]) == 0:
        raise LstmkitError("no training examples: the data is too short for these settings")


def _call(callbacks: Sequence[Any], hook: str, *args: Any) -> None:
    for callback in callbacks:
        method = getattr(callback, hook, None)
        if method is not None:
            method(*args)


def _start(model: nn.Module, config: TrainerConfig) -> TrainState:
    """Move ``model`` to the configured device, wrap it for data-parallel runs, make its optimizer."""
    device = resolve_device(config.device)
    model.to(device)
    net = model
    if world()[1] > 1:
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    optimizer = adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = _make_scheduler(optimizer, config)
    return TrainState(model, net, optimizer, scheduler, config, device, History())


def _step(state: TrainState, loss_fn: LossFn, batch: Tensors, weight: float, epoch: int) -> float:
    """One optimisation step on this rank's ``batch``; the batch's loss over all ranks."""
    loss = loss_fn(state.net, batch)
    value = _global_mean(loss.detach() * weight)
    if not math.isfinite(value):
        raise LstmkitError(
            f"training diverged at epoch {epoch + 1}: the loss is {value}; lower the learning rate "
            "(--lr), or check the data for extreme values"
        )
    state.optimizer.zero_grad(set_to_none=True)
    (loss * weight).backward()
    if state.config.grad_clip > 0:
        nn.utils.clip_grad_norm_(state.model.parameters(), state.config.grad_clip)
    state.optimizer.step()
    state.steps += 1
    return value


def _train_epoch(
    state: TrainState, loss_fn: LossFn, train: Tensors, epoch: int, *, shuffle: bool, hooks: Sequence[Any]
) -> float | None:
    """Train one epoch; its mean training loss, or None when a callback stopped it before the first step."""
    c, n = state.config, len(train[0])
    state.model.train()
    order = torch.arange(n)
    if shuffle:
        order = torch.randperm(n, generator=torch.Generator().manual_seed(c.seed * 1_000_003 + epoch))
    total, seen = 0.0, 0
    for global_idx in _batches(n, c.batch_size, order):
        _call(hooks, "on_batch_start")
        if state.stop:  # the budget ran out mid-epoch: the epoch ends here
            break
        idx, weight = local_rows(global_idx)
        batch = tuple(t[idx].to(state.device, non_blocking=True) for t in train)
        total += _step(state, loss_fn, batch, weight, epoch) * len(global_idx)
        seen += len(global_idx)
    return total / seen if seen else None


def _validate(state: TrainState, loss_fn: LossFn, val: Tensors | None, *, hooks: Sequence[Any]) -> float:
    """The mean validation loss (NaN without validation data), in eval mode."""
    if val is None or not len(val[0]):
        return math.nan
    state.model.eval()
    _call(hooks, "on_validation_start")
    return _mean_loss(state.model, loss_fn, val, state.config.batch_size * 4, state.device)


def _schedule(state: TrainState, loss: float, epoch: int) -> None:
    """Step the learning-rate schedule on the watched ``loss``, refusing a non-finite one."""
    if not math.isfinite(loss):
        raise LstmkitError(
            f"training diverged at epoch {epoch + 1}: the validation loss is {loss}; lower --lr"
        )
    if isinstance(state.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        state.scheduler.step(loss)
    elif state.scheduler is not None:
        state.scheduler.step()


def _prepare(
    model: nn.Module,
    config: TrainerConfig,
    *,
    checkpoint_path: str | Path | None,
    resume: bool,
    progress: bool | str,
    callbacks: Sequence[Any],
    task: str | None,
    command: str | None,
) -> tuple[TrainState, list[Any]]:
    """The run's state (resumed from the checkpoint when asked) and its callbacks in calling order."""
    state = _start(model, config)
    main = is_main_process()
    checkpoint = (
        None
        if checkpoint_path is None
        else Checkpoint(checkpoint_path, state, write=main, task=task, command=command)
    )
    if resume:
        if checkpoint is None:
            raise CheckpointError("--resume needs an output folder holding a checkpoint")
        checkpoint.restore()
    bar = ProgressBar(
        state, show=bool(progress) and main, desc=progress if isinstance(progress, str) else None
    )
    hooks = [EarlyStopping(state), Budget(state), *callbacks, bar]
    return state, hooks + ([checkpoint] if checkpoint is not None else [])  # last: it records the decision


def fit(
    model: nn.Module,
    loss_fn: LossFn,
    train: Tensors,
    val: Tensors | None = None,
    *,
    config: TrainerConfig,
    checkpoint_path: str | Path | None = None,
    resume: bool = False,
    progress: bool | str = False,
    shuffle: bool = True,
    callbacks: Sequence[Any] = (),
    task: str | None = None,
    command: str | None = None,
) -> History:
    """Train ``model`` in place and return its history; the best weights are restored at the end.

    Args:
        model: any module; it is moved to ``config.device``.
        loss_fn: ``loss_fn(model, batch) -> scalar``; ``batch`` is ``train`` indexed by rows.
        train: tensors sharing dim 0 (views are fine; only batches are copied).
        val: the same for validation; early stopping watches its loss (else the training loss).
        config: the trainer settings (:class:`TrainerConfig`).
        checkpoint_path: the checkpoint's JSON file, rewritten atomically every few seconds, at the last
            epoch and on an interruption (:class:`~lstmkit.train.callbacks.Checkpoint`), and kept (marked
            done) when ``fit`` returns: the caller removes it once its own outputs are written.
        resume: continue from ``checkpoint_path``; ends with the weights an uninterrupted run gives.
        progress: show a tqdm bar with the losses; a string also labels it (what is being trained).
        shuffle: shuffle the rows every epoch (off for truncated backpropagation through time).
        callbacks: objects with any hooks of :class:`~lstmkit.train.callbacks.Callback`.
        task: the job training (``"forecast"``, ``"classify"`` ...), recorded in the checkpoint: a resume
            refuses another task's checkpoint, and one of another kind of network.
        command: the command line training, where a job has several (``"lstmkit forecast"``,
            ``"lstmkit train"``), recorded in the checkpoint beside ``task``: a resume refuses another one's.

    Raises:
        LstmkitError: a non-finite loss (naming the epoch), or no training data.
        CheckpointError: ``resume`` without a usable checkpoint, or with another task's or command's.
        Interrupted: SIGINT or SIGTERM (see :mod:`lstmkit.interrupt`); it names the checkpoint kept.
    """
    check_trainer_config(config)
    _check_data(train, val)
    state, hooks = _prepare(
        model,
        config,
        checkpoint_path=checkpoint_path,
        resume=resume,
        progress=progress,
        callbacks=callbacks,
        task=task,
        command=command,
    )
    try:
        for epoch in range(state.start_epoch, config.epochs):
            state.epoch_started = time.perf_counter()
            _call(hooks, "on_epoch_start", epoch)
            train_loss = _train_epoch(state, loss_fn, train, epoch, shuffle=shuffle, hooks=hooks)
            if train_loss is None:  # out of budget before this epoch's first batch
                break
            val_loss = _validate(state, loss_fn, val, hooks=hooks)
            _schedule(state, watched_loss(train_loss, val_loss), epoch)
            lr, seconds = state.optimizer.param_groups[0]["lr"], time.perf_counter() - state.epoch_started
            row = dict(epoch=epoch + 1, train_loss=train_loss, val_loss=val_loss, lr=lr, seconds=seconds)
            state.history.rows.append(row)
            _call(hooks, "on_epoch_end", epoch, row)
            if state.stop:
                break
    except BaseException as error:
        _call(hooks, "on_fit_end", error)
        raise
    _call(hooks, "on_fit_end", None)
    model.eval()
    return state.history
