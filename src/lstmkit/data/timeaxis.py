"""The time axis of a series: parsing time columns, ordering rows, refusing duplicates, inferring
the frequency, filling missing steps and labelling future times in the input's style (the season the
frequency implies: :mod:`lstmkit.data.seasons`).

Months such as ``1949-01`` or ``Jan 1949`` and quarters such as ``1965-Q1`` become periods and
are written back the same way; integer years (and fiscal years, ``FY2020``) and integer step
counters (t = 0, 1, 2, ...; R's decimal years of a ts of frequency 52 or 365 count steps too) stay
integers; other times are timestamps with an inferred pandas frequency (R's decimal years of frequency
52.18 or 365.25 among them), written back in the cells' own format (:mod:`lstmkit.data.dates`,
:mod:`lstmkit.data.periods`, :mod:`lstmkit.data.number_times`). Missing steps become NaN rows
(filled later, with a warning; the hours local clocks repeat or skip for daylight saving:
:mod:`lstmkit.data.clock_changes`).
"""

from __future__ import annotations

import logging
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from lstmkit.data.clock_changes import skipped_hours
from lstmkit.data.dates import (
    CLOCK_WRITTEN,
    clock_format,
    day_month_names,
    general_parse,
    month_names,
    numeric_dates,
    other_layouts,
    parse_with_format,
    quarters,
    year_first_dates,
)
from lstmkit.data.month_words import localized_months
from lstmkit.data.number_times import (
    DATE_NAMES,
    DECIMAL_YEAR,
    compact_dates,
    epoch_times,
    excel_serials,
    fractional_times,
    number_label,
    quarter_numbers,
    step_freq,
)
from lstmkit.data.periods import (
    fiscal_years,
    half_years,
    iso_weeks,
    month_freq,
    on_one_day,
    week_numbers,
    year_label,
)
from lstmkit.data.time_format import format_time
from lstmkit.data.zones import (
    cell_offsets,
    format_zone,
    named_zone,
    offset_layout,
    offset_text,
    offset_times,
)
from lstmkit.errors import DataError

log = logging.getLogger("lstmkit.data.tabular")

_MONTH = re.compile(r"^\s*\d{4}[-/]\d{1,2}\s*$")


def parse_times(
    column_values: pd.Series,
    *,
    column: str = "time",
    source: str = "data",
    date_format: str | None = None,
    zone: str | None = None,
) -> tuple[pd.Index, str, str | None]:
    """Parse a time column; returns ``(times, kind, fmt)``.

    ``kind`` is ``"year"`` (four-digit integers, an int64 Index of years), ``"index"`` (other
    integers: a step counter such as t = 0, 1, 2, ...), ``"quarter"`` (``1965-Q1``, a
    PeriodIndex), ``"month"`` (``1949-01``, ``Jan 1949``, ``1949 Jan``: a PeriodIndex) or
    ``"datetime"`` (a DatetimeIndex). ``fmt`` is the strftime format the cells are written in
    when known (future times are labelled in it), else None.

    Args:
        date_format: the strftime format of the cells (``--date-format``); default detected.
        zone: the time zone a model was trained in (or ``date_format`` names): times with UTC offsets it shows
            are read in it (:mod:`lstmkit.data.zones`).

    Raises:
        DataError: empty cells or values that are not times.
    """
    if pd.api.types.is_datetime64_any_dtype(
        column_values
    ):  # already typed (Parquet, large CSVs): no strings to read
        return _typed_times(column_values, column=column, source=source)
    if pd.api.types.is_numeric_dtype(column_values) and not pd.api.types.is_bool_dtype(column_values):
        return _integer_times(column_values.to_numpy(dtype=np.float64), column=column, source=source)
    text = column_values.astype(str).str.strip()
    if (text == "").any() or text.str.lower().isin(["nan", "nat"]).any():
        row = int(np.flatnonzero(((text == "") | text.str.lower().isin(["nan", "nat"])).to_numpy())[0])
        raise DataError(
            f"time column {column!r} of {source} is empty at row {row + 1}; every row needs a time"
        )
    if date_format is not None:
        layout = offset_layout(date_format)  # 13/02/2020 00:00Z: %d/%m/%Y %H:%M, with or without the Z
        zone = zone or format_zone(date_format)
        if layout is not None and (offsets := cell_offsets(text)) is not None:
            return offset_times(text, offsets, column=column, source=source, layout=layout, zone=zone)
        return parse_with_format(text, date_format, column=column, source=source)
    if text.str.fullmatch(r"-?\d+(\.0+)?").all():
        return _integer_times(text.astype(float).to_numpy(), column=column, source=source)
    if (periods := quarters(text)) is not None:
        return periods
    if text.str.match(_MONTH).all():
        try:
            stamps = pd.to_datetime(text.str.replace("/", "-"), format="%Y-%m")
            return pd.PeriodIndex(stamps, freq="M"), "month", "%Y/%m" if text.iloc[0].count("/") else "%Y-%m"
        except (ValueError, TypeError):
            pass
    if (years := fiscal_years(text)) is not None:
        return years
    for reader in (
        month_names,
        localized_months,
        other_layouts,
        half_years,
        lambda cells: iso_weeks(cells, column=column, source=source),
        lambda cells: numeric_dates(cells, column=column, source=source),
        day_month_names,
        year_first_dates,
    ):
        if (parsed := reader(text)) is not None:
            return on_one_day(*parsed)
    numeric = pd.to_numeric(text, errors="coerce")
    if numeric.notna().all():  # R's decimal years, or an error
        return fractional_times(numeric.to_numpy(), column=column, source=source)
    if (offsets := cell_offsets(text)) is not None:
        return offset_times(text, offsets, column=column, source=source, zone=zone)
    stamps = general_parse(text, column=column, source=source)
    index = pd.DatetimeIndex(stamps)
    if (index != index.normalize()).any():  # times of day
        return on_one_day(index, "datetime", clock_format(text.iloc[0]))
    times, kind, fmt = on_one_day(index, "datetime", "%Y-%m-%d")
    if kind == "datetime" and text.str.contains(CLOCK_WRITTEN).all():  # SQL Server's 2020-01-31 00:00:00.000
        fmt = clock_format(text.iloc[0])
    return times, kind, fmt


