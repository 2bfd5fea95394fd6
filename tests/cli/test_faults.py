"""Faults a user meets, through main(argv): Ctrl-C and SIGTERM, a full or read-only disk, two runs
into one folder. Each ends with one exact stderr line and exit code, and the files already in
--output stay byte-identical."""

import errno
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import lstmkit.io.atomic as atomic
import lstmkit.io.lock as lock
import lstmkit.train.callbacks as callbacks
from lstmkit.cli import main
from lstmkit.io.checkpoint import load_checkpoint
from lstmkit.io.lock import output_lock

TEXT = [
    "--epochs",
    "4",
    "--hidden-size",
    "8",
    "--set",
    "model.embedding_dim=8",
    "--set",
    "data.chunk_len=16",
    "--set",
    "trainer.patience=100",
    "--quiet",
]
FILES = ["config.json", "history.csv", "model.safetensors", "report.html"]


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file of ``folder`` but the checkpoints an interrupted run keeps for --resume."""
    return {
        str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and ".checkpoints" not in p.parts
    }


@pytest.fixture
def run(tmp_path):
    """A corpus, and an output folder holding an earlier run's model (seed 1), to be kept intact."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("It was the best of times, it was the worst of times, it was the age of wisdom.\n" * 12)
    out = tmp_path / "out"
    argv = ["text", "train", str(corpus), *TEXT, "--output", str(out)]
    assert main([*argv, "--seed", "1"]) == 0
    return argv, out, _snapshot(out)


@pytest.mark.parametrize(
    "signum, name, code", [(signal.SIGINT, "SIGINT", 130), (signal.SIGTERM, "SIGTERM", 143)]
)
def test_a_signal_during_training_keeps_the_checkpoint_and_says_how_to_resume(
    run, monkeypatch, capsys, signal_during_epoch, signum, name, code
):
    argv, out, before = run
    saved, save = [], callbacks.save_checkpoint

    def counted(path, state):
        saved.append(state["epoch"])
        save(path, state)

    monkeypatch.setattr(callbacks, "save_checkpoint", counted)
    monkeypatch.setattr(callbacks, "_clock", lambda: 0.0)  # no write falls due: they happen on the way out
    signal_during_epoch(signum, 2)  # in epoch 3: the checkpoint of epoch 2 is written then
    assert main(argv) == code
    assert capsys.readouterr().err == (
        f"error: interrupted by {name}; the checkpoint of epoch 2 is kept in {out / '.checkpoints'}: "
        "run the same command again with --resume to continue\n"
    )
    assert _snapshot(out) == before
    assert load_checkpoint(out / ".checkpoints" / "train.json")["epoch"] == 2 and saved == [2]
    assert not (out / ".lstmkit.lock").exists() and signal.getsignal(signum) is not None
    monkeypatch.undo()
    assert main([*argv, "--resume"]) == 0  # ... and the resumed run ends with an uninterrupted run's model
    assert main([*argv, "--output", str(out.parent / "whole")]) == 0
    assert (out / "model.safetensors").read_bytes() == (
        out.parent / "whole" / "model.safetensors"
    ).read_bytes()
    assert sorted(p.name for p in out.iterdir()) == FILES


