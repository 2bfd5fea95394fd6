"""lstmkit's notes: labelling those of models fitted inside a job (a hold-out model's notes say so, an
internal one's are dropped), and naming a few of many things in one line.

A forecast job fits several models: the hold-out model (on all but the last H points), the
validation networks that weigh the combination, and the final model. Their notes ("series too
short to learn a season ...") are about different data; written bare, a note about the hold-out
reads as if it were about the forecast the user gets.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


@contextmanager
def labelled(prefix: str | None) -> Iterator[None]:
    """Within the block, lstmkit's log records start with ``prefix``; with ``prefix=None`` they are dropped."""

    def label(record: logging.LogRecord) -> bool:
        if prefix is None:
            return False
        if not getattr(record, "lstmkit_labelled", False):
            record.msg, record.lstmkit_labelled = prefix + str(record.msg), True
        return True

    loggers = [logging.getLogger("lstmkit")] + [
        logger
        for name, logger in list(logging.Logger.manager.loggerDict.items())
        if name.startswith("lstmkit.") and isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        logger.addFilter(label)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(label)


def few(items: Iterable[object], limit: int = 3) -> str:
    """The first ``limit`` of ``items`` as a note names them: ``a, b, c ...`` (the dots when there are more)."""
    listed = [str(item) for item in items]
    return ", ".join(listed[:limit]) + (" ..." if len(listed) > limit else "")
