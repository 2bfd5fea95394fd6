"""How time cells are written: a format the user names, numeric dates (day or month first), month names,
dates with month names (``01-Jan-2020``, as Excel and SAS write them), quarters (``1965 Q1``, ``Q1 1965``) and
clocks (other periods: :mod:`lstmkit.data.periods`; UTC offsets: :mod:`lstmkit.data.zones`).

Each reader returns ``(times, kind, fmt)`` with ``fmt`` the strftime format the cells were
written in, so future times are labelled the way the user writes them (``Jan 2016`` stays
``Feb 2016``, ``31/01/2020`` stays ``01/02/2020``, ``31JAN2020`` stays ``01FEB2020``; written by
:mod:`lstmkit.data.time_format`), or None when the cells are not in its form.

Numeric dates such as ``05/01/2020`` are read month first (``%m/%d/%Y``) unless that reading is
impossible (a first field above 12) or less regular than the day-first one (duplicated,
unevenly spaced or out of order times); whenever both readings are valid dates the reading
chosen is stated in one warning line naming ``--date-format`` to override it.
"""

from __future__ import annotations

import logging
import re
import warnings

import numpy as np
import pandas as pd

from lstmkit.data.month_words import english_months
from lstmkit.data.number_times import NUMBER_FORMATS, read_numbers
from lstmkit.data.periods import months_apart
from lstmkit.errors import DataError

log = logging.getLogger("lstmkit.data.tabular")

_MONTH_FIRST = re.compile(r"([A-Za-z]{3,9})(\.?[\s\-/,']*)(\d{4}|\d{2})")
_YEAR_FIRST = re.compile(r"(\d{4})([\s\-/.,]*)([A-Za-z]{3,9})")
_CLOCK = (  # an optional clock after a date: 13:00, 13:00:00, 00:00:00.000 (zero milliseconds), 1:00 PM
    r"(?:(?P<clock>[ T:])(?P<hour>\d{1,2}):\d{2}(?P<seconds>:\d{2}(?P<fraction>\.0{1,6})?)?"
    r"(?:(?P<noon_sep> ?)(?P<noon>[AaPp][Mm]))?)?"
)
_NUMERIC_DATE = re.compile(
    r"(?P<first>\d{1,2})(?P<sep>[/.\-])(?P<second>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})" + _CLOCK
)  # 31/01/2020, 1/31/2020 9:00, 31.01.2020 13:00:00, 1/31/2020 9:00:00 PM
_YEAR_FIRST_DATE = re.compile(
    r"(?P<year>\d{4})(?P<sep>[/.\-]?)(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})" + _CLOCK
)  # 2020/01/31, 2020.01.31, 2020-1-31 9:00, 20200131 13:00, 2020-01-31 1:00 PM
_DAY_MONTH = re.compile(
    r"(?P<day>\d{1,2})(?P<sep>[ \-/.]?)(?P<month>[A-Za-z]{3,9})(?P=sep)(?P<year>\d{4}|\d{2})" + _CLOCK
)  # 01-Jan-2020, 1-Jan-20, 01 Jan 2020, 01JAN2020 (SAS), 01-Jan-2020 13:00, 01-Jan-2020 1:00 PM
_MONTH_DAY = re.compile(
    r"(?:(?P<weekday>[A-Za-z]{3,9}), )?"
    r"(?P<month>[A-Za-z]{3,9})(?P<sep>[ \-/.])(?P<day>\d{1,2})(?P<year_sep>(?P=sep)|, ?)(?P<year>\d{4}|\d{2})"
    + _CLOCK
)  # Jan-1-1995, Jan 01 2020, Jan 1, 2020, Fri, Jan 31, 2020, Friday, January 31, 2020 1:00 PM (US spreadsheets)
# Quarters, with the layout each writes: 1965-Q1, 1965 Q1, 1965Q1 (2020T1: trimestre); Q1 1965, Q1-65; 1Q2020, 1Q20
_QUARTERS = (
    (
        re.compile(r"(?P<year>\d{4})(?P<sep>[-/ ]?)\s*(?P<letter>[QqTt])(?P<quarter>[1-4])"),
        "{y}{sep}{letter}%q",
    ),
    (
        re.compile(r"(?P<letter>[Qq])(?P<quarter>[1-4])(?P<sep>[-/ ]?)\s*(?P<year>\d{4}|\d{2})"),
        "{letter}%q{sep}{y}",
    ),
    (
        re.compile(r"(?P<quarter>[1-4])(?P<letter>[Qq])(?P<sep>[-/ ]?)(?P<year>\d{4}|\d{2})"),
        "%q{letter}{sep}{y}",
    ),
)
# A spreadsheet's last line that is no time: without a digit (Total), a total or note by its first word, or words
_FOOTER = re.compile(
    r"^\D*$|^(?i:total|sum|summe|gesamt|source|note|notes)\b|[A-Za-z]{2,}\W+[A-Za-z]{2,}\W+[A-Za-z]{2,}"
)
CLOCK_WRITTEN = r"\d[ T]\d{1,2}:\d{2}"  # a date followed by a clock, midnight included
_DAY_CODES = ("%d", "%j", "%U", "%W", "%w", "%e")  # a weekday (%a, %A) names no day by itself
_CLOCK_CODES = ("%H", "%I", "%M", "%S", "%p", "%f", "%X", "%c", "%T")


