"""The reading rules one by one (number formats, time axes, date layouts, column roles, order), at the library level."""

import logging

import numpy as np
import pandas as pd
import pytest

from lstmkit.data.number_formats import decode_numbers
from lstmkit.data.tables import read_table
from lstmkit.data.tabular import impute, load_series, missing_count
from lstmkit.errors import DataError


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def lines(header, rows):
    return header + "\n" + "\n".join(rows) + "\n"


# ---- numbers


@pytest.mark.parametrize(
    "delimiter, cells, expected",
    [
        (",", ["1,037", "12,345.6", "7", "-2,000,000"], ["1037", "12345.6", "7", "-2000000"]),
        (";", ["1.037,5", "12,5", "3", "1.000.000,25"], ["1037.5", "12.5", "3", "1000000.25"]),
        (
            ",",
            ["3,14", "2,5"],
            ["3.14", "2.5"],
        ),  # not groups of three: decimal commas (LibreOffice, Google Sheets)
        (
            ",",
            ["1.037,5", "900,25", "1\u202f000,5"],
            ["1037.5", "900.25", "1000.5"],
        ),  # quoted in a comma file
        (
            "\t",
            ["1.037,5", "12,5"],
            ["1037.5", "12.5"],
        ),  # Excel's tab-separated text in a decimal-comma locale
        (",", ["0,125", "1,250"], ["0.125", "1.250"]),  # no thousands group starts with 0
        (";", ["987", "1.037", "12.345.678"], ["987", "1037", "12345678"]),  # whole numbers, dots grouping
        (";", ["1.037", "1.250"], ["1.037", "1.250"]),  # two cells say too little: decimal points
        (
            ";",
            ["1.037", "1.250", "2.500"],
            ["1037", "1250", "2500"],
        ),  # three decimals in every cell: thousands
        (";", ["0.987", "1.037"], ["0.987", "1.037"]),
        (";", ["1,037.5", "12.5"], ["1037.5", "12.5"]),  # no decimal comma reads 1,037.5: a thousands comma
        (",", ["1'037.50", "12\u2019345", "3"], ["1037.50", "12345", "3"]),  # Swiss apostrophes
        (";", ["1.234,50-", "5-", "7"], ["-1234.50", "-5", "7"]),  # SAP's trailing minus
        (";", ["1.037", "2.5"], ["1.037", "2.5"]),  # no decimal comma in the column: dots are decimal points
        (",", ["1,037", "abc"], ["1037", "abc"]),  # no number has no say: left for the caller to name
        (";", ["1,5", "2,5", "x", "1.037,5"], ["1.5", "2.5", "x", "1037.5"]),
        (",", ["abc", "def", "1,037"], ["abc", "def", "1,037"]),  # mostly text: a text column
        (
            ";",
            ["1 037,5", "12\u00a0345,25", "3", "1\u202f000"],
            ["1037.5", "12345.25", "3", "1000"],
        ),  # French
        (",", ["1 037", "12 345.6"], ["1037", "12345.6"]),  # spaces grouping thousands
        (",", ["New York", "1 0"], ["New York", "1 0"]),  # text with spaces stays text
        (
            ",",
            ["$1,234", "$12.50", "-$3", "($4.25)"],
            ["1234", "12.50", "-3", "-4.25"],
        ),  # dollars, accounting
        (",", ["12%", "7.5%", "", "\u22123%"], ["12", "7.5", "", "-3"]),  # percent, Unicode minus
        (";", ["1.234,5 \u20ac", "(3,5 \u20ac)", "\u00a32"], ["1234.5", "-3.5", "2"]),  # euros, pounds
        (",", ["x", "(y)", "$z", "1"], ["x", "(y)", "$z", "1"]),  # decorated text stays text
        (",", ["(-5)", "$1"], ["(-5)", "1"]),  # a sign inside parentheses is not a number
    ],
)
def test_number_formats(delimiter, cells, expected):
    frame = decode_numbers(pd.DataFrame({"x": cells}), delimiter=delimiter)
    assert frame["x"].tolist() == expected


@pytest.mark.parametrize(
    "marker", ["-", "--", "?", ".", "N/A", "n/a", "n.a.", "#N/A", "#NV", "<NA>", "NULL", "None"]
)
def test_missing_value_markers_are_gaps_in_targets_and_covariates(tmp_path, marker):
    rows = [f"2020-{m:02d},{m},{'x' if m == 3 else m * 10}" for m in range(1, 7)]
    text = (
        lines("month,sales,price", rows)
        .replace(",x", f",{marker}")
        .replace("2020-04,4,", f"2020-04,{marker},")
    )
    data = load_series(write(tmp_path, text), target="sales", fill="keep")
    assert np.isnan(data.series[0].target[3]) and data.covariate_names == ["price"]
    assert np.isnan(data.series[0].covariates[2, 0])
    semicolon = lines("month;sales", ["2020-01;1,5", f"2020-02;{marker}", "2020-03;3,5"])
    assert np.isnan(
        load_series(write(tmp_path, semicolon, "eu.csv"), fill="keep").series[0].target
    ).tolist() == [
        False,
        True,
        False,
    ]


def test_a_reports_title_and_notes_above_the_header_are_skipped_with_a_note(tmp_path, caplog):
    """A title line above the header made pandas read the months as the row index and refuse 'sales' as the
    value of a column named 'Monthly sales report'; a title padded with delimiters named 'sales' on line 3."""
    rows = [f"2020-{m:02d},{m}" for m in range(1, 7)]
    for preamble in ("Monthly sales report\n", "Monthly sales report,\nUnits: EUR,\n,\n"):
        with caplog.at_level(logging.WARNING):
            data = load_series(write(tmp_path, preamble + lines("month,sales", rows)))
        assert data.series[0].target.tolist() == [1, 2, 3, 4, 5, 6] and data.time_col == "month"
    assert caplog.messages[-1] == (
        "data.csv: skipped 3 line(s) above the column names, 'Monthly sales report', 'Units: EUR': "
        "a title or note, not a row of the table"
    )
    bad = "Monthly sales report\n\n" + lines("month,sales", [*rows[:4], "2020-05,x", "2020-06,6"])
    # the lines are counted with the title's
    with pytest.raises(DataError, match=r"'x' at row 5 \(line 8 of the file\)"):
        load_series(write(tmp_path, bad, "bad.csv"))
    headed = lines(",sales", [f"{k},{k}" for k in range(6)])  # a header over row numbers is no title
    assert read_table(write(tmp_path, headed, "rows.csv")).columns.tolist() == ["Unnamed: 0", "sales"]


MONTHLY = [f"2020-{m:02d},{m}" for m in range(1, 7)]


@pytest.mark.parametrize(
    "sep, footer, skipped",
    [
        (  # Eurostat: a blank line, the source, the copyright
            ",",
            "\nSource: Eurostat (online data code: prc_hicp_midx),\n\u00a9 European Union 2024,\n",
            "2 line(s) below the data, 'Source: Eurostat (online data code: prc_hicp_midx)', "
            "'\u00a9 European Union 2024'",
        ),
        (  # Destatis: a rule, the source and the date of the table, in its ';' file
            ";",
            "__________\nQuelle: Statistisches Bundesamt (Destatis), 2024\nStand: 15.03.2024 / 10:45:12\n",
            "3 line(s) below the data, '__________', 'Quelle: Statistisches Bundesamt (Destatis), 2024', "
            "'Stand: 15.03.2024 / 10:45:12'",
        ),
        (  # a quoted note holding the delimiter, and the delimiters of empty cells
            ",",
            ',\n"Note: figures for 2020-06 are provisional, revised monthly",\n',
            "1 line(s) below the data, 'Note: figures for 2020-06 are provisional, revised monthly'",
        ),
        (",", "Total 2020,\n", "1 line(s) below the data, 'Total 2020'"),  # a total without a value is no row
    ],
)
def test_a_source_or_note_below_the_data_is_skipped_with_a_note(tmp_path, caplog, sep, footer, skipped):
    """A statistics office's footer below the data was an error: 'time column 'month' of data.csv has a value
    that is not a time, 'Source: Eurostat ...' at row 7'."""
    rows = [row.replace(",", sep) for row in MONTHLY]
    with caplog.at_level(logging.WARNING):
        data = load_series(write(tmp_path, lines(f"month{sep}sales", rows) + footer))
    assert data.series[0].target.tolist() == [1, 2, 3, 4, 5, 6]
    assert data.series[0].times.equals(pd.period_range("2020-01", periods=6, freq="M"))
    assert caplog.messages == [f"data.csv: skipped {skipped}: a source or note, not a row of the table"]


