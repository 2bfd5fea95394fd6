"""Local clocks changing for daylight saving, in times written without a zone or UTC offset: the hour written
twice when clocks go back (:func:`merge_clock_repeats`: each pair averaged) and the hour that never happened
when they go forward (:func:`skipped_hours`: left a gap, filled by interpolation as gaps are). Either way the
series keeps 24 steps a day, so its daily season stays in place; each is said in one warning line.

A time counts as skipped only where the time zone database says that some region's clock jumped over it: a
gap of one hour (or less) on the night daylight saving began there, in a file with few such short gaps (one
per half year, and one more; a file with more has gaps, whatever their dates).
"""

from __future__ import annotations

import functools
import logging
import zoneinfo
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from lstmkit.data.time_format import format_time

log = logging.getLogger("lstmkit.data.tabular")

_HOUR_NS = 3_600_000_000_000
_DAY_NS = 24 * _HOUR_NS
_SHORT_GAPS_APART = 180 * _DAY_NS  # clocks go forward once a year: more short gaps than one per this are gaps


def merge_clock_repeats(t, y, x, rows, *, kind, where, source, column, fmt=None):
    """``t, y, x, rows`` with the times written twice when local clocks go back an hour merged into one row each
    (values averaged, one warning); unchanged unless every repeated time fits that pattern.

    The pattern, in hourly or finer data without UTC offsets: each repeated time appears exactly twice, in the
    small hours (before 04:00), the repeats form runs of at most one hour, and there is at most one run per
    90 days (daylight saving ends once a year). Any other repeat is left for ``timeaxis.regularise`` to refuse.
    """
    if kind != "datetime" or len(t) < 3:
        return t, y, x, rows
    order = np.asarray(t.asi8, dtype=np.int64)
    if (np.diff(order) > 0).all():  # in order, no time twice: the common case costs one pass, no sort
        return t, y, x, rows
    values, first, inverse, counts = np.unique(
        order, return_index=True, return_inverse=True, return_counts=True
    )
    if (counts == 1).all() or counts.max() > 2:
        return t, y, x, rows
    step = int(np.median(np.diff(values)))
    if step > _HOUR_NS:  # hourly data repeat one time, finer data each step of the hour
        return t, y, x, rows
    repeated = values[counts == 2]
    if (pd.DatetimeIndex(repeated).hour >= 4).any():  # clocks go back in the small hours (01:00-03:59)
        return t, y, x, rows
    starts = np.flatnonzero(np.diff(repeated, prepend=repeated[0] - 2 * _HOUR_NS) > step)  # runs of repeats
    ends = np.append(starts[1:], len(repeated)) - 1
    longest = int((repeated[ends] - repeated[starts]).max()) + step
    if longest > _HOUR_NS or len(starts) > 1 + (values[-1] - values[0]) // (90 * _DAY_NS):
        return t, y, x, rows
    keep = np.sort(first)  # each time's first row, in file order
    means = pd.DataFrame(np.column_stack([y, x])).groupby(inverse).mean().to_numpy()[inverse[keep]]
    log.warning(
        "%d time(s)%s of %s appear twice where clocks go back an hour as daylight saving ends (first %s in %r); "
        "each pair is averaged to keep the daily season; write the times in UTC or with their offset to keep both",
        len(repeated),
        where,
        source,
        _label(t[first[np.searchsorted(values, repeated[0])]], fmt),
        column,
    )
    return t[keep], means[:, 0], means[:, 1:], rows[keep]


def skipped_hours(
    times: pd.DatetimeIndex, inserted: np.ndarray, *, where: str, source: str, column: str, fmt: str | None
) -> np.ndarray:
    """Which of the steps ``inserted`` into the regular ``times`` (a gap in the file) are an hour local clocks
    skipped when daylight saving began, said in one warning; a ``(N,)`` bool mask, all False for other gaps.

    A run of inserted steps is skipped when, in hourly or finer data, it lasts an hour or less, every step of
    it is a time that never happened on some region's clock and the steps either side of it did (the whole
    jump, no more), in a file with at most one gap of an hour or less per 180 days, and one more.
    """
    skipped = np.zeros(len(times), dtype=bool)
    if len(times) < 3 or not inserted.any():
        return skipped
    stamps = np.asarray(times.asi8, dtype=np.int64)
    step = int(stamps[1] - stamps[0])
    if step <= 0 or step > _HOUR_NS or _HOUR_NS % step:
        return skipped
    gap = np.flatnonzero(inserted)
    starts = gap[np.diff(gap, prepend=-2) > 1]  # runs of inserted steps
    ends = gap[np.append(np.diff(gap) > 1, True)]
    short = (ends - starts + 1) * step <= _HOUR_NS
    if short.sum() > 1 + (stamps[-1] - stamps[0]) // _SHORT_GAPS_APART:
        return skipped
    for start, end in zip(starts[short], ends[short]):
        if 0 < start and end < len(times) - 1 and _jumped_over(times[start - 1 : end + 2].to_pydatetime()):
            skipped[start : end + 1] = True
    if skipped.any():
        first = int(np.argmax(skipped))
        log.warning(
            "%d hour(s)%s of %s are missing where clocks go forward as daylight saving begins (first %s in %r, "
            "a time that never happened there); each is filled by interpolation to keep the daily season; write "
            "the times in UTC or with their offset to have none filled",
            int(np.sum(skipped[starts])),
            where,
            source,
            _label(times[first], fmt),
            column,
        )
    return skipped


def _jumped_over(stamps) -> bool:
    """Whether some time zone's clock jumped over ``stamps[1:-1]`` (none of them happened there) and showed
    ``stamps[0]`` and ``stamps[-1]``, the steps either side."""
    inside, edges = stamps[1:-1], (stamps[0], stamps[-1])
    for zone in _zones():
        if _happened(inside[0], zone):  # most zones: one look
            continue
        if not any(_happened(s, zone) for s in inside[1:]) and all(_happened(s, zone) for s in edges):
            return True
    return False


def _happened(local: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    """Whether the wall-clock time ``local`` happened in ``zone`` (a time skipped comes back another time)."""
    aware = local.replace(tzinfo=zone)
    return aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == local


@functools.cache
def _zones() -> tuple[zoneinfo.ZoneInfo, ...]:
    """Every zone of the time zone database (none where it is missing: then no gap is a clock change)."""
    return tuple(zoneinfo.ZoneInfo(name) for name in sorted(zoneinfo.available_timezones()))


def _label(stamp, fmt: str | None) -> str:
    """One time as the file writes it."""
    return format_time(stamp, fmt) if fmt else str(stamp)
