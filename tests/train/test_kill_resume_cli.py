"""Every training command killed with SIGKILL mid-training resumes (``--resume``) to the very
weights of an uninterrupted run, then tidies its folder: no checkpoint, no lock left behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmkit.errors import CheckpointError
from lstmkit.io.checkpoint import load_checkpoint

# Runs the CLI with a pause after every checkpoint, so the test can kill it mid-training.
WRAPPER = """
import sys, time
import lstmkit.train.callbacks as callbacks
save = callbacks.save_checkpoint
def slow_save(path, state):
    save(path, state)
    print("saved", callbacks.Path(path).stem, state["epoch"], flush=True)  # which epochs this process trained
    time.sleep(float(sys.argv[1]))
callbacks.save_checkpoint = slow_save
callbacks.SAVE_EVERY_SECONDS = 0.0  # a checkpoint every epoch: the test kills the run after the second
from lstmkit.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _corpus(root: Path) -> Path:
    path = root / "corpus.txt"
    path.write_text("It was the best of times, it was the worst of times, it was the age of wisdom.\n" * 12)
    return path


def _ts(root: Path) -> Path:
    rng = np.random.default_rng(0)
    lines = [
        "@problemName Slopes",
        "@dimensions 1",
        "@equalLength false",
        "@classLabel true up down",
        "@data",
    ]
    for i in range(24):
        T, sign = int(rng.integers(4, 12)), 1 if i % 2 else -1
        lines.append(
            ",".join(f"{sign * t / T + 0.1 * rng.normal():.4f}" for t in range(T))
            + f":{'up' if sign > 0 else 'down'}"
        )
    path = root / "train.ts"
    path.write_text("\n".join(lines) + "\n")
    return path


def _sales(root: Path) -> Path:
    t = np.arange(40)
    path = root / "sales.csv"
    pd.DataFrame(
        {
            "month": pd.period_range("2001-01", periods=40, freq="M").astype(str),
            "sales": 100 + t + 10 * np.sin(2 * np.pi * t / 12),
        }
    ).to_csv(path, index=False)
    return path


COMMANDS = {  # name -> (data maker, argv before --output, the model file to compare)
    "text train": (
        _corpus,
        [
            "text",
            "train",
            "{data}",
            "--epochs",
            "8",
            "--hidden-size",
            "16",
            "--set",
            "model.embedding_dim=8",
            "--set",
            "data.chunk_len=16",
        ],
        "model.safetensors",
    ),
    "classify train": (
        _ts,
        [
            "classify",
            "train",
            "{data}",
            "--epochs",
            "8",
            "--hidden-size",
            "8",
            "--set",
            "model.conv_channels=8,8,8",
        ],
        "model.safetensors",
    ),
    "forecast": (
        _sales,
        [
            "forecast",
            "{data}",
            "--horizon",
            "3",
            "--epochs",
            "8",
            "--hidden-size",
            "4",
            "--set",
            "model.ensemble=1",
        ],
        "model/model.safetensors",
    ),
}


def _epochs_saved(folder: Path) -> int:
    """The most epochs any checkpoint in ``folder/.checkpoints`` holds (0 while none can be read)."""
    best = 0
    for path in (folder / ".checkpoints").glob("*.json"):
        try:
            best = max(best, load_checkpoint(path)["epoch"])
        except CheckpointError:  # being replaced right now
            pass
    return best


@pytest.mark.parametrize("name", list(COMMANDS))
def test_sigkill_then_resume_gives_the_uninterrupted_model(tmp_path, name):
    make, argv, weights = COMMANDS[name]
    argv = [a.format(data=make(tmp_path)) for a in argv] + ["--set", "trainer.patience=100", "--quiet"]
    script = tmp_path / "run.py"
    script.write_text(WRAPPER)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cli = [sys.executable, str(script)]
    subprocess.run([*cli, "0", *argv, "--output", str(tmp_path / "whole")], check=True, timeout=300, env=env)

    cut = tmp_path / "cut"
    proc = subprocess.Popen(
        [*cli, "0.5", *argv, "--output", str(cut)], env=env, stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None and _epochs_saved(cut) < 2:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    unfinished = [(p.stem, load_checkpoint(p)) for p in (cut / ".checkpoints").glob("*.json")]
    unfinished = [
        (stem, state["epoch"]) for stem, state in unfinished if state["epoch"] < 8 and not state["done"]
    ]
    assert len(unfinished) == 1, "the run was not killed mid-training"
    stage, killed_at = unfinished[0]
    assert killed_at >= 2
    assert (cut / ".lstmkit.lock").exists()  # the killed run's lock: stale, to be taken over
    assert not (cut / weights).exists()

    resumed = subprocess.run(
        [*cli, "0", *argv, "--resume", "--output", str(cut)],
        check=True,
        timeout=300,
        env=env,
        capture_output=True,
        text=True,
    )
    assert resumed.stdout.splitlines()[0] == f"saved {stage} {killed_at + 1}"  # it continued, not restarted
    assert (cut / weights).read_bytes() == (tmp_path / "whole" / weights).read_bytes()
    assert not (cut / ".checkpoints").exists() and not (cut / ".lstmkit.lock").exists()
