"""Time layouts that spreadsheets, SAS, R and statistics offices export: quarters dated on one day, day-month-name
dates, fiscal years, half years, ISO weeks in other spellings, R's weekly and daily decimal years (of frequency 52
or 365, and of 365.25-day years), and dates with gaps; each read with its frequency and written back the way it came."""

import warnings

import numpy as np
import pandas as pd
import pytest

from lstmkit.data.seasons import choose_season, season_from_freq
from lstmkit.data.tabular import load_series
from lstmkit.errors import DataError


def write(tmp_path, cells, name="data.csv", header="date,v"):
    path = tmp_path / name
    path.write_text(header + "\n" + "".join(f"{c},{i}\n" for i, c in enumerate(cells)))
    return path


QUARTERS = pd.period_range("2018Q1", periods=12, freq="Q")


@pytest.mark.parametrize(
    "month, day, written, future",
    [
        (2, 15, "{y}-{m:02d}-15", ["2021-02-15", "2021-05-15"]),  # mid-quarter
        (3, 15, "{y}-{m:02d}-15", ["2021-03-15", "2021-06-15"]),  # in the quarter's last month
        (3, 30, "{y}-{m:02d}-30", ["2021-03-30", "2021-06-30"]),  # quarter ends that are not month ends
        (1, 10, "{d:02d}/{m:02d}/{y}", ["10/01/2021", "10/04/2021"]),  # day first
    ],
)
def test_quarters_dated_on_one_day_are_quarterly_and_keep_that_day(tmp_path, month, day, written, future):
    cells = [written.format(y=p.year, m=(p.quarter - 1) * 3 + month, d=day) for p in QUARTERS]
    data = load_series(write(tmp_path, cells))
    assert (data.time_kind, data.freq, len(data.series[0].target)) == ("quarter", "Q", 12)
    assert data.future_times(data.series[0], 2) == future
    assert choose_season(data, None, horizon=2) == 4
    gap = load_series(write(tmp_path, cells[:5] + cells[6:], "gap.csv"), fill="keep")  # one quarter missing
    assert len(gap.series[0].target) == 12 and np.isnan(gap.series[0].target[5])


@pytest.mark.parametrize(
    "cells",
    [
        [f"{p.start_time:%Y-%m-%d}" for p in pd.period_range("2018-01", periods=30, freq="M")],  # 1st
        [f"{p.end_time:%Y-%m-%d}" for p in pd.period_range("2018-01", periods=30, freq="M")],  # month ends
        [f"{p.start_time:%Y-%m-%d}" for p in QUARTERS],
        [f"{p.end_time:%Y-%m-%d}" for p in QUARTERS],
        [f"{p.year}-{(p.quarter - 1) * 3 + 2:02d}-01" for p in QUARTERS],  # the 1st of the middle month
        [f"{y}-01-01" for y in range(1990, 2010)],
        [f"{y}-12-31" for y in range(1990, 2010)],
        [f"01/{p.month:02d}/{p.year}" for p in pd.period_range("2018-01", periods=30, freq="M")],  # day first
        [
            f"{p.month:02d}/01/{p.year}" for p in pd.period_range("2018-01", periods=30, freq="M")
        ],  # month first
        [f"01/{(p.quarter - 1) * 3 + 1:02d}/{p.year}" for p in QUARTERS],
    ],
)
def test_months_quarters_and_years_written_as_dates_keep_their_frequency_across_a_gap(tmp_path, cells):
    whole = load_series(write(tmp_path, cells, "whole.csv"))
    gap = load_series(write(tmp_path, cells[:5] + cells[6:], "gap.csv"), fill="keep")
    assert gap.freq == whole.freq and len(gap.series[0].target) == len(cells)
    assert gap.series[0].times[0] == whole.series[0].times[0]  # read day or month first alike
    assert np.isnan(gap.series[0].target[5]) and gap.future_times(gap.series[0], 2) == whole.future_times(
        whole.series[0], 2
    )


@pytest.mark.parametrize(
    "layout, future",
    [
        ("{d:%d-%b-%Y}", ["31-Jan-2020", "01-Feb-2020"]),  # Excel, SAS DATE11
        ("{d.day}-{d:%b-%y}", ["31-Jan-20", "1-Feb-20"]),  # Excel's d-mmm-yy
        ("{d:%d %b %Y}", ["31 Jan 2020", "01 Feb 2020"]),
        ("{d:%d%b%Y}", ["31JAN2020", "01FEB2020"]),  # SAS DATE9 (upper case)
        ("{d:%d-%B-%Y}", ["31-January-2020", "01-February-2020"]),
        ("{d:%d-%b-%Y %H:%M}", ["31-Jan-2020 00:00", "01-Feb-2020 00:00"]),
        ("{d:%b}-{d.day}-{d:%Y}", ["Jan-31-2020", "Feb-1-2020"]),  # month first (statsmodels' elec_equip)
        ('"{d:%b} {d.day}, {d:%Y}"', ["Jan 31, 2020", "Feb 1, 2020"]),  # Excel's mmm d, yyyy
        ('"{d:%B} {d:%d}, {d:%Y} {d:%I:%M %p}"', ["January 31, 2020 12:00 AM", "February 01, 2020 12:00 AM"]),
        (
            '"{d:%A, %B} {d.day}, {d:%Y}"',
            ["Friday, January 31, 2020", "Saturday, February 1, 2020"],
        ),  # Excel long date
        ('"{d:%a, %b} {d.day}, {d:%Y}"', ["Fri, Jan 31, 2020", "Sat, Feb 1, 2020"]),
    ],
)
def test_dates_with_a_month_name_are_written_back_in_their_layout(tmp_path, layout, future):
    days = pd.date_range("2020-01-01", periods=30, freq="D")
    cells = [layout.format(d=d) for d in days]
    if "%d%b%Y" in layout:
        cells = [c.upper() for c in cells]
    data = load_series(write(tmp_path, cells))
    assert data.freq == "D" and data.series[0].times[-1] == pd.Timestamp("2020-01-30")
    assert data.future_times(data.series[0], 2) == future
    again = load_series(write(tmp_path, cells, "again.csv"), date_format=data.date_format)
    assert again.future_times(again.series[0], 2) == future  # a model folder reads them with its format


