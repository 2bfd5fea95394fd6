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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmkit.data.timeaxis import (  # noqa: F401 - choose_season and season_from_freq re-exported
    SEASON_BY_FREQ, _regularise, choose_season, future_labels, parse_times, season_from_freq,
)
from lstmkit.errors import DataError

log = logging.getLogger(__name__)

_TIME_NAMES = {"date", "time", "timestamp", "datetime", "ds", "month", "year", "quarter", "period", "week", "day", "dt"}


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


# CSVs larger than this are read by pyarrow's typed parser (numbers as float64, ISO times as
# datetime64) instead of as one Python string per cell: 10 million rows then need ~0.5 GB, not ~4 GB.
_BIG_CSV_BYTES = 32 * 2**20


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (delimiter detected, UTF-8, UTF-16 or Latin-1) or Parquet file into a DataFrame of strings/numbers."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file {path} not found; pass a CSV or Parquet file or a bundled dataset name (see 'lstmkit datasets')")
    if path.is_dir():
        raise DataError(f"{path} is a folder; pass a CSV or Parquet file")
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    if size <= len(head) and not head.strip():
        raise DataError(f"{path} is empty; it needs a header line and at least one row of data")
    if path.suffix.lower() in (".parquet", ".pq") or head[:4] == b"PAR1":
        try:
            frame = pd.read_parquet(path)
        except ImportError:
            raise DataError("reading Parquet needs pyarrow: pip install pyarrow (or save the data as CSV)") from None
        except Exception as exc:  # noqa: BLE001 - any reader failure is a damaged file for the user
            raise DataError(f"{path} is not a readable Parquet file ({_first_line(exc)})") from None
    elif size > _BIG_CSV_BYTES:
        frame = _read_big_csv(path, head)
    else:
        frame = _read_csv(path, path.read_bytes())
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise DataError(f"{path} has a header but no rows of data")
    return frame


def _read_big_csv(path: Path, head: bytes) -> pd.DataFrame:
    """A large CSV through pyarrow's typed reader; anything it cannot read goes the careful way (exact errors)."""
    text, encoding = _decode(path, head, partial=True)
    delimiter = _sniff_delimiter("\n".join(text.splitlines()[:20]))
    try:
        import pyarrow  # noqa: F401

        frame = pd.read_csv(path, sep=delimiter, encoding=encoding, engine="pyarrow")
    except Exception:  # noqa: BLE001 - ragged rows, odd quoting, no pyarrow: the string reader names the problem
        return _read_csv(path, path.read_bytes())
    for col in frame.columns:  # pyarrow reads plain dates as datetime.date objects
        if frame[col].dtype == object and len(frame) and type(frame[col].iloc[0]).__name__ == "date":
            frame[col] = pd.to_datetime(frame[col])
    if delimiter == ";":
        frame = _decimal_commas(frame)
    return frame


def _read_csv(path: Path, raw: bytes) -> pd.DataFrame:
    text, _ = _decode(path, raw)
    sample = "\n".join(text.splitlines()[:20])
    delimiter = _sniff_delimiter(sample)
    import io

    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise DataError(f"{path} is not a well-formed CSV ({_first_line(exc)}); check the delimiter and quoting") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; it needs a header line and at least one row of data") from None
    if delimiter == ";":
        frame = _decimal_commas(frame)
    return frame


def _decode(path: Path, raw: bytes, *, partial: bool = False) -> tuple[str, str]:
    """``(text, encoding)`` of a CSV: UTF-8 (BOM or not), UTF-16 (BOM, or NUL every other byte), else Latin-1 with a warning.

    ``partial``: ``raw`` is the head of a longer file, possibly cut inside a character.
    """
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encodings = ["utf-16"]
    elif b"\x00" in raw[:4096]:
        head = raw[:4096]
        odd_nul, even_nul = head[1::2].count(0), head[0::2].count(0)
        if odd_nul > 0.9 * len(head[1::2]) and not even_nul:
            encodings = ["utf-16-le"]
        elif even_nul > 0.9 * len(head[0::2]) and not odd_nul:
            encodings = ["utf-16-be"]
        else:
            raise DataError(f"{path} looks like a binary file, not a CSV; pass a text CSV or a Parquet file")
    else:
        encodings = ["utf-8-sig", "latin-1"]
    for encoding in encodings:
        for cut in range(4 if partial else 1):  # a head may end inside a multi-byte character
            try:
                text = raw[: len(raw) - cut].decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            continue
        if encoding == "latin-1":
            log.warning("%s is not UTF-8; reading it as Latin-1", path)
        if "\x00" in text:
            break
        return text, encoding
    raise DataError(f"{path} is neither UTF-8 nor {encodings[0].upper()} text; save it as UTF-8 CSV")


