"""Ctrl-C and SIGTERM while a command runs: an :class:`Interrupted` exception, not a dead process.

:func:`interrupt_on_signals` makes both signals raise :class:`Interrupted` in the main thread.
The trainer notes on it which checkpoint it kept, so the command line can print one line that
says how to resume and exit with the shell's code for the signal (130 for SIGINT, 143 for SIGTERM).
Atomic writes mean an interruption never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}  # 128 + the signal's number, as shells report it


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal.

    Attributes:
        signal_name: ``"SIGINT"`` or ``"SIGTERM"``.
        exit_code: 130 or 143.
        checkpoint: the checkpoint kept for ``--resume`` (None when none was written yet).
        epoch: the epochs that checkpoint holds.
        done: the output folder, when the signal came once every output was written (nothing to resume).
    """

    def __init__(self, signal_name: str = "SIGINT") -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name
        self.exit_code = EXIT_CODES.get(signal_name, 130)
        self.checkpoint: Path | None = None
        self.epoch = 0
        self.done: Path | None = None


def _raise(signum: int, frame: object) -> None:
    raise Interrupted(signal.Signals(signum).name)


@contextlib.contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
