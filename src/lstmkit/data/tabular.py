"""Time series from a table: the :class:`SeriesData` a forecaster trains on and predicts from.

``load_series`` is the one entry point. It reads the file (:mod:`lstmkit.data.tables`: encoding,
delimiter, number formats), assigns the column roles (:mod:`lstmkit.data.columns`: time axis,
target(s), ids, covariates), parses and orders the time axis (:mod:`lstmkit.data.timeaxis`,
:mod:`lstmkit.data.dates`) and returns one or more series (long format through ``id_col``, wide
format through ``target="a,b,c"``), each a float64 target array with optional past covariates
and its time stamps, plus what is needed to label future times in the input's own style
(``1949-01`` months stay months, ``Jan 2016`` stays ``Feb 2016``, ``1965-Q1`` quarters stay
quarters). Every problem a user can fix raises :class:`~lstmkit.errors.DataError` naming the
column, row or value and the fix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmkit.data.clock_changes import merge_clock_repeats
from lstmkit.data.columns import Roles, assign_roles, numeric_or_error
from lstmkit.data.periods import HALF
from lstmkit.data.tables import read_table  # noqa: F401 - re-exported: other jobs read tables from here
from lstmkit.data.timeaxis import future_labels, regularise, time_order, weekend_free
from lstmkit.errors import DataError
from lstmkit.logs import few

log = logging.getLogger(__name__)

# Formats a time column can be read back with at predict time (the generic date parser's are output formats only).
_GENERIC_FORMATS = {None, "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m", "%Y/%m"}
WIDE_ID = "id"  # the id column name of series read from a wide table (one column per series)


@dataclass
class Series:
    """One series: ``target`` (N,), ``covariates`` (N, C) and ``times`` (N,) or None."""

    id: str | None
    target: np.ndarray
    covariates: np.ndarray
    times: pd.Index | None = None


@dataclass
class SeriesData:
    """Series read from one table, with the column roles and the time axis description.

    ``time_kind`` is ``"year"``, ``"index"`` (an integer step counter), ``"quarter"``,
    ``"month"``, ``"datetime"`` or None (no time column); ``freq`` is the pandas frequency alias
    (``"MS"``, ``"QS-OCT"``...) or None. ``target`` of a wide table lists its columns (``"a,b,c"``)
    and ``id_col`` is then :data:`WIDE_ID`, so forecast frames get an ``id`` column.
    """

    series: list[Series]
    target: str
    time_col: str | None = None
    id_col: str | None = None
    covariate_names: list[str] = field(default_factory=list)
    freq: str | None = None
    time_kind: str | None = None
    time_format: str | None = None
    source: str = "data"
    date_format: str | None = (
        None  # the strftime format the time cells were read with, when not the generic parser's
    )
    wide: bool = False  # one series per target column; ids are the column names

    @property
    def min_length(self) -> int:
        return min(len(s.target) for s in self.series)

    @property
    def median_length(self) -> int:
        """The length the season is chosen for (``choose_season``): one short series does not decide it."""
        return int(np.median([len(s.target) for s in self.series]))

    def future_times(self, series: Series, horizon: int) -> list[Any] | None:
        """Labels of the ``horizon`` time steps after the end of ``series``, in the input's style."""
        if series.times is None or self.time_kind is None:
            return None
        step = (
            int(series.times[1] - series.times[0])
            if self.time_kind == "index" and len(series.times) > 1
            else 1
        )
        return future_labels(
            series.times[-1], horizon, kind=self.time_kind, freq=self.freq, fmt=self.time_format, step=step
        )

    def describe(self) -> dict[str, Any]:
        """The column roles and time axis, JSON-ready (saved in the model's config.json)."""
        return {
            "target": self.target,
            "time_col": self.time_col,
            "id_col": None if self.wide else self.id_col,
            "covariates": list(self.covariate_names),
            "freq": self.freq,
            "time_kind": self.time_kind,
            "time_format": self.time_format,
            "date_format": self.date_format,
        }