def test_a_total_with_a_value_a_note_inside_the_data_and_a_last_time_without_a_value_are_no_footer(tmp_path):
    """Only text without a value after the last row of data is a footer: a total line with a value would be
    trained on, a note between rows of data is a bad cell, and a last month without its value is data."""
    total = lines("month,sales", [*MONTHLY, "Total 2020,21"])
    footer = "'Total 2020' at row 7; that last row looks like a total or footer line: delete it from the file"
    with pytest.raises(DataError, match=footer):
        load_series(write(tmp_path, total))
    inside = lines("month,sales", [*MONTHLY[:3], "Source: Eurostat,", *MONTHLY[3:]])
    with pytest.raises(DataError, match="'Source: Eurostat' at row 4; use dates such as 2020-01-31"):
        load_series(write(tmp_path, inside))
    empty_month = lines("month,sales", [*MONTHLY, "2020-07,", "Source: Eurostat,"])
    data = load_series(write(tmp_path, empty_month), fill="keep")
    assert len(data.series[0].target) == 7 and np.isnan(data.series[0].target[6])


def test_cells_exported_as_excel_text_formulas_hold_their_text(tmp_path):
    """="007" (exported so that Excel keeps the leading zeros) was the series id '="007"'."""
    rows = [f'="{store}",2020-{m:02d},"=""{m}"""' for store in ("007", "012") for m in range(1, 7)]
    data = load_series(write(tmp_path, lines("store,month,sales", rows)), id_col="store")
    assert [s.id for s in data.series] == ["007", "012"]
    assert data.series[1].target.tolist() == [1, 2, 3, 4, 5, 6]


def test_excels_sep_line_names_the_delimiter(tmp_path, caplog):
    """sep=; (Excel's hint) was taken for a title, with a warning."""
    text = "sep=;\n" + lines("month;sales", ["2020-01;1,5", "2020-02;x", "2020-03;3,5"])
    with (
        caplog.at_level(logging.WARNING),
        pytest.raises(DataError, match=r"'x' at row 2 \(line 4 of the file\)"),
    ):
        load_series(write(tmp_path, text))
    assert caplog.messages == []
    assert read_table(
        write(tmp_path, "sep=,\n" + lines("a;b,c", ["1;2,3"]), "comma.csv")
    ).columns.tolist() == [
        "a;b",
        "c",
    ]


def test_a_row_of_units_below_the_column_names_is_skipped_with_a_note(tmp_path, caplog):
    """,EUR,EUR/kg below month,sales,price was refused: 'time column 'month' is empty at row 1'."""
    rows = [f"2020-{m:02d},{m},{m % 3}" for m in range(1, 7)]
    with caplog.at_level(logging.WARNING):
        data = load_series(
            write(tmp_path, lines("month,sales,price", [",EUR,EUR/kg", *rows])), target="sales"
        )
    assert data.series[0].target.tolist() == [1, 2, 3, 4, 5, 6] and data.covariate_names == ["price"]
    assert caplog.messages == [
        "data.csv: skipped the row below the column names, ',EUR,EUR/kg': units or descriptions, not data"
    ]
    bad = lines("month,sales", ["YYYY-MM,units", "2020-01,1", "2020-02,x", *(r[:9] for r in rows[2:])])
    with pytest.raises(
        DataError, match=r"'x' at row 2 \(line 4 of the file\)"
    ):  # lines counted with the units
        load_series(write(tmp_path, bad, "bad.csv"))
    typo = lines("month,sales", ["2020-01,abc", *(r[:9] for r in rows[1:])])  # a row of data with a bad cell
    with pytest.raises(DataError, match=r"'abc' at row 1 \(line 2 of the file\)"):
        load_series(write(tmp_path, typo, "typo.csv"))


def test_empty_rows_a_spreadsheet_exports_below_the_data_are_dropped(tmp_path):
    text = lines("month,sales", [f"2020-{m:02d},{m}" for m in range(1, 7)]) + ",\r\n , \n,\n\n"
    data = load_series(write(tmp_path, text))
    assert data.series[0].target.tolist() == [1, 2, 3, 4, 5, 6] and data.time_kind == "month"
    inside = lines("month,sales", ["2020-01,1", ",", "2020-03,3"])  # inside the data: still named
    with pytest.raises(DataError, match="empty at row 2"):
        load_series(write(tmp_path, inside, "inside.csv"))


def test_a_delimiter_ending_every_line_is_no_column_and_no_note(tmp_path, caplog):
    # 'ignoring non-numeric column(s) Unnamed: 2' was printed for the empty column of Date,Revenue,
    text = lines("Date,Revenue,", [f'1/{d}/2020,"1,0{d:02d}.5",' for d in range(1, 29)])
    with caplog.at_level(logging.WARNING):
        data = load_series(write(tmp_path, text))
    assert data.series[0].target[:2].tolist() == [1001.5, 1002.5] and data.covariate_names == []
    assert caplog.messages == []


def test_thousands_and_decimal_commas_reach_the_series(tmp_path):
    comma = lines("month,revenue", ['2020-01,"1,037"', '2020-02,"12,345.5"', "2020-03,7"])
    np.testing.assert_array_equal(load_series(write(tmp_path, comma)).series[0].target, [1037, 12345.5, 7])
    semi = lines("month;revenue", ["2020-01;1.037,5", "2020-02;12,5", "2020-03;"])
    data = load_series(write(tmp_path, semi, "semi.csv"), fill="keep")
    np.testing.assert_array_equal(data.series[0].target, [1037.5, 12.5, np.nan])


def test_money_and_percentages_as_spreadsheets_export_them_reach_the_series(tmp_path):
    text = lines(
        "month,revenue,margin", ['2020-01,"$1,037",12%', "2020-02,($5.50),\u22121.5%", "2020-03,$7,"]
    )
    data = load_series(write(tmp_path, text), target="revenue", fill="keep")
    np.testing.assert_array_equal(data.series[0].target, [1037, -5.5, 7])
    margin = load_series(write(tmp_path, text), target="margin", fill="keep")
    np.testing.assert_array_equal(margin.series[0].target, [12, -1.5, np.nan])


def test_decimal_commas_quoted_in_a_comma_file_reach_the_series(tmp_path):
    """LibreOffice and Google Sheets in a German or French locale write "1.037,5" and "3,14" in a comma file: they
    were refused as not numeric, and "0,125" was read as 125."""
    path = write(tmp_path, lines("month,v", ['2020-01,"3,14"', '2020-02,"1.037,5"', '2020-03,"0,125"']))
    np.testing.assert_array_equal(load_series(path).series[0].target, [3.14, 1037.5, 0.125])
    path = write(tmp_path, lines("month,v", ['2020-01,"1,5"', '2020-02,"x"', '2020-03,"2,5"']))
    with pytest.raises(DataError, match=r"non-numeric value 'x' at row 2 \(line 3 of the file\)"):
        load_series(path)  # the bad cell is named, not the numbers around it ('1,5' was)


@pytest.mark.parametrize("first, value", [("987", 987), ("1.002", 1002)])
def test_whole_numbers_with_dots_grouping_thousands_in_a_semicolon_file_are_not_decimals(
    tmp_path, first, value
):
    """987;1.037;1.250 and 1.002;1.037;1.250 (Excel's German CSV of whole numbers) were read as decimals."""
    path = write(tmp_path, lines("Monat;Umsatz", [f"2020-01;{first}", "2020-02;1.037", "2020-03;1.250"]))
    np.testing.assert_array_equal(load_series(path).series[0].target, [value, 1037, 1250])


# ---- integer time axes


def test_first_column_step_counter_and_named_counters(tmp_path):
    data = load_series(write(tmp_path, lines("k,y", [f"{2 * i},{i}" for i in range(6)])))
    assert (data.time_col, data.time_kind, data.future_times(data.series[0], 2)) == ("k", "index", [12, 14])
    data = load_series(write(tmp_path, lines("y,step", [f"{i},{i}" for i in range(6)])), target="y")
    assert data.time_col == "step"


