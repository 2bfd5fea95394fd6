"""The output folder's lifecycle while a command writes it: refused before any work when it is a file or
holds another job's run, locked for the command (``DIR/.lstmkit.lock``), the training checkpoint kept in
``DIR/.checkpoints`` for ``--resume`` and removed once the outputs are written, and the line printed when
a signal stops the run (which says whether that checkpoint or the outputs are there).

Every command that writes a folder goes through it; :mod:`lstmkit.cli.common` keeps the parser and the
flags the commands share.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

CHECKPOINTS = ".checkpoints"  # DIR/.checkpoints/<stage>.json (+ tensors) while a run trains: claim_output


def check_output_folder(output: str | Path) -> Path:
    """``output`` as a Path; refused (DataError), before any work, when it is a file and a folder is written."""
    from lstmkit.errors import DataError

    output = Path(output)
    if output.exists() and not output.is_dir():
        raise DataError(f"--output {output} is a file; pass a folder path (it is created if needed)")
    return output


def check_model_output(output: Path, task: str, *, model_dir: str = "", command: str | None = None) -> None:
    """Refuse an --output that is a file, or that holds another job's run: writing this model there would
    replace some of that run's files (history.csv, report.html) and leave the others beside it. This
    command's own earlier run (``task``'s model in ``output / model_dir``) may be replaced. Another job's
    interrupted run (its checkpoint in ``DIR/.checkpoints``) is refused too: this run would remove it,
    and its ``--resume`` would start afresh or trip over that checkpoint. So is the interrupted run of
    another ``command`` of the same job (``lstmkit train``'s in ``lstmkit forecast``'s folder), where the
    checkpoint names its command (one written before commands were recorded does not).

    Raises:
        DataError: naming the folder's job and the fix.
    """
    import json

    from lstmkit.errors import DataError

    output = check_output_folder(output)
    for config in (output / "config.json", output / "model" / "config.json"):
        try:
            other = json.loads(config.read_text(encoding="utf-8")).get("task")
        except (OSError, ValueError, AttributeError):
            continue  # none, or not an lstmkit config: nothing of ours to protect
        if other != task or config.parent != output / model_dir:
            raise DataError(
                f"--output {output} holds a {other!r} run ({config.relative_to(output)}); choose another "
                "folder, or delete that one first"
            )
    from lstmkit.io.checkpoint import checkpoint_owner

    for checkpoint in sorted((output / CHECKPOINTS).glob("*.json")):
        other_task, other_command = checkpoint_owner(checkpoint)
        if other_task is not None and other_task != task:
            other, resumed_by = other_task, _written_by(other_task)
        elif other_command is not None and command is not None and other_command != command:
            other, resumed_by = other_command, repr(other_command)
        else:
            continue
        raise DataError(
            f"--output {output} holds an interrupted {other!r} run ({checkpoint.relative_to(output)}); "
            f"resume it (--resume) with {resumed_by}, choose another folder, or delete {output / CHECKPOINTS} first"
        )


def _written_by(task: str) -> str:
    """The command that trains ``task``'s models, for a message."""
    from lstmkit.errors import CheckpointError
    from lstmkit.models.registry import job_class

    try:
        return job_class(task).written_by
    except CheckpointError:  # a task of a newer lstmkit
        return "the command that started it"


def checkpoint_file(output: Path, stage: str = "train") -> Path:
    """Where a training command keeps its checkpoint while it runs: ``DIR/.checkpoints/<stage>.json``."""
    return Path(output) / CHECKPOINTS / f"{stage}.json"


def discard_checkpoints(output: Path) -> None:
    """Remove ``DIR/.checkpoints`` once the command's outputs are written: the model folder is the artefact.

    A SIGINT or SIGTERM waits until the folder is gone (half removed, it named a checkpoint whose tensors
    were deleted), then stops the command with a note that its outputs are complete.
    """
    from lstmkit.interrupt import Interrupted
    from lstmkit.io.atomic import signals_deferred

    try:
        with signals_deferred():
            shutil.rmtree(Path(output) / CHECKPOINTS, ignore_errors=True)
    except Interrupted as stop:
        stop.done = Path(output)
        raise


@contextlib.contextmanager
def _claimed(output: Path) -> Iterator[None]:
    from lstmkit.errors import DataError
    from lstmkit.interrupt import Interrupted
    from lstmkit.io.atomic import WriteError, signals_deferred
    from lstmkit.io.lock import output_lock

    checkpoints = Path(output) / CHECKPOINTS
    with output_lock(output):
        earlier = checkpoints.exists()  # an interrupted run's, which this one may be resuming: never removed
        try:
            yield
        except Interrupted as stop:  # interrupted outside training: a finished run's checkpoint may be there
            if stop.checkpoint is None and any(checkpoints.glob("*.json")):
                stop.checkpoint = checkpoints
            raise
        except WriteError as exc:
            if not any(checkpoints.glob("*.json")):  # the first checkpoint could not be written either
                with contextlib.suppress(OSError):
                    checkpoints.rmdir()  # so that a folder this run made is removed with its lock
                raise
            raise DataError(
                f"{exc}; the training checkpoint is kept in {checkpoints}: once that is fixed, "
                "run the same command again with --resume"
            ) from None
        except Exception:  # an error, not an interruption: nothing to resume, so no stale checkpoint is left
            if not earlier:
                with signals_deferred():  # whole or gone: a half-removed checkpoint would fail its --resume
                    shutil.rmtree(checkpoints, ignore_errors=True)
            raise


def claim_output(args: argparse.Namespace, output: Path) -> None:
    """Lock ``output`` for this command until :func:`lstmkit.cli.main` returns (``DIR/.lstmkit.lock``).

    A second run into the same folder is refused with one line; a lock left by a killed run is
    taken over. Under torchrun only rank 0 (the one that writes) locks.

    The training checkpoint (``DIR/.checkpoints``) is kept for ``--resume`` when the run is interrupted
    (SIGINT, SIGTERM; SIGKILL runs nothing) or cannot write its outputs (a full disk). Any other error
    removes it when this run made it: nothing would resume it, and it would refuse other jobs the folder.

    Raises:
        OutputLockedError: another live run holds the folder.
    """
    cleanup = getattr(args, "cleanup", None)
    if cleanup is None or int(os.environ.get("RANK", "0")) != 0:
        return
    cleanup.enter_context(_claimed(Path(output)))


def interrupted_message(stop, *, trains: bool = True) -> str:
    """The one line for a run stopped by SIGINT or SIGTERM (an :class:`~lstmkit.train.Interrupted`);
    ``trains``: the command trains (and checkpoints); a command that does not has no checkpoint to mention."""
    if stop.done is not None:
        return f"interrupted by {stop.signal_name} after its outputs were written; {stop.done} is complete"
    if not trains:
        return f"interrupted by {stop.signal_name}; run the command again"
    if stop.checkpoint is None:
        return f"interrupted by {stop.signal_name} before any checkpoint was written; run the command again"
    where = Path(stop.checkpoint)
    if stop.epoch:
        return (
            f"interrupted by {stop.signal_name}; the checkpoint of epoch {stop.epoch} is kept in {where.parent}: "
            "run the same command again with --resume to continue"
        )
    return (
        f"interrupted by {stop.signal_name} after training; its checkpoint is kept in {where}: "
        "run the same command again with --resume to write the outputs"
    )