def _integer_times(values: np.ndarray, *, column: str, source: str) -> tuple[pd.Index, str, str | None]:
    """Whole numbers: four-digit years (1000-2999), quarters, months or dates written as ``20101``, ``202001``
    or ``20200131``, Unix times (seconds or milliseconds, 2000-2099, whole minutes), or a step counter."""
    missing = np.isnan(values)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise DataError(
            f"time column {column!r} of {source} is empty at row {row + 1}; every row needs a time"
        )
    if (values % 1 != 0).any():  # R's decimal years, or an error
        return fractional_times(values, column=column, source=source)
    if (periods := quarter_numbers(values)) is not None:  # 20101: 2010 Q1
        return periods
    if (weeks := week_numbers(values, column=column, source=source)) is not None:  # 201902 in a 'week' column
        return weeks
    if (dates := compact_dates(values)) is not None:  # 202001, 20200131
        return on_one_day(*dates)
    if (stamps := epoch_times(values)) is not None:  # 1577836800: hourly data keep their daily season
        return stamps
    if column.strip().lower() in DATE_NAMES and (days := excel_serials(values)) is not None:  # 43831
        return days
    numbers = pd.Index(values.astype(np.int64), dtype="int64")
    return numbers, "year" if ((numbers >= 1000) & (numbers <= 2999)).all() else "index", None


def _typed_times(values: pd.Series, *, column: str, source: str) -> tuple[pd.Index, str, str | None]:
    missing = values.isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise DataError(
            f"time column {column!r} of {source} is empty at row {row + 1}; every row needs a time"
        )
    index, offset = _local_times(pd.DatetimeIndex(values))
    clock = bool((index != index.normalize()).any())  # any time of day other than midnight
    seconds = bool((index.second != 0).any())  # the cells' text is gone: whole minutes are written as 13:05
    return on_one_day(
        index, "datetime", ("%Y-%m-%d %H:%M" + (":%S" if seconds else "") + offset) if clock else "%Y-%m-%d"
    )


def _local_times(index: pd.DatetimeIndex) -> tuple[pd.DatetimeIndex, str]:
    """Times of a time zone as clock times and the UTC offset to write them with: local dates for days (their
    local midnights), the local clock under one offset, else (daylight saving) the UTC instants, written on the
    zone's clock where the database knows it (``+00:00[Europe/Berlin]``: :mod:`lstmkit.data.zones`); naive times
    as they are."""
    if index.tz is None:
        return index, ""
    local = index.tz_localize(None)
    offsets = pd.Index(local - index.tz_convert(None)).unique()
    if (local == local.normalize()).all():
        return local, ""
    if len(offsets) == 1:
        return local, offset_text(int(offsets[0] / pd.Timedelta(minutes=1)))
    zone = str(index.tz)  # Europe/Berlin, of zoneinfo and pytz zones alike
    return index.tz_convert(None), "+00:00" + (f"[{zone}]" if named_zone(zone) is not None else "")


