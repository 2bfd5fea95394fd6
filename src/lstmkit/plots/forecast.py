"""The forecasting figures: history with forecast, interval band and hold-out truth; the loss curve.

matplotlib is imported on call (Agg backend), and each PNG is written atomically.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from lstmkit.io.atomic import atomic_output


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_forecast(data, forecasts: np.ndarray, path: str | Path, *, quantiles: tuple[float, ...] = (),
                  holdout: np.ndarray | None = None, max_series: int = 4, max_history: int = 500) -> Path:
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
        y = s.target[-max_history:]
        n, H = len(s.target), forecasts.shape[1]
        t0 = n - len(y)
        ax.plot(np.arange(t0, n), y, color="black", lw=1, label="history")
        future = np.arange(n, n + H)
        ax.plot(future, forecasts[i, :, 0], color="tab:blue", lw=1.6, label="forecast")
        if len(quantiles) >= 2:
            ax.fill_between(future, forecasts[i, :, 1], forecasts[i, :, -1], color="tab:blue", alpha=0.2,
                            label=f"q{quantiles[0]:g}-q{quantiles[-1]:g}")
        if holdout is not None:
            past = np.arange(n - H, n)
            ax.plot(past, holdout[i, :, 0], color="tab:orange", lw=1.2, ls="--", label="hold-out forecast")
            if len(quantiles) >= 2:
                ax.fill_between(past, holdout[i, :, 1], holdout[i, :, -1], color="tab:orange", alpha=0.15)
        ax.axvline(n - 0.5, color="grey", lw=0.6)
        ax.set_title(f"{data.target}" + (f" — {s.id}" if s.id is not None else ""), fontsize=10)
        ax.set_xlabel(f"step ({data.time_col})" if data.time_col else "step")
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return Path(path)


def plot_loss(rows: list[dict[str, float]], path: str | Path, *, title: str = "training loss") -> Path:
    """Training and validation loss per epoch (log scale) from a history's rows."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    epochs = [r["epoch"] for r in rows]
    ax.plot(epochs, [r["train_loss"] for r in rows], label="train")
    val = [r["val_loss"] for r in rows]
    if any(np.isfinite(v) for v in val):
        ax.plot(epochs, val, label="validation")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title, fontsize=10)
    ax.legend()
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return Path(path)
