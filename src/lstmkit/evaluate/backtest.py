"""Honest evaluation: the hold-out of the last H points, and rolling-origin backtests.

``holdout`` (used by ``lstmkit forecast`` for metrics.json) trains a *separate* forecaster with
the same settings on each series minus its last H points, so its scaler, log-transform choice,
season and windows never see the hold-out; the classical references are fitted on the same history.
``rolling_origin`` (``lstmkit evaluate --backtest K``) scores an already trained model without
retraining it, and says how many of the scored points it saw in training. Both read a forecaster
through the :class:`Forecaster` protocol only (:class:`~lstmkit.models.forecaster.LSTMForecaster`
is one): this package knows no job.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from lstmkit.data.tabular import SeriesData, impute
from lstmkit.errors import DataError
from lstmkit.evaluate import reference_worker
from lstmkit.evaluate.metrics import point_metrics, quantile_metrics
from lstmkit.evaluate.reference_worker import Fit
from lstmkit.evaluate.references import planned_fits, reference_forecasts
from lstmkit.logs import counted, few

log = logging.getLogger(__name__)

HOLDOUT_NOTE = (
    "a separate model, trained with the same settings on all but the last {points} of each series, "
    "forecast them; the last {points} were cut from the raw data before any gap filling, "
    "and its preprocessing and the classical references saw only the earlier points"
)


COMBINATION_NOTE = (
    "lstmkit's forecast is a per-series weighted sum of its LSTM network and the classical members "
    "('members'), weights inverse to their validation MASE ('errors': per series, per origin, most recent "
    "first, on the last horizons of the training data; the network's null at the further origins, where "
    "only the classical members are refitted, except on long data, where one network trained before them "
    "all forecast every origin), each origin's errors taken relative to its best ('power': the weights "
    "are inverse to this power of them); the network "
    "takes part only where its error is the lowest over its origins, and the worst member gets no weight "
    "(lstmkit_network: the network alone); 'interval_scale': how "
    "much the network's intervals were widened to cover the validation points; 'member_interval_scales': "
    "the same for each classical member, from 40 validation points on (several series or a long horizon)"
)

NETWORK_ALONE_NOTE = (
    "lstmkit_network is the network alone, scored on the series it forecasts ('series'); the classical members "
    "alone forecast the series 'left_out' (too short for the network, or every series where it was not trained), "
    "so they are no part of its scores, and with any left out 'best' is chosen among the methods scored on every "
    "series"
)


class Forecaster(Protocol):
    """What backtesting reads of a forecaster: its settings, fitted values and two forecasts."""

    @property
    def horizon(self) -> int: ...  # H, the steps forecast

    @property
    def quantiles(self) -> tuple[float, ...]: ...  # Q, forecast after the point forecast

    @property
    def season(self) -> int: ...  # the season length chosen in fit

    @property
    def window(self) -> int: ...  # the history points the network reads

    @property
    def combination(self) -> dict[str, Any] | None: ...  # {"members": [...], "weights": {...}}, or None

    @property
    def train_lengths(self) -> dict[str, int]: ...  # each series' length in fit, by id as text

    def fit(
        self,
        data: SeriesData,
        *,
        progress: bool,
        checkpoint_path: str | Path | None,
        resume: bool,
        command: str | None,
    ) -> Any: ...

    def forecast_arrays(self, data: SeriesData) -> np.ndarray: ...  # (S, H, 1 + Q), combined

    def network_forecasts(self, data: SeriesData) -> np.ndarray: ...  # (S, H, 1 + Q), the network alone

    def network_left_out(
        self, data: SeriesData
    ) -> dict[int, str]: ...  # the series it does not forecast: why

    def reference_fits(
        self, data: SeriesData, *, season: int | None = None, validation: bool = True
    ) -> list[Fit]: ...  # the classical fits forecast_arrays(data) makes (validation=False)


def truncate(data: SeriesData, drop: int) -> tuple[SeriesData, list[np.ndarray]]:
    """``data`` without the last ``drop`` points of each series, and those points (the truth, NaN where missing)."""
    if drop <= 0:
        return data, [np.zeros(0) for _ in data.series]
    short = [
        dataclasses.replace(
            s,
            target=s.target[:-drop],
            covariates=s.covariates[:-drop],
            times=s.times[:-drop] if s.times is not None else None,
        )
        for s in data.series
    ]
    return dataclasses.replace(data, series=short), [s.target[-drop:] for s in data.series]


def score(
    histories: list[np.ndarray],
    truths: list[np.ndarray],
    forecasts: np.ndarray | dict[str, np.ndarray],
    *,
    season: int,
    quantiles: tuple[float, ...] = (),
    ids: list | None = None,
    left_out: dict[str, Collection[int]] | None = None,
) -> dict[str, Any]:
    """Metrics of the LSTM forecasts (S, H, 1 + Q) (or several, by name) and of every classical reference,
    averaged over series.

    ``histories`` are the (gap-filled) training parts the references are fitted on; missing truths
    (NaN) are left out of every method's scores alike and counted. ``left_out``: by method name, the
    indices of the series that method does not forecast, left out of its scores alone; a method left
    with no series is not scored.

    Returns:
        ``{"scores": {method: {metric: value}}, "references": {method: forms and fallbacks}, "missing_truths": n}``.
    """
    ours = forecasts if isinstance(forecasts, dict) else {"lstmkit": forecasts}
    left_out = left_out or {}
    H = next(iter(ours.values())).shape[1]
    refs = reference_forecasts(histories, horizon=H, season=season, quantiles=quantiles)
    methods = {**ours, **{name: ref.forecasts for name, ref in refs.items()}}
    per_method: dict[str, list[dict[str, float]]] = {name: [] for name in methods}
    missing = 0
    for i, (hist, truth) in enumerate(zip(histories, truths)):
        seen = ~np.isnan(truth)
        missing += int((~seen).sum())
        if not seen.any():
            continue
        for name, out in methods.items():
            if i in left_out.get(name, ()):
                continue
            row = point_metrics(truth[seen], out[i, seen, 0], insample=hist, season=season)
            if quantiles:
                row.update(
                    quantile_metrics(truth[seen], {q: out[i, seen, 1 + j] for j, q in enumerate(quantiles)})
                )
            per_method[name].append(row)
    if not any(per_method.values()):
        raise DataError(f"every one of the last {H} points is missing; nothing to score the hold-out on")
    labels = series_labels(ids or [None] * len(histories))
    scores = {
        name: {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        for name, rows in per_method.items()
        if rows
    }
    references = {
        name: {
            "forms": dict(zip(labels, ref.forms)) if len(labels) > 1 else ref.forms[0],
            "fallbacks": {labels[i]: why for i, why in ref.fallbacks.items()},
        }
        for name, ref in refs.items()
    }
    return {"scores": scores, "references": references, "missing_truths": missing}


def holdout(
    make_forecaster: Callable[[], Forecaster],
    data: SeriesData,
    *,
    horizon: int,
    season: int | None = None,
    progress: bool = False,
    checkpoint_path=None,
    resume: bool = False,
    command: str | None = None,
) -> tuple[dict[str, Any], np.ndarray, Forecaster]:
    """Train a fresh forecaster on all but the last ``horizon`` points and score it on them.

    A combined forecaster's network alone is scored too (``lstmkit_network``), on the series it forecasts
    only: ``"network_alone"`` says on how many and names the others, with why.

    Args:
        make_forecaster: a callable returning an unfitted forecaster with the job's settings.
        data: all the series.
        horizon: H, the hold-out length.
        checkpoint_path, resume, command: the evaluation model's training checkpoint (``fit``'s).

    Returns:
        ``(metrics, forecasts (S, H, 1 + Q), fitted evaluation model)``.

    Raises:
        DataError: the series are too short to hold out H points and still train.
    """
    train, truths = truncate(data, horizon)  # raw: gaps are filled inside the training part only
    model = make_forecaster()
    model.fit(train, progress=progress, checkpoint_path=checkpoint_path, resume=resume, command=command)
    forecasts = model.forecast_arrays(train)
    quantiles = model.quantiles
    filled = impute(train)
    ours = {"lstmkit": forecasts}
    combination = model.combination
    left_out = model.network_left_out(filled) if combination else {}
    # the network alone too, so the combination's gain shows, on the series it forecasts
    if combination and len(left_out) < len(filled.series):
        ours["lstmkit_network"] = model.network_forecasts(filled)
    ids = [s.id for s in train.series]
    result = score(
        [s.target for s in filled.series],
        truths,
        ours,
        season=model.season,
        quantiles=quantiles,
        ids=ids,
        left_out={"lstmkit_network": left_out},
    )
    whole = {m: row for m, row in result["scores"].items() if m != "lstmkit_network" or not left_out}
    metrics = {
        "horizon": horizon,
        "season": model.season,
        "series": len(data.series),
        "holdout": HOLDOUT_NOTE.format(points=counted(horizon, "point")),
        **result,
        "best": best_method(whole),  # among the methods scored on every series
    }
    if combination:
        labels = series_labels(ids)
        metrics["network_alone"] = {
            "note": NETWORK_ALONE_NOTE,
            "series": len(filled.series) - len(left_out),
            "left_out": {labels[i]: why for i, why in left_out.items()},
        }
        metrics["combination"] = {"note": COMBINATION_NOTE, **combination}
    return metrics, forecasts, model


def network_alone_note(metrics: dict[str, Any]) -> str:
    """A line on the series lstmkit_network's hold-out scores leave out (metrics' ``"network_alone"``), or ""
    where it is scored on every series."""
    alone = metrics.get("network_alone") or {}
    if not alone.get("left_out"):
        return ""
    reasons = set(alone["left_out"].values())
    named = (  # a reason every series shares (the network not trained) is said once
        f"{few(alone['left_out'])} ({reasons.pop()})"
        if len(reasons) == 1
        else few(f"{label} ({why})" for label, why in alone["left_out"].items())
    )
    if not alone["series"]:
        return f"the classical members alone forecast every series, so lstmkit_network is not scored: {named}"
    return (
        f"the classical members alone forecast {len(alone['left_out'])} of the {metrics['series']} series, "
        f"so lstmkit_network is scored on the other {alone['series']}: {named}"
    )


def rolling_origin(model: Forecaster, data: SeriesData, *, backtest: int = 1) -> dict[str, Any]:
    """Score a trained forecaster from ``backtest`` origins, each ``horizon`` points apart, without retraining.

    Raises:
        DataError: ``backtest`` < 1, or too little data for that many origins.
    """
    H = model.horizon
    if backtest < 1:
        raise DataError(f"--backtest must be a positive integer, got {backtest}")
    data = _long_enough(
        data, need=model.window + backtest * H, backtest=backtest, horizon=H, window=model.window
    )
    quantiles = model.quantiles
    folds, seen = [], 0
    trained = model.train_lengths
    origins = [impute(truncate(data, k * H)[0]) for k in range(backtest, 0, -1)]  # gap-free, earliest first
    if reference_worker.enabled():  # every origin's classical fits, the model's and the scores', in a child
        reference_worker.start(
            [
                fit
                for hist in origins
                for fit in [
                    *model.reference_fits(hist, season=model.season, validation=False),
                    *planned_fits(
                        [s.target for s in hist.series], horizon=H, season=model.season, quantiles=quantiles
                    ),
                ]
            ]
        )
    for hist in origins:
        truths = [s.target[len(h.target) : len(h.target) + H] for s, h in zip(data.series, hist.series)]
        forecasts = model.forecast_arrays(hist)
        folds.append(
            score(
                [s.target for s in hist.series],
                truths,
                forecasts,
                season=model.season,
                quantiles=quantiles,
                ids=[s.id for s in hist.series],
            )
        )
        seen += sum(max(0, min(H, trained.get(str(s.id), 0) - len(s.target))) for s in hist.series)
    methods = folds[0]["scores"].keys()
    mean = {
        m: {k: float(np.mean([f["scores"][m][k] for f in folds])) for k in folds[0]["scores"][m]}
        for m in methods
    }
    missing = sum(f["missing_truths"] for f in folds)
    total = backtest * H * len(data.series) - missing
    result = {
        "horizon": H,
        "origins": backtest,
        "season": model.season,
        "series": len(data.series),
        "scores": mean,
        "best": best_method(mean),
        "references": folds[-1]["references"],
        "missing_truths": missing,
        "points_seen_in_training": seen,
        "points_scored": total,
    }
    if seen:
        log.warning(
            "%d of the %d scored points were in the model's training data; those metrics are optimistic",
            seen,
            total,
        )
    return result


def _long_enough(data: SeriesData, *, need: int, backtest: int, horizon: int, window: int) -> SeriesData:
    """``data`` without the series too short for ``backtest`` origins (named in one warning line).

    Raises:
        DataError: no series is long enough; the message names the largest ``--backtest`` that fits.
    """
    short = [s for s in data.series if len(s.target) < need]
    if not short:
        return data
    what = (
        f"--backtest {backtest} with horizon {horizon} and lookback {window} needs {need} points per series"
    )
    if len(short) == len(data.series):
        fits = (max(len(s.target) for s in data.series) - window) // horizon
        fix = f"use --backtest {fits} or fewer" if fits >= 1 else "the series are too short to score"
        raise DataError(f"{what}; the longest has {max(len(s.target) for s in data.series)}; {fix}")
    names = few(f"{s.id} ({len(s.target)})" for s in short)
    log.warning("%s; %d series are shorter and left out of the scores: %s", what, len(short), names)
    return dataclasses.replace(data, series=[s for s in data.series if len(s.target) >= need])


def series_labels(ids: list) -> list[str]:
    """Series ids as metrics.json names them: as text, ``"series"`` for the one series of a file without ids."""
    return [str(sid) if sid is not None else "series" for sid in ids]


def best_method(scores: dict[str, dict[str, float]]) -> str | None:
    """The method with the lowest MASE; None when MASE is undefined (a constant history)."""
    finite = {name: row["mase"] for name, row in scores.items() if np.isfinite(row["mase"])}
    return min(finite, key=lambda name: finite[name]) if finite else None


def format_table(scores: dict[str, dict[str, float]]) -> str:
    """A plain text table: one row per method, columns MASE, sMAPE, MAE, RMSE (and coverage, pinball)."""
    columns = ["mase", "smape", "mae", "rmse"] + [
        c for c in ("coverage", "pinball") if any(c in s for s in scores.values())
    ]
    lines = [f"{'method':16s}" + "".join(f"{c:>11s}" for c in columns)]
    for name, row in scores.items():
        cells = "".join(
            f"{'undefined':>11s}"
            if c in row and not np.isfinite(row[c])
            else f"{row[c]:11.4g}"
            if c in row
            else f"{'':>11s}"
            for c in columns
        )
        lines.append(f"{name:16s}{cells}")
    return "\n".join(lines)
