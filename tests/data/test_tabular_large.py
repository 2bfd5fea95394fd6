"""Large CSVs take the typed (pyarrow) path; it must give what the careful string path gives."""

import logging

import numpy as np
import pytest

from lstmkit.data import tables
from lstmkit.data.tabular import load_series
from lstmkit.errors import DataError

FILES = {
    "hourly": "time,load\n" + "".join(f"2020-01-01 {h:02d}:00,{h * 1.5}\n" for h in range(24)),
    "daily": "date;sales\n"
    + "".join(f"2020-01-{d:02d};{d},5\n" for d in range(1, 29)),  # ';' and decimal commas
    "months with a gap": "month,sales\n"
    + "".join(f"2001-{m:02d},{'' if m == 5 else m}\n" for m in range(1, 13)),
    "no time column": "value\n" + "".join(f"{v}\n" for v in range(30)),
    "thousands": "month,sales\n" + "".join(f'2001-{m:02d},"{m},{m:03d}.5"\n' for m in range(1, 13)),
    "day first": "date,sales\n" + "".join(f"{d:02d}/01/2020,{d}\n" for d in range(1, 29)),
    "step counter": "t,sales\n" + "".join(f"{t},{t % 5}\n" for t in range(30)),
    "utf-16": "date,sales\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 29)),
    "no header line": "".join(f"2020-01-{d:02d},{d}.5\n" for d in range(1, 29)),
    "empty rows below": "date,sales\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 29)) + ",\n,\n",
    "one day of each month": "date,sales\n" + "".join(f"2020-{m:02d}-15,{m}\n" for m in range(1, 13)),
    "one day of each quarter": "date,sales\n"
    + "".join(f"{y}-{m:02d}-15,{m}\n" for y in (2020, 2021) for m in (2, 5, 8, 11)),
    "quarter starts with a gap": "date,sales\n"
    + "".join(f"{y}-{m:02d}-01,{m}\n" for y in (2020, 2021) for m in (1, 4, 10)),
    "day-month names": "date,sales\n" + "".join(f"{d:02d}-Jan-2020,{d}\n" for d in range(1, 29)),
    "weekly decimal years": "time,sales\n" + "".join(f"{1990 + w / 52:.6f},{w}\n" for w in range(30)),
    "decimal years of 52.18 a year": "time,sales\n"
    + "".join(f"{1991.1 + w * 7 / 365.25:.15g},{w}\n" for w in range(80)),
    "midnights written out": "date,sales\n"
    + "".join(f"2020-01-{d:02d} 00:00:00,{d}\n" for d in range(1, 29)),
    "midnights with milliseconds": "date,sales\n"
    + "".join(f"2020-01-{d:02d} 00:00:00.000,{d}\n" for d in range(1, 29)),
    "a footer with delimiters": "month,sales\n"
    + "".join(f"2001-{m:02d},{m}\n" for m in range(1, 13))
    + ",\nSource: Eurostat,\n\u00a9 European Union 2024,\n",
    "12-hour day-month names": "date,sales\n"
    + "".join(f"01-Jan-2020 {h % 12 or 12}:00 {'AM' if h < 12 else 'PM'},{h}\n" for h in range(24)),
}


@pytest.mark.parametrize("name", FILES)
def test_typed_reader_matches_string_reader(tmp_path, monkeypatch, name):
    path = tmp_path / "data.csv"
    path.write_bytes(FILES[name].encode("utf-16" if name == "utf-16" else "utf-8"))
    careful = load_series(path)
    monkeypatch.setattr(tables, "_BIG_CSV_BYTES", 0)
    typed = load_series(path)
    assert (typed.target, typed.time_col, typed.freq, typed.time_kind) == (
        careful.target,
        careful.time_col,
        careful.freq,
        careful.time_kind,
    )
    np.testing.assert_array_equal(typed.series[0].target, careful.series[0].target)
    if careful.series[0].times is not None:
        assert [str(t) for t in typed.series[0].times] == [str(t) for t in careful.series[0].times]
        assert typed.future_times(typed.series[0], 2) == careful.future_times(careful.series[0], 2)


@pytest.mark.parametrize(
    "text, message",
    [
        ("month,sales\n2001-01,1\n2001-02,abc\n2001-03,3\n", "non-numeric value 'abc' at row 2"),
        ("month,sales\n2001-01,1\n2001-02,2,3\n", "is not a well-formed CSV"),
        (
            "date,sales\n2020-01-01,1\n2020-01-01,2\n2020-01-02,3\n",
            r"time 2020-01-01 appears twice \(rows 1 and 2\)",
        ),
    ],
)
def test_typed_reader_gives_the_same_clear_errors(tmp_path, monkeypatch, text, message):
    path = tmp_path / "data.csv"
    path.write_text(text)
    monkeypatch.setattr(tables, "_BIG_CSV_BYTES", 0)
    with pytest.raises(DataError, match=message):
        load_series(path)


