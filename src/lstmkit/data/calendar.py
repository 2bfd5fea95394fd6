"""Calendar positions: each step's ordinal on a global calendar axis.

The ordinal is months since 1970 for monthly data, half-hours for half-hourly data, the year
for yearly data, the counter itself for an integer time index, or the step index when there is no time column. ``ordinal mod m`` is the step's
phase in a season of m steps (the month of the year, the hour of the day...), which the
forecaster uses as a known-future covariate (:meth:`ForecastNet.future_calendar`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd


def _period_freq(freq: str) -> str:
    """The Period frequency of a DatetimeIndex frequency: 'MS' -> 'M', 'QS-OCT' -> 'Q', 'YS' -> 'Y'."""
    base = re.sub(r"^\d+", "", freq)
    for prefix, period in (
        ("MS", "M"),
        ("ME", "M"),
        ("QS", "Q"),
        ("QE", "Q"),
        ("YS", "Y"),
        ("YE", "Y"),
        ("AS", "Y"),
    ):
        if base.startswith(prefix):
            return period
    return freq


def step_ordinals(times: pd.Index | None, *, kind: str | None, freq: str | None, length: int) -> np.ndarray:
    """``(length,)`` int64 ordinals of a series' steps; consecutive regular steps differ by 1.

    Without a usable time axis the steps count from 0 at the start of the series.
    """
    if times is None or kind is None:
        return np.arange(length, dtype=np.int64)
    try:
        if kind in ("year", "index"):
            ordinals = np.asarray(times, dtype=np.int64)
        elif isinstance(times, pd.PeriodIndex):
            ordinals = times.asi8.astype(np.int64)
        elif freq is not None and re.sub(r"^\d+", "", freq) in ("B", "C"):  # business days since 1970
            days = pd.DatetimeIndex(times).tz_localize(None).values.astype("datetime64[D]")
            ordinals = np.busday_count(np.datetime64("1970-01-01", "D"), days).astype(np.int64)
        elif freq is not None:
            ordinals = (
                pd.DatetimeIndex(times).tz_localize(None).to_period(_period_freq(freq)).asi8.astype(np.int64)
            )
        else:
            return np.arange(length, dtype=np.int64)
    except (TypeError, ValueError, AttributeError):  # an axis pandas cannot place on a calendar
        return np.arange(length, dtype=np.int64)
    steps = np.diff(ordinals)
    stride = int(steps.min()) if len(steps) and steps.min() > 0 else 1  # '30min' periods count minutes
    return ordinals // stride