def test_a_signal_before_training_changes_nothing(run, monkeypatch, capsys):
    argv, out, before = run
    import lstmkit.data.text as text

    def read_then_terminate(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(text, "read_text", read_then_terminate)
    assert main(argv) == 143
    assert (
        capsys.readouterr().err
        == "error: interrupted by SIGTERM before any checkpoint was written; run the command again\n"
    )
    assert _snapshot(out) == before and sorted(p.name for p in out.iterdir()) == FILES


def _fail_fsync(monkeypatch, code, where):
    """Make fsync of files whose path contains ``where`` fail with ``code`` (a disk filling up)."""
    fsync = os.fsync

    def failing(fd):
        if where in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(code, os.strerror(code))
        fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", failing)


def disk_full_after_training(out) -> str:
    """The one line a full disk gives once training has finished: the checkpoint stays for --resume."""
    return (
        f"error: cannot write into {out}: No space left on device; free some disk space or choose another --output; "
        f"the files already in {out} were left as they were; the training checkpoint is kept in "
        f"{out / '.checkpoints'}: once that is fixed, run the same command again with --resume\n"
    )


def test_a_signal_while_the_checkpoints_are_removed_leaves_none_half_removed(run, monkeypatch, capsys):
    """A SIGTERM during the removal of .checkpoints (the outputs all written) left train.json without its
    tensors and said 'its checkpoint is kept ...: run the same command again with --resume', which then failed."""
    import lstmkit.cli.output_folder as output_folder

    argv, out, _ = run
    remove = output_folder.shutil.rmtree

    def signalled(path, *args, **kwargs):
        if Path(path).name == ".checkpoints":
            os.kill(os.getpid(), signal.SIGTERM)  # arrives between the first and the last file removed
        remove(path, *args, **kwargs)

    monkeypatch.setattr(output_folder.shutil, "rmtree", signalled)
    assert main([*argv, "--seed", "2"]) == 143
    assert capsys.readouterr().err == (
        f"error: interrupted by SIGTERM after its outputs were written; {out} is complete\n"
    )
    assert sorted(p.name for p in out.iterdir()) == FILES  # no .checkpoints, no lock


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see which file is synced")
def test_a_full_disk_while_writing_outputs_keeps_the_previous_files(run, monkeypatch, capsys):
    argv, out, before = run
    _fail_fsync(monkeypatch, errno.ENOSPC, ".staging-")
    assert main(argv) == 2
    assert capsys.readouterr().err == disk_full_after_training(out)
    assert _snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith((".staging-", ".lstmkit.lock"))]
    monkeypatch.undo()  # space freed: the finished training is not repeated
    assert main([*argv, "--resume"]) == 0 and sorted(p.name for p in out.iterdir()) == FILES


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see which file is synced")
def test_a_full_disk_while_checkpointing_keeps_the_last_good_checkpoint(run, monkeypatch, capsys):
    argv, out, before = run
    save = callbacks.save_checkpoint

    def full_after_epoch_1(path, state):
        if state["epoch"] == 2:
            _fail_fsync(monkeypatch, errno.ENOSPC, ".checkpoints")
        save(path, state)

    monkeypatch.setattr(callbacks, "save_checkpoint", full_after_epoch_1)
    monkeypatch.setattr(callbacks, "SAVE_EVERY_SECONDS", 0.0)  # a checkpoint every epoch
    assert main(argv) == 2
    err = capsys.readouterr().err
    prefix = f"error: cannot write {out / '.checkpoints' / 'train-'}"
    assert err.startswith(prefix) and err.endswith(
        ".safetensors: No space left on device; free some disk space or choose another --output; the training "
        f"checkpoint is kept in {out / '.checkpoints'}: once that is fixed, run the same command again with --resume\n"
    ), err
    assert _snapshot(out) == before
    assert load_checkpoint(out / ".checkpoints" / "train.json")["epoch"] == 1


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see which file is synced")
def test_a_full_disk_at_the_first_checkpoint_promises_no_checkpoint_and_leaves_no_folder(
    run, monkeypatch, capsys
):
    """It said 'the training checkpoint is kept ...: run the same command again with --resume' with none written,
    and left the new folder behind holding an empty .checkpoints."""
    argv, out, _ = run
    fresh = out.parent / "fresh"
    _fail_fsync(monkeypatch, errno.ENOSPC, ".checkpoints")
    assert main([*argv[:-1], str(fresh)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write {fresh / '.checkpoints' / 'train-'}") and err.endswith(
        ".safetensors: No space left on device; free some disk space or choose another --output\n"
    ), err
    assert not fresh.exists()


def test_a_read_only_output_folder_is_one_clear_error(run, monkeypatch, capsys):
    argv, out, before = run
    opened = os.open

    def read_only(path, flags, *args):
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return opened(path, flags, *args)

    monkeypatch.setattr(lock.os, "open", read_only)
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"error: cannot write {out / '.lstmkit.lock'}: Read-only file system; choose a folder you can write to with --output\n"
    )
    assert _snapshot(out) == before and sorted(p.name for p in out.iterdir()) == FILES


HOLDER = "import sys, time\nfrom lstmkit.io.lock import output_lock\nwith output_lock(sys.argv[1]):\n    print('locked', flush=True)\n    time.sleep(600)\n"


