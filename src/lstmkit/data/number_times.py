"""Times written as numbers: Unix times (``1577836800``), Excel serial days (``43831``, and with a time of day
``43831.5``), R's decimal years
(``1949.083333``; days and weeks of R's 365.25-day years, ``1991.1``, ``1991.119165``), compact dates
(``202001``, ``20200131``) and quarters (``20101``).

Each reader takes the cells as numbers and returns ``(times, kind, fmt)`` or None when they are not in its
form; ``fmt`` is then the name of the number format (``unix-s``, ``excel-serial``, ``excel-serial:5``,
``decimal-year``, ``decimal-date``) or the strftime format (``%Y%m``, ``%Y%q``) that :func:`number_label` and
``time_format.format_time`` write future times in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstmkit.errors import DataError

# Unix times: seconds or milliseconds since 1970-01-01 UTC, between 2000 and 2100, on whole minutes
EPOCH_FORMATS = {"unix-s": 1, "unix-ms": 1000}  # the time format's name -> units per second
_EPOCH_SPAN = (946_684_800, 4_102_444_800)  # 2000-01-01 and 2100-01-01 in seconds


def epoch_times(values: np.ndarray) -> tuple[pd.Index, str, str] | None:
    """Whole numbers that are Unix times (``1577836800``, or ``1577836800000`` in milliseconds) of 2000-2099
    on whole minutes, as UTC times and their format (``unix-s``, ``unix-ms``), or None. A step counter or an
    id never lands there: the smallest such number is 946,684,800."""
    values = np.asarray(values, dtype=np.float64)
    # NaN, infinities and numbers past int64 fall outside
    in_span = (values >= _EPOCH_SPAN[0]) & (values < _EPOCH_SPAN[1] * EPOCH_FORMATS["unix-ms"])
    if len(values) < 2 or not in_span.all() or (values % 1 != 0).any():
        return None
    whole = values.astype(np.int64)  # no overflow within the span
    for fmt, per_second in EPOCH_FORMATS.items():
        low, high = (bound * per_second for bound in _EPOCH_SPAN)
        if ((whole >= low) & (whole < high)).all() and (whole % (60 * per_second) == 0).all():
            return (
                pd.DatetimeIndex(pd.to_datetime(whole, unit="s" if per_second == 1 else "ms")),
                "datetime",
                fmt,
            )
    return None


def unix_times(text: pd.Series, fmt: str, *, column: str, source: str) -> tuple[pd.Index, str, str]:
    """Cells read as Unix times in the unit of ``fmt`` (``unix-s`` or ``unix-ms``)."""
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    parsed = epoch_times(values) if not np.isnan(values).any() else None
    if parsed is None or parsed[2] != fmt:
        unit = "seconds" if fmt == "unix-s" else "milliseconds"
        raise DataError(
            f"time column {column!r} of {source} does not hold Unix times in {unit} (whole minutes of 2000-2099) "
            f"as --date-format {fmt} says; fix the column or pass the format the file uses"
        )
    return parsed


def compact_dates(values: np.ndarray) -> tuple[pd.Index, str, str] | None:
    """Whole numbers written as ``202001`` (months, ``%Y%m``) or ``20200131`` (dates, ``%Y%m%d``), or None."""
    if len(values) < 2 or not np.isfinite(values).all() or (values % 1 != 0).any():
        return None
    text = pd.Series(values.astype(np.int64).astype(str))
    for digits, fmt in ((6, "%Y%m"), (8, "%Y%m%d")):
        if (text.str.len() == digits).all() and text.str.match(r"[12]\d{3}").all():
            stamps = pd.to_datetime(text, format=fmt, errors="coerce")
            if stamps.notna().all():
                index = pd.DatetimeIndex(stamps)
                return (
                    (pd.PeriodIndex(index, freq="M"), "month", fmt)
                    if digits == 6
                    else (index, "datetime", fmt)
                )
    return None


# Quarters written as one number, the year then the quarter (20101 is 2010 Q1), as some statistics offices export
QUARTER_NUMBER = "%Y%q"  # their strftime format: Period.strftime writes 20121
_QUARTER_YEARS = (1800, 2199)  # years a quarter is plausibly dated in: 10001 (year 1000) is a counter


def quarter_numbers(values: np.ndarray) -> tuple[pd.Index, str, str] | None:
    """Whole numbers YYYYQ (``20101``, ``20102`` ... ``20104``, ``20111``) whose last digit is a quarter (1-4)
    and whose years are plausible (1800-2199), most of them one quarter after another (gaps allowed), as
    quarterly periods; or None. A step counter of five digits counts on to ``20105`` within five steps, and a
    counter by tens (``20101``, ``20111``) is a quarter a year apart, no quarterly sequence."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2 or not np.isfinite(values).all() or (values % 1 != 0).any():
        return None
    if not ((values >= _QUARTER_YEARS[0] * 10 + 1) & (values <= _QUARTER_YEARS[1] * 10 + 4)).all():
        return None  # five digits: not 202001 (months), 20200131 (dates) or Unix times
    years, quarter = np.divmod(values.astype(np.int64), 10)
    if not ((quarter >= 1) & (quarter <= 4)).all():
        return None
    ordinals = (years - 1970) * 4 + quarter - 1  # quarters since 1970
    steps = np.diff(np.unique(ordinals))
    if len(steps) == 0 or np.median(steps) != 1:
        return None
    periods = pd.PeriodIndex([pd.Period(ordinal=int(o), freq="Q") for o in ordinals])
    return periods, "quarter", QUARTER_NUMBER