DAYS = pd.date_range("2020-01-01", periods=30, freq="D")


@pytest.mark.parametrize(
    "cells, future",
    [
        (
            [f"{d:%Y-%m-%d 00:00:00.000}" for d in DAYS],
            ["2020-01-31 00:00:00.000", "2020-02-01 00:00:00.000"],
        ),  # SQL Server
        ([f"{d:%Y-%m-%dT00:00:00}" for d in DAYS], ["2020-01-31T00:00:00", "2020-02-01T00:00:00"]),
        (
            [f"{d:%Y-%m-01 00:00}" for d in pd.date_range("2018-01-01", periods=25, freq="MS")],
            ["2020-02-01 00:00"],
        ),
    ],
)
def test_dates_written_with_their_midnight_keep_it(tmp_path, cells, future):
    data = load_series(write(tmp_path, cells))
    assert data.freq in ("D", "MS") and data.future_times(data.series[0], len(future)) == future
    again = load_series(write(tmp_path, cells, "again.csv"), date_format=data.date_format)
    assert again.future_times(again.series[0], len(future)) == future


@pytest.mark.parametrize(
    "layout, future",
    [
        ("{d:%d-%m-%Y}T00:00:00Z", ["14-03-2020T00:00:00Z", "15-03-2020T00:00:00Z"]),  # day first
        ("{d:%d/%m/%Y} 00:00:00Z", ["14/03/2020 00:00:00Z", "15/03/2020 00:00:00Z"]),
        ("{d:%d.%m.%Y %H:%M}+01:00", ["14.03.2020 00:00+01:00", "15.03.2020 00:00+01:00"]),
        (
            "{d:%m/%d/%Y} 00:00:00Z",
            ["03/14/2020 00:00:00Z", "03/15/2020 00:00:00Z"],
        ),  # was written 2020-03-14
        ("{d:%d-%b-%Y %H:%M} +05:30", ["14-Mar-2020 00:00 +05:30", "15-Mar-2020 00:00 +05:30"]),
        ("{d:%Y/%m/%d %H:%M}Z", ["2020/03/14 00:00Z", "2020/03/15 00:00Z"]),
        ("{d:%d/%m/%Y %H:%M:%S} UTC", ["14/03/2020 00:00:00 UTC", "15/03/2020 00:00:00 UTC"]),
    ],
)
def test_dates_in_other_layouts_with_one_utc_offset_are_read_as_without_it_and_keep_it(
    tmp_path, layout, future
):
    """13-02-2020T00:00:00Z was read month first by the generic parser and refused as irregular."""
    days = pd.date_range("2020-02-13", periods=30, freq="D")
    cells = [layout.format(d=d) for d in days]
    data = load_series(write(tmp_path, cells))
    assert (data.freq, data.series[0].times[0], data.series[0].times[-1]) == ("D", days[0], days[-1])
    assert data.future_times(data.series[0], 2) == future
    again = load_series(write(tmp_path, cells, "again.csv"), date_format=data.date_format)
    assert again.series[0].times.equals(data.series[0].times)  # a model folder reads them with its format
    assert again.future_times(again.series[0], 2) == future


def test_day_first_dates_whose_utc_offset_changes_are_read_in_utc_and_written_day_first_in_their_zone(
    tmp_path, caplog
):
    hours = pd.date_range("2021-03-27", periods=48, freq="h", tz="Europe/Berlin")  # +01:00, then +02:00
    cells = [f"{t:%d/%m/%Y %H:%M} {t:%z}" for t in hours]  # 27/03/2021 00:00 +0100
    data = load_series(write(tmp_path, cells, "dst_day_first.csv"))
    assert data.freq == "h" and data.series[0].times.equals(hours.tz_convert(None))
    assert (
        data.date_format == "%d/%m/%Y %H:%M +0000[Europe/Berlin]"
    )  # the zone's offsets, in the cells' style
    assert data.future_times(data.series[0], 1) == ["29/03/2021 01:00 +0200"]
    assert (
        "times in 'date' of dst_day_first.csv carry UTC offsets +0100 and +0200 (daylight saving)"
        in caplog.text
    )
    for fmt in (data.date_format, "%d/%m/%Y %H:%M"):  # as a model folder keeps it, as the day-first note says
        again = load_series(write(tmp_path, cells, "again.csv"), date_format=fmt)
        assert again.series[0].times.equals(data.series[0].times)
        assert again.future_times(again.series[0], 1) == ["29/03/2021 01:00 +0200"]


