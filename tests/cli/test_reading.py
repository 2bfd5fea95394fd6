"""Issue 15's table: the everyday CSVs `lstmkit forecast` must read, each run through main(argv).

Each case checks what the command writes (forecast.csv's columns and times) or the exact one-line
error with exit 2 and nothing written.
"""

import json

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import main

FAST = ["--epochs", "2", "--hidden-size", "4", "--set", "model.ensemble=1", "--quiet"]
N = 60
WAVE = 100 + np.arange(N) + 10 * np.sin(2 * np.pi * np.arange(N) / 12)  # trend and a 12-step season


def _write(tmp_path, name, header, rows):
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _forecast(tmp_path, path, *extra, horizon=4):
    out = tmp_path / f"out_{path.stem}"
    code = main(["forecast", str(path), "--horizon", str(horizon), "--output", str(out), *FAST, *extra])
    return code, out


def _predicts_the_same(tmp_path, out, path):
    """``lstmkit predict`` with the model in ``out`` on ``path`` writes forecast.csv again, byte for byte: the
    model remembers how the file was read, so predict needs no flag."""
    again = tmp_path / "again.csv"
    assert main(["predict", "--model", str(out / "model"), str(path), "--output", str(again)]) == 0
    assert again.read_text() == (out / "forecast.csv").read_text()


