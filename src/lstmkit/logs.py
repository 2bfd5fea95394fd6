"""lstmkit's notes: labelling those of models fitted inside a job (a hold-out model's notes say so, an
internal one's are dropped), naming a few of many things in one line, and counting things in words.

A forecast job fits several models: the hold-out model (on all but the last H points), the
validation networks that weigh the combination, and the final model. Their notes ("series too
short to learn a season ...") are about different data; written bare, a note about the hold-out
reads as if it were about the forecast the user gets.

The command line prints a record as ``WARNING: ...``, but a note (a warning whose text, after its label,
starts ``note:``: the data asked for a fallback, nothing is wrong) as it is written, ``note: ...``
(:class:`CommandLineFormatter`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager


def _is_ours(record: logging.LogRecord) -> bool:
    return record.name == "lstmkit" or record.name.startswith("lstmkit.")


def _handlers() -> list[logging.Handler]:
    """The handlers an lstmkit record reaches: the ``lstmkit`` logger's and those of each parent it
    propagates to (logging's last resort when there are none)."""
    handlers: list[logging.Handler] = []
    logger: logging.Logger | None = logging.getLogger("lstmkit")
    while logger is not None:
        handlers += logger.handlers
        if not logger.propagate:
            break
        logger = logger.parent
    if not handlers and logging.lastResort is not None:
        handlers.append(logging.lastResort)
    return handlers


@contextmanager
def _filtering(make: Callable[[logging.Handler], Callable[[logging.LogRecord], bool]]) -> Iterator[None]:
    """Within the block, each handler an lstmkit record reaches has the filter ``make(handler)``."""
    filters = [(handler, make(handler)) for handler in _handlers()]
    for handler, keep in filters:
        handler.addFilter(keep)
    try:
        yield
    finally:
        for handler, keep in filters:
            handler.removeFilter(keep)


@contextmanager
def labelled(prefix: str | None) -> Iterator[None]:
    """Within the block, lstmkit's log records start with ``prefix``; with ``prefix=None`` they are dropped.

    The filter sits on the handlers the records reach, so a module first imported inside the block
    is labelled too; other libraries' records pass untouched.
    """

    def label(record: logging.LogRecord) -> bool:
        if not _is_ours(record):
            return True
        if prefix is None:
            return False
        if not hasattr(record, "lstmkit_label"):  # nested blocks label a record once
            record.msg, record.lstmkit_label = prefix + str(record.msg), prefix
        return True

    with _filtering(lambda handler: label):
        yield


@contextmanager
def held_back() -> Iterator[None]:
    """lstmkit's records logged within the block reach their handlers when it ends without an exception, and
    never when it raises: a file refused with an ``error:`` line shows that line alone, not the notes about
    the columns read before the fault was found."""
    held: list[tuple[logging.Handler, logging.LogRecord]] = []

    def hold(handler: logging.Handler):
        def keep(record: logging.LogRecord) -> bool:
            if not _is_ours(record):
                return True
            held.append((handler, record))
            return False

        return keep

    with _filtering(hold):
        yield
    for handler, record in held:  # reached only without an exception
        handler.handle(record)


class CommandLineFormatter(logging.Formatter):
    """``LEVEL: message`` lines, but lstmkit's notes as they are written: ``note: ...``, or ``hold-out model (all
    but the last 6 points): note: ...`` (a ``WARNING:`` before them would say something went wrong)."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        label = getattr(record, "lstmkit_label", "")
        if _is_ours(record) and record.levelno == logging.WARNING and text[len(label) :].startswith("note: "):
            return text
        return f"{record.levelname}: {text}"


def few(items: Iterable[object], limit: int = 3) -> str:
    """The first ``limit`` of ``items`` as a note names them: ``a, b, c ...`` (the dots when there are more)."""
    listed = [str(item) for item in items]
    return ", ".join(listed[:limit]) + (" ..." if len(listed) > limit else "")


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun`` as a line says them: ``1 epoch``, ``2 epochs``, ``1,200 characters``, ``0 characters``.

    ``noun`` is singular and takes an ``s`` for any other count than one (a printed line said "1 epochs").
    """
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
