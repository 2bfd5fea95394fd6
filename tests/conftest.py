"""Shared fixtures: a seeded generator, one torch thread per test worker, a small .ts file writer, torchrun."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

torch.set_num_threads(1)
# The reference worker (a child process per forecaster fit) is off unless a test turns it on: the
# suite's parallel workers already use every core. tests/evaluate/test_reference_worker.py checks it.
os.environ.setdefault("LSTMKIT_REFERENCE_WORKER", "0")


@pytest.fixture
def seed() -> int:
    """Seed torch's global generator and return the seed."""
    torch.manual_seed(0)
    return 0


def _write_slopes_ts(path, *, n=16, seed=0):
    """Two classes of unequal-length two-channel series: "up" rises, "down" falls."""
    rng = np.random.default_rng(seed)
    lines = [
        "@problemName Slopes",
        "@dimensions 2",
        "@equalLength false",
        "@classLabel true up down",
        "@data",
    ]
    for i in range(n):
        T = int(rng.integers(4, 10))
        sign = 1 if i % 2 else -1
        channels = [",".join(f"{sign * t / T + 0.1 * rng.normal():.4f}" for t in range(T)) for _ in range(2)]
        lines.append(":".join(channels) + f":{'up' if sign > 0 else 'down'}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def slopes_ts():
    """A writer of a small two-class UEA ``.ts`` file: ``slopes_ts(path, n=16, seed=0) -> path``."""
    return _write_slopes_ts


TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--rdzv-backend", "c10d"]
# torchrun picks its workers' port by binding port 0 and closing it again; with other suites' processes on the
# machine another can take the port first. Such a start is retried; any other failure fails with its output.
_PORT_TROUBLE = ("address already in use", "eaddrinuse", "failed to listen")


def _run_torchrun(args, *, timeout=300, attempts=3):
    """Run ``torchrun --nproc-per-node 2 ARGS`` on this machine; assert it succeeded, showing its output if not."""
    for attempt in range(1, attempts + 1):
        done = subprocess.run(
            [*TORCHRUN, "--rdzv-endpoint", "127.0.0.1:0", "--local-addr", "127.0.0.1", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output = f"{done.stdout[-3000:]}\n{done.stderr[-8000:]}"
        port_taken = any(text in output.lower() for text in _PORT_TROUBLE)
        if done.returncode == 0 or not port_taken or attempt == attempts:
            break
    assert done.returncode == 0, f"torchrun {' '.join(args)} failed (exit {done.returncode}):\n{output}"
    return done


@pytest.fixture(scope="session")
def torchrun():
    """``torchrun(args, timeout=300)``: two gloo ranks on this machine, retried only when a port was taken."""
    return _run_torchrun
