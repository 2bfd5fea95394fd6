"""The forecast frame: (S, H, 1 + Q) forecasts laid out as ``forecast.csv`` and ``predict()`` give them, one
row per series and step (``id`` with an id column, ``time`` with a time column, ``step``, ``forecast``, and
``q0.1``... per quantile)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstmkit.data.tabular import SeriesData


def forecast_frame(
    data: SeriesData, out: np.ndarray, *, quantiles: tuple[float, ...] | list[float]
) -> pd.DataFrame:
    """Lay out (S, H, 1 + Q) forecasts as the forecast.csv frame."""
    H = out.shape[1]
    rows: dict[str, list] = {}
    if data.id_col:
        rows["id"] = [s.id for s in data.series for _ in range(H)]
    if data.time_col:
        rows["time"] = [t for s in data.series for t in (data.future_times(s, H) or [None] * H)]
    rows["step"] = [h + 1 for _ in data.series for h in range(H)]
    rows["forecast"] = out[:, :, 0].reshape(-1).tolist()
    for j, q in enumerate(quantiles):
        rows[f"q{q:g}"] = out[:, :, 1 + j].reshape(-1).tolist()
    return pd.DataFrame(rows)


__all__ = ["forecast_frame"]