def test_integers_that_are_not_a_step_counter_are_not_a_time_axis(tmp_path):
    rows = [f"{m % 12 + 1},{m}" for m in range(24)]  # month of year 1..12, twice: not increasing
    with pytest.raises(DataError, match=r"several numeric columns \(month, v\); choose one with --target"):
        load_series(write(tmp_path, lines("month,v", rows)))
    assert (
        load_series(write(tmp_path, lines("v", [str(i) for i in range(10)]))).time_col is None
    )  # one column: the target


def test_step_counter_per_series_and_gaps_with_an_explicit_time_col(tmp_path):
    rows = [f"{sid},{t},{t * k}" for sid, k in (("a", 1), ("b", 2)) for t in range(5)]
    data = load_series(write(tmp_path, lines("id,t,y", rows)), id_col="id")
    assert data.time_col == "t" and [s.times.tolist() for s in data.series] == [[0, 1, 2, 3, 4]] * 2
    data = load_series(write(tmp_path, lines("t,y", ["0,0", "1,1", "3,3"]), "gap.csv"), time_col="t")
    np.testing.assert_array_equal(data.series[0].target, [0, 1, 2, 3])


@pytest.mark.parametrize("unit, fmt", [(1, "unix-s"), (1000, "unix-ms")])
def test_unix_times_are_times_with_their_frequency_and_are_written_back_as_unix_times(tmp_path, unit, fmt):
    start = 1_577_836_800  # 2020-01-01 00:00 UTC
    hours = [h for h in range(60) if h != 30]  # one missing hour: a gap
    path = write(tmp_path, lines("ts,load", [f"{(start + 3600 * h) * unit},{h % 24}" for h in hours]))
    data = load_series(path)
    assert (data.time_col, data.time_kind, data.freq, data.time_format) == ("ts", "datetime", "h", fmt)
    assert data.series[0].times[0] == pd.Timestamp("2020-01-01") and len(data.series[0].target) == 60
    assert data.series[0].target[30] == 6.0  # the missing hour, interpolated between 5 and 7
    assert data.future_times(data.series[0], 2) == [str((start + 3600 * h) * unit) for h in (60, 61)]
    again = load_series(path, date_format=fmt)  # as a model folder reads it again
    assert again.series[0].times.equals(data.series[0].times)
    with pytest.raises(DataError, match=rf"does not hold Unix times .* as --date-format {fmt} says"):
        load_series(
            write(tmp_path, lines("ts,load", ["1,2", "2,3"]), "small.csv"), time_col="ts", date_format=fmt
        )


@pytest.mark.parametrize(
    "values",
    [
        [1_577_836_801, 1_577_836_861, 1_577_836_921],  # not on whole minutes: ids or measurements
        [100_000, 100_060, 100_120],  # minutes apart, but 1970: a step counter
    ],
)
def test_large_integers_that_are_not_unix_times_stay_integers(tmp_path, values):
    data = load_series(
        write(tmp_path, lines("t,v", [f"{t},{i}" for i, t in enumerate(values)])), time_col="t"
    )
    assert data.time_kind == "index" and data.future_times(data.series[0], 1) == [values[-1] + 60]


@pytest.mark.parametrize(
    "values, kind",
    [
        (list(range(1, 13)), "index"),
        (list(range(10001, 10013)), "index"),  # a counter from 10001
        (
            [10001, 10002, 10003, 10004, 10011, 10012],
            "index",
        ),  # quarters of the year 1000: a counter with gaps
        (list(range(20101, 20113)), "index"),  # a counter through 20105, no quarter
        ([20101, 20111, 20121, 20131, 20141], "index"),  # a counter by tens: first quarters a year apart
        ([int(f"{m:%Y%m}") for m in pd.date_range("2010-01", periods=12, freq="MS")], "month"),  # YYYYMM
        ([int(f"{d:%Y%m%d}") for d in pd.date_range("2010-01-01", periods=12)], "datetime"),  # YYYYMMDD
        ([1_577_836_800 + 3600 * h for h in range(12)], "datetime"),  # Unix times
    ],
)
def test_integers_that_are_not_yyyyq_quarters_keep_their_reading(tmp_path, values, kind):
    data = load_series(
        write(tmp_path, lines("t,v", [f"{t},{i}" for i, t in enumerate(values)])), time_col="t", fill="keep"
    )
    assert data.time_kind == kind and data.series[0].target[0] == 0


# ---- date layouts


def test_day_first_when_month_first_is_impossible(tmp_path, caplog):
    days = pd.date_range("2020-01-25", periods=10, freq="D")
    with caplog.at_level(logging.WARNING):
        data = load_series(
            write(tmp_path, lines("date,v", [f"{d:%d.%m.%Y},{i}" for i, d in enumerate(days)]))
        )
    assert data.series[0].times[0] == pd.Timestamp("2020-01-25") and data.freq == "D"
    assert data.future_times(data.series[0], 1) == ["04.02.2020"] and data.date_format == "%d.%m.%Y"
    assert caplog.messages == [
        "dates in 'date' of data.csv read as day/month/year (25.01.2020 is 2020-01-25); "
        "pass --date-format %m.%d.%Y to read them month first"
    ]


def test_the_more_regular_reading_wins_and_is_stated(tmp_path, caplog):
    months = pd.date_range("2016-01-01", periods=24, freq="MS")  # month first: 1-12 Jan each year, irregular
    with caplog.at_level(logging.WARNING):
        data = load_series(
            write(tmp_path, lines("date,v", [f"{d:%d/%m/%Y},{i}" for i, d in enumerate(months)]))
        )
    assert data.freq == "MS" and data.future_times(data.series[0], 1) == ["01/01/2018"]
    assert caplog.messages == [
        "dates in 'date' of data.csv could be read day or month first; read as day/month/year "
        "(01/02/2016 is 2016-02-01); pass --date-format %m/%d/%Y to read them month first"
    ]


