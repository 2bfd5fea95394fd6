"""Classical reference fits in a second process, while this one trains the network.

``lstmkit forecast`` fits AutoETS, AutoARIMA and AutoTheta (and the naive methods it scores) on
histories it knows from the start: the hold-out model's validation and end, the final model's.
Importing StatsForecast and running those fits costs about as much as training the network, and
the network trains on one core. :func:`start` hands the fits to a child process
(``python -m lstmkit.evaluate.reference_worker``) that runs the very same
:func:`~lstmkit.evaluate.references.fit_forecast` and streams each result back as one JSON line
(floats round-trip exactly; nothing is unpickled); :func:`take` gives the parent a result when
it asks for that fit, waiting for it if the child is still working on it (a parent that would wait
long fits the last fits not yet handed over itself, so both cores work); :func:`prepare` starts
the child before the fits are known, so its imports overlap the parent's. A child that cannot
start or dies only means the parent fits in-process, as it does without a spare core or with
``LSTMKIT_REFERENCE_WORKER=0``.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

AHEAD = 2  # fits handed to the child before it answers the previous ones
STEAL_CHECK_SECONDS = 0.25  # how often a waiting parent looks whether to fit some itself
STEAL_MIN_SECONDS = 0.5  # the child's estimated remaining work worth the parent's help
STEAL_FIRST_SECONDS = 3.0  # the same while the parent has not imported StatsForecast (~1 s)


@dataclass(frozen=True)
class Fit:
    """One method's fit on one history and its forecast: what :func:`references.fit_forecast` is called with."""

    name: str
    y: np.ndarray
    horizon: int
    season: int
    quantiles: tuple[float, ...]

    @cached_property
    def history_key(self) -> tuple:
        """What identifies the fitted model: the method, the season and the history."""
        digest = hashlib.sha1(np.ascontiguousarray(self.y, dtype=np.float64).tobytes()).hexdigest()
        return (self.name, self.season, len(self.y), digest)

    @property
    def key(self) -> tuple:
        """What identifies the fit and its forecast up to the interval levels."""
        return (*self.history_key, self.horizon)


class _Worker:
    """One child process and the fits it may answer. A thread hands the child a few fits at a time, in order,
    and collects its answers; a parent waiting for an answer fits the last fits not yet handed over itself
    (the two work from both ends of the list) when the child's rate says the wait would be long."""

    def __init__(self, fits: list[Fit], process: subprocess.Popen | None = None):
        self.fits = fits
        self.results: dict[int, tuple[np.ndarray, str] | str] = {}  # fit index -> (forecast, form) or error
        self.next = 0  # fits[next:] are not handed to the child yet
        self.end = len(fits)  # fits[end:] were taken by the parent
        self.answered = 0  # answers from the child
        self.busy = 0.0  # the child's seconds of fitting for them
        self.finished = False
        self.changed = threading.Condition()
        self.process = process or _spawn()
        threading.Thread(target=self._run, daemon=True).start()

    def _handout(self) -> list[int]:
        """The fits to write to the child now (holding the lock): enough to keep it ``AHEAD`` in front."""
        count = max(0, min(AHEAD - (self.next - self.answered), self.end - self.next))
        self.next += count
        return list(range(self.next - count, self.next))

    def _feed(self, indices: list[int]) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        if stdin.closed:
            return
        for i in indices:
            f = self.fits[i]
            request = {"i": i, "name": f.name, "y": f.y.tolist(), "horizon": f.horizon, "season": f.season}
            stdin.write((json.dumps({**request, "q": f.quantiles}) + "\n").encode())
        stdin.flush()
        with self.changed:
            done = self.next >= self.end
        if done:
            stdin.close()  # the child ends after its last answer

    def _run(self) -> None:
        try:
            with self.changed:
                indices = self._handout()
            self._feed(indices)
            assert self.process.stdout is not None
            for line in self.process.stdout:
                answer = json.loads(line)
                with self.changed:
                    self.results[answer["i"]] = (
                        answer["error"]
                        if "error" in answer
                        else (np.asarray(answer["forecast"], dtype=np.float64), answer["form"])
                    )
                    self.answered += 1
                    self.busy += float(answer["seconds"])
                    indices = self._handout()
                    self.changed.notify_all()
                self._feed(indices)
        except (OSError, ValueError, KeyError) as exc:  # a broken child: the parent fits what is missing
            log.info("reference worker stopped: %r", exc)
        finally:
            self.process.wait()
            with self.changed:
                self.finished = True
                self.changed.notify_all()

    def wait_for(self, index: int) -> tuple[np.ndarray, str] | str | None:
        while True:
            with self.changed:
                if index in self.results or self.finished:
                    return self.results.get(index)
                mine = self._steal()
                if mine is None:
                    self.changed.wait(timeout=STEAL_CHECK_SECONDS)
                    continue
            result = _fit_here(self.fits[mine])
            with self.changed:
                self.results[mine] = result
                self.changed.notify_all()

    def _steal(self) -> int | None:
        """The last fit not handed to the child, taken for the parent (holding the lock), when the child's
        remaining work, at its mean seconds per fit so far, is worth the parent's time; else None."""
        left = self.end - self.next
        if left <= 0 or self.answered == 0:
            return None
        per_fit = self.busy / self.answered
        if left * per_fit < (STEAL_MIN_SECONDS if "statsforecast" in sys.modules else STEAL_FIRST_SECONDS):
            return None
        self.end -= 1
        return self.end

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()


