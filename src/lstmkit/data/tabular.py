"""Reading time series from CSV or Parquet: target, time and id columns, frequency, gaps, season.

``load_series`` is the one entry point. It returns a :class:`SeriesData`: one or more series
(long format through ``id_col``), each a float64 target array with optional past covariates
(the other numeric columns) and its time stamps, plus what is needed to label future times in
the input's own style (``1949-01`` months stay months, ``1965-Q1`` quarters stay quarters).
Every problem a user can fix raises :class:`~lstmkit.errors.DataError` naming the column, row or
value and the fix.
"""
from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmkit.errors import DataError

log = logging.getLogger(__name__)

# Frequency prefix (pandas offset alias) -> season length used when --season is not given.
SEASON_BY_FREQ = {"M": 12, "MS": 12, "ME": 12, "Q": 4, "QS": 4, "QE": 4, "W": 52, "D": 7, "B": 5, "h": 24, "H": 24}
_TIME_NAMES = {"date", "time", "timestamp", "datetime", "ds", "month", "year", "quarter", "period", "week", "day", "dt"}
_QUARTER = re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*[Qq]([1-4])\s*$")
_MONTH = re.compile(r"^\s*\d{4}[-/]\d{1,2}\s*$")


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

    ``time_kind`` is ``"year"``, ``"quarter"``, ``"month"``, ``"datetime"`` or None (no time
    column); ``freq`` is the pandas frequency alias (``"MS"``, ``"QS-OCT"``...) or None.
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

    @property
    def min_length(self) -> int:
        return min(len(s.target) for s in self.series)

    def future_times(self, series: Series, horizon: int) -> list[Any] | None:
        """Labels of the ``horizon`` time steps after the end of ``series``, in the input's style."""
        if series.times is None or self.time_kind is None:
            return None
        return future_labels(series.times[-1], horizon, kind=self.time_kind, freq=self.freq, fmt=self.time_format)

    def describe(self) -> dict[str, Any]:
        """The column roles and time axis, JSON-ready (saved in the model's config.json)."""
        return {
            "target": self.target, "time_col": self.time_col, "id_col": self.id_col,
            "covariates": list(self.covariate_names), "freq": self.freq,
            "time_kind": self.time_kind, "time_format": self.time_format,
        }


# ----------------------------------------------------------------------------- reading files


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (delimiter detected, UTF-8 or Latin-1) or Parquet file into a DataFrame of strings/numbers."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file {path} not found; pass a CSV or Parquet file or a bundled dataset name (see 'lstmkit datasets')")
    if path.is_dir():
        raise DataError(f"{path} is a folder; pass a CSV or Parquet file")
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(f"{path} is empty; it needs a header line and at least one row of data")
    if path.suffix.lower() in (".parquet", ".pq") or raw[:4] == b"PAR1":
        try:
            frame = pd.read_parquet(path)
        except ImportError:
            raise DataError("reading Parquet needs pyarrow: pip install pyarrow (or save the data as CSV)") from None
        except Exception as exc:  # noqa: BLE001 - any reader failure is a damaged file for the user
            raise DataError(f"{path} is not a readable Parquet file ({_first_line(exc)})") from None
    else:
        frame = _read_csv(path, raw)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise DataError(f"{path} has a header but no rows of data")
    return frame


def _read_csv(path: Path, raw: bytes) -> pd.DataFrame:
    if b"\x00" in raw[:4096]:
        raise DataError(f"{path} looks like a binary file, not a CSV; pass a text CSV or a Parquet file")
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            log.warning("%s is not UTF-8; reading it as Latin-1", path)
    sample = "\n".join(text.splitlines()[:20])
    delimiter = _sniff_delimiter(sample)
    import io

    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise DataError(f"{path} is not a well-formed CSV ({_first_line(exc)}); check the delimiter and quoting") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; it needs a header line and at least one row of data") from None
    return frame


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sample.splitlines()[0].count(d) for d in ",;\t|"} if sample else {}
        best = max(counts, key=counts.get) if counts else ","
        return best if counts.get(best) else ","


# ----------------------------------------------------------------------------- column roles