def test_a_tie_is_read_month_first_and_stated(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        data = load_series(write(tmp_path, lines("date,v", ["01/02/2020,1", "01/03/2020,2", "01/04/2020,3"])))
    assert data.freq == "D" and data.series[0].times[0] == pd.Timestamp("2020-01-02")
    assert caplog.messages == [
        "dates in 'date' of data.csv could be read day or month first; read as month/day/year "
        "(01/02/2020 is 2020-01-02); pass --date-format %d/%m/%Y to read them day first"
    ]


def test_unambiguous_month_first_dates_with_a_clock_are_silent(tmp_path, caplog):
    hours = pd.date_range("2020-01-31 22:00", periods=5, freq="h")
    with caplog.at_level(logging.WARNING):
        data = load_series(
            write(tmp_path, lines("when,v", [f"{h:%m/%d/%Y %H:%M},{i}" for i, h in enumerate(hours)]))
        )
    assert (
        data.freq == "h"
        and data.future_times(data.series[0], 1) == ["02/01/2020 03:00"]
        and not caplog.messages
    )


@pytest.mark.parametrize(
    "cells, written, following",
    [
        (
            ["1/29/2020", "1/30/2020", "1/31/2020", "2/1/2020"],
            "%-m/%-d/%Y",
            ["2/2/2020", "2/3/2020"],
        ),  # Excel
        (["01/29/2020", "01/30/2020", "01/31/2020"], "%m/%d/%Y", ["02/01/2020", "02/02/2020"]),
        (["9/30/2020", "10/31/2020", "11/30/2020"], "%-m/%-d/%Y", ["12/31/2020", "1/31/2021"]),  # days >= 10
        (
            ["12/30/2020 9:00", "12/30/2020 10:00", "12/30/2020 11:00"],
            "%-m/%-d/%Y %-H:%M",  # month and day all >= 10: written as the hour is
            ["12/30/2020 12:00"],
        ),
        (["28.1.2020", "29.1.2020", "30.1.2020"], "%-d.%-m.%Y", ["31.1.2020", "1.2.2020"]),
    ],
)
def test_numbers_written_without_leading_zeros_are_written_back_so(tmp_path, cells, written, following):
    data = load_series(write(tmp_path, lines("date,v", [f"{c},{i}" for i, c in enumerate(cells)])))
    assert data.time_format == written
    assert data.future_times(data.series[0], len(following)) == following
    again = load_series(  # what a fitted model reads with its training data's format
        write(tmp_path, lines("date,v", [f"{c},{i}" for i, c in enumerate(cells + following)]), "b.csv"),
        date_format=written,
    )
    assert (
        again.future_times(again.series[0], 1) == data.future_times(data.series[0], len(following) + 1)[-1:]
    )


@pytest.mark.parametrize("fmt", ["%b %Y", "%Y %b", "%B %Y", "%b-%y", "%Y-%b"])
def test_month_names(tmp_path, fmt):
    months = pd.date_range("2019-11-01", periods=4, freq="MS")
    data = load_series(
        write(tmp_path, lines("when,v", [f"{m.strftime(fmt)},{i}" for i, m in enumerate(months)]))
    )
    assert (data.time_kind, data.freq, data.time_format) == ("month", "M", fmt)
    assert data.future_times(data.series[0], 1) == [pd.Timestamp("2020-03-01").strftime(fmt)]


@pytest.mark.parametrize(
    "cells, future",
    [
        (["2019 Q3", "2019 Q4", "2020 Q1"], "2020 Q2"),
        (["Q3 2019", "Q4 2019", "Q1 2020"], "Q2 2020"),
        (["Q3-2019", "Q4-2019", "Q1-2020"], "Q2-2020"),
        (["2019Q3", "2019Q4", "2020Q1"], "2020Q2"),
        (["2019-q3", "2019-q4", "2020-q1"], "2020-q2"),
    ],
)
def test_quarters_in_the_layouts_users_export_are_written_back_the_same_way(tmp_path, cells, future):
    data = load_series(write(tmp_path, lines("quarter,v", [f"{c},{i}" for i, c in enumerate(cells)])))
    assert (data.time_kind, data.freq) == ("quarter", "Q")
    assert data.series[0].times[-1] == pd.Period("2020Q1", freq="Q")
    assert data.future_times(data.series[0], 1) == [future]


def test_times_with_one_utc_offset_keep_their_clock_and_offset(tmp_path, caplog):
    stamps = [f"2021-01-01T{h:02d}:00:00+01:00" for h in range(4)]
    data = load_series(write(tmp_path, lines("timestamp,load", [f"{s},{i}" for i, s in enumerate(stamps)])))
    assert data.series[0].times[0] == pd.Timestamp("2021-01-01 00:00") and data.freq == "h"
    assert data.future_times(data.series[0], 2) == ["2021-01-01T04:00:00+01:00", "2021-01-01T05:00:00+01:00"]
    zulu = write(
        tmp_path,
        lines("timestamp,load", ["2021-01-01T22:00Z,1", "2021-01-01T23:00Z,2", "2021-01-02T00:00Z,3"]),
    )
    assert load_series(zulu).future_times(load_series(zulu).series[0], 1) == ["2021-01-02T01:00Z"]
    assert not caplog.messages


def test_one_utc_offset_written_two_ways_is_one_offset(tmp_path, caplog):
    cells = [
        "2021-01-01T22:00:00Z",
        "2021-01-01T23:00:00+00:00",
        "2021-01-02T00:00:00Z",
        "2021-01-02T01:00:00+0000",
    ]
    path = write(tmp_path, lines("timestamp,load", [f"{c},{i}" for i, c in enumerate(cells)]))
    with caplog.at_level(logging.WARNING, logger="lstmkit.data.tabular"):
        data = load_series(path)
    assert (
        data.series[0].times.equals(pd.date_range("2021-01-01 22:00", periods=4, freq="h"))
        and data.freq == "h"
    )
    assert data.future_times(data.series[0], 2) == ["2021-01-02T02:00:00Z", "2021-01-02T03:00:00Z"]
    assert not caplog.messages


def _offset_cells(stamps):
    """``2021-03-28T03:00:00+02:00``: aware times as an export writes them, each with its own offset."""
    return [s.isoformat() for s in stamps]


def _future_in(zone, last_utc, count, step):
    """The reference: the ``count`` times after the UTC instant ``last_utc``, ``step`` apart, on ``zone``'s clock
    as pandas writes them."""
    future = pd.date_range(pd.Timestamp(last_utc, tz="UTC"), periods=count + 1, freq=step)[1:]
    return [t.isoformat() for t in future.tz_convert(zone)]


def test_times_whose_utc_offset_changes_with_daylight_saving_are_read_in_utc_and_written_in_their_zone(
    tmp_path, caplog
):
    stamps = pd.date_range("2021-03-28 00:00", periods=5, freq="h", tz="Europe/Berlin")  # 02:00 is skipped
    path = write(
        tmp_path,
        lines("timestamp,load", [f"{s},{i}" for i, s in enumerate(_offset_cells(stamps))]),
        "dst.csv",
    )
    with caplog.at_level(logging.WARNING, logger="lstmkit.data.tabular"):
        data = load_series(path)
        load_series(path)  # read again (as evaluate does): no second warning
    assert list(data.series[0].target) == [0, 1, 2, 3, 4] and data.freq == "h"  # no gap at the change
    assert data.series[0].times[0] == pd.Timestamp("2021-03-27 23:00")  # modelled on the UTC instants
    assert data.future_times(data.series[0], 1) == ["2021-03-28T06:00:00+02:00"]
    future = data.future_times(data.series[0], 24 * 218)  # past the end of summer time, 31 October
    assert future == _future_in("Europe/Berlin", "2021-03-28 03:00", 24 * 218, "h")
    back = future.index("2021-10-31T01:00:00+02:00")
    assert future[back + 1 : back + 4] == [
        "2021-10-31T02:00:00+02:00",
        "2021-10-31T02:00:00+01:00",  # the hour the clock repeats
        "2021-10-31T03:00:00+01:00",
    ]
    assert len(caplog.messages) == 1
    assert caplog.messages[0].startswith(
        "times in 'timestamp' of dst.csv carry UTC offsets +01:00 and +02:00 (daylight saving); read as "
        "Europe/Berlin, one of "
    )  # how many zones share Central European time is the database's to say
    assert "Europe/Brussels" in caplog.messages[0]  # the others, those of most countries first
    assert caplog.messages[0].endswith("and forecast.csv writes future times with its offsets")


def test_half_hours_across_the_end_of_summer_time_are_written_in_their_zone_past_its_start(tmp_path, caplog):
    """Melbourne's clocks go back on 4 April 2021 (02:00-02:30 twice) and forward on 3 October (02:00-02:59
    never happen)."""
    stamps = pd.date_range("2021-04-03 12:00", "2021-04-04 06:00", freq="30min", tz="Australia/Melbourne")
    cells = _offset_cells(stamps)
    assert "2021-04-04T02:30:00+11:00" in cells and "2021-04-04T02:30:00+10:00" in cells
    path = write(tmp_path, lines("time,kwh", [f"{c},{i}" for i, c in enumerate(cells)]), "melbourne.csv")
    with caplog.at_level(logging.WARNING, logger="lstmkit.data.tabular"):
        data = load_series(path)
    assert len(data.series[0].target) == len(cells) and data.freq == "30min"  # both 02:30s kept, in order
    assert data.time_format == "%Y-%m-%dT%H:%M:%S+00:00[Australia/Sydney]"
    assert data.future_times(data.series[0], 2) == ["2021-04-04T06:30:00+10:00", "2021-04-04T07:00:00+10:00"]
    future = data.future_times(data.series[0], 48 * 182)
    assert future == _future_in("Australia/Melbourne", "2021-04-03 20:00", 48 * 182, "30min")
    forward = future.index("2021-10-03T01:30:00+10:00")
    assert future[forward + 1] == "2021-10-03T03:00:00+11:00"
    assert caplog.messages == [
        "times in 'time' of melbourne.csv carry UTC offsets +10:00 and +11:00 (daylight saving); read as "
        "Australia/Sydney, one of 4 zones with these offsets (Australia/Hobart, Australia/Melbourne, "
        "Antarctica/Macquarie), and forecast.csv writes future times with its offsets"
    ]


def test_of_the_zones_that_fit_the_one_most_of_them_agree_with_on_the_next_clock_changes_is_taken(
    tmp_path, caplog
):
    """Vancouver's March 2020 offsets are Dawson's and Whitehorse's too, but Yukon kept summer time from
    November 2020: the zones that go back with Vancouver are the most, and of them America/Los_Angeles, the
    clock's most populous zone (zones.PRINCIPAL), is taken."""
    stamps = pd.date_range("2020-03-06 00:00", periods=24 * 4, freq="h", tz="America/Vancouver")
    path = write(
        tmp_path, lines("time,mw", [f"{c},{i}" for i, c in enumerate(_offset_cells(stamps))]), "bc.csv"
    )
    with caplog.at_level(logging.WARNING, logger="lstmkit.data.tabular"):
        data = load_series(path)
    future = data.future_times(data.series[0], 24 * 240)
    back = future.index("2020-11-01T01:00:00-07:00")
    assert future[back + 1 : back + 3] == ["2020-11-01T01:00:00-08:00", "2020-11-01T02:00:00-08:00"]
    assert caplog.messages == [
        "times in 'time' of bc.csv carry UTC offsets -07:00 and -08:00 (daylight saving); read as "
        "America/Los_Angeles, one of the 3 of the 5 zones with these offsets that change clocks "
        "alike in the year after (America/Dawson, America/Tijuana, America/Vancouver and 1 more), and "
        "forecast.csv writes future times with its offsets"
    ]


def test_a_named_time_zone_writes_a_one_offset_files_future_across_the_clock_change(tmp_path):
    """Winter hours (+01:00 alone) with data.time_zone Europe/Berlin: the forecast's times go to +02:00 on 28 March,
    where without it they keep the file's one offset."""
    from lstmkit.models.forecast_config import ForecastData
    from lstmkit.models.forecast_state import read_series

    stamps = pd.date_range("2021-03-20 00:00", "2021-03-27 23:00", freq="h", tz="Europe/Berlin")
    path = write(
        tmp_path, lines("time,mw", [f"{c},{i}" for i, c in enumerate(_offset_cells(stamps))]), "de.csv"
    )
    named = read_series(path, ForecastData(time_zone="Europe/Berlin"), None)
    assert named.time_format == "%Y-%m-%dT%H:%M:%S+00:00[Europe/Berlin]"
    assert named.future_times(named.series[0], 4) == [
        "2021-03-28T00:00:00+01:00",
        "2021-03-28T01:00:00+01:00",
        "2021-03-28T03:00:00+02:00",
        "2021-03-28T04:00:00+02:00",
    ]
    inferred = read_series(path, ForecastData(), None)
    assert inferred.future_times(inferred.series[0], 4)[2:] == [
        "2021-03-28T02:00:00+01:00",
        "2021-03-28T03:00:00+01:00",
    ]


def test_a_named_time_zone_the_times_do_not_fit_or_times_without_offsets_are_refused(tmp_path):
    from lstmkit.models.forecast_config import ForecastData
    from lstmkit.models.forecast_state import read_series

    stamps = pd.date_range("2021-03-20 00:00", periods=48, freq="h", tz="America/New_York")
    ny = write(
        tmp_path, lines("time,mw", [f"{c},{i}" for i, c in enumerate(_offset_cells(stamps))]), "ny.csv"
    )
    with pytest.raises(DataError) as refused:
        read_series(ny, ForecastData(time_zone="Europe/Berlin"), None)
    assert str(refused.value) == (
        "data.time_zone Europe/Berlin does not fit the times in 'time' of ny.csv: their UTC offsets are not "
        "Europe/Berlin's at those times; name the zone they were written in, or leave data.time_zone unset to take "
        "the one their offsets fit"
    )
    naive = write(tmp_path, lines("time,mw", [f"2021-03-20 {h:02d}:00,{h}" for h in range(24)]), "naive.csv")
    with pytest.raises(DataError) as refused:
        read_series(naive, ForecastData(time_zone="Europe/Berlin"), None)
    assert str(refused.value) == (
        "data.time_zone Europe/Berlin names the zone of times written with a UTC offset (2021-01-01T00:00:00+01:00), "
        "and the times in 'time' of naive.csv have none; leave data.time_zone unset"
    )


def test_times_of_one_offset_are_read_in_the_zone_a_model_was_trained_in(tmp_path):
    """The last days before 3 October 2021 hold +10:00 alone: the model's zone writes the clocks going forward."""
    stamps = pd.date_range("2021-10-01 00:00", "2021-10-03 01:30", freq="30min", tz="Australia/Melbourne")
    path = write(tmp_path, lines("time,kwh", [f"{c},{i}" for i, c in enumerate(_offset_cells(stamps))]))
    alone = load_series(path)
    assert alone.future_times(alone.series[0], 2) == [
        "2021-10-03T02:00:00+10:00",
        "2021-10-03T02:30:00+10:00",
    ]
    zoned = load_series(path, zone="Australia/Melbourne")
    assert zoned.series[0].times[0] == pd.Timestamp("2021-09-30 14:00")  # UTC, as the model was trained
    assert zoned.future_times(zoned.series[0], 2) == [
        "2021-10-03T03:00:00+11:00",
        "2021-10-03T03:30:00+11:00",
    ]
    berlin = load_series(path, zone="Europe/Berlin")  # a zone the offsets do not fit is not taken
    assert berlin.future_times(berlin.series[0], 1) == ["2021-10-03T02:00:00+10:00"]


def test_times_whose_offsets_no_time_zone_shows_are_read_and_written_in_utc_with_one_warning(
    tmp_path, caplog
):
    hours = pd.date_range("2021-01-01 00:00", periods=6, freq="h")  # UTC
    offsets = ["+03:17"] * 3 + ["+05:00"] * 3
    cells = [
        f"{u + pd.Timedelta(o[0] + o[1:3] + 'h' + o[4:] + 'min'):%Y-%m-%dT%H:%M:%S}{o}"
        for u, o in zip(hours, offsets)
    ]
    assert cells[0] == "2021-01-01T03:17:00+03:17" and cells[3] == "2021-01-01T08:00:00+05:00"
    path = write(tmp_path, lines("timestamp,load", [f"{c},{i}" for i, c in enumerate(cells)]), "odd.csv")
    with caplog.at_level(logging.WARNING, logger="lstmkit.data.tabular"):
        data = load_series(path)
    assert data.series[0].times.equals(pd.DatetimeIndex(hours)) and data.freq == "h"
    assert data.future_times(data.series[0], 1) == ["2021-01-01T06:00:00+00:00"]
    assert caplog.messages == [
        "times in 'timestamp' of odd.csv carry UTC offsets +03:17 and +05:00, and no time zone matched them; they "
        "are read in UTC, and forecast.csv writes UTC times"
    ]


def test_clock_times_are_written_back_with_the_inputs_precision(tmp_path):
    rows = [f"2020-01-01 {h:02d}:{m:02d},{h}" for h in range(2) for m in (0, 30)]
    data = load_series(write(tmp_path, lines("time,load", rows)))
    assert data.freq == "30min" and data.future_times(data.series[0], 2) == [
        "2020-01-01 02:00",
        "2020-01-01 02:30",
    ]


@pytest.mark.parametrize(
    "cells, kind, freq, last, future",
    [
        (["2019M11", "2019M12", "2020M01"], "month", "M", pd.Period("2020-01", "M"), "2020M02"),
        (["11-2019", "12-2019", "01-2020"], "month", "M", pd.Period("2020-01", "M"), "02-2020"),
        (["11/2019", "12/2019", "1/2020"], "month", "M", pd.Period("2020-01", "M"), "2/2020"),  # as 1/2020
        (["201911", "201912", "202001"], "month", "M", pd.Period("2020-01", "M"), "202002"),
        (["20200130", "20200131", "20200201"], "datetime", "D", pd.Timestamp("2020-02-01"), "20200202"),
        (["2020-W52", "2020-W53", "2021-W01"], "datetime", "W-MON", pd.Timestamp("2021-01-04"), "2021-W02"),
        (["2019W51", "2019W52", "2020W01"], "datetime", "W-MON", pd.Timestamp("2019-12-30"), "2020W02"),
    ],
)
def test_more_month_and_week_layouts(tmp_path, cells, kind, freq, last, future):
    data = load_series(write(tmp_path, lines("period,v", [f"{c},{i}" for i, c in enumerate(cells)])))
    assert (data.time_col, data.time_kind, data.freq) == ("period", kind, freq)
    assert data.series[0].times[-1] == last and data.future_times(data.series[0], 1) == [future]


def test_an_exported_row_number_column_is_left_out_with_a_note(tmp_path, caplog):
    path = write(tmp_path, lines(",date,sales", ["1,2020-02-01,7", "0,2020-01-01,5", "2,2020-03-01,6"]))
    data = load_series(path)
    assert (data.time_col, data.target, data.covariate_names) == ("date", "sales", [])
    assert list(data.series[0].target) == [5, 7, 6]
    assert "ignoring column 'Unnamed: 0' of data.csv: an unnamed column of row numbers" in caplog.text
    with pytest.raises(DataError, match="several numeric columns"):  # a named column of numbers stays data
        load_series(write(tmp_path, lines("n,date,sales", ["0,2020-01-01,5", "1,2020-02-01,7"]), "named.csv"))


def test_dates_written_in_two_ways_are_refused_naming_one_of_each(tmp_path):
    cells = list(pd.date_range("2020-01-01", periods=40).strftime("%Y-%m-%d"))
    cells += list(pd.date_range("2020-02-10", periods=20).strftime("%d/%m/%Y"))  # an export appended later
    path = write(tmp_path, lines("date,v", [f"{c},{i}" for i, c in enumerate(cells)]))
    with pytest.raises(DataError) as caught:
        load_series(path)
    assert str(caught.value) == (
        "time column 'date' of data.csv writes dates in two ways, '2020-01-01' at row 1 and '10/02/2020' at "
        "row 41; write every date one way (e.g. 2020-01-31)"
    )
    clock = write(tmp_path, lines("date,v", ["2020-01-01,1", "2020-01-01 12:00,2", "2020-01-02,3"]), "c.csv")
    assert load_series(clock).freq == "12h"  # midnight written without its clock is one way of writing


def test_date_format_reads_what_detection_would_not(tmp_path):
    path = write(tmp_path, lines("when,v", ["2020/31/01,1", "2020/01/02,2", "2020/02/02,3"]))
    data = load_series(path, date_format="%Y/%d/%m")
    assert data.series[0].times[0] == pd.Timestamp("2020-01-31") and data.future_times(data.series[0], 1) == [
        "2020/03/02"
    ]
    with pytest.raises(
        DataError, match="no column of nodates.csv reads with it; name the time column with --time-col"
    ):
        load_series(write(tmp_path, lines("a,v", ["x,1", "y,2"]), "nodates.csv"), date_format="%d/%m/%Y")


# ---- order and duplicates


def test_unsorted_rows_are_sorted_per_series_with_one_note_and_gaps_kept(tmp_path, caplog):
    rows = [
        "b,2020-01-03,30",
        "a,2020-01-02,",
        "b,2020-01-01,10",
        "a,2020-01-01,1",
        "a,2020-01-03,3",
        "b,2020-01-02,20",
    ]
    with caplog.at_level(logging.WARNING):
        data = load_series(write(tmp_path, lines("id,date,v", rows)), id_col="id", fill="keep")
    assert sorted(caplog.messages) == [
        "1 missing value(s) in 'v' of series 'a' of data.csv: each model fills them by "
        "linear interpolation from the data it is given (a hold-out is cut first)",
        "rows of data.csv are not in time order; sorted them by 'date'",
    ]
    assert [s.id for s in data.series] == ["b", "a"]  # in order of first appearance
    np.testing.assert_array_equal(data.series[0].target, [10, 20, 30])
    np.testing.assert_array_equal(data.series[1].target, [1, np.nan, 3])
    assert missing_count(data) == 1 and impute(data).series[1].target.tolist() == [1, 2, 3]


def test_duplicates_are_named_in_the_files_own_format(tmp_path):
    rows = ["05/01/2020,1", "06/01/2020,2", "13/01/2020,3", "05/01/2020,4"]
    with pytest.raises(
        DataError, match=r"^time 05/01/2020 appears twice \(rows 1 and 4\) in 'date' of data.csv"
    ):
        load_series(write(tmp_path, lines("date,v", rows)))


# ---- roles: wide format, covariates


def test_wide_format_shares_covariates_and_round_trips_through_describe(tmp_path):
    rows = [f"2020-{m:02d},{m},{10 * m},{m % 3},x" for m in range(1, 7)]
    path = write(tmp_path, lines("month,a,b,price,note", rows))
    data = load_series(path, target="a,b")
    assert (
        [s.id for s in data.series] == ["a", "b"]
        and data.id_col == "id"
        and data.covariate_names == ["price"]
    )
    np.testing.assert_array_equal(data.series[1].target, [10, 20, 30, 40, 50, 60])
    cols = data.describe()
    again = load_series(path, target=cols["target"], time_col=cols["time_col"], id_col=cols["id_col"])
    assert [s.id for s in again.series] == ["a", "b"]
    assert [s.id for s in load_series(path, target="all").series] == ["a", "b", "price"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"target": "a,b", "id_col": "month"},
            "--target a,b reads one series per column (wide format) and --id-col one series "
            "per id (long format); pass only one of them",
        ),
        ({"target": "a,a"}, "--target a,a names a column twice; list each series column once"),
        ({"target": "a,note"}, "column 'note' of data.csv is not numeric ('x' at row 1)"),
    ],
)
def test_wide_format_errors(tmp_path, kwargs, message):
    path = write(tmp_path, lines("month,a,b,note", [f"2020-{m:02d},{m},{m},x" for m in range(1, 7)]))
    with pytest.raises(DataError) as info:
        load_series(path, **kwargs)
    assert str(info.value).startswith(message)


