"""Times written with a UTC offset, ``Z`` or `` UTC``: ISO times (``2020-01-01T00:00:00+01:00``, ``...Z``,
``2020-01-01 00:00:00 UTC`` as R prints them) and the other layouts with one after their clock
(``13/02/2020 00:00:00Z``, ``13-02-2020T00:00:00+01:00``, ``05-Jan-2020 13:00 +05:30``), and 12-hour clocks
with one, spaced or not (``01/05/2020 11:30 PM Z``, ``2020-01-05 12:00 AMZ``), whose dates are read
as :mod:`lstmkit.data.dates` reads them without it (day or month first by the same rule). One offset
throughout is kept: the clock times as written, future times written in the same layout with the same
offset. Several offsets (daylight saving) are read in UTC, with one warning, and future times are written
in UTC.
"""

from __future__ import annotations

import logging
import re

import pandas as pd

from lstmkit.data.dates import (
    clock_format,
    day_month_names,
    general_parse,
    numeric_dates,
    parse_with_format,
    year_first_dates,
)

log = logging.getLogger("lstmkit.data.tabular")

_ZONE = r"Z|[+-]\d{2}:?\d{2}|(?<= )(?:UTC|GMT)"  # Z, +01:00, -0500, and UTC or GMT after a space (R's usetz)
# a clock (of 12 hours too: 12:00 AM Z, 12:00 AMZ) with a UTC offset
OFFSET = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?\s*(" + _ZONE + ")")
_SUFFIX = re.compile(r"\s*(?:" + _ZONE + ")$")  # the offset after a clock, with the space before it
_WARNED: set = set()


def cell_offsets(text: pd.Series) -> pd.Series | None:
    """The UTC offset each cell ends with (``Z``, ``+01:00``, ``-0500``, ``UTC``), or None unless every cell has
    one."""
    offsets = text.str.extract(OFFSET.pattern + "$")[0]
    return offsets if offsets.notna().all() else None


def offset_layout(fmt: str) -> str | None:
    """The layout a time format gives the cells before their offset: ``fmt`` less the offset it ends with
    (``%d/%m/%Y %H:%M`` of ``%d/%m/%Y %H:%M+00:00``, as a model folder keeps it), else ``fmt`` itself (as a
    warning or a user names it); None where strftime reads the offset (``%z``)."""
    return None if fmt.endswith(("%z", "%Z")) else _SUFFIX.sub("", fmt)


def offset_times(
    text: pd.Series, offsets: pd.Series, *, column: str, source: str, layout: str | None = None
) -> tuple[pd.Index, str, str]:
    """Times with a UTC offset (``offsets``: :func:`cell_offsets`), by the rules of the module docstring;
    ``layout``: the strftime format of the cells before their offset, default detected.

    Raises:
        DataError: a cell that is not a time (in ``layout``).
    """
    local = text.str.replace(_SUFFIX, "", regex=True)
    suffix = text.iloc[0][len(local.iloc[0]) :]  # the first cell's offset, as written: Z, " +01:00", " UTC"
    if layout is not None:
        index = pd.DatetimeIndex(parse_with_format(local, layout, column=column, source=source)[0])
    elif (read := _other_layout(local, column=column, source=source)) is not None:
        index, layout = read
    else:  # ISO times: pandas reads them with their offsets
        stamps = pd.DatetimeIndex(general_parse(text, column=column, source=source, utc=True))
        if offsets.nunique() == 1:
            local_stamps = stamps.tz_convert(pd.Timestamp(text.iloc[0]).tz).tz_localize(None)
            return local_stamps, "datetime", clock_format(local.iloc[0]) + suffix
        _warn_once(offsets, column=column, source=source)
        return stamps.tz_localize(None), "datetime", clock_format(local.iloc[0]) + "+00:00"
    if offsets.nunique() == 1:
        return index, "datetime", layout + suffix
    _warn_once(offsets, column=column, source=source)
    utc = index - pd.to_timedelta([_minutes(o) for o in offsets], unit="min")
    return utc, "datetime", layout + _utc(suffix)


def _other_layout(local: pd.Series, *, column: str, source: str) -> tuple[pd.DatetimeIndex, str] | None:
    """The times and layout of cells (their offset cut off) in a layout other than ISO's ``2020-01-31 13:00``:
    numeric dates, dates with month names, year first with other separators or with a 12-hour clock (pandas,
    which reads ISO times with their offsets, takes ``2020-01-05 12:00 AMZ`` for noon); or None."""
    for reader in (
        lambda cells: numeric_dates(cells, column=column, source=source),
        day_month_names,
        year_first_dates,
    ):
        if (read := reader(local)) is not None:
            index, _, fmt = read
            iso = fmt.startswith("%Y-%m-%d") and "%p" not in fmt
            return None if iso else (pd.DatetimeIndex(index), fmt)
    return None


def _minutes(offset: str) -> int:
    """``+01:00`` -> 60, ``-0530`` -> -330, ``Z`` or ``UTC`` -> 0."""
    if offset in ("Z", "UTC", "GMT"):
        return 0
    digits = offset[1:].replace(":", "")
    return (1 if offset[0] == "+" else -1) * (int(digits[:2]) * 60 + int(digits[2:]))


def _utc(suffix: str) -> str:
    """The offset ``suffix`` of the first cell written for UTC in its style: `` +01:00`` -> `` +00:00``."""
    return re.sub(r"[+-]\d{2}(:?)\d{2}$", lambda m: f"+00{m.group(1)}00", suffix)


def _warn_once(offsets: pd.Series, *, column: str, source: str) -> None:
    if (source, column) in _WARNED:  # once per file, not once per model that reads it
        return
    _WARNED.add((source, column))
    log.warning(
        "times in %r of %s carry different UTC offsets (%s); they are read in UTC, and forecast.csv writes UTC times",
        column,
        source,
        ", ".join(sorted(offsets.unique())[:3]),
    )