def test_a_second_run_into_a_busy_folder_is_refused_and_a_dead_runs_lock_taken_over(run, capsys):
    argv, out, before = run
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        held = (out / ".lstmkit.lock").read_bytes()
        assert main(argv) == 2
        assert capsys.readouterr().err == (
            f"error: another lstmkit run (pid {holder.pid} on {socket.gethostname()}) is writing into {out}; wait for it "
            f"to finish or choose another --output (if no such run exists, delete {out / '.lstmkit.lock'})\n"
        )
        assert (out / ".lstmkit.lock").read_bytes() == held  # the first run's lock is untouched
        assert {k: v for k, v in _snapshot(out).items() if k != ".lstmkit.lock"} == before
    finally:
        holder.kill()  # SIGKILL: its lock file stays behind, naming a dead pid
        holder.wait()
    assert json.loads((out / ".lstmkit.lock").read_text())["pid"] == holder.pid
    assert main(argv) == 0  # the stale lock is taken over
    assert sorted(p.name for p in out.iterdir()) == FILES


def test_the_lock_is_exclusive_in_one_process_too_and_tidies_up(tmp_path):
    folder = tmp_path / "new"
    with output_lock(folder):
        with pytest.raises(lock.OutputLockedError, match=f"pid {os.getpid()} on "), output_lock(folder):
            pass
        assert (folder / ".lstmkit.lock").exists()
    assert not folder.exists()  # made by the lock and left empty: removed


def test_the_lock_removes_the_parents_it_made_as_far_as_they_are_empty(tmp_path):
    """Only the innermost folder was removed: --output a/b/c left a/b behind after a failed run."""
    with output_lock(tmp_path / "a" / "b" / "c"):
        pass
    assert list(tmp_path.iterdir()) == []
    with output_lock(tmp_path / "a" / "b" / "c"):
        (tmp_path / "a" / "kept.txt").write_text("written meanwhile")
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == [Path("a"), Path("a/kept.txt")]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see which file is synced")
def test_forecast_on_a_full_disk_keeps_the_previous_run(tmp_path, monthly_csv, monkeypatch, capsys):
    data = monthly_csv
    out = tmp_path / "run"
    argv = [
        "forecast",
        str(data),
        "--horizon",
        "3",
        "--epochs",
        "2",
        "--hidden-size",
        "4",
        "--set",
        "model.ensemble=1",
        "--quiet",
        "--output",
        str(out),
    ]
    assert main([*argv, "--seed", "1"]) == 0
    before = _snapshot(out)
    _fail_fsync(monkeypatch, errno.ENOSPC, ".staging-")
    assert main(argv) == 2
    assert capsys.readouterr().err == disk_full_after_training(out)
    assert _snapshot(out) == before
    assert sorted(p.name for p in (out / ".checkpoints").glob("*.json")) == ["final.json", "holdout.json"]
    monkeypatch.undo()
    assert main([*argv, "--resume"]) == 0 and not (out / ".checkpoints").exists()


def test_another_jobs_run_into_an_interrupted_runs_folder_is_refused_and_leaves_its_checkpoint(
    run, monkeypatch, capsys, signal_during_epoch, slopes_ts
):
    """A checkpoint did not record its task: 'lstmkit train --resume' into an interrupted text run's folder
    trained a forecaster afresh and deleted the text run's checkpoint (exit 0); 'classify train --resume'
    failed with 'settings differ', naming the wrong problem."""
    import numpy as np
    import pandas as pd

    argv, out, _ = run
    interrupted = out.parent / "interrupted"
    argv = [*argv[:-1], str(interrupted)]
    monkeypatch.setattr(callbacks, "_clock", lambda: 0.0)
    signal_during_epoch(signal.SIGINT, 2)
    assert main(argv) == 130
    monkeypatch.undo()
    capsys.readouterr()
    checkpoints = interrupted / ".checkpoints"
    kept = {p.name: p.read_bytes() for p in checkpoints.iterdir()}
    assert load_checkpoint(checkpoints / "train.json")["task"] == "text"

    sales = out.parent / "sales.csv"
    pd.DataFrame({"sales": 100 + np.arange(40.0)}).to_csv(sales, index=False)
    reviews = out.parent / "reviews.csv"
    pd.DataFrame({"text": ["good", "bad"] * 10, "label": ["pos", "neg"] * 10}).to_csv(reviews, index=False)
    others = [
        ["train", str(sales), "--horizon", "3", "--epochs", "2"],
        ["forecast", str(sales), "--horizon", "3", "--epochs", "2"],
        ["classify", "train", str(slopes_ts(out.parent / "cases.ts")), "--epochs", "2"],
        ["text", "classify", "train", str(reviews), "--epochs", "2"],
    ]
    for other in others:
        for resume in ([], ["--resume"]):
            assert main([*other, *resume, "--quiet", "--output", str(interrupted)]) == 2, other
            assert capsys.readouterr().err == (
                f"error: --output {interrupted} holds an interrupted 'text' run (.checkpoints/train.json); resume it "
                f"(--resume) with 'lstmkit text train', choose another folder, or delete {checkpoints} first\n"
            )
            assert {p.name: p.read_bytes() for p in interrupted.rglob("*") if p.is_file()} == kept
    assert main([*argv, "--resume"]) == 0  # the run's own command still resumes it
    assert sorted(p.name for p in interrupted.iterdir()) == FILES