# R's time(x) of a ts: decimal years, 1949, 1949.08333333333, ... (the Rdatasets files); weeks and days of a ts
# of frequency 52 or 365 count steps (1990 + 3/52 is step 3 of 1990), which land on no calendar date
DECIMAL_YEAR = "decimal-year"  # the time format's name, as the model folder keeps it
STEPS_A_YEAR = {"decimal-year/52": 52, "decimal-year/365": 365}  # step counts -> steps a year
_STEP_FREQ = {52: "W", 365: "D"}  # the frequency whose season they take (52 weeks, 7 days)


def decimal_years(values: np.ndarray) -> tuple[pd.Index, str, str] | None:
    """Numbers that are years plus twelfths or quarters (``1949.08333`` is February 1949, ``1960.25`` the
    second quarter), some with a fraction, as monthly or quarterly periods; years plus 52nds or 365ths (to
    the cells' rounding) as steps (an int64 Index of ``year * 52 + week``, kind ``index``, format
    ``decimal-year/52``); or None."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2 or not np.isfinite(values).all() or not (values % 1 != 0).any():
        return None
    if not ((values >= 1000) & (values < 3000)).all():
        return None
    years = np.floor(values + 1e-9)
    for per_year in (4, 12, 52, 365):
        steps = np.round((values - years) * per_year)
        within = 0.1 / per_year  # 1949.08 (rounded) too
        if per_year > 12:  # 52nds and 365ths to the cells' rounding: 365.25ths stray from them within months
            within = min(within, _rounding(values) / 2 + 1e-9)
        if np.abs(values - years - steps / per_year).max() < within:
            ordinal = (years - 1970) * per_year + steps  # periods since 1970
            gaps = np.diff(np.unique(ordinal))
            if len(gaps) == 0 or np.median(gaps) != 1:  # a few days in one quarter; 1990.5, 1991.5: mid-years
                return None
            if per_year > 12:
                counts = (years * per_year + steps).astype(np.int64)
                return pd.Index(counts, dtype="int64"), "index", f"{DECIMAL_YEAR}/{per_year}"
            freq, kind = ("Q", "quarter") if per_year == 4 else ("M", "month")
            periods = pd.PeriodIndex([pd.Period(ordinal=int(o), freq=freq) for o in ordinal])
            return periods, kind, DECIMAL_YEAR
    return None


def step_freq(fmt: str | None) -> str | None:
    """The frequency whose season R's weekly or daily decimal years take (``W``, ``D``), or None."""
    return _STEP_FREQ.get(STEPS_A_YEAR.get(fmt or "", 0))


