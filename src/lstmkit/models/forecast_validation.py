"""The forecaster's combination weights from rolling validation: the networks and the classical members
forecast the last ``H`` points of the training data from what precedes them, and their errors there (and at
the origins before: :mod:`lstmkit.models.forecast_combination`) weigh the members per series.

The network that forecasts the validation points is a judge: a forecaster with the same settings fitted
without them (``model.combine="holdout"``, the default), such as the hold-out model of ``lstmkit forecast``,
or the network itself (``"validation"``: the points were its early-stopping windows, so it is optimistic).
On long data (``forecast_combination.rolling_origins``) the judge is fitted without all the validation
blocks and forecasts each of them from the points before it (``rolling_weights``): giving up five
horizons of a long series costs its training little, and one origin or two of ``H`` points are a noisy
verdict on a network that may be the best method there or the worst.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from lstmkit.config import config_from_dict, config_to_dict
from lstmkit.data.tabular import SeriesData
from lstmkit.errors import DataError
from lstmkit.logs import labelled
from lstmkit.models.forecast_combination import (
    ROLLING_POWER,
    block_validation,
    classical_members,
    combination_entry,
    extra_errors,
    extra_origins,
    member_forecasts,
    rolling_origins,
    validation_errors,
)
from lstmkit.models.forecast_config import ForecastConfig
from lstmkit.models.forecast_intervals import interval_scale, member_interval_scales
from lstmkit.models.forecast_state import MIN_POINTS

if TYPE_CHECKING:
    from lstmkit.models.forecaster import LSTMForecaster

# a fitted judge, a callable that makes one when the weights need it, or None (one is trained)
Judge: TypeAlias = "LSTMForecaster | Callable[[], LSTMForecaster | None] | None"


def fitted_judge(model: LSTMForecaster, hist: SeriesData, judge: Judge) -> LSTMForecaster:
    """``judge`` if it was fitted on exactly ``hist``, else a network trained on it here (or, where ``hist``
    is too short to train on, this one)."""
    lengths = {str(s.id): len(s.target) for s in hist.series}
    if callable(judge):
        judge = judge()
    if judge is not None and judge.fitted.train_lengths == lengths and judge.fitted.network is None:
        return judge
    return trained_judge(model, hist)


def trained_judge(model: LSTMForecaster, hist: SeriesData) -> LSTMForecaster:
    """A network with ``model``'s settings trained on ``hist`` (no combination of its own), or ``model``
    itself where ``hist`` is too short to train on."""
    cfg = config_from_dict(ForecastConfig, config_to_dict(model.config))
    cfg.model.combine = "none"
    try:
        with labelled(None):  # its notes are about the validation network, not the user's forecast
            return type(model)(cfg.model.horizon, config=cfg).fit(hist)
    except DataError:
        return model


def blocks_before(judge: LSTMForecaster, data: SeriesData, horizon: int) -> int:
    """How many whole blocks of ``horizon`` points every series of ``data`` holds after the points ``judge``
    was trained on (0 where they are not the first points of every series alike)."""
    lengths = judge.fitted.train_lengths
    gaps = {len(s.target) - lengths.get(str(s.id), -1) for s in data.series}
    if len(gaps) != 1 or judge.fitted.network is not None:
        return 0
    gap = gaps.pop()
    return gap // horizon if gap > 0 and gap % horizon == 0 else 0


def rolling_judge(model: LSTMForecaster, data: SeriesData, judge: Judge, origins: int) -> LSTMForecaster:
    """A judge trained without the last ``origins`` blocks of ``H`` points of ``data`` (or one block more):
    ``judge``, the judge it was itself weighed by (``lstmkit forecast``'s hold-out model passes on its
    own, so no network is trained twice), or one trained here."""
    H = model.config.model.horizon
    if callable(judge):
        judge = judge()
    for candidate in (judge, getattr(judge, "judge_", None)):
        if candidate is not None and blocks_before(candidate, data, H) in (origins, origins + 1):
            return candidate
    return trained_judge(model, block_validation(data, H, origins)[0])


def validation_weights(
    model: LSTMForecaster, data: SeriesData, judge: Judge
) -> tuple[dict[str, Any], LSTMForecaster | None]:
    """Per-series weights of the network and the classical members, and the judge network they rest on
    (None: this network's own validation windows).

    The errors are on the last H points, with ``model.combine_origins`` > 1 the errors the judge itself
    was weighed by (the H before), and the classical members' at further origins
    (``model.classical_origins``); on long data at every origin alike (``rolling_weights``).
    """
    from lstmkit.evaluate.backtest import truncate

    m = model.config.model
    origins = rolling_origins(data, horizon=m.horizon, classical_origins=m.classical_origins)
    if origins and m.combine == "holdout":
        return rolling_weights(model, data, rolling_judge(model, data, judge, origins))
    H, season, net = m.horizon, model.fitted.season, model.network
    quantiles = tuple(model.config.model.quantiles)
    members = ["lstm", *classical_members(season)]
    scales: dict[str, float] = {}  # the members' interval widening; none for series too short to validate
    ids = [str(s.id) for s in data.series]
    errors = np.full((len(ids), len(members)), np.nan)  # a series too short to validate: equal weights
    scored = [i for i, s in enumerate(data.series) if len(s.target) - H >= MIN_POINTS]
    earlier = None  # the judge's own combination, weighed one origin before
    if scored:
        hist, truths = truncate(dataclasses.replace(data, series=[data.series[i] for i in scored]), H)
        if model.config.model.combine == "holdout":  # a network that never saw the validation points
            judge = fitted_judge(model, hist, judge)
        else:  # this network: the validation points were its early-stopping windows (optimistic)
            judge = model
        histories = [s.target for s in hist.series]
        refs = member_forecasts(histories, horizon=H, season=season, quantiles=quantiles)
        forecasts = judge.network_forecasts(hist, pad=True)  # (S', H, 1 + Q)
        # the network forecast these (no padding and, past a season of 24, seasons it could remove)
        read = np.array([len(h) >= judge.fitted.network_points(judge.window) for h in histories])
        if quantiles:
            scales = member_interval_scales(refs, truths, quantiles)
        if judge is not model and quantiles:
            widen_network(model, judge, forecasts[read], [t for t, ok in zip(truths, read) if ok])
        errors[scored] = validation_errors(forecasts[:, :, 0], refs, truths, histories, season=season)
        errors[np.array(scored)[~read], 0] = np.inf  # no weight for the network where it read padding
        earlier = judge.fitted.combination if judge is not model else None
    errors[[len(s.target) < model.fitted.network_points(net.window) for s in data.series], 0] = np.inf
    extra = extra_errors(
        data,
        horizon=H,
        season=season,
        count=extra_origins(len(ids), model.config.model.classical_origins),
        members=members[1:],
    )
    entry = combination_entry(
        members, ids, errors[None], earlier, origins=model.config.model.combine_origins, extra=extra
    )
    return with_interval_scales(entry, model, scales), (
        judge if isinstance(judge, type(model)) and judge is not model else None
    )


def rolling_weights(
    model: LSTMForecaster, data: SeriesData, judge: LSTMForecaster
) -> tuple[dict[str, Any], LSTMForecaster | None]:
    """The weights of long data: ``judge``, trained before the last ``O`` blocks of ``H`` points, forecasts
    each block from the points before it (rolling its window forward; it never trained on any of them),
    the classical members are refitted before each, and every member's errors at all ``O`` origins weigh
    it alike, with the sharper weights this much evidence affords (``ROLLING_POWER``). The network's
    intervals are widened as its forecasts of all the blocks ask."""
    H, season = model.config.model.horizon, model.fitted.season
    quantiles = tuple(model.config.model.quantiles)
    members = ["lstm", *classical_members(season)]
    ids = [str(s.id) for s in data.series]
    origins = blocks_before(judge, data, H) if judge is not model else 0
    errors = np.full((max(origins, 1), len(ids), len(members)), np.nan)
    scales: dict[str, float] = {}
    forecasts, truths_read = [], []
    for b in range(1, origins + 1):
        hist, truths = block_validation(data, H, b)
        histories = [s.target for s in hist.series]
        refs = member_forecasts(histories, horizon=H, season=season, quantiles=quantiles if b == 1 else ())
        out = judge.network_forecasts(hist, pad=True)  # (S, H, 1 + Q)
        # the network forecast these (no padding and, past a season of 24, seasons it could remove)
        read = np.array([len(h) >= judge.fitted.network_points(judge.window) for h in histories])
        errors[b - 1] = validation_errors(out[:, :, 0], refs, truths, histories, season=season)
        errors[b - 1, ~read, 0] = np.inf
        forecasts.append(out[read])
        truths_read += [t for t, ok in zip(truths, read) if ok]
        if b == 1 and quantiles:
            scales = member_interval_scales(refs, truths, quantiles)
    if quantiles and origins:
        widen_network(model, judge, np.concatenate(forecasts), truths_read)
    entry = combination_entry(members, ids, errors, origins=1, power=ROLLING_POWER, every_origin=False)
    return with_interval_scales(entry, model, scales), judge if judge is not model else None


def widen_network(model: LSTMForecaster, judge: LSTMForecaster, forecasts: np.ndarray, truths: list) -> None:
    """Widen ``model``'s network intervals as far as ``judge``'s forecasts (N, H, 1 + Q) of the validation
    points ``truths`` ask (from the judge's own widening on)."""
    judge_scale = float(judge.network.interval_scale.max())
    quantiles = tuple(model.config.model.quantiles)
    model.network.interval_scale.fill_(interval_scale(forecasts, truths, quantiles, judge_scale=judge_scale))


def with_interval_scales(
    entry: dict[str, Any], model: LSTMForecaster, scales: dict[str, float]
) -> dict[str, Any]:
    """The combination ``entry`` with the network's interval widening and the classical members' (``scales``,
    where validation had enough points), for a model with quantiles."""
    if model.config.model.quantiles:
        entry["interval_scale"] = round(float(model.network.interval_scale.max()), 6)
        if scales:
            entry["member_interval_scales"] = scales
    return entry
