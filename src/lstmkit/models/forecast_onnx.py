"""A forecaster's ONNX graph: what it builds in, and every input it takes for a given history.

The graph itself (the network with its pre- and post-processing) is :mod:`lstmkit.io.onnx_export`'s; here
the fitted model decides what the graph carries and what it takes:

- a combined model of one series without covariates carries its classical members' forecasts from the end
  of the training data: fed that history, the graph returns the combined forecast, and fed another, the
  network's alone. With ``references=True`` (always for several series or covariates) the graph takes the
  members' forecasts and weights as inputs instead;
- past a season of 24 (the network reads the series seasonally adjusted) a graph of one series without
  covariates carries the seasons it removes: a history that ends as the training data ended (its last window
  equal to the training data's) gets them from there, however long it is; another is placed by its length,
  as a history that starts where the training data started. Others take the seasons as ``seasons``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lstmkit.data.tabular import SeriesData

if TYPE_CHECKING:
    from lstmkit.models.forecaster import LSTMForecaster


def carries_seasons(model: LSTMForecaster, references: bool) -> bool:
    """Whether the graph builds in the seasons its network's series had removed: for one series without
    covariates (whose graph takes the history alone), unless exported to take its inputs (``references``)."""
    st = model.fitted
    return (
        st.seasons is not None
        and st.next_steps is not None
        and len(st.scales) == 1
        and not (references or st.n_covariates)
    )


def carries_end(model: LSTMForecaster, references: bool = False) -> bool:
    """Whether the graph builds in the members' forecasts from the end of the one training series (it then takes
    no ``references`` nor ``weights``): a combined model of one series without covariates that knows its last
    window, unless exported to take its inputs (``references``)."""
    st = model.fitted
    return not references and st.end is not None and st.last_window is not None


def export_graph(model: LSTMForecaster, path: str | Path, *, references: bool = False) -> Path:
    """Write ``model`` as ONNX: ``history`` (B, T >= lookback, 1) in data units -> ``forecast`` (B, H)
    [+ ``quantiles``], with what it carries and takes as the module docstring says."""
    from lstmkit.io.onnx_export import export_forecast_net

    net, st = model.network, model.fitted
    end = None
    if st.end is not None and carries_end(model, references):
        end = {k: np.asarray(v) for k, v in st.end.items()}
    carried = None
    if carries_seasons(model, references):  # one series: the graph takes the history alone
        carried = (st.season_cycle(), next(iter(st.train_lengths.values())))
    return export_forecast_net(
        net,
        path,
        scale=None if len(st.scales) > 1 else float(next(iter(st.scales.values()))),
        n_covariates=st.n_covariates,
        n_references=len(st.combination["members"]) - 1 if st.combination else 0,
        seasonal=st.seasons is not None,
        carried_seasons=carried,
        last_window=st.last_window,
        end=end,
        nonnegative=st.nonnegative,
    )


def graph_inputs(
    model: LSTMForecaster, data: SeriesData, *, references: bool = False
) -> dict[str, np.ndarray]:
    """Every input of ``model``'s graph (:func:`export_graph` with ``references``) for forecasting from the end
    of gap-free ``data``.

    ``history`` (all of the one series where the graph carries its seasons, else the last ``window`` steps;
    and ``covariates``, ``scale``, ``phase``, ``seasons`` where the graph takes them) and, for a graph that
    takes them, the classical members' ``references`` and ``weights``: the members are fitted on each history
    here, as ``predict`` does, since a graph cannot refit them.
    """
    net, st = model.network, model.fitted
    st.check_compatible(data)
    seen, seasons = st.network_view(data, net.window, model.horizon)
    x, cov, scale, first = st.last_windows(seen, net.window, pad=bool(st.combination))
    if seasons is not None:
        x = x + seasons[:, : net.window]  # the history in data units
        if carries_seasons(model, references):  # built in, placed by the history's length: all of it
            seasons, target = None, data.series[0].target
            x = target[None, :].astype(np.float32) if len(target) >= net.window else x
    feeds: dict[str, np.ndarray] = {"history": x[:, :, None]}
    if st.n_covariates:
        feeds["covariates"] = cov
    if len(st.scales) > 1:
        feeds["scale"] = scale
    if net.calendar:
        feeds["phase"] = first % net.season
    if seasons is not None:
        feeds["seasons"] = seasons
    if st.combination and not carries_end(model, references):
        refs = model.classical_forecasts(data)
        feeds["references"] = np.stack(
            [refs[m].forecasts for m in st.combination["members"][1:]], axis=1
        ).astype(np.float32)
        feeds["weights"] = model.combination_weights(data, refs).astype(np.float32)
    return feeds


__all__ = ["carries_end", "carries_seasons", "export_graph", "graph_inputs"]
