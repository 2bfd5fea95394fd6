"""A time axis written across columns: a year column beside a month or quarter column (and a day column).

Pivot tables and statistics offices export ``Year,Month,Sales`` (``2020,1,...``, ``2020,Jan,...``, and in other
languages ``2020,Mrz,...`` or ``2020;janv.;...`` as Excel writes month names in those locales) and
``year,quarter,value`` (``2020,1`` or ``2020,Q1``), weather stations ``Year,Month,Day,Rain``.
:func:`joined_periods` reads them as one column of months (``2020-01``), quarters (``2020-Q1``) or dates
(``2020-01-31``), named after them (``Year-Month``), which the time axis rules then read like any other;
``forecast.csv`` writes future times in that layout. The columns are joined only when they name each time
step once (within each series with ``--id-col``): a daily file whose ``year`` and ``month`` columns repeat
on every day of a month keeps them as they are (covariates).
"""

from __future__ import annotations

import pandas as pd

from lstmkit.data.month_words import MONTH_WORD, month_numbers

YEAR_NAMES = frozenset(("year", "yr", "yyyy", "jahr", "annee", "année", "año", "ano", "anno", "jaar"))
# The second column's names, and the periods of a year it counts (not q: a quantity, as mm is)
PERIOD_NAMES = {
    **{name: 12 for name in ("month", "mon", "monat", "mois", "mes", "mês", "mese", "maand")},
    **{name: 4 for name in ("quarter", "qtr", "quartal", "trimestre", "kwartaal")},
}
DAY_NAMES = frozenset(("day", "dd", "tag", "jour", "dia", "día", "giorno", "dag"))  # beside months: dates
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def joined_periods(
    frame: pd.DataFrame, *, time_col: str | None, named: set, id_col: str | None, time_names: frozenset | set
) -> tuple[pd.DataFrame, str | None]:
    """``(frame, name)``: ``frame`` with its year and month (or quarter) columns, and a day column beside months,
    replaced, in the year's place, by one column ``name`` of months, quarters or dates; or ``frame`` as given
    and None when it has no such columns, when ``time_col`` names another column, or when ``named`` (the
    target and id flags) names one of them, or when another column is named like a time (``time_names``: a
    ``date`` beside ``year``, ``month`` and ``day`` features is the time axis)."""
    year, period = _column(frame, YEAR_NAMES), _column(frame, set(PERIOD_NAMES))
    if year is None or period is None or named & {year, period}:
        return frame, None
    per_year = PERIOD_NAMES[period.strip().lower()]
    day = _column(frame, DAY_NAMES) if per_year == 12 else None
    days = _numbers(frame[day], 31) if day is not None and day not in named else None
    parts = [year, period] + ([day] if day is not None and days is not None else [])
    name = "-".join(parts)
    if time_col not in (None, name) or any(
        str(c).strip().lower() in time_names for c in frame.columns if c not in parts
    ):
        return frame, None
    years = pd.to_numeric(frame[year].astype(str).str.strip(), errors="coerce")
    counts = _period_numbers(frame[period], per_year)
    if counts is None or years.isna().any() or (years % 1 != 0).any() or not years.between(1000, 2999).all():
        return frame, None
    ids = [frame[id_col].astype(str)] if id_col in frame.columns else []  # an unknown --id-col is named later
    keys = [years, counts, *([days] if days is not None else []), *ids]
    if pd.DataFrame(dict(enumerate(keys))).duplicated().any():
        return frame, None  # not one row per step: year and month are something else (e.g. a daily file's)
    joined = years.astype(int).astype(str)
    joined += "-" + counts.map("{:02d}".format) if per_year == 12 else "-Q" + counts.astype(str)
    if days is not None:
        joined += "-" + days.map("{:02d}".format)  # 2020-02-30 is named by the time axis rules
    order = list(frame.columns)
    at = order.index(year) - sum(order.index(part) < order.index(year) for part in parts[1:])
    frame = frame.drop(columns=parts)
    frame.insert(at, name, joined.to_numpy())  # in the year's place once the parts are gone
    return frame, name


def _column(frame: pd.DataFrame, names) -> str | None:
    """The one column of ``frame`` whose name (trimmed, any case) is in ``names``, else None."""
    found = [c for c in frame.columns if str(c).strip().lower() in names]
    return found[0] if len(found) == 1 else None


def _period_numbers(cells: pd.Series, per_year: int) -> pd.Series | None:
    """The month (1-12) or quarter (1-4) of each cell, written ``1``, ``01``, ``Q1``, or as a month's name in English
    (``Jan``, ``January``) or in one of the languages :mod:`lstmkit.data.month_words` reads (``Mrz``, ``janv.``,
    ``ene``: Excel's in those locales); None when a cell is none of them."""
    text = cells.astype(str).str.strip().str.lower()
    if per_year != 12:
        return _numbers(text.str.removeprefix("q"), 4)
    spelled = text.str.fullmatch(MONTH_WORD)
    if spelled.any():
        words = text[spelled]
        english = words.str[:3].map({m: k + 1 for k, m in enumerate(_MONTHS)})
        names = month_numbers(words) if english.isna().any() else english  # not English: Mai, Okt, janv., ene
        if names is None:
            return None
        text = text.where(~spelled, names.astype(str))
    return _numbers(text, 12)


def _numbers(cells: pd.Series, largest: int) -> pd.Series | None:
    """The cells as whole numbers 1 to ``largest``, or None when a cell is not one."""
    numbers = pd.to_numeric(cells.astype(str).str.strip(), errors="coerce")
    if numbers.isna().any() or (numbers % 1 != 0).any() or not numbers.between(1, largest).all():
        return None
    return numbers.astype(int)