@pytest.mark.parametrize("zone", ["UTC", "GMT"])
def test_times_printed_with_their_zone_name_keep_it_and_a_space(tmp_path, zone):
    # format(x, usetz = TRUE) of an R POSIXct: the T of UTC is no date-clock separator
    halves = pd.date_range("2020-01-01", periods=96, freq="30min")
    data = load_series(write(tmp_path, [f"{t:%Y-%m-%d %H:%M:%S} {zone}" for t in halves]))
    assert data.freq == "30min"
    assert data.future_times(data.series[0], 2) == [
        f"2020-01-03 00:00:00 {zone}",
        f"2020-01-03 00:30:00 {zone}",
    ]


@pytest.mark.parametrize(
    "layout, future",
    [
        (
            lambda d: f"{d:%d-%b-%Y} {d.hour % 12 or 12}:{d:%M %p}",
            ["01-Jan-2020 11:00 PM", "02-Jan-2020 12:00 AM"],
        ),
        (lambda d: f"{d:%d-%b-%Y %I:%M:%S %p}", ["01-Jan-2020 11:00:00 PM", "02-Jan-2020 12:00:00 AM"]),
        (
            lambda d: f"{d:%d%b%Y:%I:%M:%S %p}".upper(),
            ["01JAN2020:11:00:00 PM", "02JAN2020:12:00:00 AM"],
        ),  # SAS
    ],
)
def test_day_month_name_dates_with_a_12_hour_clock_are_written_back_in_their_layout(tmp_path, layout, future):
    hours = pd.date_range("2020-01-01", periods=23, freq="h")  # 12:00 AM .. 10:00 PM
    data = load_series(write(tmp_path, [layout(h) for h in hours]))
    assert data.freq == "h" and data.series[0].times[13] == pd.Timestamp("2020-01-01 13:00")  # 1:00 PM
    assert data.future_times(data.series[0], 2) == future
    again = load_series(
        write(tmp_path, [layout(h) for h in hours], "again.csv"), date_format=data.date_format
    )
    assert again.future_times(again.series[0], 2) == future  # a model folder reads them with its format


@pytest.mark.parametrize(
    "layout, future",
    [
        ("{t:%Y-%m-%d %I:%M %p}Z", ["2020-01-07 12:00 AMZ", "2020-01-07 12:30 AMZ"]),
        ("{t:%m/%d/%Y %I:%M %p}Z", ["01/07/2020 12:00 AMZ", "01/07/2020 12:30 AMZ"]),
        ("{t:%d-%b-%Y %I:%M %p}Z", ["07-Jan-2020 12:00 AMZ", "07-Jan-2020 12:30 AMZ"]),
        ("{t:%m/%d/%Y %I:%M %p}+01:00", ["01/07/2020 12:00 AM+01:00", "01/07/2020 12:30 AM+01:00"]),
        ("{t:%m/%d/%Y %I:%M %p} Z", ["01/07/2020 12:00 AM Z", "01/07/2020 12:30 AM Z"]),  # spaced
        ("{t:%Y-%m-%d %I:%M %p} Z", ["2020-01-07 12:00 AM Z", "2020-01-07 12:30 AM Z"]),
    ],
)
def test_a_12_hour_clock_with_its_utc_offset_glued_on_is_read_and_written_back_in_its_layout(
    tmp_path, layout, future
):
    """2020-01-05 12:00 AMZ was read as noon (the AM dropped: 'time 2020-01-05 01:00 appears twice'), and
    the spaced 12:00 AM Z came back as 2020-01-07 00:00, a 24-hour ISO clock without its offset."""
    halves = pd.date_range("2020-01-05", periods=96, freq="30min")  # 12:00 AM .. 11:30 PM, two days
    cells = [layout.format(t=t) for t in halves]
    data = load_series(write(tmp_path, cells))
    assert data.freq == "30min" and data.series[0].times.equals(halves)
    assert data.future_times(data.series[0], 2) == future
    again = load_series(write(tmp_path, cells, "again.csv"), date_format=data.date_format)
    assert again.series[0].times.equals(halves)  # a model folder reads them with its format
    assert again.future_times(again.series[0], 2) == future


@pytest.mark.parametrize("clock, future", [("0:00", "5/15/2018 0:00"), ("00:00", "5/15/2018 00:00")])
def test_dates_on_one_day_of_each_month_at_midnight_are_months(tmp_path, clock, future):
    cells = [f"{p.month}/15/{p.year} {clock}" for p in pd.period_range("2015-01", periods=40, freq="M")]
    data = load_series(write(tmp_path, cells))
    assert data.time_kind == "month" and data.future_times(data.series[0], 1) == [future]


def test_day_month_name_dates_on_one_day_of_each_month_are_months(tmp_path):
    cells = [f"15-{p.strftime('%b-%Y')}" for p in pd.period_range("2019-01", periods=14, freq="M")]
    data = load_series(write(tmp_path, cells))
    assert data.time_kind == "month" and data.future_times(data.series[0], 1) == ["15-Mar-2020"]


