"""lstmkit's training loop: Adam, clipping, a learning-rate schedule, early stopping, checkpoints.

The loop is lean on purpose (the data sets are often small, where framework overhead
dominates). Data is a tuple of tensors sharing their first dimension; a batch is those
tensors indexed by a set of rows, so views (windows made with ``Tensor.unfold``) are never
copied whole. A job supplies ``loss_fn(model, batch) -> loss``.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import dataclasses
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import torch
from torch import nn

from lstmkit.errors import CheckpointError, ConfigError, LstmkitError
from lstmkit.interrupt import Interrupted
from lstmkit.io.atomic import atomic_output
from lstmkit.io.checkpoint import load_checkpoint, save_checkpoint
from lstmkit.train.device import resolve_device
from lstmkit.train.distributed import is_main_process, local_rows, world

log = logging.getLogger(__name__)

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


class Callback(Protocol):
    """Optional hooks; a callback defines any subset of these methods."""

    def on_epoch_start(self, epoch: int) -> None: ...
    def on_validation_start(self) -> None: ...
    def on_epoch_end(self, epoch: int, row: dict[str, float]) -> None: ...


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


def _call(callbacks: Sequence[Any], hook: str, *args: Any) -> None:
    for callback in callbacks:
        method = getattr(callback, hook, None)
        if method is not None:
            method(*args)


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


class _Run:
    """The optimisation steps of one ``fit``: one epoch at a time, within the step and time budgets."""

    best_state: dict[str, torch.Tensor] | None  # the best weights so far, copied to the CPU

    def __init__(self, model, net, loss_fn, optimizer, config: TrainerConfig, device):
        self.model, self.net, self.loss_fn, self.optimizer = model, net, loss_fn, optimizer
        self.config, self.device, self.steps, self.elapsed = config, device, 0, 0.0
        self.best_loss, self.best_state, self.bad_epochs = math.inf, None, 0  # early stopping's memory

    def monitor(self, loss: float, epoch: int, scheduler: Any) -> bool:
        """Step the schedule on the watched ``loss``; keep the weights when they are the best so far (True)."""
        if not math.isfinite(loss):
            raise LstmkitError(
                f"training diverged at epoch {epoch + 1}: the validation loss is {loss}; lower --lr"
            )
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(loss)
        elif scheduler is not None:
            scheduler.step()
        if loss < self.best_loss - self.config.min_delta:
            self.best_loss, self.bad_epochs = loss, 0
            self.best_state = copy.deepcopy({k: v.detach().cpu() for k, v in self.model.state_dict().items()})
            return True
        self.bad_epochs += 1
        return False

    def out_of_budget(self, extra_seconds: float = 0.0) -> bool:
        """Whether ``trainer.max_steps`` steps were taken or ``trainer.max_seconds`` have passed."""
        c = self.config
        return (c.max_steps > 0 and self.steps >= c.max_steps) or (
            c.max_seconds > 0 and self.elapsed + extra_seconds >= c.max_seconds
        )

    def epoch(
        self, train: Tensors, epoch: int, *, shuffle: bool, started: float
    ) -> tuple[float | None, bool]:
        """Train one epoch; ``(mean training loss or None if no step was taken, whether the budget ran out)``."""
        c, n = self.config, len(train[0])
        self.model.train()
        order = torch.arange(n)
        if shuffle:
            order = torch.randperm(n, generator=torch.Generator().manual_seed(c.seed * 1_000_003 + epoch))
        total, seen = 0.0, 0
        for global_idx in _batches(n, c.batch_size, order):
            if self.out_of_budget(time.perf_counter() - started):
                return (total / seen if seen else None), True  # the budget ran out mid-epoch: it ends here
            idx, weight = local_rows(global_idx)
            batch = tuple(t[idx].to(self.device, non_blocking=True) for t in train)
            loss = self.loss_fn(self.net, batch)
            value = _global_mean(loss.detach() * weight)
            if not math.isfinite(value):
                raise LstmkitError(
                    f"training diverged at epoch {epoch + 1}: the loss is {value}; lower the learning rate "
                    "(--lr), or check the data for extreme values"
                )
            self.optimizer.zero_grad(set_to_none=True)
            (loss * weight).backward()
            if c.grad_clip > 0:
                nn.utils.clip_grad_norm_(self.model.parameters(), c.grad_clip)
            self.optimizer.step()
            self.steps += 1
            total += value * len(global_idx)
            seen += len(global_idx)
        return (total / seen if seen else None), False


_NOT_COMPARED = ("epochs", "device", "max_seconds", "max_steps")  # settings a resumed run may change


def _rng_states(device: torch.device) -> dict[str, list]:
    """The generators' states as lists of ints (JSON-ready): torch's CPU one and, when used, CUDA's."""
    states: dict[str, list] = {"torch": torch.get_rng_state().tolist()}
    if device.type == "cuda":
        states["cuda"] = [s.tolist() for s in torch.cuda.get_rng_state_all()]
    return states


