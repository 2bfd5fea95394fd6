"""Labelled sequences from a long table (CSV or Parquet): one row per case and time step.

:func:`read_long_csv` groups the rows by an id column into cases, orders each case's steps by a time column
when one is given (refusing an empty or unreadable time with its line), takes every other numeric column as
a channel and the label column as the case's class (one per case, a disagreeing row named by its line).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lstmkit.data.labels import class_label
from lstmkit.data.sequences import SequenceData
from lstmkit.errors import DataError

log = logging.getLogger(__name__)


def _column_error(column: str, role: str, flag: str, path: Path, columns: Sequence[str]) -> DataError:
    return DataError(
        f"{role} column {column!r} not found in {path.name}; columns are: {', '.join(map(str, columns))}; pass {flag}"
    )


_MISSING_CELLS = ("", "?", "NA", "NaN", "nan", "null", "NULL")


def _typed(frame, *, text: tuple[str | None, ...]):
    """Columns of strings that hold numbers (and missing markers) as floats; ``text`` columns as strings, blanks NaN."""
    import pandas as pd

    frame = frame.copy()
    for column in frame.columns:
        if not pd.api.types.is_string_dtype(frame[column]) and frame[column].dtype != object:
            continue  # already typed (Parquet, or the large-CSV reader)
        cells = frame[column].astype(str).str.strip()
        missing = cells.isin(_MISSING_CELLS)
        if column in text:
            frame[column] = cells.mask(missing)
            continue
        numbers = pd.to_numeric(cells.mask(missing), errors="coerce")
        if not (numbers.isna() & ~missing).any():  # every present cell is a number
            frame[column] = numbers.astype(float)
    return frame


def _feature_columns(
    frame, path: Path, *, id_col: str, label_col: str | None, time_col: str | None, require_labels: bool
) -> tuple[bool, list]:
    """Check the id, time and label columns; ``(whether labels are present, the numeric feature columns)``."""
    import pandas as pd

    columns = list(frame.columns)
    roles = [("--id-col", id_col), ("--label-col", label_col), ("--time-col", time_col)]
    for k, (flag, column) in enumerate(roles):
        for other, same in roles[k + 1 :]:
            if column is not None and column == same and column in frame:
                raise DataError(
                    f"{flag} and {other} both name column {column!r} of {path.name}; each role needs its own column"
                )
    if id_col not in frame:
        raise _column_error(id_col, "id", "--id-col", path, columns)
    if time_col is not None and time_col not in frame:
        raise _column_error(time_col, "time", "--time-col", path, columns)
    has_labels = label_col is not None and label_col in frame
    if require_labels and not has_labels:
        raise _column_error(str(label_col), "label", "--label-col", path, columns)
    if frame[id_col].isna().any():
        from lstmkit.data.tables import file_lines

        row = file_lines(frame, np.flatnonzero(frame[id_col].isna().to_numpy())[:1])[0]
        raise DataError(f"{path.name} line {row}: the id column {id_col!r} is empty")
    reserved = {id_col, time_col, label_col if has_labels else None}
    features = [c for c in columns if c not in reserved and pd.api.types.is_numeric_dtype(frame[c])]
    skipped = [c for c in columns if c not in reserved and c not in features]
    for column in skipped:
        _refuse_stray_text(frame, path, column)
    if skipped:
        log.warning("skipping non-numeric column(s) %s in %s", ", ".join(map(str, skipped)), path.name)
    if not features:
        raise DataError(
            f"{path.name} has no numeric feature column besides id {id_col!r}"
            + (f", label {label_col!r}" if has_labels else "")
            + (f", time {time_col!r}" if time_col else "")
            + f"; columns are: {', '.join(map(str, columns))}"
        )
    return has_labels, features


def _refuse_stray_text(frame, path: Path, column) -> None:
    """A column of numbers with a few text cells is a typo, not a text column: name its first bad cell."""
    import pandas as pd

    from lstmkit.data.tables import file_lines

    cells = frame[column]
    text = cells.astype(str).str.strip()
    present = cells.notna() & ~text.isin(_MISSING_CELLS)
    numbers = pd.to_numeric(text.where(present), errors="coerce")
    bad = present & numbers.isna()
    if bad.any() and (present & ~bad).sum() >= bad.sum():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{path.name} line {file_lines(frame, [row])[0]}: column {column!r} holds {text.iloc[row][:30]!r} among numbers; "
            "fix the cell, or leave it empty for a missing value"
        )


def _step_order(frame, path: Path, time_col: str):
    """The values of ``time_col`` that order a case's steps: numbers as they are, dates as timestamps.

    An empty cell would sort its row to the end of its case, a silent reordering; it is refused
    with its line, and so is a cell that is neither a number nor a date."""
    import warnings

    import pandas as pd

    from lstmkit.data.tables import file_lines

    order = frame[time_col]
    typed = pd.api.types.is_numeric_dtype(order) or pd.api.types.is_datetime64_any_dtype(order)
    empty = order.isna()
    if not typed:  # text cells: one of spaces is empty too
        empty |= order.astype(str).str.strip().eq("")
    if empty.any():
        line = file_lines(frame, np.flatnonzero(empty.to_numpy())[:1])[0]
        raise DataError(
            f"{path.name} line {line}: the time column {time_col!r} is empty; every row needs its time step "
            "(or leave --time-col out to keep the file's row order)"
        )
    if typed:
        return order
    with warnings.catch_warnings():  # pandas warns when each cell is parsed on its own
        warnings.simplefilter("ignore")
        stamps = pd.to_datetime(order.astype(str).str.strip(), format="mixed", errors="coerce")
    if stamps.isna().any():
        row = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise DataError(
            f"{path.name} line {file_lines(frame, [row])[0]}: the time column {time_col!r} holds "
            f"{str(order.iloc[row])[:30]!r}, neither a number nor a date; pass a column of numbers or dates "
            "(such as 2020-01-31 12:00) as --time-col, or leave it out to keep the file's row order"
        )
    return stamps


def _note_unused_time_columns(frame, path: Path, *, features: list, roles: tuple[str | None, ...]) -> None:
    """Warn about a column named like a time (``t``, ``step``, ``date``...) while no --time-col is given:
    rows out of order would then be read in file order, silently, with the time read as a feature."""
    from lstmkit.data.columns import TIME_NAMES

    for column in frame.columns:
        if column in roles or str(column).strip().lower() not in TIME_NAMES:
            continue
        use = "read as a feature" if column in features else "skipped"
        log.warning(
            "%s: column %r is named like a time, but without --time-col the steps stay in file order and %r is %s; "
            "pass --time-col %s to order each case's steps by it",
            path.name,
            column,
            column,
            use,
            column,
        )


def _number_cases(frame, path: Path, *, id_col: str, time_col: str | None):
    """``(frame, ids)``: each row's case number in ``_case`` (cases in order of first appearance),
    rows sorted by ``time_col`` within a case when given; ``ids`` names the cases by number."""
    import pandas as pd

    case_index, case_ids = pd.factorize(frame[id_col])
    frame = frame.assign(_case=case_index)
    if time_col is not None:
        order = _step_order(frame, path, time_col)
        frame = frame.assign(_order=order).sort_values(["_case", "_order"], kind="stable")
        twice = frame.duplicated(["_case", "_order"]).to_numpy()
        if twice.any():
            row = frame.iloc[int(np.flatnonzero(twice)[0])]
            when = row[time_col]
            shown = f"{when:g}" if isinstance(when, float) else str(when)
            raise DataError(
                f"{path.name}: case {str(case_ids[row['_case']])!r} has several rows at {time_col} {shown}; "
                "each case needs one row per time step"
            )
    return frame, [str(c) for c in case_ids]


def _case_values(group, features: list, path: Path, case_id: str) -> np.ndarray:
    """One case's feature values, ``(T_i, F)`` float32, trailing steps missing in every feature dropped
    (as the .ts reader does: they are padding, which is what the ONNX graph reads them as too);
    an infinite value, or a case with no observed value, is refused."""
    values = group[features].to_numpy(dtype=np.float32)  # (T_i, F)
    if np.isinf(values).any():
        column = features[int(np.flatnonzero(np.isinf(values).any(axis=0))[0])]
        raise DataError(
            f"{path.name}: case {case_id!r} has an infinite value in column {column!r}; "
            "leave the cell empty for a missing value"
        )
    observed = np.flatnonzero(~np.isnan(values).all(axis=1))
    if observed.size == 0:
        raise DataError(
            f"{path.name}: case {case_id!r} has no observed value (every feature cell is empty); "
            "drop its rows or fill them in"
        )
    return values[: observed[-1] + 1]


def _case_label(group, label_col: str | None, path: Path, case_id: str, *, table) -> str:
    """The one label a case's rows agree on; ``table``: the file's rows, to name the line of a disagreeing one."""
    from lstmkit.data.tables import file_lines

    cells = group[label_col].dropna().sort_index().map(class_label)  # file order; Parquet's 1.0 is a CSV's 1
    values = cells.unique()
    if len(values) == 0:
        raise DataError(f"{path.name}: case {case_id!r} has no label in column {label_col!r}")
    if len(values) > 1:
        row = int(cells.index[cells != values[0]][0])  # the first row that disagrees with the case's first
        raise DataError(
            f"{path.name} line {file_lines(table, [row])[0]}: case {case_id!r} has several labels in column "
            f"{label_col!r} ({', '.join(map(str, values[:5]))}); each case needs one label"
        )
    return str(values[0])


def read_long_csv(
    path: str | Path,
    *,
    id_col: str = "id",
    label_col: str | None = "label",
    time_col: str | None = None,
    require_labels: bool = False,
) -> SequenceData:
    """Read a long table (CSV or Parquet): one row per case and time step.

    Rows sharing ``id_col`` form one case (in order of first appearance), sorted by ``time_col``
    when given, else in file order. Every other numeric column is a feature; text columns other
    than these are skipped with a warning. Empty cells are missing values (NaN); a case's last
    rows with every feature empty are dropped (padding, as in a ``.ts`` file).

    Args:
        path: the file.
        id_col: the column naming the case.
        label_col: the class column; a case's rows must agree on it. Absent is allowed unless
            ``require_labels``.
        time_col: the column ordering the steps within a case (numbers or dates).
        require_labels: raise when ``label_col`` is missing.

    Raises:
        DataError: missing file or column, no numeric feature, conflicting or empty labels.
    """
    from lstmkit.data.tabular import read_table

    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path} is a folder; pass a .ts file, a long CSV or a bundled dataset name")
    if not path.is_file():
        raise DataError(f"data file {path} not found; pass a .ts file, a long CSV or a bundled dataset name")
    # encodings, delimiters, junk: the CSV reader's checks
    frame = _typed(read_table(path), text=(id_col, label_col))
    has_labels, features = _feature_columns(
        frame, path, id_col=id_col, label_col=label_col, time_col=time_col, require_labels=require_labels
    )
    if time_col is None:
        _note_unused_time_columns(frame, path, features=features, roles=(id_col, label_col))
    table = frame  # the rows in file order, their index their position (error lines)
    frame, ids = _number_cases(frame, path, id_col=id_col, time_col=time_col)
    series, labels = [], []
    for case, group in frame.groupby("_case", sort=True):
        series.append(_case_values(group, features, path, ids[case]))
        if has_labels:
            labels.append(_case_label(group, label_col, path, ids[case], table=table))
    return SequenceData(
        series=series,
        labels=np.asarray(labels, dtype=object) if has_labels else None,
        name=path.name,
        ids=ids,
        features=[str(c) for c in features],
    )


__all__ = ["read_long_csv"]
