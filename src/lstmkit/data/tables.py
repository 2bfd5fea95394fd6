"""Reading a table from disk: file type, text encoding, delimiter and how numbers are written.

``read_table`` is the one entry point; every job that reads a CSV or Parquet file goes through
it (forecasting, long-format classification, text CSVs). The rules, in order:

- Parquet by extension (``.parquet``, ``.pq``) or magic bytes; anything else is a CSV, which may be
  gzip-compressed (``data.csv.gz``, recognised by its magic bytes).
- Encoding (:func:`decode_text`, which also decodes .ts files and text corpora): UTF-8 (with or without
  BOM), UTF-16 (BOM, or a NUL every other byte), else Windows-1252 (Latin-1 where a byte is not one
  of its characters) with a warning; a file with NULs in no such pattern is refused as binary, and so is
  one whose decoded text is more than 1% control characters (a PNG, random bytes without a NUL).
- Delimiter: Excel's ``sep=;`` line, else sniffed from the first 20 lines among ``,`` ``;`` tab ``|``.
- Numbers (:func:`~lstmkit.data.number_formats.decode_numbers`), decided per column: thousands separators,
  decimal commas (first in a ``;`` file: ``1.037,5`` is 1037.5; elsewhere ``"1,037"`` is 1037), money and
  percentages as spreadsheets write them (:mod:`lstmkit.data.number_formats` has the rules).
- The layout a spreadsheet writes around the rows (:mod:`lstmkit.data.sheet_layout`): Excel's ``sep=;`` line
  names the delimiter; a report's title and notes above the column names and a row of units below them are
  skipped with a warning; a first line written like the row below it, with a time or a decimal number, is
  data, not a header (the columns are named ``column1``, ``column2`` ..., with a warning); cells written
  ``="007"`` hold ``007``; empty rows below the data are dropped, and so is a source or note below it (a
  statistics office's footer: text and no value after the last row of data), with a warning.

CSVs over ``_BIG_CSV_BYTES`` are read by pyarrow's typed reader, under the same rules (the layout around the
rows read off the file's head and its last rows).

Column roles (which column is the time axis, the target, the ids) are decided later, in
:mod:`lstmkit.data.columns`.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import logging
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from lstmkit.data.dates import CLOCK_WRITTEN, clock_format
from lstmkit.data.number_formats import decode_numbers
from lstmkit.data.sheet_layout import (
    HEADER_LINE,
    names_for_headerless,
    separator_line,
    without_blank_tail,
    without_footer,
    without_formula_quotes,
    without_title_lines,
    without_units_row,
)
from lstmkit.errors import DataError

log = logging.getLogger("lstmkit.data.tabular")

# CSVs larger than this are read by pyarrow's typed parser (numbers as float64, ISO times as
# datetime64) instead of as one Python string per cell: 10 million rows then need ~0.5 GB, not ~4 GB.
_BIG_CSV_BYTES = 32 * 2**20

# Control characters text does not hold: C0 less tab, line feed, vertical tab (FileMaker's in-cell line break),
# form feed and carriage return; and DEL. Random bytes decode to about one in nine of them (Windows-1252 and
# Latin-1 read any byte), a text file to next to none: more than _BINARY_SHARE of the text is binary.
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")
_BINARY_SHARE = 0.01


def read_table(path: str | Path, *, numbers: bool = True) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame of strings/numbers (see the module docstring for the rules).

    ``numbers=False`` keeps every CSV cell as written (no thousands separators, currency or percent
    signs read away): a table of texts, where a review reading ``12%`` or a label ``$5`` is text.

    Raises:
        DataError: missing, empty, binary, undecodable or malformed file.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(
            f"data file {path} not found; pass a CSV or Parquet file or a bundled dataset name (see 'lstmkit datasets')"
        )
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
            if any(name is not None for name in frame.index.names) or isinstance(
                frame.index, pd.DatetimeIndex
            ):
                frame = frame.reset_index()  # pandas saved its index (the dates, often) beside the columns
        except ImportError:
            raise DataError(
                "reading Parquet needs pyarrow: pip install pyarrow (or save the data as CSV)"
            ) from None
        except Exception as exc:  # noqa: BLE001 - any reader failure is a damaged file for the user
            raise DataError(f"{path} is not a readable Parquet file ({_first_line(exc)})") from None
    elif head[:2] == GZIP_MAGIC:
        frame = _read_csv(path, gunzip(path, path.read_bytes()), numbers=numbers)
    elif size > _BIG_CSV_BYTES and numbers:  # the typed reader makes numbers of what looks like them
        frame = _read_big_csv(path, head)
    else:
        frame = _read_csv(path, path.read_bytes(), numbers=numbers)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise DataError(f"{path} has a header but no rows of data")
    return frame


GZIP_MAGIC = b"\x1f\x8b"


def file_lines(frame: pd.DataFrame, rows) -> list[int]:
    """The lines of the file on which the data rows ``rows`` (0-based, ascending) of ``frame`` start:
    the header is line 1, and a quoted cell holding line breaks (a multi-line text) moves later rows down."""
    breaks = pd.Series(0, index=range(len(frame)))
    for column in frame.columns:
        if frame[column].dtype == object:
            breaks += frame[column].astype(str).str.count("\n").to_numpy()
    before = breaks.cumsum() - breaks  # line breaks inside the rows above each row
    header = frame.attrs.get(HEADER_LINE, 1)
    return [int(row) + header + 1 + int(before.iloc[int(row)]) for row in rows]


def gunzip(path: Path, raw: bytes) -> bytes:
    """The decompressed bytes of a gzip file ``path`` whose content is ``raw``.

    Raises:
        DataError: the file is damaged or cut short.
    """
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path} is a damaged gzip file ({_first_line(exc)}); compress it again") from None


def _read_cells(text: str, delimiter: str, *, names: list[str] | None = None) -> pd.DataFrame:
    """The CSV ``text`` as the careful reader reads it: every cell the string it holds (no guessed types, no
    NA words; :func:`decode_numbers` reads the numbers), leading spaces dropped; ``names``: the file has no
    header line, these are its columns."""
    return pd.read_csv(
        io.StringIO(text),
        sep=delimiter,
        dtype=str,
        keep_default_na=False,
        skipinitialspace=True,
        header=None if names else "infer",
        names=names,
    )


class _Head(NamedTuple):
    """The layout of a large CSV, read off its head by the careful reader's rules."""

    encoding: str
    delimiter: str
    lines_above: int  # Excel's sep= line and a report's title lines, above the column names
    # the columns' names, where the typed reader is not to read them (no header line, or a units row below it)
    names: list[str] | None
    units: int  # 1: a row of units below the column names
    first_row: list[str]  # the first row of data, as written


