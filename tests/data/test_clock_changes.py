"""Local clocks changing for daylight saving in files written without a zone (lstmkit.data.clock_changes): the
hour written twice when clocks go back is averaged, the hour that never happened when they go forward is filled;
each is said in one line, and other repeats and gaps keep their own rules."""

import logging

import numpy as np
import pandas as pd
import pytest

from lstmkit.data.tabular import impute, load_series
from lstmkit.errors import DataError


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def lines(header, rows):
    return header + "\n" + "\n".join(rows) + "\n"


def half_hours_in_london(start="2020-10-24", end="2020-10-26 12:00"):
    """Half-hourly local times as a meter exports them: 01:00 and 01:30 twice on 25 October 2020."""
    return (
        pd.date_range(start, end, freq="30min", tz="Europe/London")
        .tz_localize(None)
        .strftime("%Y-%m-%d %H:%M")
    )


def test_the_hour_written_twice_when_clocks_go_back_is_averaged_with_one_warning(tmp_path, caplog):
    times = half_hours_in_london()
    values = np.arange(len(times), dtype=float)
    path = write(tmp_path, lines("time,load", [f"{t},{v:g}" for t, v in zip(times, values)]))
    with caplog.at_level(logging.WARNING, logger="lstmkit"):
        data = load_series(path)
    assert caplog.messages == [
        "2 time(s) of data.csv appear twice where clocks go back an hour as daylight saving ends (first 2020-10-25 "
        "01:00 in 'time'); each pair is averaged to keep the daily season; write the times in UTC or with their "
        "offset to keep both"
    ]  # and no warning about rows out of order
    series = data.series[0]
    assert len(series.target) == len(times) - 2 and data.freq == "30min"
    at = list(series.times.strftime("%H:%M")[:56]).index("01:00", 40)  # 25 October, 01:00
    np.testing.assert_array_equal(series.target[at - 1 : at + 3], [49, (50 + 52) / 2, (51 + 53) / 2, 54])


@pytest.mark.parametrize(
    "zone, fmt, repeated",
    [
        ("Europe/Paris", "%Y-%m-%d %H:%M", "2021-10-31 02:00"),
        ("America/New_York", "%m/%d/%Y %H:%M", "11/07/2021 01:00"),
    ],
)
def test_hourly_local_times_repeat_one_hour_when_clocks_go_back_and_it_is_averaged(
    tmp_path, caplog, zone, fmt, repeated
):
    local = pd.date_range("2021-10-25", periods=24 * 20, freq="h", tz=zone)  # clocks go back in these days
    values = np.arange(len(local), dtype=float)
    path = write(
        tmp_path, lines("timestamp,load", [f"{t},{v:g}" for t, v in zip(local.strftime(fmt), values)])
    )
    with caplog.at_level(logging.WARNING, logger="lstmkit"):
        data = load_series(path)
    assert caplog.messages == [
        f"1 time(s) of data.csv appear twice where clocks go back an hour as daylight saving ends (first {repeated} in "
        "'timestamp'); each pair is averaged to keep the daily season; write the times in UTC or with their offset "
        "to keep both"
    ]
    series = data.series[0]
    assert data.freq == "h" and len(series.target) == len(local) - 1
    at = list(series.times.strftime(fmt)).index(repeated)
    np.testing.assert_array_equal(
        series.target[at - 1 : at + 2], [values[at - 1], values[at] + 0.5, values[at + 2]]
    )


@pytest.mark.parametrize(
    "times, repeated",
    [
        (list(half_hours_in_london()[:60]) + ["2020-10-25 03:00"], "2020-10-25 01:00"),  # another repeat too
        (list(half_hours_in_london()[:60]) + ["2020-10-25 01:00"], "2020-10-25 01:00"),  # three times
        (
            [str(t) for t in pd.date_range("2020-01-01", periods=20, freq="D").strftime("%Y-%m-%d")]
            + ["2020-01-05"],
            "2020-01-05",
        ),  # daily data
        (
            [str(t) for t in pd.date_range("2020-10-25", periods=10, freq="30min").strftime("%Y-%m-%d %H:%M")]
            * 2,
            "2020-10-25 00:00",
        ),  # five hours repeated
        (
            [str(t) for t in pd.date_range("2021-03-03", periods=48, freq="h").strftime("%Y-%m-%d %H:%M")]
            + ["2021-03-03 14:00"],
            "2021-03-03 14:00",
        ),  # an hour written twice in the afternoon: not a clock going back
    ],
)
def test_other_repeated_times_are_still_refused(tmp_path, times, repeated):
    path = write(tmp_path, lines("time,load", [f"{t},{i}" for i, t in enumerate(times)]))
    with pytest.raises(DataError, match=f"^time {repeated} appears twice"):
        load_series(path)


# ---- clocks going forward


