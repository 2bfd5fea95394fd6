"""A time axis written across two columns: a year column beside a month or quarter column.

Pivot tables and statistics offices export ``Year,Month,Sales`` (``2020,1,...`` or ``2020,Jan,...``) and
``year,quarter,value`` (``2020,1`` or ``2020,Q1``). :func:`joined_periods` reads such a pair as one column of
months (``2020-01``) or quarters (``2020-Q1``), named after both (``Year-Month``), which the time axis rules
then read like any other; ``forecast.csv`` writes future times in that layout. The pair is joined only when
it names each time step once (within each series with ``--id-col``): a daily file whose ``year`` and
``month`` columns repeat on every day of a month keeps them as they are (covariates).
"""

from __future__ import annotations

import pandas as pd

YEAR_NAMES = frozenset(("year", "yr", "yyyy", "jahr", "annee", "année", "año", "anno", "jaar"))
# The second column's names, and the periods of a year it counts
PERIOD_NAMES = {
    **{name: 12 for name in ("month", "mon", "mm", "monat", "mois", "mes", "mese", "maand")},
    **{name: 4 for name in ("quarter", "qtr", "q", "quartal", "trimestre", "kwartaal")},
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def joined_periods(
    frame: pd.DataFrame, *, time_col: str | None, named: set, id_col: str | None
) -> tuple[pd.DataFrame, str | None]:
    """``(frame, name)``: ``frame`` with its year and month (or quarter) columns replaced, in the year's place,
    by one column ``name`` of months or quarters; or ``frame`` as given and None when it has no such pair,
    when ``time_col`` names another column, or when ``named`` (the target and id flags) names one of them."""
    year = _column(frame, YEAR_NAMES)
    period = _column(frame, set(PERIOD_NAMES))
    if year is None or period is None or named & {year, period}:
        return frame, None
    name = f"{year}-{period}"
    if time_col not in (None, name):
        return frame, None
    years = pd.to_numeric(frame[year].astype(str).str.strip(), errors="coerce")
    counts = _period_numbers(frame[period], PERIOD_NAMES[period.strip().lower()])
    if counts is None or years.isna().any() or (years % 1 != 0).any() or not years.between(1000, 2999).all():
        return frame, None
    keys = [frame[id_col].astype(str), years, counts] if id_col else [years, counts]
    if pd.DataFrame(dict(enumerate(keys))).duplicated().any():
        return frame, None  # not one row per step: year and month are something else (e.g. a daily file's)
    per_year = PERIOD_NAMES[period.strip().lower()]
    years = years.astype(int).astype(str)
    joined = years + ("-" + counts.map("{:02d}".format) if per_year == 12 else "-Q" + counts.astype(str))
    order = list(frame.columns)
    at = order.index(year) - (order.index(period) < order.index(year))  # the year's place once both are gone
    frame = frame.drop(columns=[year, period])
    frame.insert(at, name, joined.to_numpy())
    return frame, name


def _column(frame: pd.DataFrame, names) -> str | None:
    """The one column of ``frame`` whose name (trimmed, any case) is in ``names``, else None."""
    found = [c for c in frame.columns if str(c).strip().lower() in names]
    return found[0] if len(found) == 1 else None


def _period_numbers(cells: pd.Series, per_year: int) -> pd.Series | None:
    """The month (1-12) or quarter (1-4) of each cell, written ``1``, ``01``, ``Jan``, ``January`` or ``Q1``; None
    when a cell is none of them."""
    text = cells.astype(str).str.strip().str.lower()
    if per_year == 12:
        names = text.str[:3].map({m: k + 1 for k, m in enumerate(_MONTHS)})
        spelled = text.str.fullmatch(r"[a-z]{3,9}\.?")
        numbers = pd.to_numeric(text.where(~spelled), errors="coerce").where(~spelled, names)
    else:
        numbers = pd.to_numeric(text.str.removeprefix("q"), errors="coerce")
    if numbers.isna().any() or (numbers % 1 != 0).any() or not numbers.between(1, per_year).all():
        return None
    return numbers.astype(int)