def _restore(
    state: dict[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    *,
    settings: dict[str, Any],
    device: torch.device,
) -> None:
    """Load a checkpoint's model, optimizer, schedule and generators, refusing other settings."""
    saved = {k: v for k, v in state.get("config", {}).items() if k not in _NOT_COMPARED}
    current = {k: v for k, v in settings.items() if k not in _NOT_COMPARED}
    if saved != current:
        changed = sorted(k for k in current if saved.get(k) != current[k])
        raise CheckpointError(
            f"cannot resume: settings differ from the interrupted run ({', '.join(changed)}); use the same settings"
        )
    try:
        model.load_state_dict(state["model"])
    except RuntimeError:
        raise CheckpointError(
            "cannot resume: the checkpoint's model has another shape; use the same settings"
        ) from None
    try:
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None and state.get("scheduler"):
            scheduler.load_state_dict(state["scheduler"])
        rng = state["rng"]
        torch.set_rng_state(torch.tensor(rng["torch"], dtype=torch.uint8))
        if device.type == "cuda" and "cuda" in rng:
            torch.cuda.set_rng_state_all([torch.tensor(s, dtype=torch.uint8) for s in rng["cuda"]])
        for key in ("history", "best_state", "best_loss", "bad_epochs", "epoch"):
            state[key]  # noqa: B018 - present, or the checkpoint is not the trainer's
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"cannot resume: the checkpoint is incomplete or damaged ({exc!r}); "
            "delete it and run without --resume"
        ) from None


