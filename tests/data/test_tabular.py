"""Reading series from CSV/Parquet: time formats, delimiters, ids, gaps, and the error texts users see."""

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstmkit.data.seasons import choose_season, season_from_freq
from lstmkit.data.tabular import load_series, read_table
from lstmkit.errors import DataError, LstmkitError


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    "times, kind, freq, future",
    [
        (["1949-01", "1949-02", "1949-03", "1949-04"], "month", "M", ["1949-05", "1949-06"]),
        (["1965-Q1", "1965-Q2", "1965-Q3", "1965-Q4"], "quarter", "Q", ["1966-Q1", "1966-Q2"]),
        (["1990", "1991", "1992", "1993"], "year", "Y", [1994, 1995]),
        (
            ["2020-01-30", "2020-01-31", "2020-02-01", "2020-02-02"],
            "datetime",
            "D",
            ["2020-02-03", "2020-02-04"],
        ),
        (
            ["2020-01-31", "2020-02-29", "2020-03-31", "2020-04-30"],
            "datetime",
            "ME",
            ["2020-05-31", "2020-06-30"],
        ),
        (
            ["2021-03-01 22:00", "2021-03-01 23:00", "2021-03-02 00:00", "2021-03-02 01:00"],
            "datetime",
            "h",
            ["2021-03-02 02:00", "2021-03-02 03:00"],
        ),
    ],
)
def test_time_formats_are_detected_and_future_labels_keep_their_style(tmp_path, times, kind, freq, future):
    text = "when,value\n" + "".join(f"{t},{i + 1}\n" for i, t in enumerate(times))
    data = load_series(write(tmp_path, text))
    assert data.time_col == "when" and data.time_kind == kind and data.freq == freq
    assert data.future_times(data.series[0], 2) == future
    np.testing.assert_array_equal(data.series[0].target, [1, 2, 3, 4])


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_delimiter_is_detected(tmp_path, sep):
    text = f"month{sep}sales{sep}price\n" + "".join(
        f"2000-{m:02d}{sep}{m * 10}{sep}{m}.5\n" for m in range(1, 10)
    )
    data = load_series(write(tmp_path, text), target="sales")
    assert data.covariate_names == ["price"]
    assert data.series[0].target[-1] == 90 and data.series[0].covariates[-1, 0] == 9.5


def test_latin1_file_is_read(tmp_path):
    text = "mois,ventes\n" + "".join(f"2000-{m:02d},{m}\n" for m in range(1, 7))
    path = write(tmp_path, text.replace("mois", "moïs"), encoding="latin-1")
    assert load_series(path).time_col == "moïs"


def test_a_gzipped_csv_is_read_and_a_damaged_one_named(tmp_path):
    """A .csv.gz was refused as 'a binary file, not a CSV'."""
    import gzip

    text = "id;t;x;label\na;1;1,5;u\nb;1;2,5;v\n"  # the CSV rules still apply inside
    path = tmp_path / "long.csv.gz"
    path.write_bytes(gzip.compress(("\ufeff" + text).encode()))
    plain = tmp_path / "long.csv"
    plain.write_text(text)
    frame = read_table(path)
    assert list(frame.columns) == ["id", "t", "x", "label"] and list(frame["x"]) == ["1.5", "2.5"]
    pd.testing.assert_frame_equal(frame, read_table(plain))
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(DataError, match=r"long.csv.gz is a damaged gzip file \(.*\); compress it again$"):
        read_table(path)


def test_parquet_is_read(tmp_path):
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=10, freq="D"), "y": np.arange(10.0)})
    frame.to_parquet(tmp_path / "d.parquet")
    data = load_series(tmp_path / "d.parquet")
    assert data.freq == "D" and data.series[0].target[-1] == 9


def test_id_col_splits_long_format_into_series(tmp_path):
    rows = [f"{sid},2000-{m:02d},{m * k}" for sid, k in (("a", 1), ("b", 10)) for m in range(1, 7)]
    data = load_series(write(tmp_path, "store,month,sales\n" + "\n".join(rows)), id_col="store")
    assert [s.id for s in data.series] == ["a", "b"]
    np.testing.assert_array_equal(data.series[1].target, [10, 20, 30, 40, 50, 60])


def test_gaps_are_interpolated_with_a_warning(tmp_path, caplog):
    text = "month,v\n2000-01,1\n2000-02,\n2000-03,3\n2000-05,5\n"  # one empty cell, one missing month
    with caplog.at_level(logging.WARNING):
        data = load_series(write(tmp_path, text))
    np.testing.assert_allclose(data.series[0].target, [1, 2, 3, 4, 5])
    assert "1 missing time step" in caplog.text and "2 missing value(s)" in caplog.text


def test_gaps_can_be_refused(tmp_path):
    with pytest.raises(DataError, match=r"1 missing value\(s\) in 'v'.*row 2"):
        load_series(write(tmp_path, "month,v\n2000-01,1\n2000-02,\n2000-03,3\n"), fill="error")