def test_a_column_named_with_a_comma_is_one_target(tmp_path):
    path = write(tmp_path, lines('month,"sales,eur",b', [f"2020-{m:02d},{m},{m}" for m in range(1, 7)]))
    assert load_series(path, target="sales,eur").series[0].id is None


def test_unused_numeric_columns_are_named_when_covariates_are_off(tmp_path, caplog):
    path = write(tmp_path, lines("month,v,price", [f"2020-{m:02d},{m},{m}" for m in range(1, 7)]))
    with caplog.at_level(logging.WARNING):
        load_series(path, target="v", covariates=False)
    assert caplog.messages == [
        "ignoring numeric column(s) price of data.csv: covariates are off (the model uses none)"
    ]


def test_a_few_bad_cells_still_name_the_row(tmp_path):
    rows = [f"2020-{m:02d},{m}" for m in range(1, 7)] + ["2020-07,#DIV/0!"]
    with pytest.raises(
        DataError,
        match=r"non-numeric value '#DIV/0!' at row 7 \(line 8 of the file\); fix or remove that row",
    ):
        load_series(write(tmp_path, lines("month,v", rows)))


# ---- series without values


def test_a_series_with_no_values_is_left_out_of_a_panel_with_one_warning(tmp_path, caplog):
    rows = [f"{sid},2020-{m:02d},{'' if sid == 'b' else m}" for sid in "abc" for m in range(1, 13)]
    path = write(tmp_path, lines("shop,month,units", rows))
    with caplog.at_level(logging.WARNING, logger="lstmkit"):
        data = load_series(path, id_col="shop", fill="keep")
    assert [s.id for s in data.series] == ["a", "c"]
    assert caplog.messages == ["1 series of data.csv has no values and is left out: b"]
    alone = write(tmp_path, lines("shop,month,units", [r for r in rows if r.startswith("b")]), "b.csv")
    with pytest.raises(
        DataError,
        match=r"^column 'units' of series 'b' of b.csv has no values; fill it in, or name a column of numbers with --target$",
    ):
        load_series(alone, id_col="shop", fill="keep")


