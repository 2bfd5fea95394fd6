"""The forecaster's combination: the LSTM ensemble weighed against AutoETS, AutoARIMA and AutoTheta.

Combining forecasts of different kinds beats picking one (the M4 and M5 competitions): the
LSTM and the classical methods err on different series. The weights are set per series on
rolling validation: the last ``H`` points of the training data, forecast by a judge network
trained without them (``model.combine="holdout"``) and by the classical methods refitted without
them; with ``model.combine_origins=2`` also the ``H`` points before, on which the judge itself was
weighed (its errors are kept in its state, so the second origin costs no training); and for the
classical methods, up to ``model.classical_origins`` blocks of ``H`` points in all, each further
block a refit of the classical methods alone (``extra_origins``: fewer in large panels). On long data
(``rolling_origins``) one judge trained before all ``model.classical_origins`` blocks forecasts each of
them from the points before it, so the network is weighed at every origin the classical methods are::

    r_ko = e_ko / min_j e_jo            classical method k's MASE at origin o (at least FLOOR), relative
                                        to that origin's best: a shock every method misses weighs no
                                        more than a calm origin
    r_k  = mean_o r_ko                  over the origins that scored it
    r_0  = 1 if the network's MASE at each of its own origins is at most every classical method's
           there, else inf              (the network joins only where it ranked first every time; on long
                                        data, with five or six origins: over them on average)
    w_k  = r_k^-p / sum_j r_j^-p       p = POWER, on long data ROLLING_POWER; the worst of three or more
                                        methods gets no weight (trimmed)
    y    = sum_k w_k y_k                the point and every quantile alike, so quantiles stay ordered

A method that fails on a series at every origin (a library fit that falls back) gets no weight
there; a series the model did not see at fit time gets equal weights (``series_weights``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from lstmkit.data.tabular import SeriesData
from lstmkit.evaluate import reference_worker
from lstmkit.evaluate.metrics import mase
from lstmkit.evaluate.references import (
    COMBO,
    Reference,
    planned_fits,
    reference_forecasts,
    seasonally_adjusted,
    with_mstl,
)

FLOOR = 0.05  # MASE below this counts as this: one lucky validation window must not take all the weight
# the classical refits at further validation origins: at most this many series x origins
EXTRA_ORIGIN_BUDGET = 60
# long data: one judge trained before every validation origin when they take at most this share of the
# shortest series (``rolling_origins``)
ROLLING_SHARE = 0.1
# there, weights inverse to this power of the relative errors: five or six origins rank the members well
# enough to lean on the best (chosen on the long development series)
ROLLING_POWER = 8.0
# elsewhere: the classical members' up to five origins still rank them well enough to lean on the best
# (chosen on the development corpus and three held-out sets together, fourteenth session: benchmarks/)
POWER = 4.0


def classical_members(season: int) -> list[str]:
    """The classical methods combined with the LSTM: AutoETS, AutoARIMA and AutoTheta. For seasons of 24 steps
    and more (``references.with_mstl``) MSTL with an AutoETS and with an AutoARIMA trend joins them
    (``mstl``, ``mstl_arima``: the two on the series with MSTL's seasons removed, as R's ``stlf`` does).
    Hourly data keep the day-only AutoETS and AutoARIMA beside them, so validation weighs a day with a week
    (electricity demand) against a day alone (temperature). Past 24 (weekly 52, half-hourly 48) AutoETS and
    AutoARIMA fit no season, so only the MSTL pair and AutoTheta are combined: on the long-season development
    series (weekly co2, half-hourly taylor) the seasonless fits scored 6-10 times their error (benchmarks/)."""
    if seasonally_adjusted(season):
        return ["mstl", "mstl_arima", "theta"]
    return [*COMBO, "mstl", "mstl_arima"] if with_mstl(season) else list(COMBO)


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


def extra_origins(n_series: int, classical_origins: int) -> int:
    """Validation origins beyond the first two that the classical methods are refitted at: up to
    ``classical_origins - 2``, and no more than ``EXTRA_ORIGIN_BUDGET`` series x origins (a panel of 150
    series gets none; its fits would cost more than everything else)."""
    return max(0, min(classical_origins - 2, EXTRA_ORIGIN_BUDGET // max(n_series, 1)))


def rolling_origins(data: SeriesData, *, horizon: int, classical_origins: int) -> int:
    """How many validation origins one judge network forecasts on ``data``: on long data, where the
    ``classical_origins`` blocks of ``H`` points take at most ``ROLLING_SHARE`` of the shortest series and
    the classical members are refitted at every one of them (``extra_origins``), all of them; else 0 (the
    judge is trained on all but the last ``H`` points and weighs the network at that origin and its own)."""
    if classical_origins < 2 or extra_origins(len(data.series), classical_origins) < classical_origins - 2:
        return 0
    shortest = min(len(s.target) for s in data.series)
    return classical_origins if classical_origins * horizon <= ROLLING_SHARE * shortest else 0


def block_validation(data: SeriesData, horizon: int, block: int) -> tuple[SeriesData, list[np.ndarray]]:
    """The history before validation block ``block`` of ``data`` (1: the last ``H`` points, 2: the ``H``
    before them...) and the block's points."""
    from lstmkit.evaluate.backtest import truncate

    return truncate(truncate(data, (block - 1) * horizon)[0], horizon)


