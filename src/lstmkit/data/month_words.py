"""Months written with their name in German, French, Spanish, Italian, Dutch or Portuguese (``Mrz 2020``,
``janv.-20``, ``2020 ene``), as Excel writes a month's date in those languages; English names are
:func:`lstmkit.data.dates.month_names`'.

A format holds such a month as the token ``{mon:LANG:CASE}`` (abbreviated) or ``{month:LANG:CASE}`` (full
name) beside strftime codes for the year and separators: ``{mon:de:title} %Y`` writes ``Mrz 2020``,
``{mon:fr:lower}-%y`` writes ``mars-20`` and ``févr.-20``. Future months are written in the language's
own spellings (Excel's); a cell read in another accepted spelling (``Mär``, ``Sept``) is read all the same.
"""

from __future__ import annotations

import re

import pandas as pd

# Per language: the abbreviations Excel writes, the full names, then other abbreviations people write.
_NAMES: dict[str, tuple[str, str, dict[str, int]]] = {
    "de": (
        "Jan Feb Mrz Apr Mai Jun Jul Aug Sep Okt Nov Dez",
        "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
        {"mär": 3, "märz": 3, "sept": 9, "jän": 1, "jänner": 1},
    ),
    "fr": (
        "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        {"jan": 1, "fév": 2, "fev": 2, "févr": 2, "avr": 4, "juil": 7, "aout": 8, "sep": 9, "dec": 12},
    ),
    "es": (
        "ene feb mar abr may jun jul ago sep oct nov dic",
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
        {"sept": 9, "set": 9, "setiembre": 9},
    ),
    "it": (
        "gen feb mar apr mag giu lug ago set ott nov dic",
        "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
        {},
    ),
    "nl": (
        "jan feb mrt apr mei jun jul aug sep okt nov dec",
        "januari februari maart april mei juni juli augustus september oktober november december",
        {"mar": 3},
    ),
    "pt": (
        "jan fev mar abr mai jun jul ago set out nov dez",
        "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
        {},
    ),
}
_WORD = r"[^\W\d_]{3,10}\.?"  # a month's name in any alphabet, with the dot of an abbreviation
MONTH_WORD = re.compile(_WORD)
_MONTH_FIRST = re.compile(rf"({_WORD})([\s\-/.]*)(\d{{4}}|\d{{2}})")  # Mrz 2020, janv.-20
_YEAR_FIRST = re.compile(rf"(\d{{4}})([\s\-/.]*)({_WORD})")  # 2020 ene
_TOKEN = re.compile(r"\{(mon|month):(\w\w):(title|lower|upper)\}")


def localized_months(text: pd.Series) -> tuple[pd.Index, str, str] | None:
    """Months written with a name in one of the languages above (every cell, one layout): the periods and
    their format (see the module docstring), or None."""
    match = _MONTH_FIRST.fullmatch(text.iloc[0]) or _YEAR_FIRST.fullmatch(text.iloc[0])
    if match is None:
        return None
    month_first = match.re is _MONTH_FIRST
    fields = text.str.extract(f"^{match.re.pattern}$")
    if fields.isna().any(axis=None):
        return None
    words, sep, years = (
        (fields[0], fields[1], fields[2]) if month_first else (fields[2], fields[1], fields[0])
    )
    if sep.nunique() != 1 or years.str.len().nunique() != 1 or (language := _language(words)) is None:
        return None
    lang, style, months = language
    numbers = years.astype(int)
    if len(years.iloc[0]) == 2:  # 30-99 are 1930-1999, 00-29 2000-2029, as spreadsheets read them
        numbers = numbers.where(numbers >= 30, numbers + 100) + 1900
    firsts = pd.to_datetime(pd.DataFrame({"year": numbers, "month": months, "day": 1}))
    periods = pd.PeriodIndex(pd.DatetimeIndex(firsts), freq="M")
    token = f"{{{style}:{lang}:{_case(words.iloc[0])}}}"
    year_code = "%Y" if len(years.iloc[0]) == 4 else "%y"
    fmt = f"{token}{sep.iloc[0]}{year_code}" if month_first else f"{year_code}{sep.iloc[0]}{token}"
    return periods, "month", fmt


def month_numbers(words: pd.Series) -> pd.Series | None:
    """The month (1-12) of each name (``Mrz``, ``janv.``, ``März``, ``ene``, ``mrt``: abbreviated or in full, any
    case) in the first of the languages above that reads every one, or None: a month column beside a year
    column (:mod:`lstmkit.data.split_times`)."""
    language = _language(words)
    return None if language is None else language[2]


def write_month_words(value, fmt: str) -> str:
    """``fmt`` with its month token written for ``value`` (a Period or Timestamp), for strftime to write the rest."""

    def name(token: re.Match) -> str:
        style, lang, case = token.groups()
        short, full, _ = _NAMES[lang]
        word = (short if style == "mon" else full).split()[value.month - 1]
        return {"title": word[:1].upper() + word[1:], "lower": word.lower(), "upper": word.upper()}[case]

    return _TOKEN.sub(name, fmt)


def english_months(text: pd.Series, fmt: str) -> tuple[pd.Series, str]:
    """``(text, fmt)`` with a month token read as English abbreviations (``%b``), for strptime; as given
    when ``fmt`` holds none."""
    match = _TOKEN.search(fmt)
    if match is None:
        return text, fmt
    lookup = _lookup(match.group(2))
    english = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

    def translate(cell: str) -> str:
        found = MONTH_WORD.search(cell)
        if found is None or (month := lookup.get(found.group(0).lower().rstrip("."))) is None:
            return cell  # not a month's name: strptime names the cell
        return cell[: found.start()] + english[month - 1] + cell[found.end() :]

    return text.map(translate), fmt[: match.start()] + "%b" + fmt[match.end() :]


def _lookup(lang: str) -> dict[str, int]:
    """Every spelling of a month in language ``lang`` (lowercased, without the abbreviation's dot) -> 1..12."""
    short, full, others = _NAMES[lang]
    spellings = {word.lower().rstrip("."): k + 1 for k, word in enumerate(short.split())}
    spellings.update({word.lower(): k + 1 for k, word in enumerate(full.split())})
    return {**spellings, **{word.rstrip("."): month for word, month in others.items()}}


def _language(words: pd.Series) -> tuple[str, str, pd.Series] | None:
    """``(language, style, months)`` of month names: the first language that reads every one, ``mon`` when
    some are abbreviated, else ``month``; None when none reads them all."""
    normal = words.str.lower().str.rstrip(".")
    for lang, (_, full, _) in _NAMES.items():
        months = normal.map(_lookup(lang))
        if months.notna().all():
            style = "month" if normal.isin([w.lower() for w in full.split()]).all() else "mon"
            return lang, style, months.astype(int)
    return None


def _case(word: str) -> str:
    """How a month's name is written: ``upper`` (MRZ), ``lower`` (janv.) or ``title`` (Mrz)."""
    return "upper" if word.isupper() and len(word) > 1 else "lower" if word.islower() else "title"