def test_numbers_past_int64_are_not_unix_times_and_raise_no_cast_warning():
    import warnings

    from lstmkit.data.number_times import epoch_times

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "invalid value encountered in cast" fails the test
        assert epoch_times(np.array([1e300, 2e300])) is None
        assert epoch_times(np.array([np.inf, 1.0])) is None
    assert epoch_times(np.array([1577836800.0, 1577840400.0])) is not None  # 2020-01-01 00:00 and 01:00


def test_rows_without_a_series_id_are_left_out_with_a_note_and_an_empty_id_column_is_refused(
    tmp_path, caplog
):
    rows = [f"{sid},2020-{m:02d},{m}" for sid in "ab" for m in range(1, 5)] + [",2020-01,99"]
    with caplog.at_level(logging.WARNING):
        data = load_series(write(tmp_path, lines("store,month,sales", rows)), id_col="store")
    assert [s.id for s in data.series] == ["a", "b"]
    assert "1 row(s) of data.csv have no 'store' (first at row 9) and are left out" in caplog.text
    empty = lines("store,month,sales", [f",2020-{m:02d},{m}" for m in range(1, 5)])
    with pytest.raises(DataError) as info:
        load_series(write(tmp_path, empty, "empty.csv"), id_col="store")
    assert str(info.value) == (
        "id column 'store' of empty.csv is empty; fill in each row's series id, or leave out --id-col"
    )


