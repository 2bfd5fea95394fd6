"""Property tests: any bytes given to the CSV/Parquet and .ts readers end in a result or a clean DataError.

An unexpected exception (IndexError, ValueError, UnicodeError...) would reach the user as a
traceback; these tests feed structured-but-broken files as well as raw bytes to find them.
"""

import gzip
import os

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lstmkit.data.tabular import load_series
from lstmkit.data.ts_format import read_ts
from lstmkit.errors import DataError

# LSTMKIT_FUZZ_EXAMPLES=2000 for a deeper search than the suite's quick one
FUZZ = settings(
    max_examples=int(os.environ.get("LSTMKIT_FUZZ_EXAMPLES", 40)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# ----------------------------------------------------------------------------- CSV

CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "NA",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "1e309",
            "abc",
            "?",
            '"',
            "1,5",
            "Q1",
            "2001-01",
            "2001-13",
            "1965-Q1",
            "2020-02-30",
            "2020-01-01",
            "2020-01-01 12:00",
            "1999",
            "0",
            "31/01/2020",
            "01/02/2020",
            "13/13/2020",
            "01.02.20 13:00",
            '"1,037"',
            "1.037,5",
            "Jan 2016",
            "1960 Jan",
            "Sept 2016",
        ]
    ),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6),
)
HEADER = st.lists(
    st.sampled_from(["month", "date", "sales", "id", "value", "x", "", "time", "sales"]),
    min_size=1,
    max_size=4,
)


@st.composite
def csv_files(draw) -> bytes:
    header = draw(HEADER)
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    rows = draw(st.lists(st.lists(CELLS, min_size=len(header) - 1, max_size=len(header) + 1), max_size=30))
    text = "\n".join(sep.join(r) for r in [header, *rows]) + draw(st.sampled_from(["", "\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "utf-16-le", "cp1252"]))
    return text.encode(encoding, errors="replace")


def _load(tmp_path, data: bytes, suffix: str = ".csv", **kwargs) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        result = load_series(path, **kwargs)
    except DataError:
        return
    for s in result.series:  # a result is usable: finite float targets, one per time step
        assert s.target.dtype == np.float64 and np.isfinite(s.target).all()
        assert s.times is None or len(s.times) == len(s.target)


@FUZZ
@given(
    csv_files(),
    st.sampled_from([{}, {"fill": "error"}, {"target": "sales"}, {"time_col": "month"}, {"id_col": "id"}]),
)
def test_structured_csv_ends_in_a_result_or_a_data_error(tmp_path, data, kwargs):
    _load(tmp_path, data, **kwargs)


@FUZZ
@given(st.binary(max_size=400))
@example(b"\xff\xfe")  # a UTF-16 BOM and nothing else
@example(b"\xff\xfem\x00,\x00")  # odd-length UTF-16
@example(b"PAR1")  # Parquet magic, nothing behind it
def test_raw_bytes_as_csv_end_in_a_result_or_a_data_error(tmp_path, data):
    _load(tmp_path, data)


@FUZZ
@given(st.binary(max_size=200))
def test_raw_bytes_as_parquet_end_in_a_data_error(tmp_path, data):
    _load(tmp_path, b"PAR1" + data, suffix=".parquet")


# ----------------------------------------------------------------------------- .ts

TS_VALUE = st.one_of(
    st.sampled_from(
        [
            "?",
            "NaN",
            "",
            " ",
            "1",
            "-2.5",
            "1e3",
            "x",
            "inf",
            "(1,2)",
            "1 2",
            "(2020-01-01 00:00:00,3)",
            "(x,?)",
        ]
    ),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
)
TS_TAGS = st.lists(
    st.sampled_from(
        [
            "@problemName p",
            "@timeStamps false",
            "@timeStamps true",
            "@missing true",
            "@univariate true",
            "@univariate false",
            "@dimensions 2",
            "@dimensions 0",
            "@dimensions -1",
            "@dimensions x",
            "@equalLength true",
            "@seriesLength 3",
            "@classLabel true a b",
            "@classLabel true",
            "@classLabel false",
            "@classLabel maybe",
            "@targetLabel true",
            "@unknownTag 1",
            "# a comment",
            "@problemName",
            "@classLabel",
        ]
    ),
    max_size=6,
)


@st.composite
def ts_files(draw) -> bytes:
    tags = draw(TS_TAGS)
    lines = [*tags]
    if draw(st.booleans()) or not tags:
        lines.append(draw(st.sampled_from(["@data", "@DATA", "@data extra"])))
    for _ in range(draw(st.integers(0, 6))):
        channels = [",".join(draw(st.lists(TS_VALUE, max_size=5))) for _ in range(draw(st.integers(0, 3)))]
        label = draw(st.sampled_from(["a", "b", "c", "", ":", " a "]))
        lines.append(":".join(channels) + (":" + label if draw(st.booleans()) else ""))
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))
    return text.encode(draw(st.sampled_from(["utf-8", "latin-1", "utf-16"])), errors="replace")


def _read_ts(tmp_path, data: bytes, name: str = "fuzz.ts") -> None:
    path = tmp_path / name
    path.write_bytes(data)
    try:
        result = read_ts(path)
    except DataError:
        return
    assert len(result.series) >= 1
    assert all(s.ndim == 2 and s.shape[1] == result.series[0].shape[1] for s in result.series)
    assert result.labels is None or len(result.labels) == len(result.series)


@FUZZ
@given(ts_files())
def test_structured_ts_ends_in_a_result_or_a_data_error(tmp_path, data):
    _read_ts(tmp_path, data)


@FUZZ
@given(st.binary(max_size=300))
@example(data=b"@")  # a bare '@' once reached the user as an IndexError
def test_raw_bytes_as_ts_end_in_a_result_or_a_data_error(tmp_path, data):
    _read_ts(tmp_path, data)


@FUZZ
@given(st.binary(max_size=100))
def test_raw_bytes_as_ts_gz_end_in_a_result_or_a_data_error(tmp_path, data):
    _read_ts(tmp_path, data, name="fuzz.ts.gz")
    _read_ts(tmp_path, gzip.compress(data), name="fuzz2.ts.gz")