def time_order(t: pd.Index, kind: str) -> np.ndarray | None:
    """The stable permutation that sorts ``t`` by time, or None when it is sorted already."""
    order = _as_ordinal(t, kind)
    if len(order) < 2 or (np.diff(order) >= 0).all():
        return None
    return np.argsort(order, kind="stable")


def regularise(t, y, x, *, rows, kind, where, source, column, fmt=None, business=True):
    """Refuse duplicate times, infer the frequency, and insert missing time steps as NaN (``t`` is sorted);
    returns ``(t, y, x, freq, skipped)``, ``skipped`` the mask of the steps inserted for an hour local clocks
    skipped (:func:`lstmkit.data.clock_changes.skipped_hours`), or None.

    Daily times over two weeks or more with no weekend day are business days (:func:`weekdays_only`),
    unless ``business`` is False (another series of the file has weekend days): then days whose
    weekends are gaps.
    """
    order = _as_ordinal(t, kind)
    diffs = np.diff(order)
    if (diffs == 0).any():
        i = int(np.flatnonzero(diffs == 0)[0])
        first, second = sorted((int(rows[i]) + 1, int(rows[i + 1]) + 1))
        fix = "keep one row per time step" + (
            "" if where else ", or pass --id-col if the file holds several series"
        )
        raise DataError(
            f"time {time_label(t[i], kind, fmt)} appears twice (rows {first} and {second}) in {column!r}{where} of {source}; {fix}"
        )
    if kind in ("year", "index"):
        step = int(np.min(diffs)) if len(diffs) else 1
        freq = (f"{step}Y" if step > 1 else "Y") if kind == "year" else step_freq(fmt)  # R's weeks: W
        full = np.arange(order[0], order[-1] + 1, step)
        return _reindex(
            t, y, x, order, full, lambda o: pd.Index(o, dtype="int64"), freq, where, source, column, step
        )
    if kind in ("month", "quarter"):
        full = np.arange(order[0], order[-1] + 1)
        freq = "M" if kind == "month" else "Q"
        return _reindex(
            t,
            y,
            x,
            order,
            full,
            lambda o: pd.period_range(t[0], periods=len(o), freq=t.freq),  # Q-NOV: quarters ending in Feb
            freq,
            where,
            source,
            column,
            1,
        )
    if len(t) < 3:
        return t, y, x, None, None
    even = len(diffs) > 1000 and (diffs == diffs[0]).all()
    freq = _infer_freq(t[:1000] if even else t)  # evenly spaced: the first steps tell the frequency
    if freq == "B" and not business:  # another series of the file has weekends: days, with weekend gaps
        freq = None
    if freq is None:  # a gap: months, quarters and years by their months, other times by their commonest step
        step = pd.Series(np.diff(t.values)).mode().iloc[0]  # a Timedelta, whatever the index's unit
        freq = month_freq(t) or _infer_freq(
            pd.DatetimeIndex([t[0] + k * pd.Timedelta(step) for k in range(4)])
        )
        if freq is None:
            raise DataError(
                f"cannot infer a regular frequency from {column!r}{where} of {source}; the time steps must be evenly spaced"
            )
        if freq == "D" and business and weekdays_only(t):  # trading or working days: holidays are gaps
            freq = "B"
        full_index = pd.date_range(t[0], t[-1], freq=freq)
        if not t.isin(full_index).all():
            raise DataError(
                f"times in {column!r}{where} of {source} are irregular (their most common step, {freq}, does not fit "
                f"every time, e.g. {_off_grid(t, full_index)}); resample the data to a regular frequency"
            )
        return _reindex(t, y, x, None, full_index, None, freq, where, source, column, 1, fmt=fmt)
    return t, y, x, freq, None


def _off_grid(t: pd.DatetimeIndex, grid: pd.DatetimeIndex) -> str:
    """The first time of ``t`` that is not on ``grid``, as the error names it."""
    return str(t[~t.isin(grid)][0])


def weekend_free(t) -> bool:
    """Whether no time falls on a Saturday or Sunday (True for an axis that is not made of dates)."""
    return not isinstance(t, pd.DatetimeIndex) or bool((t.dayofweek < 5).all())