def load_series(
    source: str | Path | pd.DataFrame,
    *,
    target: str | None = None,
    time_col: str | None = None,
    id_col: str | None = None,
    covariates: bool = True,
    fill: str = "interpolate",
) -> SeriesData:
    """Read ``source`` (a path, bundled dataset name, or DataFrame) into :class:`SeriesData`.

    Args:
        source: CSV/Parquet path, bundled dataset name, or a DataFrame.
        target: the column to forecast; default the single numeric column left.
        time_col: the time column; default detected (dates, ``1949-01``, ``1965-Q1``, years).
        id_col: the series-id column of long-format data holding several series.
        covariates: use the other numeric columns as past covariates.
        fill: ``"interpolate"`` missing values (with a warning) or ``"error"``.

    Raises:
        DataError: unreadable file, unknown or ambiguous columns, non-numeric or infinite values,
            duplicate, unsorted or irregular time stamps.
    """
    if isinstance(source, pd.DataFrame):
        frame, name = source.copy(), "data"
        frame.columns = [str(c) for c in frame.columns]
    else:
        from lstmkit.data.datasets import resolve_dataset

        path = resolve_dataset(source)
        frame, name = read_table(path), Path(path).name
    if fill not in ("interpolate", "error"):
        raise DataError(f"fill must be 'interpolate' or 'error', got {fill!r}")
    columns = list(frame.columns)
    for role, col in (("target", target), ("time", time_col), ("id", id_col)):
        if col is not None and col not in columns:
            raise DataError(f"{role} column {col!r} not found in {name}; columns are: {', '.join(columns)}")
    taken = {c for c in (time_col, id_col) if c}
    if time_col is None:
        time_col = _detect_time_column(frame, exclude={target, id_col})
        if time_col:
            taken.add(time_col)
    numeric = {c: _to_numeric(frame[c]) for c in columns if c not in taken}
    numeric_cols = [c for c, v in numeric.items() if v is not None]
    if target is None:
        if len(numeric_cols) == 1:
            target = numeric_cols[0]
        elif not numeric_cols and len(mostly := _mostly_numeric(frame, exclude=taken)) == 1:
            target = mostly[0]  # numeric but for a few bad cells: the check below names the row
        elif not numeric_cols:
            raise DataError(f"{name} has no numeric column to forecast; columns are: {', '.join(columns)}")
        else:
            raise DataError(
                f"{name} has several numeric columns ({', '.join(numeric_cols)}); choose one with --target"
            )
    if target in taken:
        raise DataError(f"column {target!r} cannot be both the target and the time or id column")
    values = _numeric_or_error(frame[target], target, name)
    cov_names = [c for c in numeric_cols if c != target] if covariates else []
    ignored = [c for c in columns if c not in taken and c != target and c not in cov_names]
    if ignored and covariates:
        log.warning("ignoring non-numeric column(s) %s of %s", ", ".join(ignored), name)
    cov = np.column_stack([_numeric_or_error(frame[c], c, name) for c in cov_names]) if cov_names else np.zeros((len(frame), 0))

    times, kind, fmt = (None, None, None)
    if time_col:
        times, kind, fmt = parse_times(frame[time_col], column=time_col, source=name)
    ids = frame[id_col].astype(str).str.strip().to_numpy() if id_col else np.array(["__single__"] * len(frame))
    series, freqs = [], set()
    for sid in pd.unique(ids):
        rows = np.flatnonzero(ids == sid)
        label = None if id_col is None else str(sid)
        where = f" of series {label!r}" if label is not None else ""
        y, x, t = values[rows], cov[rows], None
        if times is not None:
            t = times[rows]
            t, y, x, freq = _regularise(t, y, x, rows=rows, kind=kind, where=where, source=name, column=time_col)
            freqs.add(freq)
        y, x = _fill_gaps(y, x, fill=fill, where=where, source=name, target=target)
        series.append(Series(id=label, target=y, covariates=x, times=t))
    freq = None
    if freqs:
        if len(freqs) > 1:
            raise DataError(f"the series in {name} have different frequencies ({', '.join(sorted(map(str, freqs)))}); forecast them separately")
        freq = freqs.pop()
    return SeriesData(series=series, target=target, time_col=time_col, id_col=id_col, covariate_names=cov_names,
                      freq=freq, time_kind=kind, time_format=fmt, source=name)


