"""Large CSVs take the typed (pyarrow) path; it must give what the careful string path gives."""

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