def test_dates_with_day_names_starting_with_t_are_one_layout(tmp_path):
    days = pd.date_range("2020-01-01", periods=9, freq="D")  # Wed Thu Fri Sat Sun Mon Tue ...
    rows = [f"{d:%a %d %b %Y},{i}" for i, d in enumerate(days)]
    data = load_series(write(tmp_path, lines("date,visits", rows)))
    assert data.freq == "D" and data.series[0].times[1] == pd.Timestamp("2020-01-02")


def test_a_file_without_a_header_line_keeps_its_first_row(tmp_path, caplog):
    rows = [f"2020-{m:02d},{m}.5" for m in range(1, 8)]
    with caplog.at_level(logging.WARNING):
        data = load_series(write(tmp_path, "\n".join(rows) + "\n"))
    assert data.series[0].target.tolist() == [m + 0.5 for m in range(1, 8)] and data.time_kind == "month"
    assert (
        "data.csv has no header line (its first line is data, 2020-01,1.5); its columns are named column1, column2"
        in caplog.text
    )
    wide = read_table(write(tmp_path, lines("2019,2020", ["10,20", "11,21", "12,22"]), "wide.csv"))
    assert list(wide.columns) == ["2019", "2020"] and len(wide) == 3  # whole numbers above numbers: names


def test_series_that_start_with_missing_values_start_at_their_first_value(tmp_path, caplog):
    rows = [f"2020-{m:02d},{m},{'' if m < 4 else m * 10}" for m in range(1, 10)]
    with caplog.at_level(logging.WARNING):
        data = load_series(write(tmp_path, lines("month,a,b", rows)), target="a,b", fill="keep")
    a, b = data.series
    assert len(a.target) == 9 and b.target.tolist() == [40, 50, 60, 70, 80, 90]
    assert str(b.times[0]) == "2020-04" and missing_count(data) == 0  # not three copies of 40
    assert (
        "1 series of data.csv start with missing values; each starts at its first value: b (3 missing)"
        in (caplog.text)
    )


def test_r_decimal_years_are_months_or_quarters_written_back_the_same_way(tmp_path, caplog):
    monthly = [f"{i + 1},{1949 + i / 12:.15g},{100 + i}" for i in range(14)]  # as Rdatasets writes time(x)
    with caplog.at_level(logging.WARNING):
        data = load_series(write(tmp_path, lines('"rownames","time","value"', monthly)))
    assert data.time_kind == "month" and data.covariate_names == [] and data.series[0].target[0] == 100
    assert str(data.series[0].times[1]) == "1949-02" and str(data.series[0].times[-1]) == "1950-02"
    assert data.future_times(data.series[0], 3) == ["1950.166667", "1950.25", "1950.333333"]
    assert "ignoring column 'rownames' of data.csv: a column of row numbers" in caplog.text
    quarterly = [f"{1960 + i / 4:g},{i}" for i in range(9)]  # 1960, 1960.25, ... 1962
    data = load_series(write(tmp_path, lines("time,value", quarterly), "q.csv"))
    assert data.time_kind == "quarter" and str(data.series[0].times[-1]) == "1962Q1"
    assert data.future_times(data.series[0], 4) == ["1962.25", "1962.5", "1962.75", "1963"]
    rounded = [f"{1949 + i / 12:.2f},{i}" for i in range(14)]  # 1949.08, 1949.17: still twelfths
    assert (
        str(load_series(write(tmp_path, lines("time,value", rounded), "r.csv")).series[0].times[1])
        == "1949-02"
    )
    with pytest.raises(DataError, match="holds numbers that are not years"):  # mid-years are not quarters
        load_series(
            write(tmp_path, lines("time,value", ["1990.5,1", "1991.5,2", "1992.5,3"]), "mid.csv"),
            time_col="time",
        )


def test_two_digit_years_from_30_are_the_1900s_as_spreadsheets_read_them(tmp_path):
    months = pd.period_range("1966-01", periods=60, freq="M")  # Jan-66 .. Dec-70 crosses Python's 68/69
    data = load_series(
        write(tmp_path, lines("month,v", [f"{p.strftime('%b-%y')},{i}" for i, p in enumerate(months)]))
    )
    assert str(data.series[0].times[0]) == "1966-01" and len(data.series[0].target) == 60
    assert data.future_times(data.series[0], 2) == ["Jan-71", "Feb-71"]
    days = pd.date_range("1960-01-01", periods=30, freq="D")  # read by the general parser
    data = load_series(
        write(tmp_path, lines("date,v", [f"{d:%d-%b-%y},{i}" for i, d in enumerate(days)]), "d.csv")
    )
    assert data.series[0].times[0] == pd.Timestamp("1960-01-01")
    recent = [
        f"{p.strftime('%b-%y')},{i}" for i, p in enumerate(pd.period_range("2019-11", periods=4, freq="M"))
    ]
    assert (
        str(load_series(write(tmp_path, lines("month,v", recent), "r.csv")).series[0].times[-1]) == "2020-02"
    )


def test_excel_serial_day_numbers_in_a_date_column_are_days_written_back_as_serials(tmp_path):
    keep = [i for i in range(30) if i != 9]  # 43831 is 2020-01-01; one day missing
    data = load_series(
        write(tmp_path, lines("Date,Sales", [f"{43831 + i},{i % 7}" for i in keep])), fill="keep"
    )
    assert data.freq == "D" and data.series[0].times[0] == pd.Timestamp("2020-01-01")
    assert len(data.series[0].target) == 30 and np.isnan(data.series[0].target[9])
    assert data.future_times(data.series[0], 2) == ["43861", "43862"]
    counter = load_series(write(tmp_path, lines("t,v", [f"{43831 + i},{i}" for i in range(30)]), "t.csv"))
    assert counter.time_kind == "index"  # the same numbers under a step counter's name stay steps


def _shown(decimals):
    """A serial as a sheet shows it to ``decimals`` places: trailing zeros dropped (43831.5, 43831)."""
    return lambda serial: f"{serial:.{decimals}f}".rstrip("0").rstrip(".")