def _read_big_csv(path: Path, head: bytes) -> pd.DataFrame:
    """A large CSV through pyarrow's typed reader, under the careful reader's layout rules: Excel's ``sep=`` line,
    title lines, a first line of data and a units row are read off the file's head (and skipped by the typed
    reader), empty rows and a footer off the typed rows. Anything it cannot read goes the careful way (exact
    errors), and the notes said for the head are then the careful reader's, said once."""
    with _held_notes() as notes:
        layout = _head_layout(path, head)
    if layout is None:
        return _read_csv(path, path.read_bytes())
    try:
        import pyarrow  # noqa: F401

        frame = pd.read_csv(
            path,
            sep=layout.delimiter,
            encoding=layout.encoding,
            engine="pyarrow",
            header=None if layout.names else layout.lines_above,
            skiprows=layout.lines_above + 2 * layout.units if layout.names else None,
            names=layout.names,
        )
    except Exception:  # noqa: BLE001 - ragged rows, odd quoting, no pyarrow: the string reader names the problem
        return _read_csv(path, path.read_bytes())
    for record in notes:  # the typed reader read the file: the head's notes stand
        log.handle(record)
    cells = layout.first_row
    for k, col in enumerate(frame.columns):  # pyarrow reads plain dates as datetime.date objects
        if frame[col].dtype == object and len(frame) and type(frame[col].iloc[0]).__name__ == "date":
            frame[col] = pd.to_datetime(frame[col])
        elif k < len(cells) and _midnights_written(frame[col], cells[k]):
            frame[col] = frame[col].dt.strftime(clock_format(cells[k]))  # text, as the careful reader has it
    frame = without_footer(without_blank_tail(frame), path)
    frame.attrs[HEADER_LINE] = layout.lines_above + layout.units + 1
    return decode_numbers(frame, delimiter=layout.delimiter)


def _head_layout(path: Path, head: bytes) -> _Head | None:
    """How a large CSV is laid out, read off its ``head`` as the careful reader reads the whole file (with its
    notes); None when the head is malformed."""
    text, encoding = decode_text(path, head, partial=True)
    hinted, text = separator_line(text)
    delimiter = hinted or _sniff_delimiter("\n".join(text.splitlines()[:20]))
    text, above = without_title_lines(text, delimiter, path)
    lines = text.splitlines()[:-1][:_HEAD_ROWS]  # whole lines: the head may end inside one
    try:
        sample = _read_cells("\n".join(lines), delimiter)
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    names = names_for_headerless(sample, path, delimiter)  # is its first line data?
    units = 0 if names else without_units_row(sample, path)[1]
    first = sample.iloc[units:]
    return _Head(
        encoding=encoding,
        delimiter=delimiter,
        lines_above=bool(hinted) + above,
        names=names or (list(sample.columns) if units else None),  # the units row is skipped with the names
        units=units,
        first_row=first.iloc[0].astype(str).tolist() if len(first) else [],
    )


# the lines of a large CSV's head its layout is read off (a units row: by its columns of numbers)
_HEAD_ROWS = 1000