@pytest.mark.parametrize(
    "spell, future",
    [
        ("{q}Q{y}", ["1Q2021", "2Q2021"]),  # financial reports
        ("{q}Q{yy:02d}", ["1Q21", "2Q21"]),
        ("Q{q}-{yy:02d}", ["Q1-21", "Q2-21"]),
        ("Q{q} {yy:02d}", ["Q1 21", "Q2 21"]),
        ("{y}T{q}", ["2021T1", "2021T2"]),  # trimestre (INE, INSEE)
    ],
)
def test_quarters_written_with_the_number_first_two_digit_years_or_a_t_are_quarterly(tmp_path, spell, future):
    """1Q2018 was read as dates and written back 2021-01-01; Q1-18 was no time axis; 2018T1 was refused as
    'irregular (more gaps than data)'."""
    cells = [spell.format(q=p.quarter, y=p.year, yy=p.year % 100) for p in QUARTERS]
    data = load_series(write(tmp_path, cells, header="period,v"))
    assert (data.time_kind, data.freq) == ("quarter", "Q") and data.series[0].times.equals(
        pd.PeriodIndex(QUARTERS)
    )
    assert data.future_times(data.series[0], 2) == future


@pytest.mark.parametrize("header", ["quarter", "TIME_PERIOD"])  # named like a time, or not (SDMX)
def test_quarters_written_as_yyyyq_numbers_are_quarterly_and_written_back_so(tmp_path, header):
    """20101, 20102, 20103, 20104, 20111 (as some statistics offices export quarters) were refused as irregular,
    or left a file of two numeric columns."""
    cells = [f"{p.year}{p.quarter}" for p in QUARTERS]  # 20181 .. 20204
    data = load_series(write(tmp_path, cells, header=f"{header},v"))
    assert (data.time_col, data.time_kind, data.freq) == (header, "quarter", "Q")
    assert data.series[0].times.equals(pd.PeriodIndex(QUARTERS)) and data.series[0].target[5] == 5
    assert data.future_times(data.series[0], 2) == ["20211", "20212"]
    assert choose_season(data, None, horizon=2) == 4
    gap = load_series(write(tmp_path, cells[:5] + cells[6:], "gap.csv", header=f"{header},v"), fill="keep")
    assert len(gap.series[0].target) == 12 and np.isnan(gap.series[0].target[5])
    typed = load_series(pd.DataFrame({header: [int(c) for c in cells], "v": np.arange(12.0)}))  # Parquet ints
    assert typed.time_kind == "quarter" and typed.future_times(typed.series[0], 1) == ["20211"]


@pytest.mark.parametrize(
    "header, row, future",
    [
        (
            "Monat;Umsatz",
            "{d:%m.%Y};{k},5",
            ["07.2020", "08.2020"],
        ),  # Excel's German months beside decimal commas
        ("period,v", "{d:%Y.%m},{k}", ["2020.07", "2020.08"]),
        ("x,v", "{d:%Y.%m},{k}", ["2020.07", "2020.08"]),  # named like no time
        ("month,v", "{d.month}.{d:%Y},{k}", ["7.2020", "8.2020"]),
        ("month,v", "{d.month}/{d:%Y},{k}", ["7/2020", "8/2020"]),  # was written back 07/2020
    ],
)
def test_months_written_like_numbers_are_months_and_written_back_so(tmp_path, header, row, future):
    """01.2018;0,5 was read as two numeric columns (1.2018 and 0.5), 2018.01 as R's decimal years of no calendar."""
    months = pd.period_range("2018-01", periods=30, freq="M")
    text = header + "\n" + "".join(row.format(d=p.start_time, k=k) + "\n" for k, p in enumerate(months))
    (tmp_path / "data.csv").write_text(text)
    data = load_series(tmp_path / "data.csv")
    assert (data.time_col, data.time_kind, data.freq) == (
        header.replace(";", ",").split(",")[0],
        "month",
        "M",
    )
    assert data.series[0].times.equals(pd.PeriodIndex(months)) and data.series[0].target[1] == (
        1.5 if ";" in header else 1
    )
    assert data.future_times(data.series[0], 2) == future
    again = load_series(tmp_path / "data.csv", date_format=data.date_format)
    assert again.future_times(again.series[0], 2) == future  # a model folder reads them with its format


@pytest.mark.parametrize(
    "cells, future",
    [
        ([f"FY{y}" for y in range(2000, 2012)], ["FY2012", "FY2013"]),
        ([f"FY {y}" for y in range(2000, 2012)], ["FY 2012", "FY 2013"]),
        ([f"FY{y % 100:02d}" for y in range(1995, 2012)], ["FY12", "FY13"]),
    ],
)
def test_fiscal_years_are_yearly_and_written_back_so(tmp_path, cells, future):
    data = load_series(write(tmp_path, cells, header="year,v"))
    assert (data.time_col, data.time_kind, data.freq) == ("year", "year", "Y")
    assert data.future_times(data.series[0], 2) == future


@pytest.mark.parametrize(
    "spell, future",
    [
        ("{y}-H{h}", ["2008-H1", "2008-H2", "2009-H1"]),
        ("{y} H{h}", ["2008 H1", "2008 H2", "2009 H1"]),
        ("{y}H{h}", ["2008H1", "2008H2", "2009H1"]),
        ("H{h} {y}", ["H1 2008", "H2 2008", "H1 2009"]),
    ],
)
def test_half_years_are_six_month_periods_with_a_season_of_two(tmp_path, spell, future):
    cells = [spell.format(y=y, h=h) for y in range(2000, 2008) for h in (1, 2)]
    data = load_series(write(tmp_path, cells, header="period,v"))
    assert data.time_col == "period" and data.series[0].times[1] == pd.Timestamp("2000-07-01")
    assert data.future_times(data.series[0], 3) == future
    assert choose_season(data, None, horizon=2) == 2
    gap = load_series(write(tmp_path, cells[:3] + cells[4:], "gap.csv", header="period,v"), fill="keep")
    assert len(gap.series[0].target) == 16 and np.isnan(gap.series[0].target[3])


