"""Writing a time in the layout its cells were read in (:mod:`lstmkit.data.dates` and the other readers
find it): strftime, with the readers' additions to it (numbers without a leading zero, month names in
capitals, month names in other languages, the half of the year, the number formats such as ``unix-s``,
a time zone's clock and offsets: :mod:`lstmkit.data.zones`), and the days that months or quarters dated
on one day stand for. Future times are written by it, so that they read as the input does.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from lstmkit.data.dates import strict_times
from lstmkit.data.month_words import write_month_words
from lstmkit.data.number_times import NUMBER_FORMATS, number_label
from lstmkit.data.periods import HALF
from lstmkit.data.zones import format_zone, zone_clock

_UNPADDED = re.compile(r"%-([dmHIMSV])")  # a number written without its leading zero: 1/31/2020 9:00
_UPPER = re.compile(r"%\^([bB])")  # a month name in capitals: 01JAN2020 (SAS)
_WEEKDAY = re.compile(r"%[aA],? ?")  # Fri, Jan 31, 2020


def format_time(value: Any, fmt: str) -> str:
    """``value.strftime(fmt)``, where ``%-d``, ``%-m``, ``%-H`` (and ``%-I``, ``%-M``, ``%-S``, ``%-V``) write the
    number without a leading zero (``1/31/2020``) and ``%^b``, ``%^B`` the month's name in capitals on every
    platform, and ``{half}`` writes the half of the year; the number formats (``unix-s``, ``excel-serial``...)
    write numbers. A month or quarter written on one day with its weekday (``Tue, May 15, 2018``) is
    written on the day the format names. A format that names a time zone after its offset
    (``%Y-%m-%dT%H:%M:%S+00:00[Australia/Melbourne]``) writes the UTC instant ``value`` on that zone's clock,
    with its offset there (``2021-04-04T02:30:00+10:00``)."""
    if fmt in NUMBER_FORMATS:
        return number_label(value, fmt)
    if fmt.endswith("]") and format_zone(fmt):
        value, fmt = zone_clock(value, fmt)
    if isinstance(value, pd.Period) and _WEEKDAY.search(fmt):
        value = period_dates(pd.PeriodIndex([value]), _WEEKDAY.sub("", fmt))[0]
    if HALF in fmt:
        fmt = fmt.replace(HALF, "1" if value.month <= 6 else "2")
    if "{mon" in fmt:
        fmt = write_month_words(value, fmt)  # Mrz 2020, janv.-20
    if "%-" in fmt:
        fmt = _UNPADDED.sub(lambda code: str(int(value.strftime("%" + code.group(1)))), fmt)
    if "%^" in fmt:
        fmt = _UPPER.sub(lambda code: value.strftime("%" + code.group(1)).upper(), fmt)
    return value.strftime(fmt)


def period_dates(periods: pd.PeriodIndex, fmt: str | None) -> pd.DatetimeIndex:
    """The dates months or quarters stand for in the file: for those dated on one day (a format that writes the
    day as a number, ``%Y-%m-15``, ``30/%m/%Y``) that day of the month the format writes (15 February for the
    quarter ending in February), else each period's first day."""
    starts = pd.DatetimeIndex(periods.to_timestamp())
    if not fmt or fmt in NUMBER_FORMATS or len(_LITERAL_DAY.findall(fmt)) != 1:
        return starts
    labels = pd.Series([format_time(p, fmt) for p in periods], dtype=object)
    stamps = strict_times(labels, _LITERAL_DAY.sub("%d", fmt))
    return pd.DatetimeIndex(stamps) if stamps.notna().all() else starts


_LITERAL_DAY = re.compile(r"(?<!%)(?<!%-)(?<!\d)\d{1,2}(?!\d)")  # the 15 of %Y-%m-15 (periods.on_one_day)