@pytest.mark.parametrize(
    "cell, step, future",
    [
        (
            lambda serial: f"{serial:.15g}",
            "h",
            ["43836", "43836.0416666667"],
        ),  # as Excel saves a sheet: 15 digits
        (_shown(5), "h", ["43836", "43836.04167"]),  # 43831.04167 is 01:00 (01:00:00.288 as written)
        (_shown(3), "30min", ["43836", "43836.021"]),  # 0.021 of a day is 30.24 minutes: half past midnight
        (_shown(2), "6h", ["43836", "43836.25"]),
    ],
)
def test_excel_serials_with_a_time_of_day_are_times_written_back_as_serials(tmp_path, cell, step, future):
    """43831.5 (noon) in a Date column was 'holds numbers that are not years': serials were read as whole days
    only, so hourly data exported without date formatting could not be read."""
    times = pd.date_range("2020-01-01", "2020-01-05 23:59", freq=step)
    serials = (times - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
    path = write(tmp_path, lines("Date,Load", [f"{cell(s)},{k % 24}" for k, s in enumerate(serials)]))
    data = load_series(path)
    assert (data.time_kind, data.freq) == ("datetime", step)
    assert data.series[0].times.equals(times)
    assert data.future_times(data.series[0], 2) == future
    again = load_series(path, date_format=data.date_format)  # as predict reads it, with the model's format
    assert again.series[0].times.equals(times) and again.future_times(again.series[0], 2) == future


def test_excel_day_numbers_of_months_under_another_name_point_at_date_format(tmp_path):
    # --time-col 'Order Date' over 42736, 42767, 42795 ... said only 'irregular; resample the data'
    months = pd.date_range("2017-01-01", periods=24, freq="MS")
    serials = (months - pd.Timestamp("1899-12-30")).days
    path = write(tmp_path, lines("Order Date,Sales", [f"{d},{i}" for i, d in enumerate(serials)]))
    with pytest.raises(
        DataError, match=r"irregular; if they are Excel day numbers, pass --date-format excel-serial; else"
    ):
        load_series(path, time_col="Order Date")
    data = load_series(path, time_col="Order Date", date_format="excel-serial")
    assert data.freq == "MS" and data.future_times(data.series[0], 1) == [str(serials[-1] + 31)]


def test_numeric_dates_with_a_12_hour_clock_follow_the_day_or_month_first_rule(tmp_path):
    hours = pd.date_range("2020-01-10", periods=24 * 30, freq="h")  # 10/01 .. 08/02: day first
    rows = [f"{h:%d/%m/%Y %I:%M %p},{i}" for i, h in enumerate(hours)]
    data = load_series(write(tmp_path, lines("time,load", rows)))
    assert data.freq == "h" and data.series[0].times[-1] == pd.Timestamp("2020-02-08 23:00")
    assert data.future_times(data.series[0], 2) == ["09/02/2020 12:00 AM", "09/02/2020 01:00 AM"]
    us = [
        f"{h.month}/{h.day}/{h.year} {int(h.strftime('%I'))}:{h:%M:%S} {h:%p},{i}"
        for i, h in enumerate(hours)
    ]
    data = load_series(write(tmp_path, lines("time,load", us), "us.csv"))  # as Excel writes it in the US
    assert data.future_times(data.series[0], 2) == ["2/9/2020 12:00:00 AM", "2/9/2020 1:00:00 AM"]


def test_a_parquet_file_keeps_the_dates_pandas_saved_as_its_index(tmp_path):
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"sales": np.arange(24.0)}, index=pd.date_range("2020-01-01", periods=24, freq="MS"))
    frame.index.name = "date"
    frame.to_parquet(tmp_path / "one.parquet")
    data = load_series(tmp_path / "one.parquet")
    assert data.time_col == "date" and data.freq == "MS" and len(data.series[0].target) == 24
    panel = pd.concat([frame.assign(store=s) for s in "ab"]).reset_index().set_index(["store", "date"])
    panel.to_parquet(tmp_path / "panel.parquet")
    data = load_series(tmp_path / "panel.parquet", id_col="store")
    assert [s.id for s in data.series] == ["a", "b"] and data.freq == "MS"
    pd.concat([frame.reset_index()] * 1).set_index(pd.Index(range(5, 29))).to_parquet(
        tmp_path / "rows.parquet"
    )
    assert read_table(tmp_path / "rows.parquet").columns.tolist() == [
        "date",
        "sales",
    ]  # unnamed row labels: dropped


def test_time_zone_aware_parquet_times_keep_their_local_clock_or_dates(tmp_path):
    pytest.importorskip("pyarrow")
    hours = pd.date_range("2020-01-01", periods=48, freq="h", tz="Europe/Berlin")  # winter: one offset
    pd.DataFrame({"ts": hours, "load": np.arange(48.0)}).to_parquet(tmp_path / "h.parquet")
    data = load_series(tmp_path / "h.parquet")
    assert data.series[0].times[0] == pd.Timestamp("2020-01-01 00:00")
    assert data.future_times(data.series[0], 1) == ["2020-01-03 00:00+01:00"]
    days = pd.date_range("2020-03-01", periods=60, freq="D", tz="Europe/Berlin")  # across the clock change
    pd.DataFrame({"day": days, "v": np.arange(60.0)}).to_parquet(tmp_path / "d.parquet")
    data = load_series(tmp_path / "d.parquet")
    assert data.freq == "D" and data.future_times(data.series[0], 1) == ["2020-04-30"]


def test_a_file_of_two_zones_changing_clocks_is_read_in_utc_with_one_warning(tmp_path, caplog):
    """Berlin and London go forward at the same instant, from +01:00 and +00:00: no one zone shows both series."""
    rows = [
        f"{city},{t.isoformat()},{i}"
        for city in ("berlin", "london")
        for i, t in enumerate(
            pd.date_range("2020-03-28 22:00", periods=6, freq="h", tz=f"Europe/{city.title()}")
        )
    ]
    path = write(tmp_path, lines("site,time,load", rows), "two_zones.csv")
    with caplog.at_level(logging.WARNING, logger="lstmkit.data.tabular"):
        data = load_series(path, id_col="site")
    assert [s.times[0] for s in data.series] == [
        pd.Timestamp("2020-03-28 21:00"),
        pd.Timestamp("2020-03-28 22:00"),
    ]
    assert data.future_times(data.series[0], 1) == ["2020-03-29T03:00:00+00:00"]
    assert caplog.messages == [
        "times in 'time' of two_zones.csv carry UTC offsets +00:00, +01:00 and +02:00, and no time zone matched "
        "them; they are read in UTC, and forecast.csv writes UTC times"
    ]


def test_time_zone_aware_parquet_times_across_a_clock_change_are_written_on_the_zones_clock(tmp_path):
    pytest.importorskip("pyarrow")
    hours = pd.date_range(
        "2020-10-24", periods=48, freq="h", tz="Europe/Berlin"
    )  # +02:00, then +01:00 (25 Oct)
    pd.DataFrame({"ts": hours, "load": np.arange(48.0)}).to_parquet(tmp_path / "autumn.parquet")
    data = load_series(tmp_path / "autumn.parquet")
    assert data.freq == "h" and data.series[0].times.equals(hours.tz_convert(None))  # the UTC instants
    assert data.time_format == "%Y-%m-%d %H:%M+00:00[Europe/Berlin]"
    assert data.future_times(data.series[0], 2) == ["2020-10-25 23:00+01:00", "2020-10-26 00:00+01:00"]


def test_irregular_times_are_refused_naming_a_time_off_the_most_common_step(tmp_path):
    days = ["2020-01-01", "2020-01-03", "2020-01-05", "2020-01-07", "2020-01-10", "2020-01-12", "2020-01-14"]
    with pytest.raises(DataError) as info:
        load_series(write(tmp_path, lines("date,v", [f"{d},{i}" for i, d in enumerate(days)]), "irr.csv"))
    assert str(info.value) == (
        "times in 'date' of irr.csv are irregular (their most common step, 2D, does not fit every time, e.g. "
        "2020-01-10 00:00:00); resample the data to a regular frequency"
    )


def test_months_dated_on_one_day_are_monthly_and_keep_that_day(tmp_path):
    months = pd.period_range("2019-01", periods=14, freq="M")
    iso = load_series(
        write(tmp_path, lines("date,v", [f"{p.year}-{p.month:02d}-15,{i}" for i, p in enumerate(months)]))
    )
    assert iso.time_kind == "month" and iso.future_times(iso.series[0], 2) == ["2020-03-15", "2020-04-15"]
    rows = [f"15/{p.month:02d}/{p.year},{i}" for i, p in enumerate(months) if i != 5]  # day first, one gap
    data = load_series(write(tmp_path, lines("date,v", rows), "dmy.csv"), fill="keep")
    assert len(data.series[0].target) == 14 and np.isnan(data.series[0].target[5])
    assert data.future_times(data.series[0], 1) == ["15/03/2020"]
    again = load_series(write(tmp_path, lines("date,v", rows), "again.csv"), date_format=data.date_format)
    assert again.time_kind == "month"  # a model folder reads it back with the format it keeps


def test_a_windows_1252_file_keeps_its_euro_sign(tmp_path, caplog):
    text = "Datum;Umsatz in \u20ac\n" + "".join(f"0{m}.01.2020;{m},5\n" for m in range(1, 8))
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1252"))  # as Excel saves "CSV" on Windows in Europe
    with caplog.at_level(logging.WARNING):
        data = load_series(path)
    assert data.target == "Umsatz in \u20ac" and data.series[0].target[0] == 1.5
    assert "export.csv is not UTF-8; reading it as Windows-1252" in caplog.text