# R's time(x) of a ts of frequency 365.25 (days) or 365.25 / 7 = 52.18 (weeks) counts years of 365.25 days, which
# stray from the calendar by up to 0.75 of a day over four years (1/8 of a day ahead of it on average): read as
# dates where they fall on a grid of whole days 1 or 7 apart within that (and the cells' rounding)
DECIMAL_DATE = "decimal-date"  # the time format's name, as the model folder keeps it: written to 6 decimals
# cells printed to fewer decimals (R prints time(x) to 3: 1991.119) are written to as many, and no fewer than 3
# (a thousandth of a year, 0.37 day, keeps days apart: the reader needs them so too)
ROUNDED_DATES = {f"{DECIMAL_DATE}:{decimals}": decimals for decimals in (3, 4, 5)}
_DRIFT = 0.8  # days: the most that 365.25-day years stray from the calendar (0.75), and a little
_AHEAD = 0.125  # days: how far 365.25-day years run ahead of the calendar, averaged over four years


def decimal_dates(values: np.ndarray) -> tuple[pd.Index, str, str] | None:
    """Decimal years 1 or 7 days apart (``1991.1``, ``1991.119165``: R's weekly ts of frequency 52.18), as
    dates, or None.

    A cell's place is ``(t - 1970) * 365.25`` days after 1 January 1970; the places must fall on one grid a
    constant step (1 or 7 days, gaps allowed) apart, within the 0.75 day that dates written as a fraction of
    their year's days (lubridate's ``decimal_date``) stray from it and the cells' rounding. The grid's days
    are its places less the eighth of a day those years run ahead of the calendar, rounded: so a cell's day is
    its fraction times its year's days, rounded, where that is clear (``2015 + i / 365.25`` starts on
    1 January 2015), and the same whichever stretch of the series a file holds (``1991.1``, 36.5 days into
    1991, is 7 February).
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2 or not np.isfinite(values).all() or not (values % 1 != 0).any():
        return None
    if not ((values >= 1000) & (values < 3000)).all():
        return None
    times = np.unique(values)
    if len(times) < 2:
        return None
    places = (times - 1970) * 365.25  # (N,) days since 1970 on R's 365.25-day years
    gaps = np.diff(places)
    rounding = _rounding(times)
    slack = _DRIFT + 366 * rounding  # 1991.119 (three decimals) is a third of a day off
    for step in (1, 7):
        counts = np.round(gaps / step)
        if counts.min() < 1 or np.median(counts) != 1 or np.abs(gaps - counts * step).max() > 0.5:
            continue
        grid = step * np.concatenate([[0], np.cumsum(counts)])
        off = places - grid  # the first place, once for each cell: one value for a ts, give or take the drift
        if off.max() - off.min() > slack:
            return None
        first = np.floor((off.max() + off.min()) / 2 - _AHEAD + 0.5)
        stamps = pd.to_datetime(first + grid, unit="D")
        index = pd.DatetimeIndex(stamps[np.searchsorted(times, values)])
        decimals = round(-np.log10(rounding)) if rounding else 6  # 0: past 8 decimals
        return index, "datetime", f"{DECIMAL_DATE}:{max(decimals, 3)}" if decimals < 6 else DECIMAL_DATE
    return None


def _rounding(values: np.ndarray) -> float:
    """The step of the last decimal the cells are written to (0.001 for ``1991.119``), 0 past 8 decimals."""
    for decimals in range(9):
        if np.abs(values - np.round(values, decimals)).max() < 1e-9:
            return 10.0**-decimals
    return 0.0


def _decimal_date(stamp: pd.Timestamp, decimals: int | None = None) -> str:
    """``1991.10137`` for 7 February 1991: the year plus the days since 1 January over the year's days, to 6
    decimals (trailing zeros dropped) or to ``decimals`` (``1991.101``)."""
    days = 366 if stamp.is_leap_year else 365
    year = stamp.year + (stamp.dayofyear - 1) / days
    return f"{year:.{decimals}f}" if decimals else _decimal(year)


def off_calendar(values: np.ndarray) -> str | None:
    """How many steps a year evenly spaced decimal years take (``"26"``) when neither :func:`decimal_years` nor
    :func:`decimal_dates` reads them (R's ``time(x)`` of a ts of that frequency: no calendar dates), else None."""
    values = np.unique(np.asarray(values, dtype=np.float64))
    if len(values) < 3 or not np.isfinite(values).all() or values[0] < 1000 or values[-1] >= 3000:
        return None
    if not (values % 1 != 0).any() or decimal_years(values) is not None or decimal_dates(values) is not None:
        return None
    span, step = values[-1] - values[0], float(np.median(np.diff(values)))
    count = np.diff(values) / step
    if not 0 < step < 1 or np.abs(count - np.round(count)).max() >= 0.01:
        return None
    return f"{round(span / step) / span:.2f}".rstrip("0").rstrip(".")


def fractional_times(values: np.ndarray, *, column: str, source: str) -> tuple[pd.Index, str, str | None]:
    """Times written as fractions: R's decimal years of months and quarters (:func:`decimal_years`) or of
    days and weeks (:func:`decimal_dates`), and in a column named like a date Excel's day numbers with a time
    of day (:func:`excel_serials`).

    Raises:
        DataError: other fractions (Unix times with decimals too), too ambiguous to guess.
    """
    if (periods := decimal_years(values)) is not None:
        return periods  # 1949.083333: R's months, 1990.057692: step 3 of a weekly ts
    if (days := decimal_dates(values)) is not None:
        return days  # 1991.1, 1991.119165: R's weeks of a ts of frequency 52.18 (365.25-day years)
    if column.strip().lower() in DATE_NAMES and (serials := excel_serials(values)) is not None:
        return serials  # 43831.5: Excel's day numbers with a time of day
    raise not_times(values, column=column, source=source)


def not_times(values: np.ndarray, *, column: str, source: str) -> DataError:
    """The error for fractions in a time column that :func:`decimal_years` and :func:`decimal_dates` do not
    read."""
    if (per_year := off_calendar(values)) is not None:
        return DataError(
            f"time column {column!r} of {source} holds decimal years about {per_year} steps a year apart (R's "
            "time(x) of a ts of that frequency), which fall on no calendar; lstmkit reads 4, 12, 52 or 365 steps "
            "a year, or days and weeks (frequency 365.25 or 52.18) that land on whole days: write the times as "
            "dates (e.g. 2020-01-31) or delete the column"
        )
    return DataError(
        f"time column {column!r} of {source} holds numbers that are not years; use dates such as 2020-01-31"
    )


def _decimal_year(period: pd.Period) -> str:
    """``1949.083333`` for February 1949, ``1960.25`` for 1960 Q2, ``1961`` for January or Q1 1961."""
    per_year = 4 if period.freqstr.startswith("Q") else 12
    within = (period.quarter if per_year == 4 else period.month) - 1
    return _decimal(period.year + within / per_year)


def _decimal(year: float) -> str:
    return f"{year:.6f}".rstrip("0").rstrip(".")


# Excel's serial day numbers (43831 is 2020-01-01), as a sheet saved without date formatting writes dates; a time
# of day is the fraction of the day (43831.5 is noon), written to as many decimals as the sheet shows
EXCEL_SERIAL = "excel-serial"  # the time format's name, as the model folder keeps it
# times of day: written to the cells' decimals (up to Excel's 15 digits: 10 after a five-digit day), zeros dropped
SERIAL_TIMES = {f"{EXCEL_SERIAL}:{decimals}": decimals for decimals in range(1, 11)}
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # day 0 of Excel's 1900 date system (past its 1900 leap-year bug)
_EXCEL_SPAN = (18_264, 80_355)  # 1950-01-01 to 2119-12-31: a five-digit day count, not a year or a counter
DATE_NAMES = frozenset(("date", "day", "datetime", "timestamp", "ds", "dt"))  # columns that may hold them
# the clocks a time of day is read on, coarsest first: the first that every cell lies on, to its decimals
_CLOCK_STEPS = tuple(pd.Timedelta(step) for step in ("1h", "30min", "15min", "10min", "5min", "1min", "1s"))


def excel_serials(values: np.ndarray) -> tuple[pd.Index, str, str] | None:
    """Numbers that are Excel day numbers of 1950-2119, as dates (whole numbers) or times (with a fraction of the
    day: ``43831.5`` is 2020-01-01 12:00, ``43831.04167`` 01:00), or None. Call it only for a column named like
    a date (``DATE_NAMES``): a step counter can hold the same numbers.

    A fraction is read on the coarsest clock (whole hours, half hours ... seconds) every cell lies on, to the
    decimals the cells are written to: ``43831.04167`` (five decimals, 0.9 s) is 01:00, not 01:00:00.288."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2 or not np.isfinite(values).all():
        return None
    if not ((values >= _EXCEL_SPAN[0]) & (values <= _EXCEL_SPAN[1])).all():
        return None
    if not (values % 1 != 0).any():
        return pd.DatetimeIndex(_EXCEL_EPOCH + pd.to_timedelta(values, unit="D")), "datetime", EXCEL_SERIAL
    rounding = _rounding(values)  # 0: written to Excel's full precision (43831.0416666667)
    # days: half the cells' last decimal, and a tenth of a second for the binary fraction
    slack = rounding / 2 + 1e-6
    for step in _CLOCK_STEPS:
        per_day = pd.Timedelta(days=1) / step
        counts = np.round(values * per_day)
        if np.abs(values - counts / per_day).max() <= slack:
            stamps = _EXCEL_EPOCH + pd.to_timedelta(counts.astype(np.int64) * step.value, unit="ns")
            decimals = round(-np.log10(rounding)) if rounding else max(SERIAL_TIMES.values())
            return pd.DatetimeIndex(stamps), "datetime", f"{EXCEL_SERIAL}:{decimals}"
    return None


def _serial(stamp: pd.Timestamp, decimals: int) -> str:
    """``43831.5`` for 2020-01-01 12:00: Excel's day number with the time as its fraction, to ``decimals``
    (trailing zeros dropped, as Excel and the cells write them)."""
    days = (pd.Timestamp(stamp) - _EXCEL_EPOCH) / pd.Timedelta(days=1)
    return f"{days:.{decimals}f}".rstrip("0").rstrip(".")


# named formats that are not strftime codes
NUMBER_FORMATS = (
    *EPOCH_FORMATS,
    DECIMAL_YEAR,
    *STEPS_A_YEAR,
    DECIMAL_DATE,
    *ROUNDED_DATES,
    EXCEL_SERIAL,
    *SERIAL_TIMES,
)


def read_numbers(text: pd.Series, fmt: str, *, column: str, source: str) -> tuple[pd.Index, str, str]:
    """Cells read in the number format ``fmt`` (one of ``NUMBER_FORMATS``, as ``--date-format`` or a model
    folder names it).

    Raises:
        DataError: cells that are not times in that format.
    """
    if fmt in EPOCH_FORMATS:
        return unix_times(text, fmt, column=column, source=source)
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    dates = (DECIMAL_DATE, *ROUNDED_DATES)  # one format to read: the cells' decimals say how to write them
    serials = (EXCEL_SERIAL, *SERIAL_TIMES)  # days, or times of day to the cells' decimals
    reader = decimal_dates if fmt in dates else excel_serials if fmt in serials else decimal_years
    parsed = reader(values)
    if parsed is None or (
        parsed[2] != fmt and not any(fmt in f and parsed[2] in f for f in (dates, serials))
    ):
        raise DataError(
            f"time column {column!r} of {source} does not hold {fmt} times as --date-format {fmt} says; "
            "fix the column or pass the format the file uses"
        )
    return parsed


def number_label(value, fmt: str) -> str:
    """One time written in the number format ``fmt`` (one of ``NUMBER_FORMATS``)."""
    if fmt in EPOCH_FORMATS:
        return str((pd.Timestamp(value) - pd.Timestamp(0)) // pd.Timedelta(seconds=1) * EPOCH_FORMATS[fmt])
    if fmt == DECIMAL_YEAR:
        return _decimal_year(value)
    if fmt in STEPS_A_YEAR:
        return _decimal(int(value) / STEPS_A_YEAR[fmt])
    if fmt == DECIMAL_DATE or fmt in ROUNDED_DATES:
        return _decimal_date(pd.Timestamp(value), ROUNDED_DATES.get(fmt))
    if fmt in SERIAL_TIMES:
        return _serial(value, SERIAL_TIMES[fmt])
    return str((pd.Timestamp(value) - _EXCEL_EPOCH).days)
