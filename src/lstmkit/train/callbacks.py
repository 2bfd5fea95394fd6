"""The training loop's callbacks: the hooks it calls, the state they share, and the built-in ones.

:func:`lstmkit.train.fit` owns the optimisation steps, validation and the learning-rate schedule;
everything else is a callback, one concern each:

* :class:`EarlyStopping` stops after ``trainer.patience`` epochs without improvement and puts the
  best weights back at the end;
* :class:`Budget` ends training after ``trainer.max_steps`` steps or ``trainer.max_seconds``;
* :class:`ProgressBar` shows the epochs and losses (only when asked for);
* :class:`Checkpoint` writes the run to disk every few seconds of training (and as it ends or is
  interrupted) and resumes from it.

``fit`` calls them in this order: early stopping and the budget first (they decide whether the
epoch is the last), then the caller's callbacks, then the bar, then the checkpoint (which records
that decision). They share one :class:`TrainState`; a checkpoint is that state written out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import torch
from torch import nn

from lstmkit.errors import CheckpointError, LstmkitError
from lstmkit.interrupt import Interrupted
from lstmkit.io.checkpoint import load_checkpoint, save_checkpoint

if TYPE_CHECKING:
    from lstmkit.train.trainer import History, TrainerConfig

log = logging.getLogger("lstmkit.train.trainer")  # the loop's logger: the resume line is the loop's news

# A checkpoint write (tensors hashed, two files and a folder fsynced) takes some 10-30 ms: after every
# epoch of a small model that was a third of training. Every 5 s keeps it under 1% of any run, and
# SIGKILL then loses at most 5 s of training (Ctrl-C and SIGTERM lose nothing: see Checkpoint).
SAVE_EVERY_SECONDS = 5.0
_clock = time.monotonic  # the interval's clock (tests replace it)


class Callback(Protocol):
    """Optional hooks; a callback defines any subset of these methods."""

    def on_epoch_start(self, epoch: int) -> None: ...
    def on_batch_start(self) -> None: ...
    def on_validation_start(self) -> None: ...
    def on_epoch_end(self, epoch: int, row: dict[str, float]) -> None: ...
    def on_fit_end(self, error: BaseException | None) -> None: ...


@dataclass
class TrainState:
    """What one ``fit`` carries from epoch to epoch, shared by the loop and the built-in callbacks."""

    model: nn.Module
    net: nn.Module  # what loss_fn calls: the model, or its DistributedDataParallel wrapper under torchrun
    optimizer: torch.optim.Optimizer
    scheduler: Any  # a torch learning-rate scheduler, or None
    config: TrainerConfig
    device: torch.device
    history: History
    start_epoch: int = 0  # the first epoch to train: a resume moves it
    steps: int = 0  # optimisation steps taken, a resumed run's included
    epoch_started: float = 0.0  # time.perf_counter() when the current epoch began
    stop: bool = False  # set by a callback: training ends after this batch (mid-epoch) or epoch
    best_loss: float = math.inf  # early stopping's memory, kept here so that the checkpoint holds it
    best_state: dict[str, torch.Tensor] | None = None
    bad_epochs: int = 0


def watched_loss(train_loss: float, val_loss: float) -> float:
    """The loss early stopping and the schedule watch: validation's, or training's without validation."""
    return train_loss if math.isnan(val_loss) else val_loss


class EarlyStopping:
    """Stop after ``trainer.patience`` epochs whose watched loss did not beat the best by more than
    ``trainer.min_delta``; keep a copy of the best weights and load them when training ends."""

    def __init__(self, state: TrainState):
        self.state = state

    def on_epoch_end(self, epoch: int, row: dict[str, float]) -> None:
        s = self.state
        loss = watched_loss(row["train_loss"], row["val_loss"])
        if loss < s.best_loss - s.config.min_delta:
            s.best_loss, s.bad_epochs, s.history.best_epoch = loss, 0, epoch + 1
            s.best_state = {k: v.detach().to("cpu", copy=True) for k, v in s.model.state_dict().items()}
        else:
            s.bad_epochs += 1
        s.history.stopped_early = s.bad_epochs >= s.config.patience
        s.stop = s.stop or s.history.stopped_early

    def on_fit_end(self, error: BaseException | None) -> None:
        if error is None and self.state.best_state is not None:
            self.state.model.load_state_dict(self.state.best_state)


class Budget:
    """End training once ``trainer.max_steps`` steps were taken or ``trainer.max_seconds`` have passed
    (a resumed run's epochs included); checked before every batch and after every epoch."""

    def __init__(self, state: TrainState):
        self.state = state
        self.elapsed = sum(row["seconds"] for row in state.history.rows)  # the finished epochs' seconds

    def spent(self, extra_seconds: float = 0.0) -> bool:
        c = self.state.config
        return (c.max_steps > 0 and self.state.steps >= c.max_steps) or (
            c.max_seconds > 0 and self.elapsed + extra_seconds >= c.max_seconds
        )

    def on_batch_start(self) -> None:
        if self.spent(time.perf_counter() - self.state.epoch_started):
            self.state.stop = True  # the epoch ends here

    def on_epoch_end(self, epoch: int, row: dict[str, float]) -> None:
        self.elapsed += row["seconds"]
        if self.spent():
            self.state.stop = True


class ProgressBar:
    """A tqdm bar over the epochs with the last losses; ``show=False`` keeps it silent."""

    def __init__(self, state: TrainState, *, show: bool, desc: str | None = None):
        from tqdm.auto import tqdm

        self.bar = tqdm(
            total=state.config.epochs,
            initial=state.start_epoch,
            disable=not show,
            unit="epoch",
            leave=False,
            desc=desc,
        )

    def on_epoch_end(self, epoch: int, row: dict[str, float]) -> None:
        self.bar.update(1)
        self.bar.set_postfix(train=f"{row['train_loss']:.4g}", val=f"{row['val_loss']:.4g}")

    def on_fit_end(self, error: BaseException | None) -> None:
        self.bar.close()


_NOT_COMPARED = ("epochs", "device", "max_seconds", "max_steps")  # settings a resumed run may change


def _rng_states(device: torch.device) -> dict[str, list]:
    """The generators' states as lists of ints (JSON-ready): torch's CPU one and, when used, CUDA's."""
    states: dict[str, list] = {"torch": torch.get_rng_state().tolist()}
    if device.type == "cuda":
        states["cuda"] = [s.tolist() for s in torch.cuda.get_rng_state_all()]
    return states


def _check_settings(saved: dict[str, Any], current: dict[str, Any]) -> None:
    saved = {k: v for k, v in saved.items() if k not in _NOT_COMPARED}
    current = {k: v for k, v in current.items() if k not in _NOT_COMPARED}
    if saved != current:
        changed = sorted(k for k in current if saved.get(k) != current[k])
        raise CheckpointError(
            f"cannot resume: settings differ from the interrupted run ({', '.join(changed)}); use the same settings"
        )


def _check_kind(
    saved: dict[str, Any], path: str | Path, *, task: str | None, command: str | None, network: str
) -> None:
    """Refuse the checkpoint of another job (``task``: forecast, classify, text ...), of another command of
    the job (``command``: ``lstmkit forecast`` or ``lstmkit train``) or of another kind of network. A
    checkpoint written before these were recorded names none of them and goes on to the settings and shape
    checks, as it did."""
    for key, ours in (("task", task), ("command", command)):
        other = saved.get(key)
        if other is not None and ours is not None and other != ours:
            raise CheckpointError(
                f"cannot resume: {path} is the checkpoint of a {other!r} run, not of a {ours!r} one; resume it "
                "with the command that started it, or delete it and run without --resume"
            )
    other = saved.get("network")
    if other is not None and other != network:
        raise CheckpointError(
            f"cannot resume: the checkpoint trained another kind of network ({other}; this run trains {network}); "
            "use the settings of the interrupted run"
        )


def _load_into(state: TrainState, saved: dict[str, Any]) -> None:
    """Load a checkpoint's optimizer, schedule and generators; check the trainer's keys are there."""
    state.optimizer.load_state_dict(saved["optimizer"])
    if state.scheduler is not None and saved.get("scheduler"):
        state.scheduler.load_state_dict(saved["scheduler"])
    rng = saved["rng"]
    torch.set_rng_state(torch.tensor(rng["torch"], dtype=torch.uint8))
    if state.device.type == "cuda" and "cuda" in rng:
        torch.cuda.set_rng_state_all([torch.tensor(s, dtype=torch.uint8) for s in rng["cuda"]])
    for key in ("history", "best_state", "best_loss", "bad_epochs", "epoch"):
        saved[key]  # noqa: B018 - present, or the checkpoint is not the trainer's


def _copied(obj: Any) -> Any:
    """``obj`` with its tensors cloned and its dicts and lists copied: deepcopy here, at a seventh of its cost."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: _copied(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_copied(v) for v in obj)
    return obj


class Checkpoint:
    """The run on disk (see :mod:`lstmkit.io.checkpoint`), written by the main process only, loaded back
    by :meth:`restore`, named by an :class:`Interrupted`.

    Every finished epoch is kept in memory; it is written (atomically) once ``SAVE_EVERY_SECONDS`` have
    passed since the last write, after the last epoch (marked done when a callback stopped the run),
    and when ``fit`` ends or is interrupted (Ctrl-C, SIGTERM). So a signal, wherever it lands, leaves
    the last finished epoch on disk; SIGKILL loses at most ``SAVE_EVERY_SECONDS`` of training.
    """

    def __init__(
        self,
        path: str | Path,
        state: TrainState,
        *,
        write: bool,
        task: str | None = None,
        command: str | None = None,
    ):
        self.path, self.state, self.write = path, state, write
        self.task, self.command = task, command  # whose run it is, recorded and checked
        self.network = type(state.model).__name__
        self.settings = dataclasses.asdict(state.config)
        self.unsaved: dict[str, Any] | None = None  # the last finished epoch, when not on disk yet
        self.saved_at = _clock()

    def restore(self) -> None:
        """Continue the run saved at ``path``; refuse other settings or a damaged checkpoint."""
        s, saved = self.state, load_checkpoint(self.path)
        _check_kind(saved, self.path, task=self.task, command=self.command, network=self.network)
        _check_settings(saved.get("config", {}), self.settings)
        try:
            s.model.load_state_dict(saved["model"])
        except RuntimeError:
            raise CheckpointError(
                "cannot resume: the checkpoint's model has another shape; use the same settings"
            ) from None
        try:
            _load_into(s, saved)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(
                f"cannot resume: the checkpoint is incomplete or damaged ({exc!r}); "
                "delete it and run without --resume"
            ) from None
        s.history.rows, s.history.best_epoch = list(saved["history"]), saved.get("best_epoch")
        s.best_loss, s.best_state, s.bad_epochs = saved["best_loss"], saved["best_state"], saved["bad_epochs"]
        s.steps = int(saved.get("steps", 0))
        s.start_epoch = s.config.epochs if saved.get("done") else saved["epoch"]
        log.info("resuming from epoch %d", s.start_epoch)

    def _snapshot(self, epoch: int) -> dict[str, Any]:
        """The run after ``epoch``, copied where the next epoch would change it in place."""
        s = self.state
        return {
            "task": self.task,
            "command": self.command,
            "network": self.network,
            "epoch": epoch + 1,
            "done": s.stop,
            "steps": s.steps,
            "config": self.settings,
            "history": list(s.history.rows),  # rows are appended, never changed
            "model": _copied(s.model.state_dict()),
            "optimizer": _copied(s.optimizer.state_dict()),
            "scheduler": _copied(s.scheduler.state_dict()) if s.scheduler is not None else {},
            "best_state": s.best_state,  # early stopping replaces it, never changes it
            "best_loss": s.best_loss,
            "best_epoch": s.history.best_epoch,
            "bad_epochs": s.bad_epochs,
            "rng": _rng_states(s.device),
        }

    def _save(self) -> None:
        if self.unsaved is not None:
            save_checkpoint(self.path, self.unsaved)
            self.unsaved, self.saved_at = None, _clock()

    def on_epoch_end(self, epoch: int, row: dict[str, float]) -> None:
        if not self.write:
            return
        self.unsaved = self._snapshot(epoch)
        last = self.state.stop or epoch + 1 >= self.state.config.epochs
        if last or _clock() - self.saved_at >= SAVE_EVERY_SECONDS:
            self._save()

    def on_fit_end(self, error: BaseException | None) -> None:
        if not self.write or not (error is None or isinstance(error, KeyboardInterrupt)):
            return  # a failed run keeps its last checkpoint: a failing write would hide the error
        if error is None:
            self._save()  # a budget that ran out as an epoch began: its last epoch
            return
        with contextlib.suppress(OSError, LstmkitError):  # the interruption is the news, not the disk
            self._save()
        if isinstance(error, Interrupted):  # what is on disk, wherever the signal landed
            with contextlib.suppress(CheckpointError):
                error.epoch = load_checkpoint(self.path)["epoch"]
                error.checkpoint = Path(self.path)