def local_clock(start, end, freq, zone, fmt):
    """The wall-clock times of ``zone`` as a meter without a zone writes them, and values that grow by one an
    hour of real time (so a filled hour is the mean of its neighbours)."""
    real = pd.date_range(start, end, freq=freq, tz=zone)
    hours = (real - real[0]) / pd.Timedelta(hours=1)
    return list(real.tz_localize(None).strftime(fmt)), list(hours)


SPRING_NOTE = (
    "1 hour(s) of data.csv are missing where clocks go forward as daylight saving begins (first {skipped} in "
    "'time', a time that never happened there); each is filled by interpolation to keep the daily season; write "
    "the times in UTC or with their offset to have none filled"
)


@pytest.mark.parametrize(
    "zone, freq, fmt, skipped",
    [
        ("Europe/Berlin", "h", "%Y-%m-%d %H:%M", "2021-03-28 02:00"),
        ("America/New_York", "h", "%m/%d/%Y %H:%M", "03/14/2021 02:00"),
        ("Europe/London", "30min", "%d/%m/%Y %H:%M", "28/03/2021 01:00"),  # 01:00 and 01:30 never happened
    ],
)
@pytest.mark.parametrize("fill", ["keep", "interpolate", "error"])
def test_the_hour_clocks_skip_when_daylight_saving_begins_is_filled_with_one_note(
    tmp_path, caplog, zone, freq, fmt, skipped, fill
):
    """It was 'N missing time step(s) ...; they are treated as gaps' and a missing-value note (fill error: refused)."""
    start = "2021-03-10" if zone.startswith("America") else "2021-03-24"
    times, hours = local_clock(start, pd.Timestamp(start) + pd.Timedelta(days=8), freq, zone, fmt)
    path = write(tmp_path, lines("time,load", [f"{t},{h:g}" for t, h in zip(times, hours)]))
    with caplog.at_level(logging.WARNING, logger="lstmkit"):
        data = load_series(path, fill=fill)
    assert [m for m in caplog.messages if "read as" not in m] == [SPRING_NOTE.format(skipped=skipped)]
    series = impute(data).series[0]
    per_hour = 2 if freq == "30min" else 1
    assert data.freq == freq and len(series.target) == len(times) + per_hour  # 24 steps every day
    at = list(series.times.strftime(fmt)).index(skipped)
    assert np.isnan(data.series[0].target[at]) == (fill == "keep")  # keep: each model fills it
    steps = series.target[at - 1 : at + per_hour + 1]
    np.testing.assert_allclose(steps, np.linspace(steps[0], steps[-1], per_hour + 2))  # interpolated
    assert steps[-1] - steps[0] == 1 / per_hour  # across the jump, an hour of real time went by


@pytest.mark.parametrize(
    "drop, freq",
    [
        (["2021-03-24 14:00"], "h"),  # in the afternoon
        (["2021-03-21 02:00"], "h"),  # a night no clock jumped (a week before)
        (["2021-03-28 02:00"], "30min"),  # half the hour only: the file's clock did show 02:30
        ([f"2021-03-{d:02d} 02:00" for d in range(22, 32)], "h"),  # an hour missing every night: gaps
    ],
)
def test_other_gaps_of_an_hour_are_still_gaps(tmp_path, caplog, drop, freq):
    times = pd.date_range("2021-03-20", "2021-04-01", freq=freq).strftime("%Y-%m-%d %H:%M")
    rows = [f"{t},{i}" for i, t in enumerate(times) if t not in drop]
    with caplog.at_level(logging.WARNING, logger="lstmkit"):
        data = load_series(write(tmp_path, lines("time,load", rows)), fill="keep")
    assert caplog.messages == [
        f"{len(drop)} missing time step(s) in data.csv; they are treated as gaps",
        f"{len(drop)} missing value(s) in 'load' of data.csv: each model fills them by linear interpolation "
        "from the data it is given (a hold-out is cut first)",
    ]
    assert len(data.series[0].target) == len(times)


def test_a_file_across_both_clock_changes_has_24_steps_every_day(tmp_path, caplog):
    times, hours = local_clock("2021-03-20", "2021-11-10", "h", "Europe/Paris", "%Y-%m-%dT%H:%M:%S")
    path = write(tmp_path, lines("time,load", [f"{t},{h:g}" for t, h in zip(times, hours)]))
    with caplog.at_level(logging.WARNING, logger="lstmkit"):
        data = load_series(path, fill="keep")
    assert [m.split(" where ")[0] for m in caplog.messages] == [
        "1 time(s) of data.csv appear twice",
        "1 hour(s) of data.csv are missing",
    ]
    days = pd.Series(data.series[0].times.normalize()).value_counts()
    assert (days[days.index < pd.Timestamp("2021-11-10")] == 24).all()
