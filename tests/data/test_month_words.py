"""Months written with their name in another language than English, as Excel writes them in that locale."""

import pandas as pd
import pytest

from lstmkit.data.seasons import choose_season
from lstmkit.data.tabular import load_series

MONTHS = pd.period_range("2018-01", periods=30, freq="M")  # ends in June 2020
GERMAN = "Jan Feb Mär Apr Mai Jun Jul Aug Sep Okt Nov Dez".split()  # März, as people write it (Excel: Mrz)
FRENCH = "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split()
SPANISH = "ene feb mar abr may jun jul ago sep oct nov dic".split()
DUTCH_FULL = "januari februari maart april mei juni juli augustus september oktober november december".split()


@pytest.mark.parametrize(
    "header, cell, encoding, future",
    [
        (
            "Monat;Umsatz",
            lambda p: f"{GERMAN[p.month - 1]} {p.year % 100:02d}",
            "cp1252",
            ["Jul 20", "Aug 20", "Sep 20"],
        ),
        (
            "mois;ventes",
            lambda p: f"{FRENCH[p.month - 1]}-{p.year % 100:02d}",
            "latin-1",
            ["juil.-20", "août-20", "sept.-20"],
        ),
        (
            "periodo;ventas",
            lambda p: f"{p.year} {SPANISH[p.month - 1]}",
            "utf-8",
            ["2020 jul", "2020 ago", "2020 sep"],
        ),
        (
            "periodo;ventas",
            lambda p: f"{SPANISH[p.month - 1].upper()}-{p.year}",
            "utf-8",
            ["JUL-2020", "AGO-2020", "SEP-2020"],
        ),
        (
            "maand;omzet",
            lambda p: f"{DUTCH_FULL[p.month - 1]} {p.year}",
            "utf-8",
            ["juli 2020", "augustus 2020", "september 2020"],
        ),
    ],
)
def test_month_names_in_other_languages_are_months_written_back_in_that_language(
    tmp_path, header, cell, encoding, future
):
    """Mär 18, janv.-18, 2018 ene were no time axis: the column was ignored and forecast.csv had no times."""
    path = tmp_path / "data.csv"
    path.write_bytes(
        (header + "\n" + "".join(f"{cell(p)};{k},5\n" for k, p in enumerate(MONTHS))).encode(encoding)
    )
    data = load_series(path)
    assert (data.time_col, data.time_kind, data.freq) == (header.split(";")[0], "month", "M")
    assert data.series[0].times.equals(pd.PeriodIndex(MONTHS)) and data.series[0].target[2] == 2.5
    assert data.future_times(data.series[0], 3) == future
    assert choose_season(data, None, horizon=3) == 12
    again = load_series(path, date_format=data.date_format)  # as a model folder reads them
    assert (
        again.series[0].times.equals(data.series[0].times)
        and again.future_times(again.series[0], 3) == future
    )


def test_months_come_back_in_the_spelling_excel_writes(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("Monat;Umsatz\n" + "".join(f"{GERMAN[m - 1]} 2019;{m}\n" for m in range(1, 13)))
    data = load_series(path)
    assert data.future_times(data.series[0], 3) == ["Jan 2020", "Feb 2020", "Mrz 2020"]


def test_words_beside_years_that_name_no_month_are_no_time_axis(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("shop,sales\n" + "".join(f"Store {2000 + k},{k}\n" for k in range(30)))
    assert load_series(path).time_col is None