@pytest.mark.parametrize(
    "spell, future",
    [
        ("{y} W{w:02d}", ["2019 W21", "2019 W22"]),
        ("{y}-W{w}", ["2019-W21", "2019-W22"]),
        ("{y}-W{w:02d}", ["2019-W21", "2019-W22"]),
        ("{y}W{w:02d}", ["2019W21", "2019W22"]),  # ISO 8601's basic format
    ],
)
def test_iso_weeks_with_a_space_or_without_zero_padding(tmp_path, spell, future):
    weeks = pd.date_range("2018-12-31", periods=20, freq="W-MON")  # 2019-W01 .. 2019-W20
    cells = [spell.format(y=d.isocalendar()[0], w=d.isocalendar()[1]) for d in weeks]
    data = load_series(write(tmp_path, cells, header="week,v"))
    assert data.freq == "W-MON" and data.series[0].times[1] == pd.Timestamp("2019-01-07")
    assert data.future_times(data.series[0], 2) == future
    assert choose_season(data, None, horizon=2) == 1  # 20 weeks: too short for a season of 52


@pytest.mark.parametrize(
    "layout, weekday, freq, future",
    [
        ("%G-W%V-%u", 0, "W-MON", ["2020-W10-1", "2020-W11-1"]),  # weekly, dated on the Monday
        ("%G-W%V-%u", 3, "W-THU", ["2020-W10-4", "2020-W11-4"]),  # weekly, on the Thursday
        ("%GW%V%u", 6, "W-SUN", ["2020W107", "2020W117"]),  # ISO 8601's basic format
    ],
)
def test_iso_week_dates_are_the_days_they_name_and_written_back_alike(
    tmp_path, layout, weekday, freq, future
):
    """2020-W05-1 (an ISO week date) was no time: the column was left out and the series had no time axis."""
    days = pd.date_range("2019-04-01", periods=48, freq="W-MON") + pd.Timedelta(
        days=weekday
    )  # 2019-W14 .. 2020-W09
    data = load_series(write(tmp_path, [f"{d:{layout}}" for d in days], header="week,v"))
    assert (data.time_col, data.time_kind, data.freq) == ("week", "datetime", freq)
    assert data.series[0].times.equals(pd.DatetimeIndex(days))
    assert data.future_times(data.series[0], 2) == future


def test_iso_week_dates_of_every_day_are_days_and_a_week_its_year_lacks_is_named(tmp_path):
    days = pd.date_range("2020-12-21", periods=30, freq="D")  # 2020-W52-1 .. 2021-W03-2, across week 53
    data = load_series(write(tmp_path, [f"{d:%G-W%V-%u}" for d in days]))
    assert data.freq == "D" and data.series[0].times.equals(days)
    assert data.future_times(data.series[0], 2) == ["2021-W03-3", "2021-W03-4"]
    with pytest.raises(DataError, match="has a week its year does not have, '2019-W53-1' at row 3"):
        load_series(
            write(tmp_path, ["2019-W52-1", "2019-W52-2", "2019-W53-1", "2020-W01-2"], "bad.csv"),
            time_col="date",
        )


@pytest.mark.parametrize("header", ["week,users", "ISO Year ISO Week,Users", "KW;Umsatz"])
def test_weeks_written_as_yyyyww_numbers_in_a_column_named_like_weeks_are_weeks(tmp_path, header):
    """201902 .. 201911 in a column named week were read as the months February to November 2019."""
    weeks = pd.date_range("2019-01-07", periods=10, freq="W-MON")  # 2019 weeks 2 to 11
    sep = header[len(header.split(",")[0].split(";")[0])]
    cells = [f"{d.isocalendar()[0]}{d.isocalendar()[1]:02d}{sep}{k}" for k, d in enumerate(weeks)]
    path = tmp_path / "weeks.csv"
    path.write_text(header + "\n" + "\n".join(cells) + "\n")
    data = load_series(path)
    assert (data.freq, data.series[0].times[0], data.series[0].times[-1]) == ("W-MON", weeks[0], weeks[-1])
    assert data.future_times(data.series[0], 2) == ["201912", "201913"]
    months = write(tmp_path, [c.split(sep)[0] for c in cells], "months.csv", header="period,v")
    assert load_series(months).time_kind == "month"  # a column named like no week: 201902 is February
    with pytest.raises(DataError, match="has a week its year does not have, '201953' at row 3"):
        load_series(write(tmp_path, ["201951", "201952", "201953", "202001"], "bad.csv", header="week,v"))


def test_iso_weeks_across_a_53_week_year(tmp_path):
    weeks = pd.date_range("2020-12-14", periods=6, freq="W-MON")  # 2020 has 53 ISO weeks
    data = load_series(write(tmp_path, [f"{d.isocalendar()[0]} W{d.isocalendar()[1]}" for d in weeks]))
    assert data.future_times(data.series[0], 2) == ["2021 W4", "2021 W5"]
    with pytest.raises(DataError, match="2019 W53"):  # 2019 has 52
        load_series(
            write(tmp_path, ["2019 W51", "2019 W52", "2019 W53", "2020 W01"], "bad.csv"), time_col="date"
        )