def weekdays_only(t: pd.DatetimeIndex) -> bool:
    """Whether times span at least two weeks with none on a Saturday or Sunday: business days where they
    are daily (with holidays, pandas does not infer them as such)."""
    return bool(len(t) and t.max() - t.min() >= pd.Timedelta(days=14) and weekend_free(t))


def _infer_freq(index: pd.DatetimeIndex) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        freq = pd.infer_freq(index)
    return getattr(freq, "freqstr", freq)


def _reindex(t, y, x, order, full, make, freq, where, source, column, step, *, fmt=None):
    """``t, y, x`` on the complete axis (missing steps NaN), ``freq`` and the mask of the steps inserted for an
    hour local clocks skipped (or None); ``full`` is the complete DatetimeIndex, or ordinals that ``make``
    turns into one, ``step`` apart."""
    if order is None:
        new_index = full
        position = full.get_indexer(t)
    else:
        if ((order - order[0]) % step).any():
            serials = excel_serials(order) is not None  # Excel day numbers in a column not named like a date
            raise DataError(
                f"times in {column!r}{where} of {source} are irregular; "
                + ("if they are Excel day numbers, pass --date-format excel-serial; else " if serials else "")
                + "resample the data to a regular frequency"
            )
        position = ((order - order[0]) // step).astype(int)
        new_index = make(full) if make is not None else full
    n = len(new_index)
    if n == len(t):
        return t, y, x, freq, None
    if n > 2 * len(t):
        raise DataError(
            f"times in {column!r}{where} of {source} are irregular (more gaps than data); resample the data to a regular frequency"
        )
    skipped = None
    if order is None:  # times of day: an hour local clocks skipped is no gap of the data
        inserted = np.ones(n, dtype=bool)
        inserted[position] = False
        skipped = skipped_hours(new_index, inserted, where=where, source=source, column=column, fmt=fmt)
    if gaps := n - len(t) - (0 if skipped is None else int(skipped.sum())):
        log.warning("%d missing time step(s) in %s%s; they are treated as gaps", gaps, source, where)
    y_full = np.full(n, np.nan)
    y_full[position] = y
    x_full = np.full((n, x.shape[1]), np.nan)
    x_full[position] = x
    return new_index, y_full, x_full, freq, skipped


def _as_ordinal(t, kind) -> np.ndarray:
    if kind in ("year", "index"):
        return np.asarray(t, dtype=np.int64)
    return np.asarray(t.asi8, dtype=np.int64)


def time_label(value, kind: str | None, fmt: str | None) -> str:
    """One time as the user writes it (``2020-01-05``, ``Jan 2016``, ``1965-Q1``, ``7``)."""
    if kind == "year" and fmt:
        return year_label(int(value), fmt)  # FY2020
    if kind == "index" and fmt:
        return number_label(value, fmt)  # 1990.057692: a step of R's weekly ts
    if kind in ("year", "index"):
        return str(int(value))
    if kind == "quarter" and fmt != DECIMAL_YEAR:
        return value.strftime(fmt or "%Y-Q%q")
    if fmt and hasattr(value, "strftime"):
        return format_time(value, fmt)
    return str(value)


# ----------------------------------------------------------------------------- future times


def future_labels(
    last, horizon: int, *, kind: str, freq: str | None, fmt: str | None, step: int = 1
) -> list[Any]:
    """The ``horizon`` time labels after ``last`` in the style of the input column (``step``: of an integer index)."""
    if kind == "year":
        step = int(freq[:-1]) if freq and freq[:-1].isdigit() else 1
        years = [int(last) + step * k for k in range(1, horizon + 1)]
        return [year_label(y, fmt) for y in years] if fmt else years  # FY2021
    if kind == "index":
        steps = [int(last) + step * k for k in range(1, horizon + 1)]
        return [number_label(s, fmt) for s in steps] if fmt else steps  # R's weekly decimal years
    if kind == "quarter":
        quarter = (
            (lambda p: format_time(p, fmt))
            if fmt == DECIMAL_YEAR
            else (lambda p: p.strftime(fmt or "%Y-Q%q"))
        )
        return [quarter(last + k) for k in range(1, horizon + 1)]
    if kind == "month":
        return [
            format_time(p, fmt) if fmt else f"{p.year:04d}-{p.month:02d}"
            for p in (last + k for k in range(1, horizon + 1))
        ]
    if freq is None:
        return [None] * horizon
    stamps = pd.date_range(last, periods=horizon + 1, freq=freq)[1:]
    return [format_time(s, fmt or "%Y-%m-%d") for s in stamps]