def extra_validation(
    data: SeriesData, *, horizon: int, season: int, count: int
) -> list[tuple[list[int], tuple[list[np.ndarray], list[np.ndarray]]]]:
    """The further validation origins of gap-free ``data``: for block ``j = 2 .. count + 1`` (the ``H``
    points ending ``j * H`` before each series' end), the series long enough to fit on what precedes it
    (two seasons and 10 points) and ``(their indices, (histories, truths))``."""
    out: list[tuple[list[int], tuple[list[np.ndarray], list[np.ndarray]]]] = []
    for j in range(2, 2 + count):
        lengths = [len(s.target) - (j + 1) * horizon for s in data.series]
        kept = [i for i, n in enumerate(lengths) if n >= max(2 * season, 10)]
        if not kept:
            break
        part = dataclasses.replace(data, series=[data.series[i] for i in kept])
        before, truths = block_validation(part, horizon, j + 1)
        out.append((kept, ([s.target for s in before.series], truths)))
    return out


def extra_errors(
    data: SeriesData, *, horizon: int, season: int, count: int, members: list[str]
) -> np.ndarray:
    """The classical ``members``' validation errors (E, S, 1 + K) at up to ``count`` further origins of
    gap-free ``data`` (``extra_validation``); NaN for the network and for series too short for an origin."""
    blocks = extra_validation(data, horizon=horizon, season=season, count=count)
    out = np.full((len(blocks), len(data.series), 1 + len(members)), np.nan)
    for e, (kept, (histories, truths)) in enumerate(blocks):
        refs = member_forecasts(histories, horizon=horizon, season=season, names=members)
        no_network = np.full((len(kept), horizon), np.nan)
        out[e, kept, 1:] = validation_errors(no_network, refs, truths, histories, season=season)[:, 1:]
    return out