# Excel's sep= line, a report's title and notes, a row of units and a statistics office's footer around the rows
REPORT = (
    "sep=;\nDaily sales report\nUnits: EUR;\n\ndate;sales;price\n;EUR;EUR/kg\n"
    + "".join(f"2020-01-{d:02d};{d},5;{d % 3},25\n" for d in range(1, 29))
    + ";;\nQuelle: Statistisches Bundesamt (Destatis);;\n\u00a9 2024;;\n"
)


def _fell_back(*args, **kwargs):
    pytest.fail("the typed reader handed the file to the careful one")


def _both_ways(path, monkeypatch, caplog):
    """The series read by the careful reader and by the typed one (which must not hand the file to the careful
    one), each with the notes it said."""
    read = []
    for big in (False, True):
        caplog.clear()
        if big:
            monkeypatch.setattr(tables, "_BIG_CSV_BYTES", 0)
            monkeypatch.setattr(tables, "_read_csv", _fell_back)
        with caplog.at_level(logging.WARNING):
            read.append((load_series(path, target="sales"), list(caplog.messages)))
    return read


def test_typed_reader_reads_a_sep_line_title_lines_a_units_row_and_a_footer_as_the_careful_one(
    tmp_path, monkeypatch, caplog
):
    """The typed reader took 'sep=;' for the header line: the file was one column, and its title lines, units row
    and footer were rows of data."""
    path = tmp_path / "report.csv"
    path.write_bytes(REPORT.encode("cp1252"))
    (careful, careful_notes), (typed, typed_notes) = _both_ways(path, monkeypatch, caplog)
    assert typed_notes == careful_notes
    assert careful_notes == [
        f"{path} is not UTF-8; reading it as Windows-1252",
        "report.csv: skipped 3 line(s) above the column names, 'Daily sales report', 'Units: EUR': a title or "
        "note, not a row of the table",
        "report.csv: skipped the row below the column names, ',EUR,EUR/kg': units or descriptions, not data",
        "report.csv: skipped 2 line(s) below the data, 'Quelle: Statistisches Bundesamt (Destatis)', "
        "'\u00a9 2024': a source or note, not a row of the table",
    ]
    for data in (careful, typed):
        assert (data.time_col, data.freq, data.covariate_names) == ("date", "D", ["price"])
        assert data.series[0].target.tolist() == [d + 0.5 for d in range(1, 29)]
        assert data.series[0].covariates[:3, 0].tolist() == [1.25, 2.25, 0.25]
        assert data.future_times(data.series[0], 1) == ["2020-01-29"]


def test_typed_reader_names_the_line_of_a_bad_cell_below_a_title_and_units_as_the_careful_one(
    tmp_path, monkeypatch
):
    path = tmp_path / "report.csv"
    path.write_text(REPORT.replace("2020-01-05;5,5", "2020-01-05;abc"))
    # below the sep= line, 2 titles, a blank line, the header and the units
    message = r"non-numeric value 'abc' at row 5 \(line 11 of the file\)"
    with pytest.raises(DataError, match=message):
        load_series(path, target="sales")
    monkeypatch.setattr(tables, "_BIG_CSV_BYTES", 0)
    monkeypatch.setattr(tables, "_read_csv", _fell_back)
    with pytest.raises(DataError, match=message):
        load_series(path, target="sales")


def test_a_footer_of_lines_without_delimiters_is_read_the_careful_way_with_its_notes_once(
    tmp_path, monkeypatch, caplog
):
    """pyarrow refuses a line of fewer cells than the header: the careful reader reads the file, and the notes
    the head gave are said once, by it."""
    path = tmp_path / "report.csv"
    path.write_text(
        "Daily sales report\ndate,sales\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 29))
    )
    with open(path, "a") as handle:
        handle.write("\nSource: Eurostat\n")
    notes = []
    for big in (False, True):
        monkeypatch.setattr(tables, "_BIG_CSV_BYTES", 0 if big else 32 * 2**20)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            data = load_series(path)
        assert data.series[0].target.tolist() == list(range(1, 29))
        notes.append(list(caplog.messages))
    assert (
        notes[0]
        == notes[1]
        == [
            "report.csv: skipped 1 line(s) above the column names, 'Daily sales report': a title or note, not a row "
            "of the table",
            "report.csv: skipped 1 line(s) below the data, 'Source: Eurostat': a source or note, not a row of the table",
        ]
    )