def _refused(tmp_path, capsys, argv):
    """Run argv; return its one error line after checking exit 2 and that nothing was written."""
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main([a.replace("{out}", str(tmp_path / "out")) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    return err[0]


def _strict_json(path):
    """JSON as the standard says: NaN or Infinity in it is an error."""
    return json.loads(path.read_text(), parse_constant=lambda name: pytest.fail(f"{name} in {path.name}"))


# ---- integer time index


def test_integer_time_index_is_the_time_axis(tmp_path, seed):
    path = _write(tmp_path, "t.csv", "t,y", [f"{t},{v:.3f}" for t, v in enumerate(WAVE)])
    code, out = _forecast(tmp_path, path)
    assert code == 0
    frame = pd.read_csv(out / "forecast.csv")
    assert list(frame.columns) == ["time", "step", "forecast", "q0.1", "q0.9"]
    assert frame["time"].tolist() == [60, 61, 62, 63]
    assert frame["forecast"].between(100, 250).all()  # y was forecast, not t


def test_evenly_spaced_first_column_counts_in_its_own_steps(tmp_path, seed):
    path = _write(tmp_path, "steps.csv", "k,y", [f"{5 * t},{v:.3f}" for t, v in enumerate(WAVE)])
    code, out = _forecast(tmp_path, path, horizon=2)
    assert code == 0 and pd.read_csv(out / "forecast.csv")["time"].tolist() == [300, 305]


def test_text_target_beside_an_integer_index_is_named(tmp_path, capsys):
    path = _write(tmp_path, "t.csv", "t,y", [f"{t},abc" for t in range(N)])
    err = _refused(tmp_path, capsys, ["forecast", str(path), "--horizon", "4", "--output", "{out}", *FAST])
    assert err == (
        "error: column 'y' of t.csv is not numeric ('abc' at row 1); lstmkit forecasts a column of numbers: "
        "fix the values, or choose a numeric column with --target"
    )


def test_constant_target_forecasts_the_constant_and_mase_is_undefined(tmp_path, seed):
    path = _write(tmp_path, "const.csv", "t,y", [f"{t},5" for t in range(N)])
    out = tmp_path / "out"
    assert (
        main(["forecast", str(path), "--horizon", "4", "--output", str(out), "--quiet"]) == 0
    )  # the defaults
    forecast = pd.read_csv(out / "forecast.csv")["forecast"].to_numpy()
    np.testing.assert_allclose(forecast, 5.0, atol=0.25)
    scores = _strict_json(out / "metrics.json")["scores"]
    assert {name: row["mase"] for name, row in scores.items()} == {name: "undefined" for name in scores}
    assert scores["naive"]["mae"] == 0.0  # metrics that need no scale stay numbers


# ---- dates


def _days(fmt, start="2020-01-01"):
    return [f"{d.strftime(fmt)},{v:.3f}" for d, v in zip(pd.date_range(start, periods=N, freq="D"), WAVE)]


def test_day_first_dates_are_detected_with_a_note_and_written_back_day_first(tmp_path, capsys, caplog, seed):
    path = _write(tmp_path, "eu.csv", "date,sales", _days("%d/%m/%Y"))
    code, out = _forecast(tmp_path, path, horizon=3)
    assert code == 0
    assert pd.read_csv(out / "forecast.csv")["time"].tolist() == ["01/03/2020", "02/03/2020", "03/03/2020"]
    notes = [
        m for m in caplog.messages if "day/month/year" in m
    ]  # the CLI prints warnings as 'WARNING: ...' lines
    assert notes == [
        "dates in 'date' of eu.csv read as day/month/year (02/01/2020 is 2020-01-02); "
        "pass --date-format %m/%d/%Y to read them month first"
    ]
    _predicts_the_same(tmp_path, out, path)
    capsys.readouterr()
    wrong = [
        "predict",
        "--model",
        str(out / "model"),
        str(path),
        "--date-format",
        "%m/%d/%Y",
        "--output",
        str(tmp_path / "x.csv"),
    ]
    err = _refused(tmp_path, capsys, wrong)  # the flag overrides what the model remembers
    assert err == (
        "error: time column 'date' of eu.csv has a value that does not match --date-format %m/%d/%Y, "
        "'13/01/2020' at row 13; fix that cell or pass the format the file uses (e.g. %d/%m/%Y)"
    )


def test_date_format_flag_settles_an_ambiguous_file(tmp_path, capsys, caplog, seed):
    months = pd.date_range("2016-01-01", periods=N, freq="MS")  # 01/02/2016 could be 2 January or 1 February
    path = _write(tmp_path, "m.csv", "date,sales", [f"{d:%d/%m/%Y},{v:.3f}" for d, v in zip(months, WAVE)])
    code, out = _forecast(tmp_path, path, "--date-format", "%d/%m/%Y", horizon=2)
    assert code == 0 and not [m for m in caplog.messages if "could be read" in m]
    assert pd.read_csv(out / "forecast.csv")["time"].tolist() == ["01/01/2021", "01/02/2021"]
    err = _refused(
        tmp_path,
        capsys,
        ["forecast", str(path), "--horizon", "2", "--date-format", "%Y-%m-%d", "--output", "{out}", *FAST],
    )
    assert err == (
        "error: time column 'date' of m.csv has a value that does not match --date-format %Y-%m-%d, "
        "'01/01/2016' at row 1; fix that cell or pass the format the file uses (e.g. %d/%m/%Y)"
    )


@pytest.mark.parametrize(
    "fmt, first", [("%b %Y", "Jan 2021"), ("%Y %b", "2021 Jan"), ("%B-%y", "January-21")]
)
def test_month_names_come_back_in_the_users_format(tmp_path, seed, fmt, first):
    months = pd.date_range("2016-01-01", periods=N, freq="MS")
    path = _write(
        tmp_path, "months.csv", "month,sales", [f"{d.strftime(fmt)},{v:.3f}" for d, v in zip(months, WAVE)]
    )
    code, out = _forecast(tmp_path, path, horizon=2)
    assert code == 0
    times = pd.read_csv(out / "forecast.csv")["time"].tolist()
    assert times == [first, pd.Period("2021-02", "M").strftime(fmt)]


def test_a_year_and_a_month_column_are_forecast_and_predicted_as_months(tmp_path, seed):
    months = pd.period_range("2016-01", periods=N, freq="M")
    rows = [f"{p.year},{p.strftime('%b')},{v:.3f}" for p, v in zip(months, WAVE)]
    path = _write(tmp_path, "pivot.csv", "Year,Month,Sales", rows)
    code, out = _forecast(tmp_path, path, horizon=2)
    assert code == 0 and pd.read_csv(out / "forecast.csv")["time"].tolist() == ["2021-01", "2021-02"]
    _predicts_the_same(tmp_path, out, path)


def test_a_year_and_a_german_month_column_are_forecast_and_predicted_as_months(tmp_path, seed):
    """Jahr;Monat;Wert with Excel's German month names (Mrz, Mai, Okt, Dez) in Windows-1252: the pair is one
    time axis, and forecast.csv writes the months after it as the joined column reads them."""
    months = pd.period_range("2016-01", periods=N, freq="M")
    german = "Jan Feb Mrz Apr Mai Jun Jul Aug Sep Okt Nov Dez".split()
    rows = [f"{p.year};{german[p.month - 1]};{v:.3f}".replace(".", ",") for p, v in zip(months, WAVE)]
    path = tmp_path / "destatis.csv"
    path.write_bytes(("Jahr;Monat;Wert\n" + "\n".join(rows) + "\n").encode("cp1252"))
    code, out = _forecast(tmp_path, path, horizon=2)
    assert code == 0 and pd.read_csv(out / "forecast.csv")["time"].tolist() == ["2021-01", "2021-02"]
    _predicts_the_same(tmp_path, out, path)


def test_a_statistics_offices_footer_is_skipped_with_one_warning_line(tmp_path, caplog, seed):
    """Source and copyright lines below the data (Eurostat's export) were 'error: time column 'month' ... has a
    value that is not a time, 'Source: Eurostat' at row 61'."""
    months = pd.period_range("2016-01", periods=N, freq="M")
    rows = [f"{p},{v:.3f}" for p, v in zip(months, WAVE)]
    footer = ["", "Source: Eurostat (online data code: sts_inpr_m),", "\u00a9 European Union 2024,"]
    path = _write(tmp_path, "eurostat.csv", "month,index", rows + footer)
    code, out = _forecast(tmp_path, path, horizon=2)
    assert code == 0 and pd.read_csv(out / "forecast.csv")["time"].tolist() == ["2021-01", "2021-02"]
    notes = [
        m for m in caplog.messages if "below the data" in m
    ]  # the CLI prints them as 'WARNING: ...' lines
    assert notes == [
        "eurostat.csv: skipped 2 line(s) below the data, 'Source: Eurostat (online data code: "
        "sts_inpr_m)', '\u00a9 European Union 2024': a source or note, not a row of the table"
    ]


# ---- numbers


def test_thousands_separators_are_read(tmp_path, seed):
    months = pd.period_range("2016-01", periods=N, freq="M").astype(str)
    path = _write(
        tmp_path, "rev.csv", "month,revenue", [f'{m},"{int(v * 10):,}"' for m, v in zip(months, WAVE)]
    )
    code, out = _forecast(tmp_path, path, horizon=2)
    assert code == 0 and pd.read_csv(out / "forecast.csv")["forecast"].between(1000, 2500).all()


def test_decimal_commas_with_dot_thousands_in_a_semicolon_file(tmp_path, seed):
    months = pd.period_range("2016-01", periods=N, freq="M").astype(str)
    cells = [f"{v * 10:,.1f}".translate(str.maketrans(",.", ".,")) for v in WAVE]  # 1.037,5
    path = _write(tmp_path, "eu.csv", "month;revenue", [f"{m};{c}" for m, c in zip(months, cells)])
    code, out = _forecast(tmp_path, path, horizon=2)
    assert code == 0 and pd.read_csv(out / "forecast.csv")["forecast"].between(1000, 2500).all()


# ---- wide format


@pytest.mark.parametrize("target", ["a,b,c", "all"])
def test_wide_format_is_one_global_model_over_the_columns(tmp_path, seed, target):
    months = pd.period_range("2016-01", periods=N, freq="M").astype(str)
    rows = [f"{m},{v:.2f},{2 * v:.2f},{v + 500:.2f}" for m, v in zip(months, WAVE)]
    path = _write(tmp_path, "wide.csv", "month,a,b,c", rows)
    code, out = _forecast(tmp_path, path, "--target", target, horizon=2)
    assert code == 0
    frame = pd.read_csv(out / "forecast.csv")
    assert list(frame.columns) == ["id", "time", "step", "forecast", "q0.1", "q0.9"]
    assert (
        frame["id"].tolist() == ["a", "a", "b", "b", "c", "c"]
        and frame["time"].tolist() == ["2021-01", "2021-02"] * 3
    )
    means = frame.groupby("id")["forecast"].mean()
    assert means["a"] < means["b"] and means["a"] < means["c"]  # each series in its own units
    _predicts_the_same(tmp_path, out, path)


def test_wide_format_names_a_missing_column(tmp_path, capsys):
    path = _write(tmp_path, "wide.csv", "month,a,b", [f"2016-{m:02d},1,2" for m in range(1, 13)])
    err = _refused(
        tmp_path,
        capsys,
        ["forecast", str(path), "--target", "a,x", "--horizon", "2", "--output", "{out}", *FAST],
    )
    assert err == "error: target column 'x' not found in wide.csv; columns are: month, a, b"


# ---- order and duplicates


def test_unsorted_rows_are_sorted_with_a_note(tmp_path, caplog, seed):
    rows = _days("%Y-%m-%d")
    shuffled = [rows[i] for i in np.random.default_rng(0).permutation(N)]
    path = _write(tmp_path, "shuffled.csv", "date,sales", shuffled)
    code, out = _forecast(tmp_path, path, horizon=2)
    assert code == 0 and pd.read_csv(out / "forecast.csv")["time"].tolist() == ["2020-03-01", "2020-03-02"]
    assert "rows of shuffled.csv are not in time order; sorted them by 'date'" in caplog.messages


def test_duplicated_time_stamp_names_both_rows(tmp_path, capsys):
    rows = _days("%Y-%m-%d", start="2019-12-31")
    rows[59] = rows[5].split(",")[0] + ",1.0"  # row 60 repeats row 6's time, 2020-01-05
    path = _write(tmp_path, "dup.csv", "date,sales", rows)
    err = _refused(tmp_path, capsys, ["forecast", str(path), "--horizon", "4", "--output", "{out}", *FAST])
    assert err == (
        "error: time 2020-01-05 appears twice (rows 6 and 60) in 'date' of dup.csv; keep one row per time step, "
        "or pass --id-col if the file holds several series"
    )


def test_duplicates_are_checked_per_series_with_id_col(tmp_path, capsys, seed):
    days = pd.date_range("2020-01-01", periods=N, freq="D").strftime("%Y-%m-%d")
    rows = [
        f"{sid},{d},{v:.2f}" for sid in "AB" for d, v in zip(days, WAVE)
    ]  # the same times in each series: fine
    path = _write(tmp_path, "long.csv", "shop,date,sales", rows)
    code, out = _forecast(tmp_path, path, "--id-col", "shop", horizon=2)
    assert code == 0 and pd.read_csv(out / "forecast.csv")["id"].tolist() == ["A", "A", "B", "B"]
    rows[N + 9] = f"B,{days[3]},1.0"  # row 70 repeats row 64's time within series B
    _write(tmp_path, "long.csv", "shop,date,sales", rows)
    err = _refused(
        tmp_path,
        capsys,
        ["forecast", str(path), "--id-col", "shop", "--horizon", "2", "--output", "{out}", *FAST],
    )
    assert (
        err
        == "error: time 2020-01-04 appears twice (rows 64 and 70) in 'date' of series 'B' of long.csv; keep one row per time step"
    )


# ---- predict with an extra column, and the help


def test_predict_names_an_extra_numeric_column_the_model_does_not_use(tmp_path, caplog, seed):
    months = pd.period_range("2016-01", periods=N, freq="M").astype(str)
    path = _write(tmp_path, "sales.csv", "month,sales", [f"{m},{v:.3f}" for m, v in zip(months, WAVE)])
    code, out = _forecast(tmp_path, path, horizon=2)
    assert code == 0
    extra = _write(
        tmp_path,
        "more.csv",
        "month,sales,price",
        [f"{m},{v:.3f},{i}" for i, (m, v) in enumerate(zip(months, WAVE))],
    )
    caplog.clear()
    again = tmp_path / "again.csv"
    assert main(["predict", "--model", str(out / "model"), str(extra), "--output", str(again)]) == 0
    assert [r.message for r in caplog.records if r.levelname == "WARNING"] == [
        "ignoring numeric column(s) price of more.csv: covariates are off (the model uses none)"
    ]
    assert again.read_text() == (out / "forecast.csv").read_text()


def test_forecast_help_states_the_reading_rules(capsys):
    with pytest.raises(SystemExit):
        main(["forecast", "--help"])
    text = capsys.readouterr().out
    for rule in (
        "what lstmkit reads",
        "--date-format",
        '"1,037"',
        "1.037,5",
        "--target a,b,c",
        "t = 0, 1, 2",
        "sorted",
        "appears twice",
        "Jan 1949",
        "01-Jan-2020",
        "2000-H1",
        "FY2020",
        "2019 W2",
        "52 or 365",
        "365.25",
        "01-Jan-2020 1:00 PM",
        "written on the clock of the time zone they match",
    ):
        assert rule in text, rule


def test_a_series_whose_last_h_points_are_all_missing_is_forecast_without_a_hold_out(tmp_path, caplog):
    months = pd.period_range("2001-01", periods=N, freq="M").astype(str)
    rows = [f"{m},{'' if i >= N - 4 else round(y, 3)}" for i, (m, y) in enumerate(zip(months, WAVE))]
    code, out = _forecast(tmp_path, _write(tmp_path, "ends_missing.csv", "month,sales", rows))
    assert code == 0
    assert pd.read_csv(out / "forecast.csv")["time"].tolist() == ["2006-01", "2006-02", "2006-03", "2006-04"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["skipped"] == (
        "every one of the last 4 points is missing, so there is nothing to score; no hold-out evaluation"
    )
    assert not (out / ".checkpoints").exists()


def test_an_rdatasets_file_of_a_monthly_ts_is_forecast_and_predicted_in_decimal_years(tmp_path):
    rows = [f"{i + 1},{1949 + i / 12:.15g},{round(y, 3)}" for i, y in enumerate(WAVE)]  # 1949 .. 1953.916...
    path = _write(tmp_path, "AirPassengers.csv", '"rownames","time","value"', rows)
    code, out = _forecast(tmp_path, path)
    assert code == 0
    expected = ["1954", "1954.083333", "1954.166667", "1954.25"]
    assert pd.read_csv(out / "forecast.csv", dtype={"time": str})["time"].tolist() == expected
    assert (
        main(["predict", "--model", str(out / "model"), str(path), "--output", str(tmp_path / "p.csv")]) == 0
    )
    assert pd.read_csv(tmp_path / "p.csv", dtype={"time": str})["time"].tolist() == expected


@pytest.mark.parametrize("command", ["forecast", "train"])
def test_a_series_of_two_points_is_refused_with_the_error_line_alone(tmp_path, capsys, caplog, command):
    path = _write(
        tmp_path, f"two_{command}.csv", "month,sales", ["2020-01,5", "2020-02,6"]
    )  # notes: once a file
    loud = [a for a in FAST if a != "--quiet"]  # the notes a refusal must not print are warnings
    line = _refused(tmp_path, capsys, [command, str(path), "--horizon", "3", "--output", "{out}", *loud])
    assert line == "error: series too short: forecasting needs at least 3 points, the shortest series has 2"
    assert [r.getMessage() for r in caplog.records if r.name.startswith("lstmkit")] == []  # no season note


def test_predict_names_a_series_too_short_for_the_network(tmp_path, caplog):
    months = pd.period_range("2001-01", periods=N, freq="M").astype(str)
    rows = [f"{sid},{m},{round(y, 3)}" for sid in "ab" for m, y in zip(months, WAVE)]
    train = _write(tmp_path, "panel.csv", "store,month,sales", rows)
    model = tmp_path / "model"
    assert (
        main(["train", str(train), "--horizon", "4", "--id-col", "store", "--output", str(model), *FAST]) == 0
    )
    short = _write(tmp_path, "short.csv", "store,month,sales", rows[:N] + rows[N : N + 5])
    assert main(["predict", "--model", str(model), str(short), "--output", str(tmp_path / "p.csv")]) == 0
    assert (
        "the classical references alone forecast 1 series shorter than the network's lookback" in caplog.text
    )
    assert "b (5)" in caplog.text and len(pd.read_csv(tmp_path / "p.csv")) == 8


def test_predict_names_a_single_series_too_short_for_the_network_by_its_column(tmp_path, caplog):
    """The note named it 'None (5)'."""
    months = pd.period_range("2001-01", periods=N, freq="M").astype(str)
    rows = [f"{m},{round(y, 3)}" for m, y in zip(months, WAVE)]
    model = tmp_path / "model"
    train = _write(tmp_path, "sales.csv", "month,sales", rows)
    assert main(["train", str(train), "--horizon", "4", "--output", str(model), *FAST]) == 0
    short = _write(tmp_path, "short.csv", "month,sales", rows[-5:])
    assert main(["predict", "--model", str(model), str(short), "--output", str(tmp_path / "p.csv")]) == 0
    assert "series shorter than the network's lookback" in caplog.text
    assert ": sales (5)" in caplog.text and "None" not in caplog.text


# ---- layouts spreadsheets, SAS, R and statistics offices export (tests/data/test_exported_layouts.py has the rules)


@pytest.mark.parametrize(
    "header, cell, future",
    [
        ("date", lambda i: f"{pd.Timestamp('2020-01-01') + pd.Timedelta(days=i):%d-%b-%Y}", "01-Mar-2020"),
        (
            "date",
            lambda i: _twelve_hours(pd.Timestamp("2020-01-01") + pd.Timedelta(hours=i)),
            "03-Jan-2020 12:00 PM",
        ),
        ("date", lambda i: f"{2000 + i // 4}-{3 * (i % 4) + 2:02d}-15", "2015-02-15"),  # mid-quarter
        (
            "date",
            lambda i: f"{pd.Timestamp('2020-01-01') + pd.Timedelta(days=i):%Y-%m-%d %H:%M:%S.000}",
            "2020-03-01 00:00:00.000",
        ),  # SQL Server
        ("period", lambda i: f"{2000 + i // 2} H{i % 2 + 1}", "2030 H1"),
        ("period", lambda i: f"{2000 + i // 2}-H{i % 2 + 1}", "2030-H1"),
        ("year", lambda i: f"FY{1960 + i}", "FY2020"),
        ("quarter", lambda i: f"{2000 + i // 4}{i % 4 + 1}", "20151"),  # YYYYQ, as statistics offices export
        ("week", lambda i: f"{pd.Timestamp('2019-01-07') + pd.Timedelta(weeks=i):%G W%V}", "2020 W10"),
        ("week", lambda i: f"{pd.Timestamp('2019-01-07') + pd.Timedelta(weeks=i):%G-W%V}", "2020-W10"),
        ("week", lambda i: f"{pd.Timestamp('2019-01-07') + pd.Timedelta(weeks=i):%GW%V}", "2020W10"),
        ("week", lambda i: f"{pd.Timestamp('2019-01-07') + pd.Timedelta(weeks=i):%G-W%V-%u}", "2020-W10-1"),
        ("time", lambda i: f"{1990 + i / 52:.15g}", "1991.153846"),  # R's time(x) of a weekly ts
        ("time", lambda i: f"{1991 + i / 52.18:.15g}", "1992.150273"),  # frequency 52.18: 25 February 1992
        ("time", lambda i: f"{1991.1 + i * 7 / 365.25:.3f}", "1992.251"),  # as R prints them: 2 April 1992
        (
            "date",
            lambda i: f"{i % 12 + 1}/1/{2000 + i // 12}",
            "1/1/2005",
        ),  # monthly, as US spreadsheets write
        (
            "date",
            lambda i: f"{(pd.Period('1995-01', 'M') + i).strftime('%b')}-1-{1995 + i // 12}",
            "Jan-1-2000",
        ),
        (
            "date",
            lambda i: f'"{_day(i):%b} {_day(i).day}, {_day(i).year}"',
            "Mar 1, 2020",
        ),  # Excel's mmm d, yyyy
        ("date", lambda i: f"{_day(i):%d-%m-%Y}T00:00:00Z", "01-03-2020T00:00:00Z"),  # day first, in UTC
        ("Date", lambda i: f"{43831 + i / 24:.15g}", "43833.5"),  # Excel serials of hours: 2020-01-03 12:00
    ],
)
def test_exported_time_layouts_come_back_the_same_way_from_forecast_and_predict(
    tmp_path, header, cell, future
):
    path = _write(
        tmp_path, "export.csv", f"{header},sales", [f"{cell(i)},{y:.3f}" for i, y in enumerate(WAVE)]
    )
    code, out = _forecast(tmp_path, path, horizon=1)
    assert code == 0
    assert pd.read_csv(out / "forecast.csv", dtype={"time": str})["time"].tolist() == [future]
    predicted = tmp_path / "p.csv"
    assert main(["predict", "--model", str(out / "model"), str(path), "--output", str(predicted)]) == 0
    assert pd.read_csv(predicted, dtype={"time": str})["time"].tolist() == [future]


def test_predict_on_the_latest_weeks_writes_the_iso_weeks_as_the_training_file(tmp_path):
    """Week numbers written unpadded (2020-W1) show it in weeks 1 to 9 only: predict on the latest weeks of the
    series (none of them) wrote 2021-W01 where forecast.csv, from the whole file, had 2021-W1."""
    weeks = pd.date_range(end="2020-12-14", periods=N, freq="W-MON")  # 2019-W44 .. 2020-W51
    cells = [f"{week.isocalendar()[0]}-W{week.isocalendar()[1]}" for week in weeks]
    path = _write(tmp_path, "weekly.csv", "week,sales", [f"{c},{y:.3f}" for c, y in zip(cells, WAVE)])
    latest = _write(tmp_path, "latest.csv", "week,sales", path.read_text().splitlines()[19:])  # weeks 10-51
    assert "-W9," not in latest.read_text() and "-W10," in latest.read_text()
    code, out = _forecast(tmp_path, path)
    assert code == 0
    expected = ["2020-W52", "2020-W53", "2021-W1", "2021-W2"]
    assert pd.read_csv(out / "forecast.csv")["time"].tolist() == expected
    for data in (path, latest):
        predicted = tmp_path / f"p_{data.stem}.csv"
        assert main(["predict", "--model", str(out / "model"), str(data), "--output", str(predicted)]) == 0
        assert pd.read_csv(predicted)["time"].tolist() == expected, data.name


def _day(i):
    return pd.Timestamp("2020-01-01") + pd.Timedelta(days=i)


def _twelve_hours(stamp):
    """``01-Jan-2020 1:00 PM``: a day-month-name date with a 12-hour clock, as Excel writes one."""
    return f"{stamp:%d-%b-%Y} {stamp.hour % 12 or 12}:{stamp:%M %p}"


def test_decimal_years_off_every_calendar_are_one_error_line(tmp_path, capsys):
    rows = [f"{1991 + i / 26:.6f},{y:.3f}" for i, y in enumerate(WAVE)]  # fortnights of 14.05 days
    path = _write(tmp_path, "fortnights.csv", "time,barrels", rows)
    line = _refused(tmp_path, capsys, ["forecast", str(path), "--horizon", "4", "--output", "{out}", *FAST])
    assert line.startswith(
        "error: time column 'time' of fortnights.csv holds decimal years about 26 steps a year"
    )


@pytest.mark.parametrize(
    "start, note",
    [
        (
            "2021-03-22",
            "1 hour(s) of meter.csv are missing where clocks go forward as daylight saving begins (first "
            "28/03/2021 02:00 in 'time', a time that never happened there); each is filled by interpolation to "
            "keep the daily season; write the times in UTC or with their offset to have none filled",
        ),
        (
            "2021-10-25",
            "1 time(s) of meter.csv appear twice where clocks go back an hour as daylight saving ends (first "
            "31/10/2021 02:00 in 'time'); each pair is averaged to keep the daily season; write the times in UTC "
            "or with their offset to keep both",
        ),
    ],
)
def test_a_local_clock_file_across_a_clock_change_is_forecast_and_predicted_with_one_note(
    tmp_path, caplog, start, note
):
    """The hour that never happened on 28 March was two notes, a gap and a missing value."""
    real = pd.date_range(start, periods=24 * 10, freq="h", tz="Europe/Berlin")
    local = real.tz_localize(
        None
    )  # as a meter without a zone writes it: a clock that skips or repeats an hour
    rows = [f"{t:%d/%m/%Y %H:%M},{100 + 10 * np.sin(2 * np.pi * t.hour / 24):.3f}" for t in local]
    path = _write(tmp_path, "meter.csv", "time,load", rows)
    code, out = _forecast(tmp_path, path, horizon=3)
    assert code == 0
    assert [m for m in caplog.messages if "missing" in m or "twice" in m] == [note]
    expected = [f"{local[-1] + pd.Timedelta(hours=k):%d/%m/%Y %H:%M}" for k in (1, 2, 3)]
    assert pd.read_csv(out / "forecast.csv")["time"].tolist() == expected
    _predicts_the_same(tmp_path, out, path)


def _aware_rows(stamps, cell=lambda t: t.isoformat()):
    """One row an hour (or half hour) of ``stamps``, each time written with its own UTC offset, and a daily wave."""
    hours = np.array([t.hour + t.minute / 60 for t in stamps])
    return [f"{cell(t)},{100 + 10 * np.sin(2 * np.pi * h / 24):.3f}" for t, h in zip(stamps, hours)]


def test_half_hours_across_a_clock_change_are_forecast_and_predicted_with_their_zones_offsets(
    tmp_path, caplog, seed
):
    """Melbourne's clocks went back on 4 April 2021 (+11:00 -> +10:00); forecast.csv was written in UTC. The model
    keeps the zone, so predict on the last days before 3 October (+10:00 alone) writes the clocks going forward."""
    april = pd.date_range("2021-03-31 00:00", "2021-04-04 06:00", freq="30min", tz="Australia/Melbourne")
    path = _write(tmp_path, "melbourne_kwh.csv", "time,kwh", _aware_rows(april))
    code, out = _forecast(tmp_path, path)
    assert code == 0
    assert pd.read_csv(out / "forecast.csv")["time"].tolist() == [
        "2021-04-04T06:30:00+10:00",
        "2021-04-04T07:00:00+10:00",
        "2021-04-04T07:30:00+10:00",
        "2021-04-04T08:00:00+10:00",
    ]
    assert [m for m in caplog.messages if "offsets" in m] == [
        "times in 'time' of melbourne_kwh.csv carry UTC offsets +10:00 and +11:00 (daylight saving); read as "
        "Australia/Sydney, one of 4 zones with these offsets (Australia/Hobart, Australia/Melbourne, "
        "Antarctica/Macquarie), and forecast.csv writes future times with its offsets"
    ]
    assert json.loads((out / "model" / "config.json").read_text())["fitted"]["columns"]["time_format"] == (
        "%Y-%m-%dT%H:%M:%S+00:00[Australia/Sydney]"
    )
    _predicts_the_same(tmp_path, out, path)
    config = out / "model" / "config.json"
    zoned = config.read_text()
    older = json.loads(zoned)
    older["fitted"]["columns"]["time_format"] = (
        "%Y-%m-%dT%H:%M:%S+00:00"  # as a model folder before zones kept it
    )
    config.write_text(json.dumps(older))
    _predicts_the_same(tmp_path, out, path)  # the file's offsets name the zone again
    config.write_text(zoned)
    september = pd.date_range("2021-09-29 00:00", "2021-10-03 01:30", freq="30min", tz="Australia/Melbourne")
    latest = _write(tmp_path, "latest_kwh.csv", "time,kwh", _aware_rows(september))
    predicted = tmp_path / "october.csv"
    assert main(["predict", "--model", str(out / "model"), str(latest), "--output", str(predicted)]) == 0
    assert pd.read_csv(predicted)["time"].tolist() == [
        "2021-10-03T03:00:00+11:00",  # 02:00 to 02:59 never happened there
        "2021-10-03T03:30:00+11:00",
        "2021-10-03T04:00:00+11:00",
        "2021-10-03T04:30:00+11:00",
    ]


def test_hours_across_a_clock_change_in_the_exports_layout_are_forecast_in_its_zone(tmp_path, caplog, seed):
    """Berlin's clocks went forward on 29 March 2020, as an export writes them: 2020-03-29 03:00:00+02:00."""
    spring = pd.date_range("2020-03-27 00:00", periods=24 * 4, freq="h", tz="Europe/Berlin")
    rows = _aware_rows(spring, lambda t: f"{t:%Y-%m-%d %H:%M:%S}{t.isoformat()[-6:]}")
    assert "2020-03-29 01:00:00+01:00" in rows[24 * 2 + 1] and "2020-03-29 03:00:00+02:00" in rows[24 * 2 + 2]
    path = _write(tmp_path, "berlin_load.csv", "time,load", rows)
    code, out = _forecast(tmp_path, path, horizon=3)
    assert code == 0
    assert pd.read_csv(out / "forecast.csv")["time"].tolist() == [
        "2020-03-31 01:00:00+02:00",
        "2020-03-31 02:00:00+02:00",
        "2020-03-31 03:00:00+02:00",
    ]
    assert [m for m in caplog.messages if "offsets" in m][0].startswith(
        "times in 'time' of berlin_load.csv carry UTC offsets +01:00 and +02:00 (daylight saving); read as "
        "Europe/Berlin, one of "
    )
    _predicts_the_same(tmp_path, out, path)


def test_hours_whose_offsets_no_zone_shows_are_forecast_in_utc_with_one_warning(tmp_path, caplog, seed):
    hours = pd.date_range("2021-01-01", periods=N, freq="h")  # UTC
    offsets = ["+03:17"] * (N // 2) + ["+05:00"] * (N - N // 2)
    shifts = [pd.Timedelta(hours=int(o[1:3]), minutes=int(o[4:])) for o in offsets]
    rows = [f"{u + d:%Y-%m-%dT%H:%M:%S}{o},{y:.3f}" for u, d, o, y in zip(hours, shifts, offsets, WAVE)]
    path = _write(tmp_path, "odd_offsets.csv", "time,load", rows)
    code, out = _forecast(tmp_path, path, horizon=2)
    assert code == 0
    assert pd.read_csv(out / "forecast.csv")["time"].tolist() == [
        "2021-01-03T12:00:00+00:00",
        "2021-01-03T13:00:00+00:00",
    ]
    assert [m for m in caplog.messages if "offsets" in m] == [
        "times in 'time' of odd_offsets.csv carry UTC offsets +03:17 and +05:00, and no time zone matched them; "
        "they are read in UTC, and forecast.csv writes UTC times"
    ]
    _predicts_the_same(tmp_path, out, path)


def test_a_named_time_zone_writes_a_winter_files_forecast_across_the_spring_change_and_predict_keeps_it(
    tmp_path, capsys, seed
):
    """Hours of one offset, +01:00, in the days before 28 March 2021; --set data.time_zone=Europe/Berlin writes the
    forecast's times on Berlin's clock as it goes forward, and the model folder keeps the zone for predict."""
    winter = pd.date_range("2021-03-24 00:00", "2021-03-28 00:00", freq="h", tz="Europe/Berlin")
    path = _write(tmp_path, "winter_load.csv", "time,load", _aware_rows(winter))
    code, out = _forecast(tmp_path, path, "--set", "data.time_zone=Europe/Berlin", horizon=3)
    assert code == 0
    assert pd.read_csv(out / "forecast.csv")["time"].tolist() == [
        "2021-03-28T01:00:00+01:00",
        "2021-03-28T03:00:00+02:00",
        "2021-03-28T04:00:00+02:00",
    ]
    config = json.loads((out / "model" / "config.json").read_text())
    assert config["settings"]["data"]["time_zone"] == "Europe/Berlin"
    assert config["fitted"]["columns"]["time_format"] == "%Y-%m-%dT%H:%M:%S+00:00[Europe/Berlin]"
    _predicts_the_same(tmp_path, out, path)
    capsys.readouterr()
    misspelt = [
        "forecast",
        str(path),
        "--horizon",
        "3",
        "--set",
        "data.time_zone=Europe/Berln",
        "--output",
        "{out}",
    ]
    error = _refused(tmp_path, capsys, misspelt)
    assert error == (
        "error: data.time_zone 'Europe/Berln' is not a time zone of the IANA database; name one such as "
        "Europe/Berlin or America/New_York"
    )
