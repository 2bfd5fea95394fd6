"""Explaining a forecaster: the gates over one series' last input window, and attributions.

The gates come from the ensemble member whose lookback covers the whole window (one traced
pass); the attributions are integrated gradients of the *network's* mean point forecast (all
members, in data units) to each window step, from a window flat at the window's level.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from lstmkit.data.tabular import impute
from lstmkit.data.timeaxis import time_label
from lstmkit.errors import DataError
from lstmkit.explain.attributions import COMPLETENESS_TOLERANCE, integrated_gradients
from lstmkit.explain.explanation import Explanation, gates_from_trace
from lstmkit.logs import few


@dataclass
class ForecastWindow:
    """One series' last input window, as the forecaster's network takes it."""

    series: Any  # the :class:`~lstmkit.data.tabular.Series`
    x: torch.Tensor  # (1, W) data units
    scale: torch.Tensor  # (1, 1)
    cov: torch.Tensor  # (1, W, C)
    first: torch.Tensor  # (1,) calendar ordinal of the first forecast step


def forecast_window(model: Any, data: Any, sid: str | None) -> ForecastWindow:
    """The last window of series ``sid`` (default: the first as long as the window) of ``data``, with its scale,
    covariates and calendar."""
    from lstmkit.data.calendar import step_ordinals

    ids = [str(s.id) for s in data.series]
    W = model.net.window
    if sid is None:  # the first series the network reads without padding
        series = next((s for s in data.series if len(s.target) >= W), data.series[0])
    elif data.id_col is None:
        raise DataError(
            f"--series {sid!r} given, but the data holds one series (no id column); drop --series"
        )
    elif str(sid) in ids:
        series = data.series[ids.index(str(sid))]
    else:
        raise DataError(f"--series {sid!r} not found in the data; its series are: {few(ids, limit=10)}")
    if len(series.target) < W:
        raise DataError(
            f"the series has {len(series.target)} points; this model reads windows of {W} (its lookback)"
        )
    if np.isnan(series.target[-W:]).any():
        raise DataError(f"the last window ({W} points) has missing values; fill them to explain it")
    if model.fitted.log and (series.target[-W:] <= 0).any():
        raise DataError(
            "the model was trained on log data and the last window has values <= 0; it cannot explain them"
        )
    scale = model.fitted.scale_of(series)  # a series the model has not seen: its own scale, as predict does
    ordinals = step_ordinals(series.times, kind=data.time_kind, freq=data.freq, length=len(series.target))
    x = torch.as_tensor(series.target[-W:], dtype=torch.float32)[None]
    cov = torch.as_tensor(series.covariates[-W:], dtype=torch.float32)[None]
    first = torch.as_tensor([int(ordinals[-1]) + 1], dtype=torch.long)
    return ForecastWindow(series, x, torch.tensor([[float(scale)]]), cov, first)


def member_gates(net: Any, win: ForecastWindow) -> tuple[int, np.ndarray]:
    """``(k, gates (L, 4, W, H))`` of member k, the first whose lookback covers the whole window: one traced pass."""
    k = max(range(len(net.members)), key=lambda j: net.members[j].lookback)
    member = net.members[k]
    with torch.no_grad():
        u, _ = net.normalise(net.to_z(win.x), win.cov, win.scale)
        u, _ = net.calendar_inputs(u, win.first)
        return k, gates_from_trace(member.lstm.trace(u[:, -member.lookback :, :]))


def window_attributions(net: Any, win: ForecastWindow) -> tuple[np.ndarray, float, float]:
    """Integrated gradients of the network's mean point forecast (all members, data units) over the window
    steps, from a window flat at its level: ``(attributions (W,), forecast, baseline forecast)``.

    In float32 first; when that misses completeness within 256 path points (near a flat window layer
    norm is steep, and float32 rounding turns the steep stretch into noise) again on a float64 copy.
    """
    for dtype, max_points, near_zero in ((torch.float32, 256, 0), (torch.float64, 2048, 48)):
        f = net if dtype == torch.float32 else copy.deepcopy(net).double()
        x, scale, cov = win.x.to(dtype), win.scale.to(dtype), win.cov.to(dtype)

        def mean_forecast(windows: torch.Tensor, f=f, scale=scale, cov=cov) -> torch.Tensor:  # (B, W) -> (B,)
            n = windows.shape[0]
            return f(windows, scale.expand(n, 1), cov.expand(n, -1, -1), win.first.expand(n))[..., 0].mean(1)

        base = (
            f.from_z(f.level(f.to_z(x)))[0].expand(x.shape[1]).clone()
        )  # flat at the window's level, data units
        attr, fx, fb = integrated_gradients(
            mean_forecast, x[0], base, max_points=max_points, near_zero=near_zero
        )
        if abs(attr.sum() - (fx - fb)) <= COMPLETENESS_TOLERANCE * abs(fx - fb):
            break
    return attr, fx, fb


def explain_forecaster(model: Any, data: Any = None, *, series: str | None = None) -> Explanation:
    """Gates of the member reading the whole last window of a series, and attributions of the mean forecast.

    The baseline window is flat at the window's level (the mean of its last season): the
    attributions say how each step's departure from flat moved the mean point forecast (data units).

    Raises:
        DataError: an unknown series, or a series shorter than the model's window.
    """
    net = model.network
    if data is None:
        if model.data_ is None:
            raise DataError(
                "explain() needs data: this model was loaded from disk, pass the history to explain"
            )
        data = model.data_
    data = impute(model.read(data))  # the window the network reads: gaps filled as forecasting fills them
    model.fitted.check_compatible(data)
    adjusted = model.fitted.seasons is not None
    data = model.fitted.network_data(data)  # the series as the network reads them
    win = forecast_window(model, data, series)
    net.eval()
    k, gates = member_gates(net, win)
    attr, fx, fb = window_attributions(net, win)
    s, x, W = win.series, win.x, win.x.shape[1]
    labels = None
    if s.times is not None:
        # the times as the file writes them (1/31/2020, Jan 2016), as forecast.csv writes future ones
        labels = [time_label(t, data.time_kind, data.time_format) for t in s.times[-W:]]
    notes = []
    if abs(attr.sum() - (fx - fb)) > COMPLETENESS_TOLERANCE * abs(fx - fb):
        notes.append(
            "note: the attributions miss completeness by more than 1% (the network is very steep between the "
            "flat baseline and the window); read them as approximate"
        )
    if adjusted:
        notes.append(
            f"note: the network reads the series with its season of {model.fitted.season} steps removed; the "
            "window, the forecast and the attributions are of the seasonally adjusted series"
        )
    who = f"series {s.id}" if s.id is not None else f"{data.target}"
    expl = Explanation(
        kind="forecast",
        title=f"forecaster: last window of {who} ({W} steps), member {k} of {len(net.members)}",
        gates=gates,
        num_directions=1,
        inputs=x[0].double().numpy()[:, None],
        input_names=[f"{data.target} (seasonally adjusted)" if adjusted else data.target],
        step_labels=labels,
        attributions=attr,
        forecast=fx,
        baseline=fb,
        notes=notes,
    )
    return expl