def _detect_time_column(frame: pd.DataFrame, *, exclude: set) -> str | None:
    candidates = [c for c in frame.columns if c not in exclude]
    for col in candidates:  # named like a time column and parseable
        if col.strip().lower() in _TIME_NAMES:
            try:
                parse_times(frame[col], column=col, source="data")
                return col
            except DataError:
                continue
    for col in candidates:  # text that parses as dates / months / quarters
        sample = frame[col].astype(str).str.strip().head(50)
        if _to_numeric(sample) is not None:
            continue
        try:
            parse_times(frame[col], column=col, source="data")
            return col
        except DataError:
            continue
    numeric = [c for c in candidates if _to_numeric(frame[c]) is not None]
    if len(numeric) >= 2:  # an integer column of increasing years beside the values
        for col in numeric:
            text = frame[col].astype(str).str.strip()
            if text.str.fullmatch(r"\d{4}").all() and text.astype(int).between(1000, 2999).all():
                years = text.astype(int).to_numpy()
                if len(years) > 1 and (np.diff(years) > 0).mean() > 0.5:
                    return col
    return None


def _mostly_numeric(frame: pd.DataFrame, *, exclude: set) -> list[str]:
    out = []
    for col in frame.columns:
        if col in exclude:
            continue
        text = frame[col].astype(str).str.strip()
        text = text[text != ""]
        if len(text) and pd.to_numeric(text, errors="coerce").notna().mean() >= 0.5:
            out.append(col)
    return out


def _to_numeric(column: pd.Series) -> np.ndarray | None:
    """The column as float64 when every non-empty cell is a number, else None."""
    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=np.float64)
    text = column.astype(str).str.strip()
    present = text[(text != "") & (text.str.lower() != "nan") & (text.str.upper() != "NA")]
    if present.empty:
        return None
    converted = pd.to_numeric(present, errors="coerce")
    if converted.isna().any():
        return None
    return pd.to_numeric(text.where(text.isin(present), None), errors="coerce").to_numpy(dtype=np.float64)


def _numeric_or_error(column: pd.Series, name: str, source: str) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=np.float64)
    else:
        text = column.astype(str).str.strip()
        missing = (text == "") | text.str.lower().isin(["nan", "na", "null", "none"])
        converted = pd.to_numeric(text.where(~missing, None), errors="coerce")
        bad = converted.isna() & ~missing
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                f"column {name!r} of {source} has a non-numeric value {text.iloc[row]!r} at row {row + 1} "
                f"(line {row + 2} of the file); fix or remove that row"
            )
        values = converted.to_numpy(dtype=np.float64)
    inf = np.isinf(values)
    if inf.any():
        row = int(np.flatnonzero(inf)[0])
        raise DataError(f"column {name!r} of {source} has an infinite value at row {row + 1}; replace it with a number or leave it empty")
    return values


# ----------------------------------------------------------------------------- time axis


def parse_times(column_values: pd.Series, *, column: str = "time", source: str = "data") -> tuple[pd.Index, str, str | None]:
    """Parse a time column; returns ``(times, kind, fmt)``.

    ``kind`` is ``"year"`` (integers, returned as an Int64Index of years), ``"quarter"``
    (``1965-Q1``, a PeriodIndex), ``"month"`` (``1949-01``, a PeriodIndex) or ``"datetime"``
    (a DatetimeIndex; ``fmt`` says whether a clock time is shown).

    Raises:
        DataError: empty cells or values that are not times.
    """
    text = column_values.astype(str).str.strip()
    if (text == "").any() or text.str.lower().isin(["nan", "nat"]).any():
        row = int(np.flatnonzero(((text == "") | text.str.lower().isin(["nan", "nat"])).to_numpy())[0])
        raise DataError(f"time column {column!r} of {source} is empty at row {row + 1}; every row needs a time")
    if text.str.fullmatch(r"-?\d{1,4}(\.0+)?").all():
        years = text.astype(float).astype(int)
        if years.between(1000, 2999).all():
            return pd.Index(years.to_numpy(), dtype="int64"), "year", None
        raise DataError(f"time column {column!r} of {source} holds integers that are not years; pass --time-col only for a time column")
    quarter = text.str.extract(_QUARTER)
    if quarter.notna().all().all():
        periods = pd.PeriodIndex([pd.Period(year=int(y), quarter=int(q), freq="Q") for y, q in quarter.to_numpy()])
        return periods, "quarter", None
    if text.str.match(_MONTH).all():
        try:
            stamps = pd.to_datetime(text.str.replace("/", "-"), format="%Y-%m")
            return pd.PeriodIndex(stamps, freq="M"), "month", None
        except (ValueError, TypeError):
            pass
    numeric = pd.to_numeric(text, errors="coerce")
    if numeric.notna().all():  # epoch seconds are too ambiguous to guess
        raise DataError(f"time column {column!r} of {source} holds numbers that are not years; use dates such as 2020-01-31")
    try:
        stamps = pd.to_datetime(text, format="mixed")
    except (ValueError, TypeError, OverflowError):
        bad = pd.to_datetime(text, errors="coerce", format="mixed")
        row = int(np.flatnonzero(bad.isna().to_numpy())[0]) if bad.isna().any() else 0
        raise DataError(
            f"time column {column!r} of {source} has a value that is not a time, {text.iloc[row]!r} at row {row + 1}; "
            "use dates such as 2020-01-31, months such as 1949-01 or quarters such as 1965-Q1"
        ) from None
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert(None)
    index = pd.DatetimeIndex(stamps)
    clock = (index.hour != 0).any() or (index.minute != 0).any() or (index.second != 0).any()
    return index, "datetime", "%Y-%m-%d %H:%M:%S" if clock else "%Y-%m-%d"