@pytest.mark.parametrize("per_year, freq_season", [(52, 52), (365, 7)])
def test_r_decimal_years_of_weekly_and_daily_ts_are_read_and_written_back(tmp_path, per_year, freq_season):
    n = 2 * per_year + 20 if per_year == 52 else 60
    cells = [f"{1990 + (i + 3) / per_year:.15g}" for i in range(n)]  # start = c(1990, 4), as time(x) writes
    data = load_series(write(tmp_path, cells, header="time,value"))
    assert data.time_kind == "index" and len(data.series[0].target) == n and data.series[0].target[1] == 1
    last = 1990 + (n + 2) / per_year
    expected = [f"{last + k / per_year:.6f}".rstrip("0").rstrip(".") for k in (1, 2)]
    assert data.future_times(data.series[0], 2) == expected
    assert season_from_freq(data.freq, data.time_kind) == freq_season
    rounded = load_series(write(tmp_path, [f"{float(c):.6f}" for c in cells], "r.csv", header="time,value"))
    assert rounded.future_times(rounded.series[0], 2) == expected


def decimal_date(day, decimals=None):
    """A day as lubridate's decimal_date writes it: the year plus the days since 1 January over the year's days;
    to 6 decimals without trailing zeros, or to ``decimals``."""
    days = 366 if day.is_leap_year else 365
    year = day.year + (day.dayofyear - 1) / days
    return f"{year:.{decimals}f}" if decimals else f"{year:.6f}".rstrip("0").rstrip(".")


@pytest.mark.parametrize(
    "cells, first, freq",
    [
        # fpp's gasoline: ts(start = 1991.1, frequency = 365.25 / 7); 1991.1 is 36.5 days into 1991, and over the
        # years the cells stray from a 7-day grid by up to 0.75 day, around the 37th day: 7 February 1991
        ([f"{1991.1 + i * 7 / 365.25:.15g}" for i in range(1355)], "1991-02-07", "W-THU"),
        ([f"{1991.1 + i * 7 / 365.25:.3f}" for i in range(300)], "1991-02-07", "W-THU"),  # as R prints them
        ([f"{1991 + i / 52.18:.15g}" for i in range(200)], "1991-01-01", "W-TUE"),  # frequency 52.18 as typed
        (
            [f"{2015 + i / 365.25:.15g}" for i in range(1500)],
            "2015-01-01",
            "D",
        ),  # start = c(2015, 1), leap 2016
        (
            [f"{2000 + i / 365.25:.3f}" for i in range(400)],
            "2000-01-01",
            "D",
        ),  # as R prints them: 2000.003 ...
        (
            [decimal_date(d) for d in pd.date_range("2019-12-02", periods=80, freq="W-MON")],
            "2019-12-02",
            "W-MON",
        ),
    ],
)
def test_r_decimal_years_of_365_25_day_years_are_days_or_weeks(tmp_path, cells, first, freq):
    step = pd.Timedelta(days=1 if freq == "D" else 7)
    last = pd.Timestamp(first) + (len(cells) - 1) * step
    data = load_series(write(tmp_path, cells, header="time,value"))
    assert (data.time_kind, data.freq, len(data.series[0].target)) == ("datetime", freq, len(cells))
    assert (data.series[0].times[0], data.series[0].times[-1]) == (pd.Timestamp(first), last)
    printed = len(cells[1].split(".")[1]) == 3  # as R prints them: future times to 3 decimals too
    future = [decimal_date(last + k * step, 3 if printed else None) for k in (1, 2)]
    assert data.future_times(data.series[0], 2) == future
    assert season_from_freq(data.freq, data.time_kind) == (7 if freq == "D" else 52)
    again = load_series(
        write(tmp_path, cells, "again.csv", header="time,value"), date_format=data.date_format
    )
    assert again.future_times(again.series[0], 2) == future  # a model folder reads them with its format
    gap = load_series(write(tmp_path, cells[:5] + cells[6:], "gap.csv", header="time,value"), fill="keep")
    assert len(gap.series[0].target) == len(cells) and np.isnan(gap.series[0].target[5])


@pytest.mark.parametrize(
    "cells, decimals",
    [
        ([f"{2000 + i / 365.25:.3f}" for i in range(400)], 3),  # days, as R prints time(x): 2000.003 ...
        ([f"{1991.1 + i * 7 / 365.25:.3f}" for i in range(300)], 3),  # weeks: 1991.119
        ([f"{2000 + i / 365.25:.4f}" for i in range(400)], 4),
        ([f"{2000 + i / 365.25:.5f}" for i in range(400)], 5),
    ],
)
def test_r_decimal_years_printed_to_fewer_decimals_are_written_back_to_as_many(tmp_path, cells, decimals):
    """1991.119 came back as 1996.849727: six decimals."""
    data = load_series(write(tmp_path, cells, header="time,value"))
    days = pd.date_range(data.series[0].times[-1], periods=31, freq=data.freq)[1:]
    future = data.future_times(data.series[0], 30)
    assert future == [decimal_date(day, decimals) for day in days]
    assert all(len(label.split(".")[1]) == decimals for label in future) and len(set(future)) == 30
    upcoming = load_series(
        write(tmp_path, future, "future.csv", header="time,value"), date_format=data.date_format
    )
    assert upcoming.series[0].times.equals(
        days
    )  # the labels read with the kept format are the days they name
    again = load_series(
        write(tmp_path, cells, "again.csv", header="time,value"), date_format=data.date_format
    )
    assert again.future_times(again.series[0], 30) == future  # a model folder reads them with its format
    old = load_series(write(tmp_path, cells, "old.csv", header="time,value"), date_format="decimal-date")
    assert old.future_times(old.series[0], 30) == future  # a model folder of an earlier version too