# ----------------------------------------------------------------------------- series


_Part = tuple[str | None, np.ndarray | None, np.ndarray]  # a series' label, its rows, its values


def load_series(
    source: str | Path | pd.DataFrame,
    *,
    target: str | None = None,
    time_col: str | None = None,
    id_col: str | None = None,
    covariates: bool = True,
    fill: str = "interpolate",
    date_format: str | None = None,
    business_days: bool = True,
    zone: str | None = None,
) -> SeriesData:
    """Read ``source`` (a path, bundled dataset name, or DataFrame) into :class:`SeriesData`.

    Args:
        source: CSV/Parquet path, bundled dataset name, or a DataFrame.
        target: the column to forecast; default the single numeric column left. ``"a,b,c"`` or
            ``"all"``: a wide table, one series per column (ids are the column names).
        time_col: the time column; default detected (dates, ``1949-01``, ``1965-Q1``, years, t = 0, 1, ...).
        id_col: the series-id column of long-format data holding several series.
        covariates: use the other numeric columns as past covariates.
        fill: ``"interpolate"`` missing values (with a warning), ``"error"``, or ``"keep"``: leave
            them as NaN for the caller to impute after cutting a hold-out (:func:`impute`), so
            that no filled value is computed from points the model must not see.
        date_format: the strftime format of the time cells (e.g. ``%d/%m/%Y``); default detected.
        business_days: read daily times with no weekend day as business days (False: as days whose
            weekends are gaps, as a model trained on such data before business days were read expects).
        zone: the time zone a model was trained in (its time format names it): times with UTC offsets it shows
            are read in it, and future times written with its offsets.

    Raises:
        DataError: unreadable file, unknown or ambiguous columns, non-numeric or infinite values,
            duplicate or irregular time stamps.
    """
    frame, name = _read_source(source)
    if fill not in ("interpolate", "error", "keep"):
        raise DataError(f"fill must be 'interpolate', 'error' or 'keep', got {fill!r}")
    roles = assign_roles(
        frame,
        target=target,
        time_col=time_col,
        id_col=id_col,
        covariates=covariates,
        date_format=date_format,
        source=name,
        zone=zone,
    )
    parts, cov = _split(frame, roles, id_col=id_col, source=name)
    del frame  # the columns needed are arrays now; let a large table go
    series, freq = _read_parts(parts, cov, roles, fill=fill, source=name, business_days=business_days)
    _, kind, fmt = roles.times or (None, None, None)
    written = (
        fmt
        if kind in ("month", "datetime")
        and fmt not in _GENERIC_FORMATS
        and not fmt.startswith(("%Y-%m-%d", "%G"))
        and HALF not in fmt
        else None
    )  # read with a format (ISO dates and times, weeks and half years are detected again wherever they are read)
    return SeriesData(
        series=series,
        target=",".join(roles.targets),
        time_col=roles.time_col,
        id_col=WIDE_ID if roles.wide else id_col,
        covariate_names=roles.covariates,
        freq=freq,
        time_kind=kind,
        time_format=fmt,
        source=name,
        date_format=date_format or written,
        wide=roles.wide,
    )