def _regularise(t, y, x, *, rows, kind, where, source, column):
    """Check order and duplicates, infer the frequency, and insert missing time steps as NaN."""
    order = _as_ordinal(t, kind)
    diffs = np.diff(order)
    if (diffs == 0).any():
        i = int(np.flatnonzero(diffs == 0)[0])
        raise DataError(
            f"duplicate time {_label(t[i + 1])} in {column!r}{where} of {source} (rows {rows[i] + 1} and {rows[i + 1] + 1}); "
            "keep one row per time step (or pass --id-col for several series)"
        )
    if (diffs < 0).any():
        i = int(np.flatnonzero(diffs < 0)[0])
        raise DataError(
            f"times in {column!r}{where} of {source} are not in increasing order ({_label(t[i + 1])} at row {rows[i + 1] + 1} "
            f"comes after {_label(t[i])}); sort the file by time"
        )
    if kind == "year":
        step = int(np.min(diffs)) if len(diffs) else 1
        freq = "Y" if step == 1 else f"{step}Y"
        full = np.arange(order[0], order[-1] + 1, step)
        return _reindex(t, y, x, order, full, lambda o: pd.Index(o, dtype="int64"), freq, where, source, column, step)
    if kind in ("month", "quarter"):
        full = np.arange(order[0], order[-1] + 1)
        freq = "M" if kind == "month" else "Q"
        return _reindex(t, y, x, order, full, lambda o: pd.period_range(t[0], periods=len(o), freq=freq), freq, where, source, column, 1)
    if len(t) < 3:
        return t, y, x, None
    freq = _infer_freq(t)
    if freq is None:
        step = pd.Series(np.diff(t.values)).mode().iloc[0]  # a Timedelta, whatever the index's unit
        freq = _infer_freq(pd.DatetimeIndex([t[0] + k * pd.Timedelta(step) for k in range(4)]))
        if freq is None:
            raise DataError(f"cannot infer a regular frequency from {column!r}{where} of {source}; the time steps must be evenly spaced")
        full_index = pd.date_range(t[0], t[-1], freq=freq)
        if not t.isin(full_index).all():
            raise DataError(
                f"times in {column!r}{where} of {source} are irregular (not on a {freq} grid); resample the data to a regular frequency"
            )
        return _reindex(t, y, x, None, full_index, None, freq, where, source, column, 1)
    return t, y, x, freq


def _infer_freq(index: pd.DatetimeIndex) -> str | None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        freq = pd.infer_freq(index)
    return getattr(freq, "freqstr", freq)