def test_a_checkpoint_of_a_task_this_lstmkit_does_not_know_is_refused_too(tmp_path, capsys):
    from lstmkit.io.checkpoint import save_checkpoint

    out = tmp_path / "out"
    save_checkpoint(out / ".checkpoints" / "train.json", {"task": "speech", "epoch": 1})  # a newer lstmkit's
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("It was the best of times, it was the worst of times.\n" * 12)
    assert main(["text", "train", str(corpus), *TEXT, "--output", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"error: --output {out} holds an interrupted 'speech' run (.checkpoints/train.json); resume it (--resume) "
        f"with the command that started it, choose another folder, or delete {out / '.checkpoints'} first\n"
    )


@pytest.fixture
def monthly(monthly_csv):
    """A 40-month series and the flags of a fast forecasting run."""
    return [
        str(monthly_csv),
        "--horizon",
        "3",
        "--epochs",
        "1",
        "--hidden-size",
        "4",
        "--set",
        "model.ensemble=1",
        "--quiet",
    ]


def _terminated_before_outputs(argv, monkeypatch, capsys) -> None:
    """Run ``argv`` and SIGTERM it once trained, as it writes its outputs: its checkpoints stay for --resume."""
    from lstmkit.interrupt import Interrupted

    def terminated(*args, **kwargs):
        raise Interrupted("SIGTERM")

    monkeypatch.setattr("lstmkit.plots.forecast.plot_loss", terminated)
    assert main(argv) == 143
    monkeypatch.undo()
    capsys.readouterr()


@pytest.mark.parametrize("started, other", [("train", "forecast"), ("forecast", "train")])
def test_forecast_and_train_refuse_each_others_interrupted_run(
    tmp_path, monthly, monkeypatch, capsys, started, other
):
    """Both recorded the task 'forecast' only: 'forecast --resume' finished an interrupted 'train' run as a
    forecast (and 'train' removed an interrupted forecast's checkpoints), exit 0."""
    out = tmp_path / "run"
    _terminated_before_outputs([started, *monthly, "--output", str(out)], monkeypatch, capsys)
    assert load_checkpoint(out / ".checkpoints" / "final.json")["command"] == f"lstmkit {started}"
    kept = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for resume in ([], ["--resume"]):
        assert main([other, *monthly, *resume, "--output", str(out)]) == 2
        assert capsys.readouterr().err == (
            f"error: --output {out} holds an interrupted 'lstmkit {started}' run (.checkpoints/final.json); resume "
            f"it (--resume) with 'lstmkit {started}', choose another folder, or delete {out / '.checkpoints'} first\n"
        )
        assert {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()} == kept
    assert main([started, *monthly, "--resume", "--output", str(out)]) == 0  # its own command resumes it
    assert not (out / ".checkpoints").exists()


def test_a_forecasting_checkpoint_from_before_commands_were_recorded_still_resumes(
    tmp_path, monthly, monkeypatch, capsys
):
    """One without its command is resumed by the command that wrote it; 'train --resume' refuses an interrupted
    forecast's, which its hold-out checkpoint gives away (it resumed the final model and removed the hold-out's)."""
    from lstmkit.io.checkpoint import save_checkpoint

    def forget_commands(folder: Path) -> None:
        for path in folder.glob("*.json"):
            state = load_checkpoint(path)
            del state["command"]
            save_checkpoint(path, state)

    for command in ("forecast", "train"):
        out = tmp_path / command
        _terminated_before_outputs([command, *monthly, "--output", str(out)], monkeypatch, capsys)
        forget_commands(out / ".checkpoints")
        if command == "forecast":
            assert main(["train", *monthly, "--resume", "--output", str(out)]) == 2
            assert capsys.readouterr().err == (
                f"error: --resume: {out / '.checkpoints'} holds holdout.json, not this command's final.json: another "
                "command's interrupted run; resume it with the command that started it, or choose another --output\n"
            )
        assert main([command, *monthly, "--resume", "--output", str(out)]) == 0
        assert not (out / ".checkpoints").exists()
