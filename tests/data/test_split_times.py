"""A year column beside a month or quarter column (and a day column) is one time axis (pivot tables, statistics
offices, weather stations)."""

import numpy as np
import pandas as pd
import pytest

from lstmkit.data.seasons import choose_season
from lstmkit.data.tabular import load_series
from lstmkit.errors import DataError

MONTHS = pd.period_range("2018-01", periods=30, freq="M")


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "header, row, name",
    [
        ("year,month,sales", "{p.year},{p.month},{v}", "year-month"),
        ("Year,Month,Sales", "{p.year},{p.start_time:%b},{v}", "Year-Month"),
        ("Month,Year,Sales", "{p.start_time:%B},{p.year},{v}", "Year-Month"),  # the month first, spelled out
        ("Jahr;Monat;Umsatz", "{p.year};{p.month:02d};{v},5", "Jahr-Monat"),  # Excel's German CSV
    ],
)
def test_a_year_and_a_month_column_are_months(tmp_path, header, row, name):
    """year,month,sales was refused: 'several numeric columns (month, sales)', then with --target 'time 2018
    appears twice (rows 1 and 2) in 'year' ... pass --id-col'."""
    text = header + "\n" + "".join(row.format(p=p, v=k) + "\n" for k, p in enumerate(MONTHS))
    data = load_series(write(tmp_path, text))
    assert (data.time_col, data.time_kind, data.freq) == (name, "month", "M")
    assert data.series[0].times.equals(pd.PeriodIndex(MONTHS)) and data.series[0].target[29] == pytest.approx(
        29.5 if ";" in header else 29
    )
    assert data.future_times(data.series[0], 2) == ["2020-07", "2020-08"]
    assert choose_season(data, None, horizon=2) == 12 and data.covariate_names == []


@pytest.mark.parametrize(
    "header, months, encoding",
    [
        ("Jahr;Monat;Wert", "Jan Feb Mrz Apr Mai Jun Jul Aug Sep Okt Nov Dez", "cp1252"),  # Excel's German
        (
            "Year;Monat;Wert",
            "Jan Feb März Apr Mai Juni Juli Aug Sept Okt Nov Dez",
            "utf-8",
        ),  # as people write it
        ("année;mois;valeur", "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.", "latin-1"),
        ("año;mes;valor", "ene feb mar abr may jun jul ago sep oct nov dic", "utf-8"),
        ("jaar;maand;waarde", "jan feb mrt apr mei jun jul aug sep okt nov dec", "utf-8"),
        ("anno;mese;valore", "gen feb mar apr mag giu lug ago set ott nov dic", "utf-8"),
        ("ano;mês;valor", "jan fev mar abr mai jun jul ago set out nov dez", "utf-8"),
    ],
)
def test_a_month_column_in_another_language_is_joined_with_the_year(tmp_path, header, months, encoding):
    """Jahr;Monat;Wert with Mrz, Mai, Okt was not joined (only numbers and English names were): 'several numeric
    columns (Jahr, Wert)'; the month names are month_words' (Excel's in those locales)."""
    names = months.split()
    rows = "".join(f"{p.year};{names[p.month - 1]};{k},5\n" for k, p in enumerate(MONTHS))
    path = tmp_path / "data.csv"
    path.write_bytes((header + "\n" + rows).encode(encoding))
    data = load_series(path)
    year, month, _ = header.split(";")
    assert (data.time_col, data.time_kind, data.freq) == (f"{year}-{month}", "month", "M")
    assert data.series[0].times.equals(pd.PeriodIndex(MONTHS)) and data.series[0].target[29] == 29.5
    assert data.future_times(data.series[0], 2) == ["2020-07", "2020-08"]


def test_a_month_column_with_a_word_no_language_reads_is_no_time_axis(tmp_path):
    """Mrz beside May (German and English mixed): no language reads every cell, so the columns stay apart (and
    the year alone is a time axis with repeated times)."""
    names = "Jan Feb Mrz Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    rows = "".join(f"{p.year},{names[p.month - 1]},{k}\n" for k, p in enumerate(MONTHS))
    with pytest.raises(DataError, match=r"^time 2018 appears twice \(rows 1 and 2\) in 'Year' of data.csv"):
        load_series(write(tmp_path, "Year,Month,Sales\n" + rows))


@pytest.mark.parametrize("quarter", ["{q}", "Q{q}"])
def test_a_year_and_a_quarter_column_are_quarters_across_a_gap(tmp_path, quarter):
    quarters = pd.period_range("2012Q1", periods=20, freq="Q")
    rows = [f"{p.year},{quarter.format(q=p.quarter)},{k}\n" for k, p in enumerate(quarters) if k != 7]
    data = load_series(write(tmp_path, "year,quarter,gdp\n" + "".join(rows)), fill="keep")
    assert (data.time_col, data.time_kind, data.freq) == ("year-quarter", "quarter", "Q")
    assert len(data.series[0].target) == 20 and np.isnan(data.series[0].target[7])
    assert data.future_times(data.series[0], 2) == ["2017-Q1", "2017-Q2"]


def test_a_panel_of_years_and_months_is_joined_within_each_series(tmp_path):
    rows = [f"{s},{p.year},{p.month},{k}\n" for s in "AB" for k, p in enumerate(MONTHS)]
    data = load_series(write(tmp_path, "store,year,month,sales\n" + "".join(rows)), id_col="store")
    assert data.time_col == "year-month" and [s.id for s in data.series] == ["A", "B"]
    assert all(s.times.equals(pd.PeriodIndex(MONTHS)) for s in data.series)


def test_a_year_a_month_and_a_day_column_are_dates(tmp_path):
    days = pd.date_range("2020-01-25", periods=40, freq="D")
    rows = [f"{d.year},{d.month},{d.day},{k}\n" for k, d in enumerate(days)]
    data = load_series(write(tmp_path, "Year,Month,Day,Rain\n" + "".join(rows)))
    assert (data.time_col, data.freq) == ("Year-Month-Day", "D") and data.series[0].times.equals(days)
    assert data.future_times(data.series[0], 2) == ["2020-03-05", "2020-03-06"]
    rows[10] = "2020,2,30,10\n"
    with pytest.raises(
        DataError, match="time column 'Year-Month-Day' of bad.csv has a value that is not a time, "
    ):
        load_series(write(tmp_path, "Year,Month,Day,Rain\n" + "".join(rows), "bad.csv"))


@pytest.mark.parametrize("parts", [["year", "month"], ["year", "month", "day"]])
def test_year_month_and_day_columns_beside_a_date_stay_covariates(tmp_path, parts):
    days = pd.date_range(
        "2020-01-01", periods=60, freq="D"
    )  # with days, (year, month, day) is each step once
    rows = [
        ",".join([f"{d:%Y-%m-%d}", *(str(getattr(d, p)) for p in parts), str(k)]) + "\n"
        for k, d in enumerate(days)
    ]
    data = load_series(
        write(tmp_path, ",".join(["date", *parts, "sales"]) + "\n" + "".join(rows)), target="sales"
    )
    assert (data.time_col, data.freq, data.covariate_names) == ("date", "D", parts)


def test_a_time_column_flag_naming_the_year_keeps_the_columns_apart(tmp_path):
    rows = [f"{y},{y % 12 + 1},{y - 2000}\n" for y in range(2000, 2012)]  # yearly, with the month of a peak
    data = load_series(write(tmp_path, "year,month,v\n" + "".join(rows)), time_col="year", target="v")
    assert (data.time_col, data.freq, data.covariate_names) == ("year", "Y", ["month"])