def parse_with_format(text: pd.Series, fmt: str, *, column: str, source: str) -> tuple[pd.Index, str, str]:
    """Cells read with the strftime format ``fmt`` (``--date-format``): months when it names no day or clock.

    Raises:
        DataError: a cell that does not match ``fmt``.
    """
    if fmt in NUMBER_FORMATS:  # unix-s, unix-ms, excel-serial, decimal-year
        return read_numbers(text, fmt, column=column, source=source)
    stamps = strict_times(text, fmt)
    bad = stamps.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"time column {column!r} of {source} has a value that does not match --date-format {fmt}, "
            f"{text.iloc[row]!r} at row {row + 1}; fix that cell or pass the format the file uses (e.g. %d/%m/%Y)"
        )
    index = pd.DatetimeIndex(stamps)
    plain = fmt.replace("%-", "%").replace("%^", "%")  # %-d names the day as %d does
    if (
        not any(code in plain for code in _DAY_CODES + _CLOCK_CODES) and index.day.nunique() == 1
    ):  # 1 or %Y-%m-15
        return pd.PeriodIndex(index, freq="M"), "month", fmt
    return index, "datetime", fmt


def month_names(text: pd.Series) -> tuple[pd.Index, str, str] | None:
    """``Jan 2016``, ``January-16``, ``1960 Jan`` ...: monthly periods and the format they are written in."""
    first = text.iloc[0]
    if (match := _MONTH_FIRST.fullmatch(first)) is not None:
        month, sep, year = match.groups()
        layouts = [f"{code}{sep}{_year_code(year)}" for code in ("%b", "%B")]
    elif (match := _YEAR_FIRST.fullmatch(first)) is not None:
        year, sep, month = match.groups()
        layouts = [f"%Y{sep}{code}" for code in ("%b", "%B")]
    else:
        return None
    if month.isupper() and len(month) > 1:  # JAN 2016 stays FEB 2016
        layouts = [fmt.replace("%b", "%^b").replace("%B", "%^B") for fmt in layouts]
    for fmt in layouts:
        if "." in fmt:  # 'Jan. 2016': the dot is part of the abbreviation, not a separator
            continue
        stamps = strict_times(text, fmt)
        if stamps.notna().all():
            return pd.PeriodIndex(pd.DatetimeIndex(stamps), freq="M"), "month", fmt
    return None


def numeric_dates(text: pd.Series, *, column: str, source: str) -> tuple[pd.Index, str, str] | None:
    """``31/01/2020``, ``01.31.2020 13:00`` ...: the more plausible of the day-first and month-first readings."""
    match = _NUMERIC_DATE.fullmatch(text.iloc[0])
    if match is None or not text.str.fullmatch(_NUMERIC_DATE).all():
        return None
    fields = text.str.extract(_NUMERIC_DATE)
    first = _first_cell(fields)
    short = _unpadded(fields[["first", "second", "hour"]])  # Excel writes 1/31/2020 9:00
    sep, year, clock = first["sep"], _year_code(first["year"]), _clock_layout(first, short[2])
    month_first = f"%{short[0]}m{sep}%{short[1]}d{sep}{year}{clock}"
    day_first = f"%{short[0]}d{sep}%{short[1]}m{sep}{year}{clock}"
    readings = {fmt: strict_times(text, fmt) for fmt in (month_first, day_first)}
    ranks = {fmt: _plausibility(stamps) for fmt, stamps in readings.items()}
    by_month, by_day = ranks[month_first], ranks[day_first]
    if by_month is None and by_day is None:
        return None  # not one layout throughout: the general parser names the bad cell
    if by_day is None or (by_month is not None and by_month >= by_day):
        chosen, other = month_first, day_first
    else:
        chosen, other = day_first, month_first
    if ranks[other] is not None or chosen == day_first:
        stamps = readings[chosen]
        differ = np.flatnonzero((stamps.dt.day != stamps.dt.month).to_numpy())  # a cell whose reading matters
        example, stamp = (
            text.iloc[differ[0] if len(differ) else 0],
            stamps.iloc[differ[0] if len(differ) else 0],
        )
        both = "could be read day or month first; " if ranks[other] is not None else ""
        log.warning(
            "dates in %r of %s %sread as %s (%s is %s); pass --date-format %s to read them %s",
            column,
            source,
            both,
            _describe(chosen),
            example,
            stamp.strftime("%Y-%m-%d"),
            other,
            "month first" if other == month_first else "day first",
        )
    return pd.DatetimeIndex(readings[chosen]), "datetime", chosen