def fit(
    model: nn.Module,
    loss_fn: LossFn,
    train: Tensors,
    val: Tensors | None = None,
    *,
    config: TrainerConfig,
    checkpoint_path: str | Path | None = None,
    resume: bool = False,
    progress: bool = False,
    shuffle: bool = True,
    callbacks: Sequence[Any] = (),
) -> History:
    """Train ``model`` in place and return its history; the best weights are restored at the end.

    Args:
        model: any module; it is moved to ``config.device``.
        loss_fn: ``loss_fn(model, batch) -> scalar``; ``batch`` is ``train`` indexed by rows.
        train: tensors sharing dim 0 (views are fine; only batches are copied).
        val: the same for validation; early stopping watches its loss (else the training loss).
        config: the trainer settings.
        checkpoint_path: the checkpoint's JSON file (its tensors go beside it, see
            :mod:`lstmkit.io.checkpoint`), rewritten atomically after every epoch. It is kept when
            ``fit`` returns (marked done, so a resume skips training): the caller removes it with
            :func:`lstmkit.io.checkpoint.remove_checkpoint` once its own outputs are written.
        resume: continue from ``checkpoint_path``; ends with the weights an uninterrupted run gives.
        progress: show a tqdm bar with the losses.
        shuffle: shuffle the rows every epoch (off for truncated backpropagation through time).
        callbacks: objects with optional ``on_epoch_start``, ``on_validation_start``, ``on_epoch_end``.

    Raises:
        LstmkitError: a non-finite loss (naming the epoch), or no training data.
        CheckpointError: ``resume`` without a usable checkpoint.
        Interrupted: SIGINT or SIGTERM (see :mod:`lstmkit.interrupt`); it names the checkpoint kept.
    """
    check_trainer_config(config)
    _check_data(train, val)
    device = resolve_device(config.device)
    model.to(device)
    net = model  # what loss_fn calls: the model, or its DistributedDataParallel wrapper under torchrun
    if world()[1] > 1:
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    main = is_main_process()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = _make_scheduler(optimizer, config)
    history, settings = History(), dataclasses.asdict(config)
    run, start_epoch = _Run(model, net, loss_fn, optimizer, config, device), 0
    if resume:
        if checkpoint_path is None:
            raise CheckpointError("--resume needs an output folder holding a checkpoint")
        state = load_checkpoint(checkpoint_path)
        _restore(state, model, optimizer, scheduler, settings=settings, device=device)
        history.rows, history.best_epoch = list(state["history"]), state.get("best_epoch")
        run.best_loss, run.best_state, run.bad_epochs = (
            state["best_loss"],
            state["best_state"],
            state["bad_epochs"],
        )
        run.steps, run.elapsed = int(state.get("steps", 0)), sum(row["seconds"] for row in history.rows)
        start_epoch = config.epochs if state.get("done") else state["epoch"]
        log.info("resuming from epoch %d", start_epoch)

    from tqdm.auto import tqdm

    bar = tqdm(
        total=config.epochs, initial=start_epoch, disable=not (progress and main), unit="epoch", leave=False
    )
    try:
        for epoch in range(start_epoch, config.epochs):
            started = time.perf_counter()
            _call(callbacks, "on_epoch_start", epoch)
            train_loss, out_of_time = run.epoch(train, epoch, shuffle=shuffle, started=started)
            if train_loss is None:  # out of budget before this epoch's first batch
                break
            val_loss = math.nan
            if val is not None and len(val[0]):
                model.eval()
                _call(callbacks, "on_validation_start")
                val_loss = _mean_loss(model, loss_fn, val, config.batch_size * 4, device)
            if run.monitor(train_loss if math.isnan(val_loss) else val_loss, epoch, scheduler):
                history.best_epoch = epoch + 1
            seconds = time.perf_counter() - started
            run.elapsed += seconds
            row = {
                "epoch": epoch + 1,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "lr": optimizer.param_groups[0]["lr"],
                "seconds": seconds,
            }
            history.rows.append(row)
            _call(callbacks, "on_epoch_end", epoch, row)
            bar.update(1)
            bar.set_postfix(train=f"{train_loss:.4g}", val=f"{val_loss:.4g}")
            history.stopped_early = run.bad_epochs >= config.patience
            done = history.stopped_early or out_of_time or run.out_of_budget()
            if checkpoint_path is not None and main:
                save_checkpoint(
                    checkpoint_path,
                    {
                        "epoch": epoch + 1,
                        "done": done,
                        "steps": run.steps,
                        "config": settings,
                        "history": history.rows,
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict() if scheduler is not None else {},
                        "best_state": run.best_state,
                        "best_loss": run.best_loss,
                        "best_epoch": history.best_epoch,
                        "bad_epochs": run.bad_epochs,
                        "rng": _rng_states(device),
                    },
                )
            if done:
                break
    except Interrupted as stop:
        if checkpoint_path is not None and main:  # what is on disk, whenever the signal came
            with contextlib.suppress(CheckpointError):
                stop.epoch = load_checkpoint(checkpoint_path)["epoch"]
                stop.checkpoint = Path(checkpoint_path)
        raise
    finally:
        bar.close()
    if run.best_state is not None:
        model.load_state_dict(run.best_state)
    model.eval()
    return history
