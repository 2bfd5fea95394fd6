"""How numbers are written in a CSV: thousands separators, decimal commas, money, percentages, missing cells.

:func:`decode_numbers` rewrites the text columns written in a spreadsheet's number format as plain numbers
(``1037.5``), one convention per column, so one file never mixes them within a column:

- decimal point: commas (``"1,037"``, ``"12,345.6"``), spaces (plain, no-break or narrow no-break:
  ``1 037``) or apostrophes (Swiss ``1'037.5``) group digits by three;
- decimal comma: dots or spaces group digits by three (``1.037,5``, ``1 037,5``, ``12,5``).

A ``;`` file (Excel's CSV where the comma is the decimal mark) tries the decimal comma first, any other file
the decimal point: ``"1,037"`` is 1037 in a comma file and 1.037 in a ``;`` file. The other convention is
read only where the first does not fit every cell: a comma file that LibreOffice or Google Sheets wrote in a
German or French locale quotes ``"1.037,5"`` and ``"12,5"``, which no thousands comma reads. In a ``;`` file a
column of whole numbers whose dots group thousands (``987``, ``1.037``, ``12.345.678``) is read so, as Excel
writes a thousands format there, when a cell without a dot or one with several says they are groups, or
three cells or more are all written so (a cell or two, ``1.037`` alone, stay decimals). A first group never
starts with 0: ``0,125`` is a decimal, never 125.

Currency symbols, percent signs, accounting parentheses, SAP's trailing minus and the Unicode minus are read as
spreadsheets write them (:func:`undecorated`). A cell that is no number in either convention (``x``, ``#DIV/0!``)
has no say and stays as written, for the caller to name; a column of them (half or more) stays text.
"""

from __future__ import annotations

import re

import pandas as pd

# Cells that mean "no value" (compared lowercased): what pandas, R, Excel, SAS/Stata and databases write for one
MISSING_CELLS = frozenset(
    ("", "nan", "na", "n/a", "n.a.", "#n/a", "#na", "#nv", "<na>", "null", "none", "-", "--", "?", ".")
)  # #NV: German Excel's #N/A
_SPACE = "[ \u00a0\u202f]"  # thousands grouped by spaces: '1 037', '1\u00a0037,5' (French, Swiss, ...)
_SIGN = r"[-+]?"
_FIRST_GROUP = r"[1-9]\d{0,2}"  # 1 to 3 digits, not 0: '0,125' and '0.125' group no thousands
# A decimal comma: optional dot or space thousands groups, optional comma decimals.
_DECIMAL_COMMA = re.compile(
    rf"{_SIGN}(?:{_FIRST_GROUP}(?:\.\d{{3}})+|{_FIRST_GROUP}(?:{_SPACE}\d{{3}})+|\d+)(?:,\d*)?"
)
# A decimal point: optional comma, space or apostrophe thousands groups, optional point decimals.
_DECIMAL_POINT = re.compile(
    rf"{_SIGN}(?:{_FIRST_GROUP}(?:,\d{{3}})+|{_FIRST_GROUP}(?:{_SPACE}\d{{3}})+|{_FIRST_GROUP}(?:['\u2019]\d{{3}})+|\d+)"
    r"(?:\.\d+)?"
)
_GROUPS = re.compile(rf"{_SPACE}|['\u2019]")  # what separates thousands besides the comma and the dot
_DOT_GROUPED = re.compile(rf"{_SIGN}{_FIRST_GROUP}(?:\.\d{{3}})+")  # 1.037, 12.345.678
# In a ';' file, this many cells or more all written 1.037 are thousands: a program writing decimal points
# beside ';' writes as many decimals as a number needs (12.5, 1.25), not three in every cell.
_GROUPED_CELLS = 3
# Around a number: a currency symbol before it (after the sign) or after it, a percent sign after it
_CURRENCY_BEFORE = re.compile(r"^([-+]?)\s*[$\u20ac\u00a3\u00a5\u20b9]\s*")  # $ euro pound yen rupee
_SYMBOL_AFTER = re.compile(r"\s*[$\u20ac\u00a3\u00a5\u20b9%]$")
_ACCOUNTING = re.compile(r"^\((.+)\)$")  # (12) is -12
_TRAILING_MINUS = re.compile(r"^(\d[\d.,'\u2019 \u00a0\u202f]*)-$")  # SAP's 1.234,50- is -1234.5


def decode_numbers(frame: pd.DataFrame, *, delimiter: str) -> pd.DataFrame:
    """``frame`` with its text columns written in a number format rewritten as plain numbers (``1037.5``).

    See the module docstring for the conventions; ``delimiter`` is the file's (``;`` puts the decimal comma
    first). Columns that need no rewriting, or match no convention, are left as they are.
    """
    for col in frame.columns:
        if frame[col].dtype != object:
            continue
        written = frame[col].astype(str).str.strip()
        text = undecorated(written)
        present = ~text.str.lower().isin(MISSING_CELLS).to_numpy()
        number = (
            present & (text.str.fullmatch(_DECIMAL_COMMA) | text.str.fullmatch(_DECIMAL_POINT)).to_numpy()
        )
        if not number.any() or number.sum() < 0.5 * present.sum():
            continue  # text (a cell or two that are no number in either convention are the caller's to name)
        numbers = text[number]  # by position: a file's index column may repeat labels
        comma = _decimal_comma(numbers, semicolon=delimiter == ";")
        ungrouped = numbers.str.replace(_GROUPS, "", regex=True)
        if comma:
            read = ungrouped.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        elif comma is False and (numbers.str.contains(r"[,'\u2019]|\d\s\d").any() or (text != written).any()):
            read = ungrouped.str.replace(",", "", regex=False)
        else:
            continue
        cells = written.to_numpy(dtype=object)
        cells[number] = read.to_numpy(dtype=object)
        frame[col] = cells
    return frame


def _decimal_comma(present: pd.Series, *, semicolon: bool) -> bool | None:
    """Whether the cells ``present`` (each a number, or not) are written with a decimal comma: True, False
    (try the decimal point), or None when neither convention fits every cell."""
    comma = bool(present.str.fullmatch(_DECIMAL_COMMA).all())
    point = bool(present.str.fullmatch(_DECIMAL_POINT).all())
    if not comma:
        return False if point else None
    if not point:  # '12,5' or '1.037,5': no thousands comma reads them
        return True
    if not semicolon:
        return False
    if present.str.contains(r"[,\u00a0\u202f ]").any():
        return True
    dotted = present.str.fullmatch(_DOT_GROUPED)  # 1.037: Excel's thousands, or three decimals of every cell?
    return bool(dotted.any() and (not dotted.all() or len(dotted) >= _GROUPED_CELLS))


def undecorated(text: pd.Series) -> pd.Series:
    """Cells as spreadsheets export money and shares, as signed numbers: ``$1,234`` ``1 234 €`` ``-£5``
    ``12%`` (12) ``(1,234.50)`` (accounting: -1,234.50) ``1.234,50-`` (SAP: -1.234,50) and the Unicode minus
    ``\u22125``; other cells as given."""
    text = text.str.replace("\u2212", "-", regex=False)
    text = text.str.replace(_ACCOUNTING, r"-\1", regex=True)
    text = text.str.replace(_TRAILING_MINUS, r"-\1", regex=True)
    text = text.str.replace(_CURRENCY_BEFORE, r"\1", regex=True)
    return text.str.replace(_SYMBOL_AFTER, "", regex=True)
