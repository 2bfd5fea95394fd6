"""forecast.png as a person reads it: date ticks that do not run into each other, whatever the span."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from lstmkit.data.tabular import load_series
from lstmkit.plots import forecast as forecast_plots

matplotlib.use("Agg")


def drawn_figure(tmp_path, monkeypatch, frame, horizon):
    """The figure plot_forecast saves, kept open and drawn."""
    figures = []
    monkeypatch.setattr(forecast_plots, "_pyplot", lambda: _keeping(figures))
    data = load_series(frame, target="load", time_col="time")
    forecasts = np.repeat(data.series[0].target[-horizon:][None, :, None], 3, axis=2)
    forecast_plots.plot_forecast(data, forecasts, tmp_path / "forecast.png", quantiles=(0.1, 0.9))
    assert (tmp_path / "forecast.png").stat().st_size > 0
    (figure,) = figures
    figure.canvas.draw()
    return figure


def _keeping(figures):
    import matplotlib.pyplot as plt

    class Keeping:
        def subplots(self, *args, **kwargs):
            fig, axes = plt.subplots(*args, **kwargs)
            figures.append(fig)
            return fig, axes

        def close(self, fig):
            pass

    return Keeping()


@pytest.mark.parametrize(
    "start, freq, periods, horizon",
    [
        ("2021-03-20", "30min", 600, 48),  # ticks every other day, then the 31st beside April 1st
        ("2021-03-01", "h", 24 * 30, 24),
        ("2021-03-01", "D", 400, 14),
        ("1949-01-01", "MS", 144, 12),
        ("2010-01-03", "W-SUN", 300, 13),
    ],
)
def test_the_date_ticks_never_overlap(tmp_path, monkeypatch, start, freq, periods, horizon):
    times = pd.date_range(start, periods=periods, freq=freq)
    frame = pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M"), "load": np.sin(np.arange(periods) / 7)})
    figure = drawn_figure(tmp_path, monkeypatch, frame, horizon)
    ax = figure.axes[0]
    renderer = figure.canvas.get_renderer()
    boxes = sorted(
        (label.get_window_extent(renderer) for label in ax.get_xticklabels() if label.get_text()),
        key=lambda box: box.x0,
    )
    assert len(boxes) >= 3
    assert all(left.x1 < right.x0 for left, right in zip(boxes, boxes[1:]))


@pytest.mark.parametrize(
    "cells, future",
    [
        (  # quarters dated on their middle month's 15th
            [f"{p.year}-{3 * p.quarter - 1:02d}-15" for p in pd.period_range("2015Q1", periods=24, freq="Q")],
            ["2021-02-15", "2021-05-15", "2021-08-15", "2021-11-15"],
        ),
        (  # quarter ends that are not month ends, day first
            [f"30/{3 * p.quarter:02d}/{p.year}" for p in pd.period_range("2015Q1", periods=24, freq="Q")],
            ["2021-03-30", "2021-06-30", "2021-09-30", "2021-12-30"],
        ),
        (
            [f"{p.year}-{p.month:02d}-15" for p in pd.period_range("2018-01", periods=36, freq="M")],
            ["2021-01-15", "2021-02-15", "2021-03-15", "2021-04-15"],
        ),
    ],
)
def test_months_and_quarters_dated_on_one_day_are_drawn_at_the_files_dates(
    tmp_path, monkeypatch, cells, future
):
    frame = pd.DataFrame({"time": cells, "load": np.sin(np.arange(len(cells)) / 2) + 5})
    figure = drawn_figure(tmp_path, monkeypatch, frame, 4)
    history, forecast = figure.axes[0].lines[:2]
    assert list(pd.DatetimeIndex(history.get_xdata())) == list(
        pd.to_datetime(cells, dayfirst="/" in cells[0])
    )
    assert list(pd.DatetimeIndex(forecast.get_xdata())) == list(pd.DatetimeIndex(future))


def test_the_reports_hold_out_figure_reads_the_files_dates(tmp_path, monkeypatch):
    from lstmkit.plots.report_forecast import _holdout_plot

    figures = []
    monkeypatch.setattr(forecast_plots, "_pyplot", lambda: _keeping(figures))
    months = pd.date_range("1949-01-01", periods=144, freq="MS")
    frame = pd.DataFrame({"time": months.strftime("%Y-%m-%d"), "load": np.sin(np.arange(144) / 3) + 5})
    data = load_series(frame, target="load", time_col="time")
    holdout = np.repeat(data.series[0].target[-12:][None, :, None], 3, axis=2)
    _holdout_plot(data, holdout, tmp_path / "holdout.png", quantiles=(0.1, 0.9))
    (figure,) = figures
    figure.canvas.draw()
    labels = [label.get_text() for label in figure.axes[0].get_xticklabels() if label.get_text()]
    assert "1960" in labels  # dates, not step numbers
    assert figure.axes[0].get_xlabel() == "time"


def test_a_target_and_series_named_in_a_script_the_font_lacks_draw_without_warnings(tmp_path):
    """'forecast' on a file whose columns are 日付, 売上 printed matplotlib's 'Glyph ... missing from font' lines."""
    import warnings

    from lstmkit.plots.report_forecast import _holdout_plot

    days = pd.date_range("2023-01-01", periods=40, freq="D")
    frame = pd.DataFrame({"日付": days.strftime("%Y-%m-%d"), "店": "東京", "売上": np.arange(40.0)})
    data = load_series(frame, target="売上", time_col="日付", id_col="店")
    forecasts = np.repeat(data.series[0].target[-4:][None, :, None], 3, axis=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forecast_plots.plot_forecast(data, forecasts, tmp_path / "forecast.png", quantiles=(0.1, 0.9))
        _holdout_plot(data, forecasts, tmp_path / "holdout.png", quantiles=(0.1, 0.9))
    assert (tmp_path / "forecast.png").stat().st_size > 0 and (tmp_path / "holdout.png").stat().st_size > 0
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []


def test_a_series_left_out_of_the_hold_out_is_told_apart_by_its_nan_forecasts():
    holdout = np.zeros((3, 4, 3))
    holdout[1] = np.nan  # too short to hold out 4 points
    holdout[2, 0, 0] = np.nan  # a NaN step (a gap in the truth's time) is still a hold-out forecast
    assert forecast_plots.in_holdout(holdout).tolist() == [True, False, True]


def test_a_loss_of_zero_is_drawn_without_a_log_scale_warning(tmp_path):
    """The hybrid classifier's LSTM on one-step sequences has nothing to predict: loss 0, and matplotlib
    printed 'Data has no positive values, and therefore cannot be log-scaled' on the terminal."""
    import warnings

    rows = [{"epoch": e, "train_loss": 0.0, "val_loss": float("nan")} for e in (1, 2)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forecast_plots.plot_loss(rows, tmp_path / "loss.png")
    assert (tmp_path / "loss.png").stat().st_size > 0
    assert [str(w.message) for w in caught] == []


def test_the_loss_figure_marks_whole_epochs_only(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    drawn = {}
    monkeypatch.setattr(plt, "close", lambda fig: drawn.setdefault("fig", fig))  # keep the figure to read it
    rows = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.2 / e} for e in (1, 2, 3)]
    forecast_plots.plot_loss(rows, tmp_path / "loss.png")
    ticks = drawn["fig"].axes[0].get_xticks()
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)  # not 1.25, 1.5, ...
