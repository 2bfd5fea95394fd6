"""Periods written in ways other than months and quarters: fiscal years (``FY2020``), half years (``2000-H1``),
ISO weeks (``2019-W02``, ``2019 W2``, ISO week dates ``2019-W02-1``, and ``201902`` in a column named like
weeks), and dates on one day of each month or quarter (``2020-02-15``).

Each reader returns ``(times, kind, fmt)`` like those of :mod:`lstmkit.data.dates`, or None when the cells are
not in its form. ``fmt`` writes future times the way the cells are written: strftime codes plus
:data:`HALF` for the half of the year, and for fiscal years ``%Y`` or ``%y`` alone (:func:`year_label`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from lstmkit.errors import DataError

HALF = "{half}"  # the half of the year (1 or 2) in a time format; strftime has no code for it
_FISCAL = re.compile(r"([Ff][Yy])([ \-]?)(\d{4}|\d{2})")  # FY2020, FY 2020, FY-20
_HALF_AFTER = re.compile(r"(\d{4})([-/ ]?)([Hh])([12])")  # 2000-H1, 2000 H2, 2000H1
_HALF_BEFORE = re.compile(r"([Hh])([12])([-/ ]?)(\d{4})")  # H1 2000, H2-2000
# 2019-W02, 2019W02, 2019 W02, 2019-W2; with the day of the week (1 Monday ... 7 Sunday): 2019-W02-3, 2019W023
_WEEK = re.compile(r"(\d{4})([-/ ]?)([Ww])(\d{1,2})(?:(-?)([1-7]))?")
_CENTURY_PIVOT = 2030  # two-digit years 30-99 are the 1900s, as spreadsheets (and dates.py) read them


def fiscal_years(text: pd.Series) -> tuple[pd.Index, str, str] | None:
    """``FY2020``, ``FY 2020``, ``FY20``: years (an int64 Index), written back as ``FY2021``; or None."""
    parts = text.str.extract("^" + _FISCAL.pattern + "$")
    if parts.isna().any().any():
        return None
    letters, sep, digits = (str(parts.iloc[0, k]) for k in range(3))
    years = parts[2].astype(int).to_numpy()
    if len(digits) == 2:
        years = np.where(years + 2000 >= _CENTURY_PIVOT, years + 1900, years + 2000)
    code = "%Y" if len(digits) == 4 else "%y"
    return pd.Index(years.astype(np.int64), dtype="int64"), "year", f"{letters}{sep}{code}"


def year_label(year: int, fmt: str) -> str:
    """One year in the format of :func:`fiscal_years` (``FY%Y`` writes ``FY2021``, ``FY%y`` ``FY21``)."""
    return fmt.replace("%Y", f"{year:04d}").replace("%y", f"{year % 100:02d}")


def half_years(text: pd.Series) -> tuple[pd.Index, str, str] | None:
    """``2000-H1``, ``2000 H2``, ``H1 2000``: half years as their first days (1 January, 1 July), or None."""
    for pattern, year_first in ((_HALF_AFTER, True), (_HALF_BEFORE, False)):
        parts = text.str.extract("^" + pattern.pattern + "$")
        if parts.isna().any().any():
            continue
        first = [str(cell) for cell in parts.iloc[0]]
        if year_first:
            years, halves, fmt = parts[0], parts[3], f"%Y{first[1]}{first[2]}{HALF}"
        else:
            years, halves, fmt = parts[3], parts[1], f"{first[0]}{HALF}{first[2]}%Y"
        months = 1 + 6 * (halves.astype(int) - 1)
        stamps = pd.to_datetime(years + "-" + months.astype(str).str.zfill(2) + "-01", format="%Y-%m-%d")
        return pd.DatetimeIndex(stamps), "datetime", fmt
    return None


def iso_weeks(text: pd.Series, *, column: str, source: str) -> tuple[pd.Index, str, str] | None:
    """``2019-W02``, ``2019W02``, ``2019 W02``, ``2019-W2``: ISO weeks as their Mondays; ``2019-W02-3``, ``2019W023``
    (ISO week dates, with the day of the week): those days; or None. Written back in the cells' layout.

    Raises:
        DataError: a week that its year does not have (week 53 of a 52-week year).
    """
    parts = text.str.extract("^" + _WEEK.pattern + "$")
    if parts[[0, 1, 2, 3]].isna().any().any() or parts[5].isna().nunique() != 1:
        return None  # not weeks, or some cells with the day and some without
    mondays = _mondays(parts[0], parts[3], text, column=column, source=source)
    unpadded = "-" if (parts[3].str.len() == 1).any() else ""
    sep, letter = str(parts.iloc[0, 1]), str(parts.iloc[0, 2])
    fmt = f"%G{sep}{letter}%{unpadded}V"
    if parts[5].isna().all():
        return mondays, "datetime", fmt
    if parts[4].nunique() != 1:
        return None  # 2019-W02-3 beside 2019-W023
    days = pd.to_timedelta(parts[5].astype(int).to_numpy() - 1, unit="D")
    day_sep = str(parts.iloc[0, 4])
    return pd.DatetimeIndex(mondays + days), "datetime", f"{fmt}{day_sep}%u"


WEEK_NAMES = re.compile(r"week|woche|semaine|semana|settimana|\bkw\b|\bwk\b", re.IGNORECASE)


def week_numbers(values: np.ndarray, *, column: str, source: str) -> tuple[pd.Index, str, str] | None:
    """Whole numbers ``201902`` (ISO week 2 of 2019, as Google Analytics' ISO Year ISO Week and SQL's YEARWEEK
    write them) in a column named like weeks (``WEEK_NAMES``), as their Mondays, or None. Elsewhere 201902 is
    February 2019 (:func:`lstmkit.data.number_times.compact_dates`).

    Raises:
        DataError: a week that its year does not have.
    """
    if (
        not WEEK_NAMES.search(column)
        or len(values) < 2
        or not np.isfinite(values).all()
        or (values % 1).any()
    ):
        return None
    text = pd.Series(values.astype(np.int64).astype(str))
    if not text.str.fullmatch(r"[12]\d{3}(?:0[1-9]|[1-4]\d|5[0-3])").all():
        return None
    return _mondays(text.str[:4], text.str[4:], text, column=column, source=source), "datetime", "%G%V"


def _mondays(
    years: pd.Series, weeks: pd.Series, cells: pd.Series, *, column: str, source: str
) -> pd.DatetimeIndex:
    """The Mondays of ISO ``weeks`` of ``years`` (digits), or an error naming the first of ``cells`` whose year
    has no such week."""
    stamps = pd.to_datetime(years + "-W" + weeks.str.zfill(2) + "-1", format="%G-W%V-%u", errors="coerce")
    iso = pd.DatetimeIndex(stamps).isocalendar()
    bad = (
        stamps.isna()
        | (iso["week"].to_numpy() != weeks.astype(int))
        | (iso["year"].to_numpy() != years.astype(int))
    )
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"time column {column!r} of {source} has a week its year does not have, {cells.iloc[row]!r} at row "
            f"{row + 1}; ISO years have 52 or 53 weeks: fix that cell"
        )
    return pd.DatetimeIndex(stamps)


def months_apart(index: pd.DatetimeIndex) -> int | None:
    """The number of months between dates on one day of the month at midnight, one such step throughout
    (gaps aside: every step a multiple of it; the dates of several series together), or None."""
    if len(index) < 2 or not (index.day == index[0].day).all() or not (index == index.normalize()).all():
        return None
    months = np.unique(index.year * 12 + index.month)  # a panel repeats them
    if len(months) < 2:
        return None
    step = int(np.gcd.reduce(np.diff(months)))
    return step if step >= 1 and np.median(np.diff(months)) == step else None


def on_one_day(times: pd.Index, kind: str, fmt: str | None) -> tuple[pd.Index, str, str | None]:
    """Dates on one day of the month (2 to 28) a month apart, or on one day (2 to 30) a quarter apart, at
    midnight, as months or quarters whose format writes that day (``2020-02-15`` -> ``%Y-%m-15``): pandas
    infers no frequency for them. Other times as given."""
    if kind != "datetime" or fmt is None or len(times) < 3 or HALF in fmt:
        return times, kind, fmt
    index = pd.DatetimeIndex(times)
    if not (index == index.normalize()).all():  # times of day
        return times, kind, fmt
    day, step = int(index[0].day), months_apart(index)
    if day < 2 or step not in (1, 3) or (step == 1 and day > 28):
        return times, kind, fmt
    written = re.sub(r"%-d", str(day), re.sub(r"%d", f"{day:02d}", fmt))
    if step == 1:
        return pd.PeriodIndex(index, freq="M"), "month", written
    anchor = pd.Timestamp(2000, int(index[0].month), 1).strftime("%b").upper()  # quarters that end that month
    return pd.PeriodIndex(index, freq=f"Q-{anchor}"), "quarter", written


def month_freq(t: pd.DatetimeIndex) -> str | None:
    """The pandas frequency of dates a whole number of months apart, on the 1st or on one day of the month or
    on month ends (``MS``, ``QS-OCT``, ``2QS-OCT`` for half years, ``YE-DEC``...), gaps allowed (pandas infers
    none across a gap), or None."""
    if len(t) < 2:
        return None
    ends = bool(t.is_month_end.all()) and bool((t == t.normalize()).all())
    if ends:
        months = np.unique(t.year * 12 + t.month)
        step = int(np.gcd.reduce(np.diff(months))) if len(months) == len(t) else None  # t: one series
    else:
        step = months_apart(t)
    if not step:
        return None
    if ends:
        grid = [t[0] + pd.offsets.MonthEnd(step * k) for k in range(4)]
    else:
        grid = [t[0] + pd.DateOffset(months=step * k) for k in range(4)]
    try:
        freq = pd.infer_freq(pd.DatetimeIndex(grid))
    except (TypeError, ValueError):
        return None
    return getattr(freq, "freqstr", freq)
