"""Column roles of a series table: the time axis, the target(s), the series ids and the covariates.

The rules, in order (a flag always wins over a rule):

1. Time axis (``--time-col``, else the first that applies): a year column beside a month or quarter
   column, read as one (:mod:`lstmkit.data.split_times`); a column named like a time
   (``date``, ``month``, ``t``, ``step``, ``index`` ...) whose cells read as times; a text column
   whose cells read as dates, months or quarters; an integer column of Unix times (seconds or
   milliseconds of 2000-2099 on whole minutes), of quarters written YYYYQ (20101) or of increasing
   years beside the values; the first column when it holds strictly increasing, evenly spaced
   integers (a step counter such as t = 0, 1, 2, ...) and other columns follow. Integer columns qualify as
   step counters only when strictly increasing and evenly spaced (within each series with
   ``--id-col``), so a month-of-year column 1..12 repeating is never taken for a time axis.
2. Target (``--target``): the single numeric column left; a single text column left is named as
   not numeric. ``--target a,b,c`` or ``--target all`` reads a wide table: each listed (or every
   numeric) column is one series, its id the column name.
3. Covariates: the other numeric columns (past covariates), unless turned off; columns not used
   are named in a warning.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lstmkit.data.dates import other_layouts
from lstmkit.data.number_formats import MISSING_CELLS
from lstmkit.data.number_times import (
    DATE_NAMES,
    compact_dates,
    decimal_dates,
    decimal_years,
    epoch_times,
    excel_serials,
    not_times,
    off_calendar,
    quarter_numbers,
)
from lstmkit.data.periods import week_numbers
from lstmkit.data.sheet_layout import HEADER_LINE
from lstmkit.data.split_times import joined_periods
from lstmkit.data.timeaxis import parse_times
from lstmkit.errors import DataError

log = logging.getLogger("lstmkit.data.tabular")

TIME_NAMES = {
    "date",
    "time",
    "timestamp",
    "datetime",
    "ds",
    "month",
    "year",
    "quarter",
    "period",
    "week",
    "day",
    "dt",
    "t",
    "step",
    "index",
    "time_idx",
    "idx",
}


@dataclass
class Roles:
    """What each column of a table is for; ``times`` is the parsed time column ``(index, kind, fmt)``."""

    targets: list[str]
    time_col: str | None = None
    id_col: str | None = None
    covariates: list[str] = field(default_factory=list)
    wide: bool = False
    times: tuple | None = None


def assign_roles(
    frame: pd.DataFrame,
    *,
    target: str | None,
    time_col: str | None,
    id_col: str | None,
    covariates: bool,
    date_format: str | None,
    source: str,
    zone: str | None = None,
) -> Roles:
    """The column roles of ``frame`` by the rules of the module docstring.

    Raises:
        DataError: a named column that does not exist, or no (or several) target candidates.
    """
    frame = _without_row_numbers(frame, named={target, time_col, id_col}, source=source)
    frame, joined = joined_periods(
        frame, time_col=time_col, named={target, id_col}, id_col=id_col, time_names=TIME_NAMES
    )
    time_col = time_col or joined
    columns = list(frame.columns)
    wide = _wide_targets(target, columns, id_col=id_col, source=source)
    for role, col in (("target", None if wide is not None else target), ("time", time_col), ("id", id_col)):
        if col is not None and col not in columns:
            raise DataError(f"{role} column {col!r} not found in {source}; columns are: {', '.join(columns)}")
    ids = frame[id_col].astype(str).str.strip().to_numpy() if id_col else None
    listed = set(wide or []) - {"*"}
    if time_col is not None:
        times = parse_times(
            frame[time_col], column=time_col, source=source, date_format=date_format, zone=zone
        )
    else:
        time_col, times = _detect_time_column(
            frame,
            exclude=listed | {target, id_col},
            ids=ids,
            date_format=date_format,
            source=source,
            zone=zone,
        )
        if date_format is not None and time_col is None:
            raise DataError(
                f"--date-format {date_format} was given but no column of {source} reads with it; name the time column with --time-col"
            )
    taken = {c for c in (time_col, id_col) if c}
    numeric = [c for c in columns if c not in taken and to_numeric(frame[c]) is not None]
    if wide == ["*"]:
        if not numeric:
            raise DataError(f"{source} has no numeric column to forecast; columns are: {', '.join(columns)}")
        targets = numeric
    elif wide is not None:
        targets = wide
    else:
        targets = [
            target
            if target is not None
            else _single_target(frame, numeric, taken, time_col=time_col, source=source)
        ]
    if taken & set(targets):
        raise DataError(
            f"column {sorted(taken & set(targets))[0]!r} cannot be both the target and the time or id column"
        )
    others = [c for c in numeric if c not in targets]
    ignored = [
        c
        for c in columns
        if c not in taken and c not in targets and c not in others and not _trailing_delimiter(frame[c], c)
    ]
    if ignored and covariates:
        log.warning("ignoring non-numeric column(s) %s of %s", ", ".join(ignored), source)
    if others and not covariates:
        log.warning(
            "ignoring numeric column(s) %s of %s: covariates are off (the model uses none)",
            ", ".join(others),
            source,
        )
    return Roles(
        targets=targets,
        time_col=time_col,
        id_col=id_col,
        covariates=others if covariates else [],
        wide=wide is not None,
        times=times,
    )


def _without_row_numbers(frame: pd.DataFrame, *, named: set, source: str) -> pd.DataFrame:
    """``frame`` without the row numbers an export leaves as a column with an empty header (pandas' ``to_csv``
    index: ``Unnamed: 0`` over 0, 1, 2 ... or 1, 2, 3 ..., in any order) or named ``rownames`` (R's, as the
    Rdatasets files have them), with a one-line note."""
    drop = []
    for col in frame.columns:
        if col in named or not re.fullmatch(r"(Unnamed: \d+)?|rownames|row\.names", col, flags=re.IGNORECASE):
            continue
        values = to_numeric(frame[col])
        if values is not None and len(values) > 1:
            ordered = np.sort(values)
            if ordered[0] in (0, 1) and (ordered == ordered[0] + np.arange(len(values))).all():
                drop.append(col)
    if not drop or len(drop) == len(frame.columns):
        return frame
    log.warning(
        "ignoring column %s of %s: %s column of row numbers",
        ", ".join(map(repr, drop)),
        source,
        "an unnamed" if all(col.startswith("Unnamed") or not col for col in drop) else "a",
    )
    return frame.drop(columns=drop)


def _trailing_delimiter(cells: pd.Series, name: str) -> bool:
    """Whether a column is only the empty one a delimiter at the end of every line makes (Google Sheets and
    Excel exports: ``Date,Revenue,``): no header, no value; left out without a note."""
    return name.startswith("Unnamed: ") and bool((cells.isna() | (cells.astype(str).str.strip() == "")).all())


def _wide_targets(
    target: str | None, columns: list[str], *, id_col: str | None, source: str
) -> list[str] | None:
    """``--target a,b,c`` -> [a, b, c]; ``--target all`` -> ['*']; a single column (even one named 'a,b') -> None."""
    if target is None or target in columns or not ("," in target or target.strip().lower() == "all"):
        return None
    if id_col is not None:
        raise DataError(
            f"--target {target} reads one series per column (wide format) and --id-col one series per id "
            "(long format); pass only one of them"
        )
    if target.strip().lower() == "all":
        return ["*"]
    names = [name.strip() for name in target.split(",") if name.strip()]
    for name in names:
        if name not in columns:
            raise DataError(
                f"target column {name!r} not found in {source}; columns are: {', '.join(columns)}"
            )
    if len(set(names)) < len(names):
        raise DataError(f"--target {target} names a column twice; list each series column once")
    return names


def _single_target(
    frame: pd.DataFrame, numeric: list[str], taken: set, *, time_col: str | None, source: str
) -> str:
    if len(numeric) == 1:
        return numeric[0]
    if numeric:
        raise DataError(
            f"{source} has several numeric columns ({', '.join(numeric)}); choose one with --target, "
            "or forecast each as its own series with --target all"
        )
    left = [c for c in frame.columns if c not in taken]
    if len(left) == 1:
        return left[0]  # the one candidate: numeric_or_error names its first bad cell
    if len(mostly := _mostly_numeric(frame, exclude=taken)) == 1:
        return mostly[0]  # numeric but for a few bad cells: the check names the row
    axis = f" ({time_col!r} is the time axis)" if time_col else ""
    raise DataError(
        f"{source} has no numeric column to forecast; columns are: {', '.join(frame.columns)}{axis}"
    )


# ----------------------------------------------------------------------------- the time axis


def _detect_time_column(
    frame: pd.DataFrame, *, exclude: set, ids, date_format: str | None, source: str, zone: str | None
):
    """``(column, parsed times)`` of the time axis by the rules of the module docstring, or ``(None, None)``."""
    candidates = [c for c in frame.columns if c not in exclude]
    for col in candidates:  # named like a time column and parseable
        if col.strip().lower() not in TIME_NAMES:
            continue
        values = None if _months_like_numbers(frame[col]) else to_numeric(frame[col])
        if values is not None and not (
            _is_years(frame[col])
            or _is_step_counter(values, ids)
            or compact_dates(values) is not None
            or week_numbers(values, column=col, source=source) is not None
            or epoch_times(values) is not None
            or quarter_numbers(values) is not None
            or decimal_years(values) is not None
            or decimal_dates(values) is not None
            or (col.strip().lower() in DATE_NAMES and excel_serials(values) is not None)
        ):
            if off_calendar(values) is not None:  # R's decimal years of 52.18 steps a year: not "two numbers"
                raise not_times(values, column=col, source=source)
            continue  # numbers, but neither years, 202001-style months, Unix times nor a step counter (e.g. 1..12)
        try:
            return col, parse_times(frame[col], column=col, source=source, date_format=date_format, zone=zone)
        except DataError:
            if _mostly_times(frame[col]):  # a time column with a few bad cells: say which, do not drop it
                raise
    for col in candidates:  # text that parses as dates / months / quarters
        if to_numeric(frame[col].head(50)) is not None and not _months_like_numbers(frame[col]):
            continue
        try:
            return col, parse_times(frame[col], column=col, source=source, date_format=date_format, zone=zone)
        except DataError:
            continue
    numeric = [c for c in candidates if to_numeric(frame[c]) is not None]
    if len(numeric) >= 2:  # an integer column of Unix times, YYYYQ quarters, YYYYWW weeks or increasing years
        for col in numeric:
            values = to_numeric(frame[col])
            weeks = values is not None and week_numbers(values, column=col, source=source) is not None
            if values is not None and (epoch_times(values) or quarter_numbers(values) or weeks):
                return col, parse_times(frame[col], column=col, source=source)
        for col in numeric:
            if _is_years(frame[col]):
                years = to_numeric(frame[col])
                assert years is not None  # _is_years read it as numbers
                if (np.diff(years) > 0).mean() > 0.5:
                    return col, parse_times(frame[col], column=col, source=source)
    if len(candidates) >= 2 and candidates[0] == frame.columns[0]:  # the first column as a step counter
        first = candidates[0]
        values = to_numeric(frame[first])
        if values is not None and _is_step_counter(values, ids):
            return first, parse_times(frame[first], column=first, source=source)
    return None, None


def _months_like_numbers(column: pd.Series) -> bool:
    """Whether a column of cells that read as numbers writes months, ``01.2020`` or ``2020.01`` (not 1.202
    or a decimal year)."""
    return column.dtype == object and other_layouts(column.astype(str).str.strip()) is not None


def _is_years(column: pd.Series) -> bool:
    """Integers between 1000 and 2999 (four-digit years), more than one."""
    values = to_numeric(column)
    if values is None or len(values) < 2 or not np.isfinite(values).all() or (values % 1 != 0).any():
        return False
    return bool(((values >= 1000) & (values <= 2999)).all())


def _is_step_counter(values: np.ndarray, ids) -> bool:
    """Integers strictly increasing by one constant step (within each series when ``ids`` is given)."""
    if len(values) < 3 or np.isnan(values).any() or (values % 1 != 0).any():
        return False
    if ids is None:
        steps = np.diff(values)
        return bool(steps[0] > 0 and (steps == steps[0]).all())
    steps = pd.Series(values).groupby(ids).diff()
    present = steps.notna()
    return bool(
        present.any()
        and (steps[present] > 0).all()
        and steps[present].groupby(ids[present.to_numpy()]).nunique().le(1).all()
    )


def _mostly_times(column: pd.Series) -> bool:
    """Whether most cells of a text column read as dates (so a failure to parse it is the user's to fix)."""
    text = column.astype(str).str.strip().head(1000)
    if to_numeric(text) is not None:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.5)


