"""One run per output folder: a lock file ``DIR/.lstmkit.lock`` holding the owner's pid and host.

The lock is an ``flock`` on that file, so the kernel releases it when its process ends, however
it ends: a lock file left by a killed run (SIGKILL, a crash, a power cut) is stale, and the next
run takes it over without asking. The file's JSON names the live owner, for the message that
refuses a second run. The lock file, and the folders the lock created (the output folder and its
missing parents, as far as they are left empty), are removed again when the block ends, so a
refused or failed command leaves no trace.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from lstmkit.errors import LstmkitError
from lstmkit.io.atomic import make_folder, missing_folders, remove_empty_folders, write_errors

LOCK_NAME = ".lstmkit.lock"


class OutputLockedError(LstmkitError):
    """Another run is writing into the same output folder."""


def _owner(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {int(info['pid'])} on {info['host']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process whose lock file cannot be read"


def _acquire(path: Path) -> int:
    """An open descriptor holding the flock on ``path``, which it recreates if another run removed it."""
    while True:
        with write_errors(path):
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputLockedError(
                f"another lstmkit run ({_owner(path)}) is writing into {path.parent}; wait for it to finish or "
                f"choose another --output (if no such run exists, delete {path})"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino  # the owner before us may have just removed it
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


@contextlib.contextmanager
def output_lock(folder: str | Path) -> Iterator[Path]:
    """Hold the lock of ``folder`` (created if needed) while the block runs.

    Raises:
        OutputLockedError: a live run holds it; the message names its pid and host.
    """
    folder = Path(folder)
    created = missing_folders(folder)
    make_folder(folder)
    path = folder / LOCK_NAME
    try:
        fd = _acquire(path)
    except BaseException:
        remove_empty_folders(created)
        raise
    try:
        with write_errors(path):
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode() + b"\n")
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # while still holding it; the next run's _acquire notices the new inode
        os.close(fd)
        remove_empty_folders(created)  # only as far as the run left them empty