def test_r_weekly_decimal_years_are_the_same_days_whichever_stretch_a_file_holds(tmp_path):
    cells = [f"{1991.1 + i * 7 / 365.25:.15g}" for i in range(1355)]  # fpp's gasoline
    whole = load_series(write(tmp_path, cells, header="time,value")).series[0].times
    for start in range(0, 1300, 26):  # half-year stretches, in every phase of the leap-year cycle
        part = load_series(write(tmp_path, cells[start : start + 26], "part.csv", header="time,value"))
        assert part.series[0].times.equals(whole[start : start + 26]), cells[start]


def test_r_daily_decimal_years_printed_to_three_decimals_are_the_days_of_the_exact_ones(tmp_path):
    """R prints time(x) of a daily ts (frequency 365.25) to 3 decimals (2000.003, 2000.005 ...): a thousandth of a
    year is 0.37 day, so a cell strays up to 0.18 day more from its day, beside the drift of 365.25-day years."""
    exact = [f"{2000 + i / 365.25:.15g}" for i in range(1500)]
    days = load_series(write(tmp_path, exact, header="time,value")).series[0].times
    assert (days[0], days[-1]) == (pd.Timestamp("2000-01-01"), pd.Timestamp("2004-02-08"))
    printed = [f"{2000 + i / 365.25:.3f}" for i in range(1500)]
    assert (
        load_series(write(tmp_path, printed, "printed.csv", header="time,value")).series[0].times.equals(days)
    )
    for start in range(0, 1470, 49):  # month-long stretches in every phase of the leap-year cycle
        part = load_series(write(tmp_path, printed[start : start + 30], "part.csv", header="time,value"))
        assert part.series[0].times.equals(days[start : start + 30]), printed[start]