def _decimal_commas(frame: pd.DataFrame) -> pd.DataFrame:
    """In a ';'-separated file, columns written with decimal commas (``3,14``) become ``3.14``."""
    for col in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_datetime64_any_dtype(frame[col]):
            continue
        text = frame[col].astype(str).str.strip()
        present = text[text != ""]
        if len(present) and present.str.contains(",", regex=False).any() and present.str.fullmatch(r"[-+]?\d+(,\d*)?").all():
            frame[col] = text.str.replace(",", ".", regex=False)
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
        fill: ``"interpolate"`` missing values (with a warning), ``"error"``, or ``"keep"``: leave
            them as NaN for the caller to impute after cutting a hold-out (:func:`impute`), so
            that no filled value is computed from points the model must not see.

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
    if fill not in ("interpolate", "error", "keep"):
        raise DataError(f"fill must be 'interpolate', 'error' or 'keep', got {fill!r}")
    columns = list(frame.columns)
    for role, col in (("target", target), ("time", time_col), ("id", id_col)):
        if col is not None and col not in columns:
            raise DataError(f"{role} column {col!r} not found in {name}; columns are: {', '.join(columns)}")
    taken = {c for c in (time_col, id_col) if c}
    if time_col is None:
        time_col = _detect_time_column(frame, exclude={target, id_col}, source=name)
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
    ids = frame[id_col].astype(str).str.strip().to_numpy() if id_col else None
    del frame, numeric  # the columns needed are arrays now; let a large table go
    series, freqs = [], set()
    for sid in (pd.unique(ids) if ids is not None else ["__single__"]):
        rows = np.flatnonzero(ids == sid) if ids is not None else np.arange(len(values))
        label = None if id_col is None else str(sid)
        where = f" of series {label!r}" if label is not None else ""
        whole = ids is None  # one series: its arrays as they are, no copy
        y, x, t = (values, cov, None) if whole else (values[rows], cov[rows], None)
        if times is not None:
            t = times if whole else times[rows]
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


def _detect_time_column(frame: pd.DataFrame, *, exclude: set, source: str = "data") -> str | None:
    candidates = [c for c in frame.columns if c not in exclude]
    for col in candidates:  # named like a time column and parseable
        if col.strip().lower() in _TIME_NAMES:
            try:
                parse_times(frame[col], column=col, source=source)
                return col
            except DataError:
                if _mostly_times(frame[col]):  # a time column with a few bad cells: say which, do not drop it
                    raise
                continue
    for col in candidates:  # text that parses as dates / months / quarters
        sample = frame[col].head(50).astype(str).str.strip()
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
            if pd.api.types.is_float_dtype(frame[col]) and not (frame[col] % 1 == 0).all():
                continue  # not integers, so not years
            text = frame[col].astype(str).str.strip()
            if text.str.fullmatch(r"\d{4}").all() and text.astype(int).between(1000, 2999).all():
                years = text.astype(int).to_numpy()
                if len(years) > 1 and (np.diff(years) > 0).mean() > 0.5:
                    return col
    return None


def _mostly_times(column: pd.Series) -> bool:
    """Whether most cells of a text column read as dates (so a failure to parse it is the user's to fix)."""
    import warnings

    text = column.astype(str).str.strip().head(1000)
    if _to_numeric(text) is not None:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.5)


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
        if fill == "keep":
            return y, x
        if count:
            log.warning("%d missing value(s) in %r%s of %s filled by linear interpolation", count, target, where, source)
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
        y, x = _fill_gaps(s.target, s.covariates, fill="interpolate", where=where, source=data.source, target=data.target)
        series.append(Series(id=s.id, target=y, covariates=x, times=s.times))
    return replace(data, series=series)


def missing_count(data: SeriesData) -> int:
    """How many target values of ``data`` are missing (NaN)."""
    return int(sum(np.isnan(s.target).sum() for s in data.series))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
