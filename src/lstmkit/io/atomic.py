"""Atomic file writes: a temporary file in the same folder, fsync, then rename over the target.

A reader (or a crash) sees either the old file or the complete new one, never half of one.
:func:`staged_folder` does the same for a command that writes several files: they are all made
in a hidden staging folder first and moved into place only when every one was written (with
SIGINT and SIGTERM held back during the moves). A full disk or a read-only folder becomes one
:class:`WriteError` that names the file or folder and the fix.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from lstmkit.errors import DataError

_SPACE = "free some disk space or choose another --output"
_WRITABLE = "choose a folder you can write to with --output"
# errno -> the fix, for the write failures a user meets and can fix
_FIXES = {
    errno.ENOSPC: _SPACE,
    errno.EDQUOT: _SPACE,
    errno.EFBIG: _SPACE,
    errno.EROFS: _WRITABLE,
    errno.EACCES: _WRITABLE,
    errno.EPERM: _WRITABLE,
}


class WriteError(DataError):
    """A file or folder could not be written: disk full, read-only, no permission."""

    def __init__(self, target: str | Path, reason: str, fix: str, *, kept: bool = False) -> None:
        self.target, self.reason, self.fix = Path(target), reason, fix
        tail = f"; the files already in {target} were left as they were" if kept else ""
        super().__init__(f"cannot write {'into ' if kept else ''}{target}: {reason}; {fix}{tail}")


@contextlib.contextmanager
def write_errors(target: str | Path) -> Iterator[None]:
    """Turn a disk-full, read-only or permission :class:`OSError` in the block into a :class:`WriteError`."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _FIXES:
            raise
        raise WriteError(target, exc.strerror or os.strerror(exc.errno), _FIXES[exc.errno]) from None


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block runs; the first one is delivered when it ends.

    The signals are caught and noted, not masked: a mask holds back only the main thread's signals,
    and a ``kill`` reaches the process through any of its threads (torch runs several), whose
    Python handler then raised in the middle of the block anyway.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum)) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        if caught:
            signal.raise_signal(caught[0])


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is synced and renamed to ``path``.

    On an exception the temporary file is removed, ``path`` is left as it was, and the folders made
    for it are removed again (as far as they are empty).

    Raises:
        WriteError: the disk is full, or the folder read-only or not writable.
    """
    path = Path(path)
    made = missing_folders(path.parent)
    try:
        make_folder(path.parent)
        with write_errors(path):
            fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                yield tmp
                with open(tmp, "rb+") as handle:
                    os.fsync(handle.fileno())
                os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; give it an ordinary file's mode
                os.replace(tmp, path)
                _fsync_dir(path.parent)
            finally:
                if tmp.exists():
                    tmp.unlink()
    except BaseException:
        remove_empty_folders(made)  # a failed write leaves no folder it made behind
        raise


def missing_folders(folder: str | Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, innermost first: what making it makes."""
    folder = Path(folder)
    return [p for p in (folder, *folder.parents) if not p.exists()]


def remove_empty_folders(folders: Iterable[Path]) -> None:
    """Remove ``folders`` (innermost first, from :func:`missing_folders`) as far as they are still empty."""
    for made in folders:
        try:
            made.rmdir()
        except OSError:  # not empty (something else was written there meanwhile), or already gone
            return


def make_folder(folder: str | Path) -> Path:
    """Create ``folder`` (and its parents) for output.

    Raises:
        DataError: a file stands where the folder or one of its parents should be.
        WriteError: the folder cannot be made (read-only, full disk).
    """
    folder = Path(folder)
    try:
        with write_errors(folder):
            folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), folder)
        raise DataError(
            f"cannot write into {folder}: {blocker} is a file, not a folder; choose another output path"
        ) from None
    return folder


@contextlib.contextmanager
def staged_folder(
    dest: str | Path, *, owned: Iterable[str] = (), outdated: Iterable[str] = ()
) -> Iterator[Path]:
    """Yield a hidden staging folder inside ``dest``; on success its files replace those in ``dest``.

    Write every output file of a command into the staging folder. When the block ends without an
    exception each file is renamed into ``dest`` (same relative path; a rename is atomic per file),
    so a failure half-way (a plot that cannot be drawn, a full disk) leaves the files already in
    ``dest`` byte-identical, and no ``dest`` (nor parent) that it made; the staging folder is removed
    either way (and one a killed run left, named by its process id, by the next command writing
    there). ``owned``: files the command writes only sometimes (``report.html`` unless
    ``--no-report``): one left in ``dest`` by an earlier run is removed when this run did not write
    it, so it cannot describe other data. ``outdated``: folders in ``dest`` that describe what this run
    replaces (a classifier's ``evaluation/``, of the model retrained): each is moved out of ``dest`` into the
    staging folder in one rename, after the new files are in place, and removed with it; a failed run
    keeps them.

    Raises:
        WriteError: the disk filled up or ``dest`` is read-only; ``dest`` keeps its files.
    """
    dest = Path(dest)
    made, stage, done = missing_folders(dest), None, False
    try:
        make_folder(dest)
        _remove_dead_stages(dest)
        with write_errors(dest):
            stage = Path(tempfile.mkdtemp(prefix=f".staging-{os.getpid()}-", dir=dest))
        with write_errors(dest):  # a file the block writes straight into the stage (pandas, matplotlib)
            yield stage
        files = sorted(p for p in stage.rglob("*") if p.is_file())
        for src in files:  # check the destinations before moving anything
            target = dest / src.relative_to(stage)
            if target.is_dir():
                raise DataError(
                    f"cannot write {target}: a folder of that name is in the way; remove it or choose another output"
                )
        with (
            signals_deferred(),
            write_errors(dest),
        ):  # the moves happen all together or (on a fault) as few as possible
            for src in files:
                target = dest / src.relative_to(stage)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, target)
            written = {src.relative_to(stage) for src in files}
            for name in owned:
                if Path(name) not in written and (dest / name).is_file():
                    (dest / name).unlink()
            for name in outdated:
                if (dest / name).is_dir():  # a rename: gone whole or kept whole, never half removed
                    (stage / ".outdated").mkdir(exist_ok=True)
                    os.replace(dest / name, stage / ".outdated" / name)
        _fsync_dir(dest)
        done = True
    except WriteError as exc:
        raise WriteError(dest, exc.reason, exc.fix, kept=not made) from None
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        if not done:
            remove_empty_folders(made)


def _remove_dead_stages(dest: Path) -> None:
    """Remove the staging folders in ``dest`` of runs that are gone (a SIGKILL, a power cut)."""
    for stage in dest.glob(".staging-*-*"):
        pid = stage.name.split("-")[1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(stage, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but is not ours
        return True
    return True


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