@pytest.mark.parametrize(
    "text, kwargs, message",
    [
        (
            "month,v\n2000-01,1\n",
            {"target": "sales"},
            "target column 'sales' not found in data.csv; columns are: month, v",
        ),
        ("month,v\n2000-01,1\n", {"time_col": "date"}, "time column 'date' not found"),
        ("month,v\n2000-01,1\n2000-02,abc\n", {}, "non-numeric value 'abc' at row 2"),
        (
            "month,v,w\n2000-01,1,2\n",
            {},
            "several numeric columns (v, w); choose one with --target, or forecast each as its own series with --target all",
        ),
        ("month,name\n2000-01,x\n", {}, "column 'name' of data.csv is not numeric ('x' at row 1)"),
        (
            "month,name,label\n2000-01,x,y\n",
            {},
            "no numeric column to forecast; columns are: month, name, label ('month' is the time axis)",
        ),
        (
            "month,v\n2000-01,1\n2000-01,2\n",
            {},
            "time 2000-01 appears twice (rows 1 and 2) in 'month' of data.csv",
        ),
        ("month,v\n2000-01,1\n2000-02,inf\n", {}, "infinite value at row 2"),
        ("month,v\n", {}, "has a header but no rows"),
        ("", {}, "is empty"),
        ("date,v\n2020-01-01,1\nnot a date,2\n", {"time_col": "date"}, "not a time, 'not a date' at row 2"),
        ("date,v\n2020-01-01,1\n2020-01-02,2\n2020-01-04,3\n2020-01-04 05:00,4\n", {}, "irregular"),
    ],
)
def test_bad_data_gives_a_clear_error(tmp_path, text, kwargs, message):
    with pytest.raises(DataError) as info:
        load_series(write(tmp_path, text), **kwargs)
    assert message in str(info.value)


def test_binary_and_missing_files(tmp_path):
    (tmp_path / "junk.csv").write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(DataError, match="binary"):
        read_table(tmp_path / "junk.csv")
    with pytest.raises(DataError, match="not found"):
        load_series(tmp_path / "missing.csv")


# binary files without a NUL byte, which Windows-1252 (or Latin-1) decode like any other bytes
PNG_WITHOUT_NUL = (
    b"\x89PNG\r\n\x1a\n\x01\x01\x01\rIHDR\x01\x01\x01\x10\x01\x01\x01\x10\x08\x06\x01\x01\x01\x1f\xf3\xffa"
)
RANDOM_WITHOUT_NUL = bytes(np.random.default_rng(2).integers(1, 256, 300, dtype=np.uint8))


@pytest.mark.parametrize("content", [PNG_WITHOUT_NUL, RANDOM_WITHOUT_NUL], ids=["png header", "random bytes"])
def test_binary_without_a_nul_is_refused_as_binary(tmp_path, content, caplog):
    """They were read as Windows-1252 text, and refused (if at all) for a column of junk: "column '‰PNG' of
    image.csv is not numeric"."""
    path = tmp_path / "image.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        read_table(path)
    assert str(info.value) == f"{path} looks like a binary file, not a CSV; pass a text CSV or a Parquet file"
    assert not [r for r in caplog.records if r.levelname == "WARNING"]  # no 'reading it as Windows-1252'


def test_a_windows_1252_file_with_a_stray_control_character_is_still_text(tmp_path, caplog):
    """One escape character in a file of hundreds (a tiny fraction) does not make it binary."""
    rows = "".join(f"2000-{m:02d},{m},caf\u00e9\n" for m in range(1, 13))
    path = write(
        tmp_path, "mois,ventes,note\n" + rows.replace("caf\u00e9", "\x1bcaf\u00e9", 1), encoding="cp1252"
    )
    assert read_table(path)["note"].tolist() == ["\x1bcaf\u00e9"] + ["caf\u00e9"] * 11
    assert "is not UTF-8; reading it as Windows-1252" in caplog.text


def test_season_inference_and_check(tmp_path, caplog):
    assert season_from_freq("MS", "datetime") == 12 and season_from_freq("W-SUN", "datetime") == 52
    assert season_from_freq("30min", "datetime") == 48 and season_from_freq("h", "datetime") == 24
    assert season_from_freq("D", "datetime") == 7 and season_from_freq(None, "year") == 1
    assert [
        season_from_freq(f, "datetime") for f in ("15min", "10min", "5min", "2h", "3h", "1min", "7min")
    ] == [
        96,
        144,
        288,
        12,
        8,
        1,  # 1440 steps a day: too long a season to model
        1,  # a step that does not divide the day
    ]
    text = "month,v\n" + "".join(f"{2000 + m // 12}-{m % 12 + 1:02d},{m}\n" for m in range(30))
    data = load_series(write(tmp_path, text))
    assert choose_season(data, None, horizon=3) == 12
    assert choose_season(data, None, horizon=12) == 1  # 30 < 2 * 12 + 12: too short, dropped
    assert caplog.messages[-1] == (
        "series too short to learn a season of 12: two seasons plus the horizon 12 need 36 points, the shortest "
        "series has 30; treating it as non-seasonal"
    )
    assert choose_season(data, 12, horizon=12) == 12  # an explicit season is kept on short data, with a note