def _unpadded(fields: pd.DataFrame) -> list[str]:
    """``"-"`` (the strftime flag for no leading zero) for each column of numbers written without one.

    A column with a one-digit cell is unpadded and one with ``01`` to ``09`` padded; a column whose
    numbers are all 10 or more is written like the others (unpadded if one of them is).
    """
    known: list[bool | None] = []
    for _, cells in fields.items():
        cells = cells.dropna()
        known.append(
            True if (cells.str.len() == 1).any() else False if cells.str.match(r"0\d").any() else None
        )
    others = any(state is True for state in known)
    return ["-" if (others if state is None else state) else "" for state in known]


def _plausibility(stamps: pd.Series) -> tuple | None:
    """How regular a reading is, higher better: (no duplicates, a frequency, in file order, -distinct steps).
    The frequency and the steps are those of the distinct times: a long-format panel repeats its times."""
    if stamps.isna().any():
        return None
    index = pd.DatetimeIndex(stamps)
    ordered = index.unique().sort_values()
    steps = np.diff(ordered.asi8)
    regular = bool(
        len(ordered) >= 3 and (_has_freq(ordered) or months_apart(ordered) in (1, 3))
    )  # 10/01/2020, 10/04/2020 ... on the 10th of each quarter
    return (bool(index.is_unique), regular, bool(index.is_monotonic_increasing), -len(np.unique(steps)))


def _has_freq(index: pd.DatetimeIndex) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.infer_freq(index) is not None