def _fit_here(fit: Fit) -> tuple[np.ndarray, str] | str:
    """The parent's answer to ``fit``, as the child would give it."""
    from lstmkit.evaluate.references import failure_text, fit_here

    try:
        return fit_here(fit)
    except Exception as exc:  # noqa: BLE001 - the method's failure, reported as the child reports it
        return failure_text(exc)


def _spawn() -> subprocess.Popen:
    """A child that imports StatsForecast at once, then waits for its fits on stdin."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    package_root = str(Path(__file__).resolve().parents[2])  # the lstmkit this process runs
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return subprocess.Popen(
        [sys.executable, "-m", "lstmkit.evaluate.reference_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )


_WORKERS: list[_Worker] = []
_WHERE: dict[tuple, tuple[_Worker, int]] = {}  # fit key -> the worker and index that answer it
_SPARE: list[subprocess.Popen] = []  # a child started ahead of its fits (prepare)


def enabled() -> bool:
    """Whether :func:`start` hands fits to a child: a spare core, and ``LSTMKIT_REFERENCE_WORKER`` not ``0``."""
    setting = os.environ.get("LSTMKIT_REFERENCE_WORKER", "")
    if setting not in ("", "0", "1"):
        log.info("LSTMKIT_REFERENCE_WORKER=%r is neither 0 nor 1: ignored", setting)
    if setting == "0":
        return False
    if setting == "1":
        return True
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores >= 2


def prepare() -> None:
    """Start a child now, before its fits are known, so that its imports overlap this process's (torch's)."""
    if enabled() and not _SPARE:
        try:
            _SPARE.append(_spawn())
        except OSError as exc:
            log.info("reference worker not started (%s): fitting in-process", exc)


def start(fits: list[Fit]) -> None:
    """Start fitting ``fits`` (the ones no worker has yet) in a child process; returns at once."""
    if not enabled():
        return
    new: dict[tuple, Fit] = {}
    for fit in fits:
        if fit.key not in _WHERE:
            new.setdefault(fit.key, fit)
    if not new:
        return
    try:
        worker = _Worker(list(new.values()), _SPARE.pop() if _SPARE else None)
    except OSError as exc:
        log.info("reference worker not started (%s): fitting in-process", exc)
        return
    _WORKERS.append(worker)
    for i, key in enumerate(new):
        _WHERE[key] = (worker, i)


def take(fit: Fit) -> tuple[np.ndarray, str] | None:
    """The child's (H, 1 + Q) forecast and form for ``fit``, waiting for it; None when no child has it.

    A forecast made with other interval levels serves a point-only request (its first column).

    Raises:
        RuntimeError: the method failed on that history in the child (the text is the child's).
    """
    where = _WHERE.get(fit.key) if _WHERE else None
    if where is None:
        return None
    worker, index = where
    asked = worker.fits[index].quantiles
    if fit.quantiles not in (asked, ()):
        return None
    result = worker.wait_for(index)
    if result is None:
        return None
    if isinstance(result, str):
        raise RuntimeError(result)
    forecast, form = result
    return (forecast if fit.quantiles == asked else forecast[:, :1]), form


def forget() -> None:
    """Stop every child and drop what they were asked (tests; the end of the process does it too)."""
    for worker in _WORKERS:
        worker.stop()
    for process in _SPARE:
        process.kill()
    _WORKERS.clear()
    _WHERE.clear()
    _SPARE.clear()


atexit.register(forget)


def main() -> None:
    """The child: read fits as JSON lines from stdin, answer each with a JSON line on stdout, until stdin ends."""
    import statsforecast.models  # noqa: F401 - imported while the parent may still be writing the fits

    out = sys.stdout
    sys.stdout = sys.stderr  # a library's print must not corrupt the answers
    for line in sys.stdin:
        request = json.loads(line)
        started = time.perf_counter()
        y = np.asarray(request["y"], dtype=np.float64)
        result = _fit_here(
            Fit(request["name"], y, request["horizon"], request["season"], tuple(request["q"]))
        )
        answer: dict[str, Any] = (
            {"i": request["i"], "error": result}
            if isinstance(result, str)
            else {"i": request["i"], "forecast": result[0].tolist(), "form": result[1]}
        )
        answer["seconds"] = time.perf_counter() - started
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    main()


__all__ = ["Fit", "enabled", "forget", "prepare", "start", "take"]