def member_fits(
    data: SeriesData,
    *,
    horizon: int,
    season: int,
    quantiles: tuple[float, ...],
    validation: bool = True,
    names: list[str] | None = None,
    classical_origins: int = 2,
) -> list[reference_worker.Fit]:
    """The classical members' fits a forecaster of gap-free ``data`` makes: on the history before the
    validation points of each series long enough to validate and before each further validation
    origin (its weights; ``validation``), and on all of it (its forecast)."""
    from lstmkit.evaluate.backtest import truncate
    from lstmkit.models.forecast_state import MIN_POINTS

    names = names or classical_members(season)
    plans: list[tuple[list[np.ndarray], tuple[float, ...]]] = []
    rolling = rolling_origins(data, horizon=horizon, classical_origins=classical_origins) if validation else 0
    if rolling:  # every block, the network's judge forecasts them all (forecast_validation)
        plans += [
            ([s.target for s in block_validation(data, horizon, b)[0].series], quantiles if b == 1 else ())
            for b in range(1, rolling + 2)
        ]
    elif validation:
        before = [s.target for s in truncate(data, horizon)[0].series if len(s.target) >= MIN_POINTS]
        plans.append((before, quantiles))
        count = extra_origins(len(data.series), classical_origins)
        plans += [
            (histories, ())
            for _, (histories, _) in extra_validation(data, horizon=horizon, season=season, count=count)
        ]
    plans.append(([s.target for s in data.series], quantiles))
    return [
        fit
        for histories, levels in plans
        for fit in planned_fits(histories, horizon=horizon, season=season, quantiles=levels, names=names)
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


def error_weights(errors: np.ndarray, power: float = 1.0, *, every_origin: bool = True) -> np.ndarray:
    """Weights (S, 1 + K) from validation errors (O, S, 1 + K) over O origins (module docstring); method 0 is
    the network (NaN at an origin it did not forecast), the others the classical members (inf where a fit
    failed).

    Each classical member's error at an origin is taken relative to that origin's best, then averaged
    over the origins where it did not fail. The network, the member of highest variance, joins a series'
    combination only where its error is at most every classical member's at each of its origins
    (``every_origin``: one or two origins of short data, where a lucky one must not let a poor network in;
    chosen on seven held-out sets in the fifteenth session and confirmed on an eighth: benchmarks/), or
    on average over them (long data's five or six); then it counts as the best. The weights are inverse
    to the scores raised to ``power`` (sharper the higher). With three or more methods left, the worst gets
    no weight (a trimmed combination: one method gone wrong on a series costs nothing). A series no origin
    scored gets equal weights.
    """
    errors = np.asarray(errors, dtype=np.float64)
    weights = np.full(errors.shape[1:], 1.0 / errors.shape[2])
    for i in range(errors.shape[1]):
        rows = errors[~np.isnan(errors[:, i]).all(axis=1), i]  # (O', 1 + K): the origins that scored series i
        if not len(rows):
            continue
        classical = np.maximum(np.where(np.isnan(rows[:, 1:]), np.inf, rows[:, 1:]), FLOOR)
        best = classical.min(axis=1, keepdims=True)
        usable = np.isfinite(best[:, 0])  # an origin where some classical member forecast
        with np.errstate(invalid="ignore"):
            relative = np.where(np.isfinite(classical), classical / best, np.nan)[usable]
        score = np.full(rows.shape[1], np.inf)
        scored = ~np.isnan(relative).all(axis=0)  # (K,); none when no origin is usable
        score[1:][scored] = np.nanmean(relative[:, scored], axis=0)
        network = ~np.isnan(rows[:, 0])
        if network.any() and np.isfinite(rows[network, 0]).all():
            mine, theirs = rows[network, 0], classical[network]
            first = (
                (mine <= theirs.min(axis=1)).all()
                if every_origin
                else mine.mean() <= theirs.mean(axis=0).min()
            )
            if first:  # it ranks first at each of its own origins (or over them)
                score[0] = 1.0
        inverse = score**-power
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
    extra: np.ndarray | None = None,
    power: float = POWER,
    every_origin: bool = True,
) -> dict[str, Any]:
    """The fitted ``combination``: members, weights per series and the validation errors they rest on.

    Args:
        members: ``["lstm", *classical members]``.
        ids: the series ids (as text).
        errors: this origin's validation errors (1, S, 1 + K).
        earlier: the judge's own ``combination`` (weighed one origin before), whose errors at its own
            origin join this origin's when ``origins`` > 1; ignored when its members differ.
        extra: the classical members' errors at further origins (E, S, 1 + K), the network's NaN.
        power: the weights' sharpness (``error_weights``; recorded).
        every_origin: the network joins where it ranked first at each of its origins, not on average
            (``error_weights``).
    """
    if origins > 1 and earlier and earlier.get("members") == members and "errors" in earlier:
        blank = [[np.nan] * len(members)]
        before = np.array(
            [
                [[np.nan if e is None else e for e in row] for row in earlier["errors"].get(sid, blank)[:1]]
                for sid in ids
            ],
            dtype=np.float64,
        )  # (S, 1, 1 + K): the judge's own origin
        errors = np.concatenate([errors, before.transpose(1, 0, 2)])
    if extra is not None and len(extra):
        errors = np.concatenate([errors, extra])
    entry = {
        "members": members,
        "weights": rounded_weights(ids, error_weights(errors, power, every_origin=every_origin)),
        "errors": {  # validation MASE per origin (most recent first), per member; None: not scored or failed
            sid: [[round(float(e), 6) if np.isfinite(e) else None for e in row] for row in errors[:, i]]
            for i, sid in enumerate(ids)
        },
    }
    return {**entry, "power": power}


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
    "block_validation",
    "classical_members",
    "combination_entry",
    "combine",
    "error_weights",
    "extra_errors",
    "extra_origins",
    "extra_validation",
    "member_fits",
    "member_forecasts",
    "rolling_origins",
    "rounded_weights",
    "series_weights",
    "validation_errors",
]
