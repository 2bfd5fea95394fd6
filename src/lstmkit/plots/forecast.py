"""The forecasting figures: history with forecast, interval band and hold-out truth; the loss curve.

matplotlib is imported on call (Agg backend), and each PNG is written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lstmkit.io.atomic import atomic_output
from lstmkit.plots import missing_glyphs_quiet


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _time_axis(data, series, horizon: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Past and future x positions: the file's dates where the data has a time axis (months and quarters on the
    day the file dates them), else step numbers."""
    import pandas as pd

    from lstmkit.data.time_format import period_dates

    n = len(series.target)
    steps = np.arange(n), np.arange(n, n + horizon), "step"
    times = series.times
    if times is None:
        return steps
    try:
        if isinstance(times, pd.PeriodIndex):
            # Period + int array is an array of Periods; pandas-stubs has no such overload
            future = times[-1] + np.arange(1, horizon + 1)  # type: ignore[operator]
            return (
                period_dates(times, data.time_format).to_numpy(),
                period_dates(pd.PeriodIndex(future), data.time_format).to_numpy(),
                str(data.time_col),
            )
        if isinstance(times, pd.DatetimeIndex) and data.freq:
            future = pd.date_range(times[-1], periods=horizon + 1, freq=data.freq)[1:]
            return times.to_numpy(), future.to_numpy(), str(data.time_col)
        values = np.asarray(times)
        if np.issubdtype(values.dtype, np.integer) and n > 1:  # years as integers
            step = int(values[-1] - values[-2]) or 1
            return values, values[-1] + step * np.arange(1, horizon + 1), str(data.time_col)
    except (TypeError, ValueError):  # an axis pandas cannot extend: fall back to step numbers
        pass
    return steps


def _concise_dates(ax) -> None:
    """Date ticks that never run into each other: each label says only what changed since the last one
    (``Mar``, ``15``, ``12:00``), the full date once at the axis' corner (matplotlib's concise formatter)."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def in_holdout(holdout: np.ndarray) -> np.ndarray:
    """(S,) whether each series was forecast by the hold-out model of ``holdout`` (S, H, 1 + Q): a series too
    short to hold out H points is left out of it and has NaN forecasts."""
    return ~np.isnan(holdout[:, :, 0]).all(axis=1)


def plot_forecast(
    data,
    forecasts: np.ndarray,
    path: str | Path,
    *,
    quantiles: tuple[float, ...] = (),
    holdout: np.ndarray | None = None,
    max_series: int = 4,
    max_history: int = 500,
) -> Path:
    """History, forecast and (outermost quantiles) band of up to ``max_series`` series.

    Args:
        data: the :class:`~lstmkit.data.tabular.SeriesData` forecast from.
        forecasts: (S, H, 1 + Q) in data units.
        holdout: (S, H, 1 + Q) hold-out forecasts of the evaluation model for the last H points
            (drawn dashed against the truth), or None.
    """
    plt = _pyplot()
    shown = data.series[:max_series]
    fig, axes = plt.subplots(len(shown), 1, figsize=(9, 3.2 * len(shown)), squeeze=False)
    for i, (ax, s) in enumerate(zip(axes[:, 0], shown)):
        H = forecasts.shape[1]
        y = s.target[-max_history:]
        past_x, future, xlabel = _time_axis(data, s, H)
        past_x = past_x[-len(y) :]
        ax.plot(past_x, y, color="black", lw=1, label="history")
        ax.plot(future, forecasts[i, :, 0], color="tab:blue", lw=1.6, label="forecast")
        if len(quantiles) >= 2:
            ax.fill_between(
                future,
                forecasts[i, :, 1],
                forecasts[i, :, -1],
                color="tab:blue",
                alpha=0.2,
                label=f"q{quantiles[0]:g}-q{quantiles[-1]:g}",
            )
        if holdout is not None and in_holdout(holdout)[i]:
            past = past_x[-H:]
            ax.plot(past, holdout[i, :, 0], color="tab:orange", lw=1.2, ls="--", label="hold-out forecast")
            if len(quantiles) >= 2:
                ax.fill_between(past, holdout[i, :, 1], holdout[i, :, -1], color="tab:orange", alpha=0.15)
        ax.axvline(past_x[-1], color="grey", lw=0.6)
        if np.issubdtype(np.asarray(past_x).dtype, np.datetime64):
            _concise_dates(ax)
        ax.set_title(f"{data.target}" + (f" — {s.id}" if s.id is not None else ""), fontsize=10)
        ax.set_xlabel(xlabel)
        ax.legend(fontsize=8, loc="upper left")
    with missing_glyphs_quiet():  # a column or series named in a script the font lacks (売上)
        fig.tight_layout()
        with atomic_output(path) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return Path(path)


def plot_loss(rows: list[dict[str, float]], path: str | Path, *, title: str = "training loss") -> Path:
    """Training and validation loss per epoch (log scale when every loss is positive) from a history's rows."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    epochs = [r["epoch"] for r in rows]
    ax.plot(epochs, [r["train_loss"] for r in rows], label="train")
    val = [r["val_loss"] for r in rows]
    if any(np.isfinite(v) for v in val):
        ax.plot(epochs, val, label="validation")
    shown = [v for r in rows for v in (r["train_loss"], r["val_loss"]) if np.isfinite(v)]
    if shown and min(shown) > 0:  # a loss of 0 (nothing to predict: sequences of one step) stays linear
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs: no 1.25 on a 3-epoch run
    ax.set_ylabel("loss")
    ax.set_title(title, fontsize=10)
    ax.legend()
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return Path(path)
