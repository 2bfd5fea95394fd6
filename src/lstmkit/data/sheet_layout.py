"""What a spreadsheet writes around a table's rows: Excel's ``sep=;`` line, a report's title and notes above the
column names, no column names at all, a row of units below them, empty formatted rows and a source or note
(a statistics office's footer) below the data, and cells written ``="007"`` to keep them text. :mod:`lstmkit.data.tables` reads a CSV through these.

``frame.attrs[HEADER_LINE]`` is the line of the file the column names are on (1, unless lines above them or
a units row below them were skipped), so that errors name the line a row is on.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path

import pandas as pd

from lstmkit.data.number_formats import MISSING_CELLS

log = logging.getLogger("lstmkit.data.tabular")

HEADER_LINE = "header_line"  # frame.attrs key: the line of the file its column names are on
_SEP_LINE = re.compile(r"\ufeff?sep=([,;\t|])[ \t]*(?:\r\n|\r|\n)")  # Excel's hint: sep=;


def separator_line(text: str) -> tuple[str | None, str]:
    """``(delimiter, text)``: the delimiter an Excel ``sep=;`` first line names and the text after that line,
    or ``(None, text)`` when there is none."""
    hint = _SEP_LINE.match(text)
    return (hint.group(1), text[hint.end() :]) if hint else (None, text)


def names_for_headerless(frame: pd.DataFrame, path: Path, delimiter: str) -> list[str] | None:
    """``column1``, ``column2`` ... with a warning when the line ``frame`` took for its header is data
    (:func:`_header_is_data`), else None."""
    if not _header_is_data(frame):
        return None
    names = [f"column{i + 1}" for i in range(frame.shape[1])]
    log.warning(
        "%s has no header line (its first line is data, %s); its columns are named %s",
        path.name,
        delimiter.join(str(c) for c in frame.columns),
        ", ".join(names),
    )
    return names


_TIME_OR_DECIMAL = re.compile(r"\d[-/:.]\d|[A-Za-z]{3}.*\d|\d.*[A-Za-z]{3}")  # 2020-01, 1.5, Jan 2020


def _header_is_data(frame: pd.DataFrame) -> bool:
    """Whether the line read as the header is the first row of data (a file exported without column names):
    every name is written like the cell below it (digits and letters in the same places) with a digit, and one
    is a time or a decimal number, not only whole numbers (``2019,2020`` above ``10,20`` names wide columns)."""
    if frame.empty:
        return False
    names = pd.Series([str(c) for c in frame.columns])
    first = pd.Series([str(c) for c in frame.iloc[0]])
    return bool(
        names.str.contains(r"\d").all()
        and (_shape(names) == _shape(first)).all()
        and names.str.contains(_TIME_OR_DECIMAL).any()
    )


def _shape(cells: pd.Series) -> pd.Series:
    """How cells are written: runs of digits as 9, of letters as a (``Jan 2020`` is ``a 9``)."""
    return cells.str.replace(r"\d+", "9", regex=True).str.replace(r"[A-Za-z]+", "a", regex=True)


# ="007": a cell exported for Excel to keep as text (leading zeros, ids)
_FORMULA_TEXT = re.compile(r'="(.*)"')


def without_formula_quotes(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the columns whose every filled cell is written ``="..."`` (exported for Excel to keep
    ``007`` or a 16-digit id as text) holding the text inside: ``007``."""
    for col in frame.columns:
        cells = frame[col].astype(str).str.strip()
        filled = cells[cells != ""]
        if len(filled) and filled.str.fullmatch(_FORMULA_TEXT).all():
            frame[col] = cells.str.replace(_FORMULA_TEXT, r"\1", regex=True)
    return frame


_TITLE_LINES = 10  # at most this many lines above a header are read as a report's title, units and notes


def without_title_lines(text: str, delimiter: str, path: Path) -> tuple[str, int]:
    """``(text, n)``: ``text`` less its first ``n`` lines when they are no row of the table but a spreadsheet
    report's title, units or notes above the header (``Monthly sales report``, ``Units: EUR``: a first cell
    alone, or nothing), with a warning; ``(text, 0)`` when the first line holds two cells or more, or is
    ``,sales`` (a header over a column of row numbers)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    titles, skipped = [], 0
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if sum(bool(cell) for cell in cells) >= 2:
                break
            if any(cells[1:]) or reader.line_num > _TITLE_LINES:
                return text, 0
            titles += cells[:1] if cells and cells[0] else []
            skipped = reader.line_num
        else:
            return text, 0  # no line of two cells: a table of one column, read as it is
    except csv.Error:
        return text, 0  # malformed: the table reader names it
    if not titles:
        return text, 0  # empty lines alone: the reader skips them
    start = [m.end() for m in re.finditer(r"\r\n|\r|\n", text)][skipped - 1]
    log.warning(
        "%s: skipped %d line(s) above the column names, %s: a title or note, not a row of the table",
        path.name,
        skipped,
        ", ".join(repr(title) for title in titles[:3]),
    )
    return text[start:], skipped


def without_blank_tail(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` less the rows at its end whose every cell is empty (``,,`` lines, as spreadsheets export
    formatted but empty rows below the data); an empty row inside the data is kept, for the caller to name.
    Cells are text (the string reader) or typed, missing as NaN (the typed reader)."""
    filled = frame.notna().to_numpy()
    for k, column in enumerate(frame.columns):
        # text: a cell of spaces is empty too (typed columns: no strings made)
        if frame[column].dtype == object:
            filled[:, k] &= (frame[column].astype(str).str.strip() != "").to_numpy()
    filled = filled.any(axis=1)
    last = len(filled) - int(filled[::-1].argmax()) if filled.any() else 0
    return frame.iloc[:last] if last < len(frame) else frame


