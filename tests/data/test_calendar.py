import warnings

import numpy as np
import pandas as pd
import pytest

from lstmkit.data.calendar import step_ordinals
from lstmkit.data.tabular import load_series


@pytest.mark.parametrize(
    ("column", "values", "season", "phases"),
    [
        ("month", ["1999-11", "1999-12", "2000-01", "2000-02"], 12, [10, 11, 0, 1]),
        ("quarter", ["2001-Q3", "2001-Q4", "2002-Q1", "2002-Q2"], 4, [2, 3, 0, 1]),
        ("date", ["2024-01-06", "2024-01-07", "2024-01-08", "2024-01-09"], 7, None),  # Sat, Sun, Mon, Tue
        (
            "time",
            ["2024-01-01 22:00", "2024-01-01 23:00", "2024-01-02 00:00", "2024-01-02 01:00"],
            24,
            [22, 23, 0, 1],
        ),
        (
            "time",
            ["2024-01-01 23:00", "2024-01-01 23:30", "2024-01-02 00:00", "2024-01-02 00:30"],
            48,
            [46, 47, 0, 1],
        ),
    ],
)
def test_ordinals_give_the_phase_in_the_season(tmp_path, column, values, season, phases):
    path = tmp_path / "d.csv"
    pd.DataFrame({column: values * 1, "y": [1.0, 2.0, 3.0, 4.0]}).to_csv(path, index=False)
    data = load_series(path)
    s = data.series[0]
    ordinals = step_ordinals(s.times, kind=data.time_kind, freq=data.freq, length=4)
    assert np.array_equal(np.diff(ordinals), [1, 1, 1])
    got = (ordinals % season).tolist()
    if phases is None:  # days: the phase is the weekday, whatever day 0 of the axis is
        assert got[2] == (got[0] + 2) % 7 and len(set(got)) == 4
    else:
        assert got == phases


def test_without_a_time_axis_steps_count_from_the_start():
    assert step_ordinals(None, kind=None, freq=None, length=3).tolist() == [0, 1, 2]


def test_years_are_their_own_ordinals(tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame({"year": [1990, 1991, 1992], "y": [1.0, 2.0, 3.0]}).to_csv(path, index=False)
    data = load_series(path)
    assert step_ordinals(data.series[0].times, kind=data.time_kind, freq=data.freq, length=3).tolist() == [
        1990,
        1991,
        1992,
    ]


def test_business_days_count_trading_days_without_a_pandas_warning(tmp_path):
    # Fri 2024-01-05, then Mon..Fri: consecutive trading days are consecutive ordinals (weekday phase 0..4)
    days = ["2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10", "2024-01-11", "2024-01-12", "2024-01-15"]
    path = tmp_path / "d.csv"
    pd.DataFrame({"date": days, "y": np.arange(7.0)}).to_csv(path, index=False)
    data = load_series(path)
    assert data.freq == "B"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ordinals = step_ordinals(data.series[0].times, kind=data.time_kind, freq=data.freq, length=7)
    assert np.diff(ordinals).tolist() == [1] * 6
    assert (ordinals % 5).tolist() == [1, 2, 3, 4, 0, 1, 2]  # day 0, 1970-01-01, was a Thursday