def test_a_few_days_of_r_decimal_years_are_read_without_a_numpy_warning(tmp_path):
    """Cells within days of a quarter's start all fell in one quarter: the median of no gaps printed numpy's
    'RuntimeWarning: Mean of empty slice' under the forecast's own lines."""
    cells = [f"{2000 + i / 365.25:.3f}" for i in range(9)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_series(write(tmp_path, cells, header="time,value"))
    assert data.series[0].times.equals(pd.date_range("2000-01-01", periods=9, freq="D"))


@pytest.mark.parametrize(
    "cells, per_year",
    [
        ([f"{1991 + i / 26:.6f}" for i in range(60)], "26"),  # fortnights of 14.05 days
        (
            [f"{1991 + i / 52.1:.6f}" for i in range(200)],
            "52.1",
        ),  # 7.01 days: a day off the weeks in 100 steps
    ],
)
def test_decimal_years_off_every_calendar_are_refused_in_one_line(tmp_path, cells, per_year):
    with pytest.raises(DataError) as info:
        load_series(write(tmp_path, cells, header="time,value"))
    assert str(info.value) == (
        f"time column 'time' of data.csv holds decimal years about {per_year} steps a year apart (R's time(x) of "
        "a ts of that frequency), which fall on no calendar; lstmkit reads 4, 12, 52 or 365 steps a year, or "
        "days and weeks (frequency 365.25 or 52.18) that land on whole days: write the times as dates (e.g. "
        "2020-01-31) or delete the column"
    )


def test_r_daily_decimal_years_of_a_panel_with_different_starts(tmp_path):
    rows = [f"a,{2015 + i / 365.25:.15g},{i}" for i in range(400)]
    rows += [f"b,{2015 + i / 365.25:.15g},{i}" for i in range(10, 400)]
    path = tmp_path / "panel.csv"
    path.write_text("store,time,v\n" + "\n".join(rows) + "\n")
    data = load_series(path, id_col="store")
    assert [s.times[0] for s in data.series] == [pd.Timestamp("2015-01-01"), pd.Timestamp("2015-01-11")]
    assert [data.future_times(s, 1) for s in data.series] == [
        ["2016.095628"],
        ["2016.095628"],
    ]  # 5 February 2016


def test_a_panel_of_quarters_dated_on_one_day_with_different_starts(tmp_path):
    rows = [f"a,{p.year}-{(p.quarter - 1) * 3 + 2:02d}-15,{i}" for i, p in enumerate(QUARTERS)]
    rows += [f"b,{p.year}-{(p.quarter - 1) * 3 + 2:02d}-15,{i}" for i, p in enumerate(QUARTERS[4:])]
    path = tmp_path / "panel.csv"
    path.write_text("store,date,v\n" + "\n".join(rows) + "\n")
    data = load_series(path, id_col="store")
    assert data.time_kind == "quarter" and [len(s.target) for s in data.series] == [12, 8]
    assert [data.future_times(s, 1) for s in data.series] == [["2021-02-15"], ["2021-02-15"]]
    months = [f"b,2020-{m:02d}-15,{m}" for m in range(1, 13)] + [
        f"a,2020-{m:02d}-15,{m}" for m in range(3, 13)
    ]
    path.write_text("store,date,v\n" + "\n".join(months) + "\n")
    assert load_series(path, id_col="store").time_kind == "month"


_DATES = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%m/%d/%Y", "%-m/%-d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%m/%d/%y"]
_DATES += [
    "%d-%b-%Y",
    "%-d-%b-%y",
    "%d%b%Y",
    "%b %-d, %Y",
    "%B %d, %Y",
    "%b-%-d-%Y",
    "%a, %b %d, %Y",
    "%A, %B %-d, %Y",
]
_CLOCKS = [" %H:%M", " %-H:%M", " %H:%M:%S", " %H:%M:%S.000", " %-I:%M %p", "T%H:%M:%S"]  # .000: SQL Server
_TIMES = {
    "days": pd.date_range("2020-01-01", periods=40, freq="D"),
    "month starts": pd.date_range("2015-01-01", periods=40, freq="MS"),
    "month ends": pd.date_range("2015-01-31", periods=40, freq="ME"),
    "15th of each month": pd.date_range("2015-01-01", periods=40, freq="MS") + pd.Timedelta(days=14),
    "quarter starts": pd.date_range("2010-01-01", periods=30, freq="QS"),
    "Sundays": pd.date_range("2020-01-05", periods=40, freq="W-SUN"),
    "hours": pd.date_range("2020-01-01", periods=60, freq="h"),
}
_CASES = [
    (kind, date + clock)
    for kind in _TIMES
    for date in _DATES
    for clock in (
        _CLOCKS if kind == "hours" else ["", " %H:%M", " %H:%M:%S.000"] if kind == "month starts" else [""]
    )
    if not ("%b" in date or "%B" in date) or "T" not in clock
]


@pytest.mark.parametrize("kind, layout", _CASES, ids=[f"{k}-{f}" for k, f in _CASES])
def test_every_layout_is_written_back_and_read_again_the_same_way_with_the_format_a_model_keeps(
    tmp_path, kind, layout
):
    """Future times in the file's own layout, and the format kept in a model folder reads the file again with
    the same frequency and future times (predict reads with it: a disagreement refuses the file)."""
    times = _TIMES[kind]
    cells = [f'"{_written(t, layout)}"' for t in times]
    data = load_series(write(tmp_path, cells))
    upcoming = pd.date_range(times[-1], periods=3, freq=times.freq or pd.DateOffset(months=1))[1:]
    assert data.future_times(data.series[0], 2) == [_written(t, layout) for t in upcoming]
    again = load_series(write(tmp_path, cells, "again.csv"), date_format=data.date_format)
    assert (again.freq, again.time_kind) == (data.freq, data.time_kind)
    assert again.future_times(again.series[0], 2) == data.future_times(data.series[0], 2)


def _written(stamp: pd.Timestamp, layout: str) -> str:
    """``stamp`` in ``layout``, where ``%-d``, ``%-m``, ``%-H``, ``%-I`` write numbers without a leading zero."""
    for code, value in (
        ("%-d", stamp.day),
        ("%-m", stamp.month),
        ("%-H", stamp.hour),
        ("%-I", stamp.hour % 12 or 12),
    ):
        layout = layout.replace(code, str(value))
    return stamp.strftime(layout)


@pytest.mark.parametrize(
    "layout, freq, start",
    [
        ("%m/%d/%Y", "MS", "2015-01-01"),  # 01/01/2015, 02/01/2015: month starts, month first
        ("%-m/%-d/%Y", "MS", "2015-01-01"),  # 1/1/2015 (Excel, US)
        ("%d/%m/%Y", "MS", "2015-01-01"),  # 01/02/2015: month starts, day first
        ("%d.%m.%Y", "QS", "2010-01-01"),  # 01.04.2010: quarter starts, day first
        ("%m/%d/%Y", "D", "2020-01-01"),
    ],
)
def test_a_panel_of_numeric_dates_reads_day_and_month_as_its_distinct_times_do(tmp_path, layout, freq, start):
    """In long format every time appears once per series, so neither reading has unique times: the reading
    whose distinct times are regular wins (the day-first reading of 02/01/2015 month starts is Jan 1 to 12,
    and the panel was refused as irregular)."""
    rows = []
    for k, (skip, n) in enumerate([(0, 40), (5, 30), (12, 25)]):  # different starts, a gap in one series
        times = pd.date_range(start, periods=skip + n, freq=freq)[skip:]
        rows += [
            f"s{k},{_written(t, layout)},{i}" for i, t in enumerate(times) if (k, i) not in ((1, 7), (1, 8))
        ]
    path = tmp_path / "panel.csv"
    path.write_text("id,date,v\n" + "\n".join(rows) + "\n")
    data = load_series(path, id_col="id", fill="keep")
    last = pd.date_range(start, periods=40, freq=freq)[-1]
    assert pd.Timestamp(data.series[0].times[-1]) == last
    upcoming = pd.date_range(last, periods=3, freq=freq)[1:]
    assert data.future_times(data.series[0], 2) == [_written(t, layout) for t in upcoming]
    assert np.isnan(data.series[1].target).sum() == 2  # the gap is kept as missing steps
