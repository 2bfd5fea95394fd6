"""The forecaster's combination: the LSTM ensemble weighed against AutoETS, AutoARIMA and AutoTheta.

Combining forecasts of different kinds beats picking one (the M4 and M5 competitions): the
LSTM and the classical methods err on different series. The weights are set per series on
validation: the last ``H`` points of the training data, forecast by a judge network trained
without them (``model.combine="holdout"``) and by the classical methods refitted without them;
with ``model.combine_origins=2`` also the ``H`` points before, on which the judge itself was
weighed (its errors are kept in its state, so the second origin costs no training)::

    e_k = MASE of method k on the validation points, averaged over   (k = lstm, ets, arima, theta)
          the origins
    w_k = (1 / e_k) / sum_j (1 / e_j)                               inverse-error weights; the
                                                                    network's 0 unless its e is the
                                                                    lowest, then the worst method's 0
    y   = sum_k w_k y_k        (the point and every quantile alike, so quantiles stay ordered)

A method that fails on a series (a library fit that falls back) gets no weight there; a
series the model did not see at fit time gets equal weights (``series_weights``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lstmkit.data.tabular import SeriesData
from lstmkit.evaluate import reference_worker
from lstmkit.evaluate.metrics import mase
from lstmkit.evaluate.references import COMBO, Reference, planned_fits, reference_forecasts, with_mstl

FLOOR = 0.05  # MASE below this counts as this: one lucky validation window must not take all the weight


def classical_members(season: int) -> list[str]:
    """The classical methods combined with the LSTM (MSTL joins them for seasons AutoETS cannot model and for
    hourly data's day and week: ``references.with_mstl``)."""
    return [*COMBO, "mstl"] if with_mstl(season) else list(COMBO)


def member_forecasts(
    histories: list[np.ndarray],
    *,
    horizon: int,
    season: int,
    quantiles: tuple[float, ...] = (),
    names: list[str] | None = None,
) -> dict[str, Reference]:
    """The classical members' forecasts (S, H, 1 + Q) from the end of each history (``names``: a fitted
    combination's members; default those of this season)."""
    names = names or classical_members(season)
    refs = reference_forecasts(histories, horizon=horizon, season=season, quantiles=quantiles, names=names)
    return {name: refs[name] for name in names}


def member_fits(
    data: SeriesData,
    *,
    horizon: int,
    season: int,
    quantiles: tuple[float, ...],
    validation: bool = True,
    names: list[str] | None = None,
) -> list[reference_worker.Fit]:
    """The classical members' fits a forecaster of gap-free ``data`` makes: on the history before the
    validation points of each series long enough to validate (its weights; ``validation``) and on all
    of it (its forecast)."""
    from lstmkit.evaluate.backtest import truncate
    from lstmkit.models.forecast_state import MIN_POINTS

    names = names or classical_members(season)
    before = (
        [s.target for s in truncate(data, horizon)[0].series if len(s.target) >= MIN_POINTS]
        if validation
        else None
    )
    return [
        fit
        for histories in (before, [s.target for s in data.series])
        if histories is not None
        for fit in planned_fits(histories, horizon=horizon, season=season, quantiles=quantiles, names=names)
    ]


def validation_errors(
    network: np.ndarray,
    refs: dict[str, Reference],
    truths: list[np.ndarray],
    histories: list[np.ndarray],
    *,
    season: int,
) -> np.ndarray:
    """Per-series MASE (S, 1 + K) of the network and the K classical members on one validation origin.

    Args:
        network: the network's validation forecasts (S, H) (points).
        refs: the classical members' validation forecasts, fitted on ``histories``.
        truths: the validation points per series (NaN where missing).
        histories: the data before the validation points (the MASE scale).

    A member that fell back on a series scores ``inf`` there (no weight); a series with no
    validation point scores NaN for every method (equal weights).
    """
    errors = np.full((len(truths), 1 + len(refs)), np.nan)
    for i, (truth, hist) in enumerate(zip(truths, histories)):
        seen = ~np.isnan(truth)
        if not seen.any():
            continue
        errors[i, 0] = mase(truth[seen], network[i, seen], insample=hist, season=season)
        for k, ref in enumerate(refs.values(), start=1):
            errors[i, k] = (
                np.inf
                if i in ref.fallbacks
                else mase(truth[seen], ref.forecasts[i, seen, 0], insample=hist, season=season)
            )
    return errors


def error_weights(errors: np.ndarray) -> np.ndarray:
    """Inverse-error weights (S, 1 + K) from validation errors (O, S, 1 + K) over O origins; method 0 is
    the network, the others the classical members.

    Each method's error on a series is its mean over the origins that scored it. The network, the
    member of highest variance, joins a series' combination only where its error is at most every
    classical member's. Then, with three or more methods left, the worst gets no weight (a trimmed
    combination: one method gone wrong on a series costs nothing). A series no origin scored gets
    equal weights.
    """
    errors = np.asarray(errors, dtype=np.float64)
    scored = ~np.isnan(errors).all(axis=2)  # (O, S)
    weights = np.full(errors.shape[1:], 1.0 / errors.shape[2])
    for i in range(errors.shape[1]):
        rows = errors[scored[:, i], i]
        if len(rows):
            mean = np.where(np.isnan(rows.mean(axis=0)), np.inf, rows.mean(axis=0))
            if len(mean) > 1 and mean[0] > mean[1:].min():  # the network ranks below a classical member
                mean[0] = np.inf
            inverse = 1.0 / np.maximum(mean, FLOOR)
            if (inverse > 0).sum() >= 3:  # trim the worst
                inverse[np.argmin(np.where(inverse > 0, inverse, np.inf))] = 0.0
            if not inverse.any():  # every method failed or was left out: the classical members alike
                inverse[1:] = 1.0
            weights[i] = inverse / inverse.sum()
    return weights


def combination_entry(
    members: list[str],
    ids: list[str],
    errors: np.ndarray,
    earlier: dict[str, Any] | None = None,
    *,
    origins: int = 2,
) -> dict[str, Any]:
    """The fitted ``combination``: members, weights per series and the validation errors they rest on.

    Args:
        members: ``["lstm", *classical members]``.
        ids: the series ids (as text).
        errors: this origin's validation errors (1, S, 1 + K).
        earlier: the judge's own ``combination`` (weighed one origin before), whose errors join
            this origin's up to ``origins`` in all; ignored when its members differ.
    """
    if origins > 1 and earlier and earlier.get("members") == members and "errors" in earlier:
        blank = [[np.nan] * len(members)]
        before = np.array(
            [
                [[np.nan if e is None else e for e in row] for row in earlier["errors"].get(sid, blank)]
                for sid in ids
            ],
            dtype=np.float64,
        )  # (S, O', 1 + K), most recent origin first
        errors = np.concatenate([errors, before.transpose(1, 0, 2)[: origins - 1]])
    return {
        "members": members,
        "weights": rounded_weights(ids, error_weights(errors)),
        "errors": {  # validation MASE per origin (most recent first), per member; None: not scored or failed
            sid: [[round(float(e), 6) if np.isfinite(e) else None for e in row] for row in errors[:, i]]
            for i, sid in enumerate(ids)
        },
    }


def series_weights(
    combination: dict[str, Any], ids: list[str], refs: dict[str, Reference], *, short: Sequence[int] = ()
) -> np.ndarray:
    """(S, 1 + K) weights of the fitted ``combination`` for series ``ids`` (equal for a series it has not
    seen), with no weight for a member that failed on a series in ``refs``, nor for the network (member 0)
    on the ``short`` series (too short for its window)."""
    members = combination["members"]
    equal = [1.0 / len(members)] * len(members)
    weights = np.array([combination["weights"].get(sid, equal) for sid in ids], dtype=np.float64)
    usable = np.ones_like(weights, dtype=bool)
    for k, name in enumerate(members[1:], start=1):
        usable[list(refs[name].fallbacks), k] = False
    usable[list(short), 0] = False
    weights = np.where(usable, weights, 0.0)
    for i in np.flatnonzero(weights.sum(axis=1) == 0):  # every weighted method left out: the members alike
        weights[i, 1:] = usable[i, 1:] if usable[i, 1:].any() else 1.0
    return weights / weights.sum(axis=1, keepdims=True)


def rounded_weights(ids: list[str], weights: np.ndarray) -> dict[str, list[float]]:
    """Weights (S, 1 + K) per series id, JSON-ready."""
    return {sid: [round(float(w), 6) for w in row] for sid, row in zip(ids, weights)}


def combine(network: np.ndarray, refs: dict[str, Reference], weights: np.ndarray) -> np.ndarray:
    """Weighted sum (S, H, 1 + Q) of the network's forecasts and the classical members' (each (S, H, 1 + Q)),
    with per-series ``weights`` (S, 1 + K) that sum to one."""
    stack = np.stack([network, *[ref.forecasts for ref in refs.values()]])  # (1 + K, S, H, 1 + Q)
    out = np.einsum("ks...,sk->s...", stack, weights)
    if out.shape[-1] > 2:  # quantiles: a weighted sum keeps their order; sorting guards rounding
        out[..., 1:] = np.sort(out[..., 1:], axis=-1)
    return out


__all__ = [
    "classical_members",
    "combination_entry",
    "combine",
    "error_weights",
    "member_fits",
    "member_forecasts",
    "rounded_weights",
    "series_weights",
    "validation_errors",
]