# A cell a spreadsheet writes for a number: signs, currency, groups, decimals, percent (number_formats reads it)
_NUMBER_LIKE = re.compile(
    r"[-+(\u2212]?\s*[$\u20ac\u00a3\u00a5\u20b9]?\s*\d[\d.,'\u2019 \u00a0\u202f]*(?:[eE][-+]?\d+)?\s*[%$\u20ac\u00a3\u00a5\u20b9]?\)?-?"
)


def without_units_row(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, int]:
    """``(frame, 1)``: ``frame`` less its first row when that row names units or descriptions below the column
    names (``,EUR,EUR/kg`` or ``YYYY-MM,units``, as statistics offices export them), with a warning; else
    ``(frame, 0)``. Such a row holds text or nothing in every column whose other cells are (mostly) numbers,
    and in the other columns nothing or text written unlike the row below it: a first row of data with one
    bad cell is no units row (the caller names the cell)."""
    if len(frame) < 3:
        return frame, 0
    first = frame.iloc[0].astype(str).str.strip()
    rest = frame.iloc[1:]
    numeric = [col for col in frame.columns if _numbers_below(rest[col].astype(str).str.strip())]
    others = [col for col in frame.columns if col not in numeric]
    second = rest.iloc[0][others].astype(str).str.strip()
    cells = first[numeric]
    if cells.str.fullmatch(_NUMBER_LIKE).any() or cells.str.lower().isin(MISSING_CELLS).all():
        return frame, 0  # a number, or no text: a row of data (or no numeric column)
    if ((first[others] != "") & (_shape(first[others]) == _shape(second))).any():
        return frame, 0
    log.warning(
        "%s: skipped the row below the column names, %r: units or descriptions, not data",
        path.name,
        ",".join(first),
    )
    return frame.iloc[1:].reset_index(drop=True), 1


# a letter, the copyright sign or a rule (_____): a cell of words or lines, not a number or a time
_TEXT = re.compile(r"[^\W\d_]|\u00a9|[-_=*]{3}")
_FOOTER_LINES = 10  # at most this many lines below the data are read as a source or note, as above the header
_FOOTER_WINDOW = 1000  # the last rows read for a footer: its value columns show there as in the whole table


def without_footer(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``frame`` less the rows below its data that are a footer (``Source: Eurostat``, ``Quelle: Destatis``,
    ``\u00a9 ...``, ``Note: ...``, as statistics offices export them), with a warning; else ``frame`` as given.

    A footer row has no number in the columns of numbers (no value), text in some cell, and every filled cell
    written unlike the cell above it in the last row that has a number (no time of the time column): only rows
    after every such row qualify, and blank rows between them. A row that is data with a bad cell (``Total``
    with a value, ``2020-07`` without one, a bad cell in the middle) stays, for the reader to name.
    Cells are text (the string reader) or typed, missing as NaN (the typed reader)."""
    if len(frame) < 3:
        return frame
    rows = frame.iloc[-_FOOTER_WINDOW:]  # a large table's last rows tell its footer as well as all would
    cells = pd.DataFrame(
        {col: rows[col].astype(str).str.strip().where(rows[col].notna(), "") for col in rows}
    )
    numeric = [col for col in frame.columns if _numbers_below(cells[col])]
    if not numeric:
        return frame
    numbered = cells[numeric].apply(lambda column: column.str.fullmatch(_NUMBER_LIKE)).any(axis=1).to_numpy()
    if not numbered.any():
        return frame
    last = int(numbered.nonzero()[0][-1])
    data_shape = _shape(cells.iloc[last])
    footer, keep = [], last + 1
    for row in range(len(rows) - 1, last, -1):
        filled = cells.iloc[row] != ""
        if not filled.any():
            continue  # a blank row between the data and its footer, or below it
        written = cells.iloc[row][filled]
        if not written.str.contains(_TEXT).any() or (_shape(written) == data_shape[filled]).any():
            # a row of the data without a value (2020-07,), or a time: it and the rows above it stay
            keep = row + 1
            break
        footer.append(row)
    if not footer or len(footer) > _FOOTER_LINES:
        return frame
    notes = [cells.iloc[row][cells.iloc[row] != ""].iloc[0] for row in reversed(footer)]
    log.warning(
        "%s: skipped %d line(s) below the data, %s: a source or note, not a row of the table",
        path.name,
        len(footer),
        ", ".join(repr(note) for note in notes[:3]),
    )
    return frame.iloc[: len(frame) - len(rows) + keep]


def _numbers_below(cells: pd.Series) -> bool:
    """Whether a column's filled cells are mostly numbers as a spreadsheet writes them (a value column)."""
    present = cells[~cells.str.lower().isin(MISSING_CELLS)]
    return bool(len(present)) and present.str.fullmatch(_NUMBER_LIKE).mean() > 0.5