def test_one_short_series_does_not_take_the_season_from_a_panel(tmp_path, caplog):
    rows = [
        f"{store},{2000 + m // 12}-{m % 12 + 1:02d},{m}\n"
        for store, n in (("a", 60), ("b", 45), ("c", 80), ("tiny", 10))
        for m in range(n)
    ]
    data = load_series(write(tmp_path, "store,month,v\n" + "".join(rows), "panel.csv"), id_col="store")
    assert data.min_length == 10 and choose_season(data, None, horizon=18) == 12  # median 52 >= 2 * 12 + 18
    assert choose_season(data, None, horizon=30) == 1  # median 52 < 2 * 12 + 30
    assert choose_season(data, 24, horizon=24) == 24  # 52 >= 24 + 24, but < 2 * 24 + 24: kept, with a note
    assert (
        "note: the median series has 52 points, fewer than two seasons of 24 plus the horizon 24"
        in caplog.text
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list('0123456789-,;.\nQabe \t"')), max_size=120))
def test_any_csv_text_ends_in_a_result_or_a_clean_error(tmp_path, text):
    path = tmp_path / "fuzz.csv"
    path.write_text(text)
    try:
        load_series(path)
    except LstmkitError:
        pass


def test_trading_days_with_holidays_are_business_days_not_daily_data_with_weekend_gaps(tmp_path, caplog):
    days = pd.bdate_range("2024-01-02", periods=59)  # Tuesday 2 January to Friday 22 March
    holidays = [days[10], days[33]]  # a market closed on two weekdays: pandas infers no frequency
    kept = days.drop(holidays)
    path = tmp_path / "close.csv"
    pd.DataFrame({"Date": kept.strftime("%Y-%m-%d"), "Close": np.linspace(100, 130, len(kept))}).to_csv(
        path, index=False
    )
    with caplog.at_level(logging.WARNING):
        data = load_series(path)
    assert data.freq == "B"
    assert len(data.series[0].target) == 59  # the two holidays are gaps; no weekend is
    assert "2 missing time step(s)" in caplog.text
    assert choose_season(data, None, horizon=5) == 5
    from lstmkit.data.timeaxis import future_labels

    future = future_labels(kept[-1], 3, kind=data.time_kind, freq=data.freq, fmt="%Y-%m-%d")
    assert [pd.Timestamp(d).dayofweek for d in future] == [0, 1, 2]  # Monday to Wednesday after a Friday
    calendar = pd.date_range("2024-01-01", periods=40, freq="D").drop(pd.Timestamp("2024-01-13"))
    pd.DataFrame({"Date": calendar.strftime("%Y-%m-%d"), "y": np.arange(39.0)}).to_csv(path, index=False)
    assert load_series(path).freq == "D"  # every day of the week, one missing: still daily


def test_a_panel_is_read_as_business_days_only_when_every_series_skips_weekends(tmp_path):
    trading = pd.bdate_range("2024-01-02", periods=40).drop(pd.Timestamp("2024-01-15"))
    daily = pd.date_range("2024-01-02", periods=50, freq="D")
    clean = pd.bdate_range("2024-01-02", periods=40)  # no holiday: pandas itself infers business days

    def panel(*parts):
        frames = [
            pd.DataFrame({"id": i, "date": d.strftime("%Y-%m-%d"), "v": np.arange(len(d)) * 1.0})
            for i, d in parts
        ]
        path = tmp_path / "panel.csv"
        pd.concat(frames).to_csv(path, index=False)
        return load_series(path, id_col="id")

    both = panel(("a", trading), ("b", clean))
    assert both.freq == "B" and [len(s.target) for s in both.series] == [40, 40]
    mixed = panel(("stock", trading), ("clean", clean), ("shop", daily))  # one series open every day
    assert mixed.freq == "D"
    assert [len(s.target) for s in mixed.series] == [56, 56, 50]  # 2 January to 26 February, weekends as gaps


def test_a_model_trained_on_days_reads_a_trading_day_file_as_days_again(tmp_path):
    from lstmkit.models.forecast_config import ForecastData
    from lstmkit.models.forecast_state import read_series

    days = pd.bdate_range("2024-01-02", periods=40).drop(pd.Timestamp("2024-01-15"))
    path = tmp_path / "close.csv"
    pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Close": np.arange(39.0)}).to_csv(path, index=False)
    assert load_series(path).freq == "B"
    assert load_series(path, business_days=False).freq == "D"
    columns = {"target": "Close", "time_col": "Date", "id_col": None, "covariates": [], "freq": "D"}
    assert read_series(path, ForecastData(), columns).freq == "D"  # as a model from before business days
    assert read_series(path, ForecastData(), {**columns, "freq": "B"}).freq == "B"