def _read_source(source: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The table of ``source`` (a copy of a DataFrame, with string column names) and its name in messages."""
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        frame.columns = [str(c) for c in frame.columns]
        return frame, "data"
    from lstmkit.data.datasets import resolve_dataset

    path = resolve_dataset(source)
    return read_table(path), Path(path).name


def _split(
    frame: pd.DataFrame, roles: Roles, *, id_col: str | None, source: str
) -> tuple[list[_Part], np.ndarray]:
    """The target values as one part per series (a wide table's columns, a long table's ids, or the
    one column), and the covariates ``(N, C)`` of all rows.

    Raises:
        DataError: a target or covariate column that is not numeric, or has infinite values.
    """
    values = {c: numeric_or_error(frame[c], c, source) for c in roles.targets}
    cov = (
        np.column_stack([numeric_or_error(frame[c], c, source) for c in roles.covariates])
        if roles.covariates
        else np.zeros((len(frame), 0))
    )
    ids = frame[id_col].astype(str).str.strip().to_numpy() if id_col else None
    if roles.wide:
        parts: list[_Part] = [(col, None, values[col]) for col in roles.targets]
    elif ids is not None:
        no_id = (frame[id_col].isna().to_numpy() | (ids == "")) if len(ids) else np.zeros(0, bool)
        if no_id.all():
            raise DataError(
                f"id column {id_col!r} of {source} is empty; fill in each row's series id, or leave out --id-col"
            )
        if no_id.any():  # a total or note row below the data, say: it belongs to no series
            log.warning(
                "%d row(s) of %s have no %r (first at row %d) and are left out",
                int(no_id.sum()),
                source,
                id_col,
                int(np.flatnonzero(no_id)[0]) + 1,
            )
        labels = pd.unique(ids[~no_id])
        parts = [(str(sid), np.flatnonzero(ids == sid), values[roles.targets[0]]) for sid in labels]
    else:
        parts = [(None, None, values[roles.targets[0]])]
    return parts, cov


def _read_parts(
    parts: list[_Part], cov: np.ndarray, roles: Roles, *, fill: str, source: str, business_days: bool = True
) -> tuple[list[Series], str | None]:
    """Each part as a :class:`Series` (see :func:`_one_series`), and the frequency they share.

    Raises:
        DataError: from :func:`_one_series`, or series of different frequencies.
    """
    times, kind, fmt = roles.times or (None, None, None)
    series, freqs, moved = [], set(), False
    empty = [label for label, rows, column in parts if len(parts) > 1 and _no_values(column, rows)]
    if empty and len(empty) < len(parts):  # the others are forecast; a file of empty series is refused below
        verbs = ("has", "is") if len(empty) == 1 else ("have", "are")
        log.warning(
            "%d series of %s %s no values and %s left out: %s", len(empty), source, *verbs, few(empty)
        )
        parts = [part for part in parts if part[0] not in empty]
    # daily series are business days only where no series of the file has a weekend day
    business = (
        business_days
        and times is not None
        and all(weekend_free(times if rows is None else times[rows]) for _, rows, _ in parts)
    )
    late: list[str] = []  # series that start with missing values, and how many
    for label, rows, column in parts:
        one, freq, sorted_now = _one_series(
            label,
            rows,
            column,
            cov,
            times,
            kind=kind,
            fmt=fmt,
            fill=fill,
            source=source,
            target=label if roles.wide else roles.targets[0],
            time_col=roles.time_col,
            business=business,
            late=late,
        )
        series.append(one)
        freqs.add(freq)
        moved |= sorted_now
    if moved:
        log.warning("rows of %s are not in time order; sorted them by %r", source, roles.time_col)
    if late:
        log.warning(
            "%d series of %s start with missing values; each starts at its first value: %s",
            len(late),
            source,
            few(late),
        )
    freqs.discard(None)
    if len(freqs) > 1:
        raise DataError(
            f"the series in {source} have different frequencies ({', '.join(sorted(map(str, freqs)))}); forecast them separately"
        )
    return series, freqs.pop() if freqs else None


def _no_values(column: np.ndarray, rows: np.ndarray | None) -> bool:
    return bool(np.isnan(column if rows is None else column[rows]).all())


def _one_series(
    label, rows, column, cov, times, *, kind, fmt, fill, source, target, time_col, business=True, late=None
) -> tuple[Series, Any, bool]:
    """One series' arrays in time order, regular, starting at its first value (noted in ``late``: a column of a
    wide table that begins later, say; nothing before it to fill from), with gaps filled per ``fill``; and its
    frequency, and whether rows moved."""
    where = f" of series {label!r}" if label is not None else ""
    whole = rows is None  # the whole column: its arrays as they are, no copy
    y, x = (column, cov) if whole else (column[rows], cov[rows])
    t, freq, moved, skipped = None, None, False, None
    if times is not None:
        t = times if whole else times[rows]
        rows = np.arange(len(y)) if rows is None else rows
        t, y, x, rows = merge_clock_repeats(
            t, y, x, rows, kind=kind, where=where, source=source, column=time_col, fmt=fmt
        )
        order = time_order(t, kind)
        if order is not None:
            rows = rows[order]
            t, y, x, moved = t[order], y[order], x[order], True
        t, y, x, freq, skipped = regularise(
            t,
            y,
            x,
            rows=rows,
            kind=kind,
            where=where,
            source=source,
            column=time_col,
            fmt=fmt,
            business=business,
        )
    start = int(np.argmax(~np.isnan(y))) if len(y) else 0
    if start and late is not None:  # a series of no values is refused by _fill_gaps
        late.append(f"{label if label is not None else target} ({start} missing)")
        y, x, t = y[start:], x[start:], None if t is None else t[start:]
        skipped = None if skipped is None else skipped[start:]
    y, x = _fill_gaps(y, x, fill=fill, where=where, source=source, target=target, skipped=skipped)
    return Series(id=label, target=y, covariates=x, times=t), freq, moved


def _fill_gaps(y, x, *, fill, where, source, target, skipped=None):
    """``y, x`` with their gaps handled per ``fill`` (see :func:`load_series`) and noted in one warning; the
    steps ``skipped`` (a mask: hours local clocks skipped, noted when read) are no values the file lacks:
    neither counted nor refused, and filled as ``fill`` fills gaps (``"error"``: now)."""
    gap = np.isnan(y)
    if not gap.any() and not np.isnan(x).any():
        return y, x
    known = np.zeros(len(y), dtype=bool) if skipped is None else skipped
    missing = gap & ~known
    count = int(missing.sum())
    if fill == "error" and (count or (np.isnan(x).any(axis=1) & ~known).any()):
        row = int(np.flatnonzero(missing)[0]) + 1 if count else 1
        raise DataError(
            f"{count} missing value(s) in {target!r}{where} of {source} (first at row {row}); fill them, "
            "or use --set data.fill=interpolate"
        )
    if gap.all():
        raise DataError(
            f"column {target!r}{where} of {source} has no values; fill it in, or name a column of numbers with --target"
        )
    if fill == "keep":  # filled later, by impute(), inside whatever part a model is given
        if count:
            log.warning(
                "%d missing value(s) in %r%s of %s: each model fills them by linear interpolation from "
                "the data it is given (a hold-out is cut first)",
                count,
                target,
                where,
                source,
            )
        return y, x
    if count and fill not in ("quiet", "error"):
        log.warning(
            "%d missing value(s) in %r%s of %s filled by linear interpolation", count, target, where, source
        )
    y = pd.Series(y).interpolate(limit_direction="both").to_numpy()
    if x.size:
        x = pd.DataFrame(x).interpolate(limit_direction="both").fillna(0.0).to_numpy()
    return y, x


def impute(data: SeriesData) -> SeriesData:
    """``data`` with each series' missing values filled by linear interpolation inside that series.

    Call it on the part a model may see (after cutting any hold-out), never on the whole file:
    a gap just before the cut would otherwise be filled from held-out points.
    """
    series = []
    for s in data.series:
        where = f" of series {s.id!r}" if s.id is not None else ""
        target = s.id if data.wide else data.target
        y, x = _fill_gaps(
            s.target, s.covariates, fill="quiet", where=where, source=data.source, target=target
        )  # said at read
        series.append(Series(id=s.id, target=y, covariates=x, times=s.times))
    return replace(data, series=series)


def missing_count(data: SeriesData) -> int:
    """How many target values of ``data`` are missing (NaN)."""
    return int(sum(np.isnan(s.target).sum() for s in data.series))