@contextlib.contextmanager
def _held_notes() -> Iterator[list[logging.LogRecord]]:
    """The reading notes logged within, held back (not shown) and listed: for the caller to show once it knows
    they stand."""
    held: list[logging.LogRecord] = []

    def hold(record: logging.LogRecord) -> bool:
        held.append(record)
        return False

    log.addFilter(hold)
    try:
        yield held
    finally:
        log.removeFilter(hold)


def _midnights_written(column: pd.Series, first_cell: str) -> bool:
    """Whether pyarrow typed a column of times at midnight whose cells write that clock (SQL's ``2020-01-31
    00:00:00``): the careful reader writes future times with it, and the typed times alone would not say so."""
    if not pd.api.types.is_datetime64_dtype(column) or not re.search(CLOCK_WRITTEN, first_cell):
        return False
    return bool((column.dropna() == column.dropna().dt.normalize()).all())


def _read_csv(path: Path, raw: bytes, *, numbers: bool = True) -> pd.DataFrame:
    text, _ = decode_text(path, raw)
    hinted, text = separator_line(text)
    delimiter = hinted or _sniff_delimiter("\n".join(text.splitlines()[:20]))
    text, above = without_title_lines(text, delimiter, path)
    try:
        frame = _read_cells(text, delimiter)
        if names := names_for_headerless(frame, path, delimiter):
            frame = _read_cells(text, delimiter, names=names)
    except pd.errors.ParserError as exc:
        raise DataError(
            f"{path} is not a well-formed CSV ({_first_line(exc)}); check the delimiter and quoting"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; it needs a header line and at least one row of data") from None
    frame = without_blank_tail(frame)
    frame, units = without_units_row(frame, path) if numbers else (frame, 0)
    if numbers:  # a table of texts keeps its last rows: a review is text too
        frame = without_footer(frame, path)
    frame.attrs[HEADER_LINE] = bool(hinted) + above + units + 1
    return decode_numbers(without_formula_quotes(frame), delimiter=delimiter) if numbers else frame


def decode_text(path: Path, raw: bytes, *, partial: bool = False, what: str = "CSV") -> tuple[str, str]:
    """``(text, encoding)`` of a text file: UTF-8 (BOM or not), UTF-16 (BOM, or NUL every other byte), else Windows-1252 or Latin-1 with a warning.

    ``partial``: ``raw`` is the head of a longer file, possibly cut inside a character.
    ``what``: the kind of file expected (``CSV``, ``.ts file``, ``text file``), for the messages.

    Raises:
        DataError: the file holds NUL bytes outside a UTF-16 pattern, or more than 1% control characters other
            than tab, line breaks and form feed (binary), or is not the UTF-16 its head says.
    """
    alternative = " or a Parquet file" if what == "CSV" else ""
    wanted = what if what.startswith("text") else f"text {what}"
    binary = DataError(f"{path} looks like a binary file, not a {what}; pass a {wanted}{alternative}")
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
            raise binary
    else:
        encodings = ["utf-8-sig", "cp1252", "latin-1"]  # Windows' Latin-1 (its euro sign, curly quotes) first
    for encoding in encodings:
        for cut in range(4 if partial else 1):  # a head may end inside a multi-byte character
            try:
                text = raw[: len(raw) - cut].decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            continue
        if "\x00" in text:
            if not encoding.startswith("utf-16"):
                raise binary  # its first NUL lies past the head checked above (and no warning came before)
            break
        if len(_CONTROL.findall(text)) > _BINARY_SHARE * len(text):
            raise binary  # bytes without a NUL that any single-byte encoding decodes (and before its warning)
        if encoding in ("cp1252", "latin-1"):
            log.warning(
                "%s is not UTF-8; reading it as %s",
                path,
                "Windows-1252" if encoding == "cp1252" else "Latin-1",
            )
        return text, encoding
    raise DataError(f"{path} is neither UTF-8 nor {encodings[0].upper()} text; save it as UTF-8 {what}")


def _sniff_delimiter(sample: str) -> str:
    """The delimiter of the first lines ``sample``: csv.Sniffer's guess, unless that guess cuts the lines into
    ragged rows and another candidate cuts every one into the same number (above one) of cells. The
    Sniffer reads ``"a; b"<tab>`` as a ';' file: tab-separated texts quoting semicolons were refused."""
    try:
        guess = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sample.splitlines()[0].count(d) for d in ",;\t|"} if sample else {}
        best = max(counts, key=lambda d: counts[d]) if counts else ","
        guess = best if counts.get(best) else ","
    for delimiter in [guess, *(d for d in ",;\t|" if d != guess)]:
        rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
        widths = {len(row) for row in (rows[:-1] if len(rows) > 2 else rows)}  # the last may be cut short
        if len(widths) == 1 and widths.pop() > 1:
            return delimiter
    return guess


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