# ----------------------------------------------------------------------------- numeric cells


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


def to_numeric(column: pd.Series) -> np.ndarray | None:
    """The column as float64 when every non-empty cell is a number, else None."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        return None
    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=np.float64)
    text = column.astype(str).str.strip()
    present = text[~text.str.lower().isin(MISSING_CELLS)]
    if present.empty:
        return None
    converted = pd.to_numeric(present, errors="coerce")
    if converted.isna().any():
        return None
    return pd.to_numeric(text.where(text.isin(present), None), errors="coerce").to_numpy(dtype=np.float64)


def numeric_or_error(column: pd.Series, name: str, source: str) -> np.ndarray:
    """The column as float64 (empty cells NaN), or a DataError naming the first bad cell.

    A column that is mostly text is called not numeric; one with a few bad cells gets the row to fix.
    """
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=np.float64)
    else:
        text = column.astype(str).str.strip()
        missing = text.str.lower().isin(MISSING_CELLS)
        converted = pd.to_numeric(text.where(~missing, None), errors="coerce")
        bad = (converted.isna() & ~missing).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            if bad.sum() > 0.5 * (~missing).sum():
                raise DataError(
                    f"column {name!r} of {source} is not numeric ({text.iloc[row]!r} at row {row + 1}); "
                    "lstmkit forecasts a column of numbers: fix the values, or choose a numeric column with --target"
                )
            raise DataError(
                f"column {name!r} of {source} has a non-numeric value {text.iloc[row]!r} at row {row + 1} "
                f"(line {row + 1 + column.attrs.get(HEADER_LINE, 1)} of the file); fix or remove that row"
            )
        values = converted.to_numpy(dtype=np.float64)
    inf = np.isinf(values)
    if inf.any():
        row = int(np.flatnonzero(inf)[0])
        raise DataError(
            f"column {name!r} of {source} has an infinite value at row {row + 1}; replace it with a number or leave it empty"
        )
    return values