def strict_times(text: pd.Series, fmt: str) -> pd.Series:
    """Cells read with ``fmt`` (NaT where they do not match); two-digit years 30-99 are 1930-1999 and 00-29
    2000-2029, as spreadsheets read them (Python's 69 would make ``Jan-60`` January 2060). Month names in
    other languages are read as :mod:`lstmkit.data.month_words` writes them in ``fmt``."""
    text, fmt = english_months(text, fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stamps = pd.to_datetime(
            text, format=fmt.replace("%-", "%").replace("%^", "%"), errors="coerce"
        )  # %m reads 1 and 01, %b JAN and Jan
    return _century(stamps) if "%y" in fmt else stamps


def _century(stamps: pd.Series) -> pd.Series:
    """Times read from two-digit years, those from 2030 on moved a century back."""
    late = (stamps.dt.year >= _CENTURY_PIVOT).to_numpy()
    if not late.any():
        return stamps
    stamps = stamps.copy()
    stamps[late] = stamps[late] - pd.DateOffset(years=100)
    return stamps


_CENTURY_PIVOT = 2030  # the first year a two-digit year is read a century earlier (Excel's rule)


def _year_code(year: str) -> str:
    return "%Y" if len(year) == 4 else "%y"


def _describe(fmt: str) -> str:
    return "day/month/year" if fmt.startswith(("%d", "%-d")) else "month/day/year"


def quarters(text: pd.Series) -> tuple[pd.Index, str, str] | None:
    """``1965-Q1``, ``1965 Q1``, ``Q1 1965``, ``Q1-65``, ``1Q2020`` ...: quarterly periods and their layout
    (``%Y-Q%q``), or None. Two-digit years 30-99 are 1930-1999, 00-29 2000-2029, as spreadsheets read them."""
    for pattern, layout in _QUARTERS:
        parts = text.str.extract("^" + pattern.pattern + "$")
        if not parts.notna().all().all() or parts["year"].str.len().nunique() != 1:
            continue
        first = parts.iloc[0]
        short = len(first["year"]) == 2
        fmt = layout.format(y="%y" if short else "%Y", sep=first["sep"], letter=first["letter"])
        years = parts["year"].astype(int)
        if short:
            years = years.where(years >= 30, years + 100) + 1900
        periods = pd.PeriodIndex(
            [pd.Period(year=int(y), quarter=int(q), freq="Q") for y, q in zip(years, parts["quarter"])]
        )
        return periods, "quarter", fmt
    return None


def general_parse(text: pd.Series, *, column: str, source: str, utc: bool = False) -> pd.Series:
    """Cells in any layout pandas reads (ISO dates and times above all); a cell it cannot read is named, and
    so are dates written in two layouts (``2020-01-31`` beside ``01/02/2020``: which is day, which month?)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stamps = pd.to_datetime(text, format="mixed", utc=utc)
    except (ValueError, TypeError, OverflowError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bad = pd.to_datetime(text, errors="coerce", format="mixed", utc=utc)
        row = int(np.flatnonzero(bad.isna().to_numpy())[0]) if bad.isna().any() else 0
        footer = row == len(text) - 1 > 1 and bool(_FOOTER.search(text.iloc[row]))  # a Total line, a note
        raise DataError(
            f"time column {column!r} of {source} has a value that is not a time, {text.iloc[row]!r} at row {row + 1}; "
            + (
                "that last row looks like a total or footer line: delete it from the file"
                if footer
                else "use dates such as 2020-01-31, months such as 1949-01 or quarters such as 1965-Q1, or pass --date-format"
            )
        ) from None
    if not re.search(r"\d{3}", text.iloc[0]):  # 01-Jan-60: a two-digit year, read as strict_times reads one
        stamps = _century(stamps)
    heads = text.str[:12]  # a date's layout shows in its first characters; the distinct ones are few
    distinct = pd.Series(heads.unique())
    dates = distinct.str.split(r" |T(?=\d)", n=1, regex=True).str[
        0
    ]  # the date part; a clock may come and go (T of Thu is none)
    shapes = dates.str.replace(r"\d+", "9", regex=True).str.replace(r"[A-Za-z]+", "a", regex=True)
    if shapes.nunique() > 1:
        first = shapes[distinct == heads.iloc[0]].iloc[0]
        other = int(np.flatnonzero(heads.isin(distinct[shapes != first]).to_numpy())[0])
        raise DataError(
            f"time column {column!r} of {source} writes dates in two ways, {text.iloc[0]!r} at row 1 and "
            f"{text.iloc[other]!r} at row {other + 1}; write every date one way (e.g. 2020-01-31)"
        )
    return stamps


def clock_format(cell: str) -> str:
    """The strftime layout of a date-and-clock cell such as ``2020-01-01 00:30``, ``2020-01-01T00:30:00`` or
    ``2020-01-01 00:00:00.000`` (zero milliseconds, written as they came)."""
    sep = "T" if re.search(r"\dT\d", cell) else " "  # not the T of a zone: 2020-01-01 00:30:00 UTC
    seconds = re.search(r"\d:\d{2}:\d{2}(\.0{1,6}(?!\d))?", cell)
    zone = re.search(r" (UTC|GMT)$", cell)  # as R prints a POSIXct with its zone
    clock = "" if seconds is None else ":%S" + (seconds.group(1) or "")
    return f"%Y-%m-%d{sep}%H:%M" + clock + (zone.group(0) if zone else "")


_LAYOUTS = (  # other month layouts: (cells, strftime format to read them, format to write them)
    (re.compile(r"\d{4}M\d{2}"), "%YM%m", "%YM%m"),  # 2020M01 (Eurostat, IMF)
    (re.compile(r"\d{1,2}-\d{4}"), "%m-%Y", "%m-%Y"),  # 01-2020
    (re.compile(r"\d{1,2}/\d{4}"), "%m/%Y", "%m/%Y"),  # 01/2020
    (re.compile(r"\d{1,2}\.\d{4}"), "%m.%Y", "%m.%Y"),  # 01.2020
    (re.compile(r"\d{4}\.\d{2}"), "%Y.%m", "%Y.%m"),  # 2020.01 (two digits: 2020.10 is October, never 2020.1)
)


def other_layouts(text: pd.Series) -> tuple[pd.Index, str, str] | None:
    """Months as ``2020M01``, ``01-2020``, ``01/2020``, ``01.2020``, ``2020.01``, or None (weeks:
    :func:`lstmkit.data.periods.iso_weeks`). Decimal years are no months: R writes January ``2020.000``."""
    for pattern, read, write in _LAYOUTS:
        if text.str.fullmatch(pattern).all() and (stamps := strict_times(text, read)).notna().all():
            if write.startswith("%m") and text.str.match(r"\d\D").any():
                write = "%-m" + write[2:]  # 1.2020, 1/2020: written back unpadded
            return pd.PeriodIndex(pd.DatetimeIndex(stamps), freq="M"), "month", write
    return None


def day_month_names(text: pd.Series) -> tuple[pd.Index, str, str] | None:
    """Dates with the month's name: day first, ``01-Jan-2020``, ``1-Jan-20``, ``01 Jan 2020``, ``01JAN2020`` (as
    Excel and SAS write them), or month first, ``Jan-1-1995``, ``Jan 1, 2020``, ``Fri, Jan 31, 2020``,
    ``Friday, January 31, 2020`` (US spreadsheets); with an optional clock of 24 or 12 hours
    (``01-Jan-2020 1:00 PM``): the times and their layout (``%d-%b-%Y``, ``%b %-d, %Y``,
    ``%d-%b-%Y %-I:%M %p``), or None."""
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        if pattern.fullmatch(text.iloc[0]) is not None and text.str.fullmatch(pattern).all():
            return _named_month_dates(text, pattern)
    return None


def _named_month_dates(text: pd.Series, pattern: re.Pattern) -> tuple[pd.Index, str, str] | None:
    """:func:`day_month_names` for cells that all match ``pattern`` (``_DAY_MONTH`` or ``_MONTH_DAY``)."""
    fields = text.str.extract(pattern)
    first = _first_cell(fields)
    short = _unpadded(fields[["day", "hour"]])  # Excel writes 1-Jan-20
    upper, sep, clock = "^" if first["month"].isupper() else "", first["sep"], _clock_layout(first, short[1])
    for name in ("b", "B"):
        day, month = f"%{short[0]}d", f"%{upper}{name}"
        date = f"{day}{sep}{month}{sep}" if pattern is _DAY_MONTH else f"{month}{sep}{day}{first['year_sep']}"
        if first.get("weekday"):  # Fri, Jan 31, 2020 or Friday, January 31, 2020
            date = ("%A, " if len(first["weekday"]) > 3 else "%a, ") + date
        fmt = date + _year_code(first["year"]) + clock
        if (stamps := strict_times(text, fmt)).notna().all():
            return pd.DatetimeIndex(stamps), "datetime", fmt
    return None


def year_first_dates(text: pd.Series) -> tuple[pd.Index, str, str] | None:
    """``2020/01/31``, ``2020.01.31``, ``2020-1-31``, ``20200131 13:00``, ``2020-01-31 1:00 PM`` (year, month and
    day, with an optional clock of 24 or 12 hours): the times and their layout (``%Y/%m/%d``, ``%Y%m%d %H:%M``,
    ``%Y-%m-%d %-I:%M %p``), so that future times are written the same way; or None."""
    if _YEAR_FIRST_DATE.fullmatch(text.iloc[0]) is None or not text.str.fullmatch(_YEAR_FIRST_DATE).all():
        return None
    fields = text.str.extract(_YEAR_FIRST_DATE)
    first = _first_cell(fields)
    short = _unpadded(fields[["month", "day", "hour"]])
    sep = first["sep"] or ""
    fmt = f"%Y{sep}%{short[0]}m{sep}%{short[1]}d" + _clock_layout(first, short[2])
    stamps = strict_times(text, fmt)
    return (pd.DatetimeIndex(stamps), "datetime", fmt) if stamps.notna().all() else None


def _first_cell(fields: pd.DataFrame) -> pd.Series:
    """The first row of a pattern's named groups, None for a group that did not take part."""
    row = fields.iloc[0]
    return row.where(row.notna(), None)


def _clock_layout(first: pd.Series, hour_flag: str) -> str:
    """The strftime layout of a cell's clock (``_CLOCK``'s groups): ``""`` without one, `` %H:%M``,
    ``T%H:%M:%S``, `` %H:%M:%S.000``, `` %-I:%M %p`` (``hour_flag`` ``"-"``: the hour written without a
    leading zero)."""
    if first["clock"] is None:
        return ""
    hour = "H" if first["noon"] is None else "I"  # a 12-hour clock with AM and PM
    layout = f"{first['clock']}%{hour_flag}{hour}:%M" + (":%S" if first["seconds"] else "")
    layout += first["fraction"] or ""  # 00:00:00.000 (SQL exports): zero milliseconds, written as they came
    return layout + ("" if first["noon"] is None else f"{first['noon_sep'] or ''}%p")
