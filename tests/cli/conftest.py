"""After every CLI test module: no file any command wrote is a pickle or a ``.pt`` file. And
``signal_during_epoch``, which interrupts a command's training as a user would, and ``monthly_csv``, a
40-month series for fast forecasting runs.

It walks every temporary folder the module's tests made (outputs, model folders, checkpoints left
by interrupted runs). Files the tests plant on purpose to check that lstmkit refuses them live in
folders whose names say so (``*_pickle``, ``*_torchsave``, ``*_ckpt``) and are skipped.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lstmkit.train.callbacks as callbacks

PLANTED = ("_pickle", "_torchsave", "_ckpt")  # tests/cli/test_errors.py's damaged copies
PICKLE_SUFFIXES = {".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin"}


def _pickled(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(9)
    if head[8:9] == b"{":  # safetensors: an 8-byte header size, then JSON
        return False
    return (head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")) or head[
        :4
    ] == b"PK\x03\x04"


def pickled_files(root: Path) -> list[str]:
    """Files under ``root`` with a pickle suffix or pickle/torch.save bytes, outside planted folders."""
    bad = []
    for path in root.rglob("*"):
        if not path.is_file() or any(part.endswith(PLANTED) for part in path.parts):
            continue
        if path.suffix in PICKLE_SUFFIXES or _pickled(path):
            bad.append(str(path.relative_to(root)))
    return sorted(bad)


@pytest.fixture(scope="module", autouse=True)
def no_pickles_written(tmp_path_factory):
    root = tmp_path_factory.getbasetemp()
    before = set(root.iterdir())
    yield
    made = sorted(set(root.iterdir()) - before)
    assert [f for folder in made for f in pickled_files(folder)] == [], "a command wrote a pickle or .pt file"


@pytest.fixture
def signal_during_epoch(monkeypatch):
    """``arm(signum, finished)``: the training sends itself ``signum`` as the batch after ``finished``
    epochs begins, mid-epoch and between checkpoint writes (none is due in a run this short)."""

    def arm(signum: int, finished: int) -> None:
        on_batch_start = callbacks.Budget.on_batch_start

        def then_signal(self: callbacks.Budget) -> None:
            if len(self.state.history.rows) == finished:
                os.kill(os.getpid(), signum)
            on_batch_start(self)

        monkeypatch.setattr(callbacks.Budget, "on_batch_start", then_signal)

    return arm


@pytest.fixture
def monthly_csv(tmp_path) -> Path:
    """``sales.csv``: 40 months of a trend and a 12-month season."""
    t = np.arange(40)
    path = tmp_path / "sales.csv"
    pd.DataFrame(
        {
            "month": pd.period_range("2001-01", periods=40, freq="M").astype(str),
            "sales": 100 + t + 10 * np.sin(2 * np.pi * t / 12),
        }
    ).to_csv(path, index=False)
    return path