def _reindex(t, y, x, order, full, make, freq, where, source, column, step):
    if order is None:  # datetime: `full` is the complete DatetimeIndex
        new_index = full
        position = full.get_indexer(t)
    else:
        if ((order - order[0]) % step).any():
            raise DataError(f"times in {column!r}{where} of {source} are irregular; resample the data to a regular frequency")
        position = ((order - order[0]) // step).astype(int)
        new_index = make(full) if make is not None else full
    n = len(new_index)
    if n == len(t):
        return t, y, x, freq
    if n > 2 * len(t):
        raise DataError(f"times in {column!r}{where} of {source} are irregular (more gaps than data); resample the data to a regular frequency")
    log.warning("%d missing time step(s) in %s%s; they are treated as gaps", n - len(t), source, where)
    y_full = np.full(n, np.nan)
    y_full[position] = y
    x_full = np.full((n, x.shape[1]), np.nan)
    x_full[position] = x
    return new_index, y_full, x_full, freq


def _as_ordinal(t, kind) -> np.ndarray:
    if kind == "year":
        return np.asarray(t, dtype=np.int64)
    if kind in ("month", "quarter"):
        return np.asarray(t.asi8, dtype=np.int64)
    return np.asarray(t.asi8, dtype=np.int64)


def _fill_gaps(y, x, *, fill, where, source, target):
    missing = np.isnan(y)
    if missing.any() or np.isnan(x).any():
        count = int(missing.sum())
        if fill == "error":
            row = int(np.flatnonzero(missing)[0]) + 1 if count else 1
            raise DataError(
                f"{count} missing value(s) in {target!r}{where} of {source} (first at row {row}); fill them, "
                "or use --set data.fill=interpolate"
            )
        if missing.all():
            raise DataError(f"column {target!r}{where} of {source} has no values")
        if count:
            log.warning("%d missing value(s) in %r%s of %s filled by linear interpolation", count, target, where, source)
        y = pd.Series(y).interpolate(limit_direction="both").to_numpy()
        if x.size:
            x = pd.DataFrame(x).interpolate(limit_direction="both").fillna(0.0).to_numpy()
    return y, x


def _label(value) -> str:
    return str(value)


# ----------------------------------------------------------------------------- future times, season


def future_labels(last, horizon: int, *, kind: str, freq: str | None, fmt: str | None) -> list[Any]:
    """The ``horizon`` time labels after ``last`` in the style of the input column."""
    if kind == "year":
        step = int(freq[:-1]) if freq and freq[:-1].isdigit() else 1
        return [int(last) + step * k for k in range(1, horizon + 1)]
    if kind == "quarter":
        return [f"{p.year}-Q{p.quarter}" for p in (last + k for k in range(1, horizon + 1))]
    if kind == "month":
        return [f"{p.year:04d}-{p.month:02d}" for p in (last + k for k in range(1, horizon + 1))]
    if freq is None:
        return [None] * horizon
    stamps = pd.date_range(last, periods=horizon + 1, freq=freq)[1:]
    return [s.strftime(fmt or "%Y-%m-%d") for s in stamps]


def season_from_freq(freq: str | None, kind: str | None) -> int:
    """The usual season length for a frequency (1 when there is none)."""
    if kind == "month":
        return 12
    if kind == "quarter":
        return 4
    if kind == "year" or freq is None:
        return 1
    match = re.fullmatch(r"(\d*)([A-Za-z]+)(-\w+)?", freq)
    if not match:
        return 1
    mult, base = int(match.group(1) or 1), match.group(2)
    if base in ("min", "T") and mult == 30:
        return 48  # half-hourly: a daily cycle
    if mult != 1:
        return 1
    return SEASON_BY_FREQ.get(base, 1)


def choose_season(data: SeriesData, season: int | None, *, horizon: int) -> int:
    """The season to use: ``season`` when given (checked), else inferred from the frequency.

    An inferred season that the data are too short to show twice is dropped (season 1) with a
    warning; an explicit one raises.
    """
    n = data.min_length
    if season is not None:
        if season < 1:
            raise DataError(f"--season must be a positive integer, got {season}")
        if season > 1 and n < 2 * season + horizon:
            raise DataError(
                f"--season {season} needs at least {2 * season + horizon} points per series (two seasons plus the "
                f"horizon {horizon}); the shortest series has {n}; use a shorter season or --season 1"
            )
        return season
    inferred = season_from_freq(data.freq, data.time_kind)
    if inferred > 1 and n < 2 * inferred + horizon:
        log.warning("series too short to learn a season of %d; treating it as non-seasonal", inferred)
        return 1
    return inferred


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
