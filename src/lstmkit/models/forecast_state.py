"""The forecaster's fitted state: what ``fit`` learns from the data besides the network's weights,
and reading data the way a fitted model expects it (its training data's columns).

One pipeline turns series into the network's inputs, in training and in prediction alike::

    season, log    chosen on the training data (or set)          ForecastState.season, .log
    x - seasons    past 24 steps, the MSTL seasons removed         ForecastState.seasons (forecast_seasons)
    z = log(x)     if log, else x                                 per series
    scale          series_scale(z, the network's season), per id   ForecastState.scales
    window         the last max(lookbacks) points of each series   ForecastState.last_windows
    phase          calendar ordinal of each first forecast step    (data.calendar)

The rest (level, normalisation, calendar phases, members, baseline) happens inside the graph
(:class:`~lstmkit.networks.forecast_net.ForecastNet`). The state is written to the model
folder's ``config.json`` under ``"fitted"``; a folder written before a field existed loads with
the field's default.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmkit.data.calendar import step_ordinals
from lstmkit.data.preprocess import auto_lookbacks, choose_log, series_scale
from lstmkit.data.seasons import choose_season
from lstmkit.data.tabular import Series, SeriesData, load_series
from lstmkit.data.zones import check_time_zone, format_zone
from lstmkit.errors import DataError
from lstmkit.evaluate.references import seasonally_adjusted
from lstmkit.logs import few
from lstmkit.models.forecast_config import ForecastConfig, ForecastData
from lstmkit.models.forecast_seasons import (
    adjusted,
    fit_profiles,
    profile_of,
    seasons_at,
)
from lstmkit.models.network_coverage import network_length, network_reads, note_classical_only, points_read

log = logging.getLogger(__name__)

MIN_POINTS = (
    3  # the shortest series forecast at all (by the classical references, when the network cannot train)
)
# windows up to this long (three monthly seasons) cost one unit: against data.max_windows, and in the ensemble
FULL_COST_LOOKBACK = 36
# an automatic ensemble has 5 members while an epoch's work, the points times the longest window (at least
# FULL_COST_LOOKBACK), is at most that of 1,500 points (every file of the development corpus), and 3 beyond.
# On weekly co2 (its last 1,355 and first 929 weeks, 2 origins, 3 seeds; benchmarks/README.md) 3 members
# scored as 5 did (0.269 +- 0.003 against 0.271 +- 0.001) for 37% of the CPU time per network.
LARGE_ENSEMBLE_WORK = 1500 * FULL_COST_LOOKBACK


def auto_ensemble(points: int, longest: int) -> int:
    """Members of an automatic ensemble on ``points`` points in all whose longest window is ``longest`` steps."""
    return 5 if points * max(longest, FULL_COST_LOOKBACK) <= LARGE_ENSEMBLE_WORK else 3


@dataclass
class ForecastState:
    """The fitted preprocessing and what the model knows of its training data (JSON-ready)."""

    season: int  # m: steps per seasonal cycle (1: none)
    log: bool  # the network models log(x)
    lookbacks: list[int]  # each member's window length
    scales: dict[str, float]  # per series id (as text): the normalising scale of z
    columns: dict[str, Any]  # the training data's column roles (SeriesData.describe())
    n_covariates: int
    last_times: dict[str, Any]  # per series id: the time of its last training point
    train_lengths: dict[str, int]  # per series id: its points in fit
    calendar: bool = False  # the members read the phase in the season
    baseline: str = "none"  # what the members correct: "seasonal_drift" or "none"
    drift: float = 0.0  # the share of the window's trend the baseline carries on
    nonnegative: bool = False  # no training value was negative: forecasts and quantiles stay >= 0
    network: str | None = None  # why the network was not trained (series too short); None: trained
    combination: dict[str, Any] | None = None  # members, weights and validation errors per series
    # one combined series without covariates: the classical members' forecasts from the end of its training
    # data ("references", (K, H, 1 + Q)) and the weights ("weights", 1 + K, a failed member's 0), which its
    # ONNX graph carries for a history ending with ``last_window``
    end: dict[str, Any] | None = None
    # seasons past 24 steps: per series id, the seasons removed from the series the network sees, by phase
    # (lstmkit.models.forecast_seasons; [] where MSTL found none, None for a series too short to estimate them);
    # None: the network sees the series as they are
    seasons: dict[str, list[float] | None] | None = None
    # with seasons: per series id, the calendar ordinal of the step after its training data (where a one-series
    # ONNX graph starts the seasons it carries)
    next_steps: dict[str, int] | None = None
    # one series without covariates: its last window (the longest lookback's training values), by which its
    # ONNX graph knows a history that ends where the training data ended, however long (where the carried
    # seasons stand, and that the built-in members' forecasts are its)
    last_window: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``"fitted"`` entry of config.json (the optional entries only when set)."""
        out = asdict(self)
        for key in ("network", "combination", "end", "seasons", "next_steps", "last_window"):
            if out[key] is None:
                del out[key]
        return out

    @classmethod
    def from_dict(cls, fitted: dict[str, Any]) -> ForecastState:
        """Read config.json's ``"fitted"`` entry; KeyError/TypeError when a required field is missing."""
        known = {f.name for f in fields(cls)}
        state = cls(**{k: v for k, v in fitted.items() if k in known})
        if state.end is not None and "tail" in state.end:  # an older model file: its last window kept here
            tail = state.end.pop("tail")
            state.last_window = state.last_window or tail
        return state

    @property
    def network_season(self) -> int:
        """The season the network models: none (1) where it sees the series seasonally adjusted."""
        return 1 if self.seasons is not None else self.season

    def network_points(self, window: int) -> int:
        """The shortest series the network forecasts (shorter ones: the classical members alone): its window,
        and where it removes seasons, the two cycles they are estimated from."""
        return points_read(window, self.season if self.seasons is not None else None)

    def network_left_out(self, data: SeriesData, window: int) -> dict[int, str]:
        """The series of ``data`` the network does not forecast (the classical members alone do), by index, and
        why: every series where the network was not trained, else those shorter than it reads
        (:meth:`network_points`). Its forecasts there (padded, or not seasonally adjusted) are no one's."""
        if self.network is not None:
            return dict.fromkeys(range(len(data.series)), f"the network was {self.network}")
        adjusted_season = self.season if self.seasons is not None else None
        need, why = points_read(window, adjusted_season), network_reads(window, adjusted_season)
        return {
            i: f"{len(s.target)} points, shorter than {why}"
            for i, s in enumerate(data.series)
            if len(s.target) < need
        }

    def network_data(self, data: SeriesData) -> SeriesData:
        """``data`` as the network sees it: seasonally adjusted where the model removes seasons."""
        return data if self.seasons is None else adjusted(data, self.seasons, self.season)

    def network_view(
        self, data: SeriesData, window: int, horizon: int
    ) -> tuple[SeriesData, np.ndarray | None]:
        """``data`` as the network sees it, and the seasons (S, W + H) float32 removed at the last ``window``
        steps of each series (a shorter series' first step repeated in front, as :meth:`last_windows` pads) and
        put back at the next ``horizon``: each series' seasons found once. ``(data, None)`` where the model
        removes none."""
        if self.seasons is None:
            return data, None
        series, rows = [], []
        for s in data.series:
            profile, steps = profile_of(self.seasons, data, s, self.season), ordinals(data, s)
            series.append(replace(s, target=s.target - seasons_at(profile, steps)))
            around = seasons_at(
                profile, np.concatenate([steps[-window:], steps[-1] + 1 + np.arange(horizon)])
            )
            rows.append(np.pad(around, (max(window - len(s.target), 0), 0), mode="edge"))
        return replace(data, series=series), np.stack(rows).astype(np.float32)

    def season_cycle(self) -> list[float]:
        """The one series' removed seasons over a cycle from the step after its training data (``[]``: none)."""
        assert self.seasons is not None and self.next_steps is not None and len(self.seasons) == 1
        sid, profile = next(iter(self.seasons.items()))
        steps = self.next_steps[sid] + np.arange(len(profile or []))
        return [float(v) for v in seasons_at(profile, steps)]

    def scale_of(self, series: Series) -> float:
        """The series' scale from fit, or for a series the model has not seen, its own (``series`` as the
        network sees it)."""
        scale = self.scales.get(str(series.id))
        if scale is None:
            z = np.log(series.target) if self.log else series.target
            scale = series_scale(z, self.network_season)
        return float(scale)

    def check_compatible(self, data: SeriesData) -> None:
        """DataError unless ``data`` has the training data's covariates and frequency."""
        cols = self.columns
        if list(data.covariate_names) != list(cols.get("covariates", [])):
            raise DataError(
                f"the data's covariate columns ({', '.join(data.covariate_names) or 'none'}) differ from the model's "
                f"({', '.join(cols.get('covariates', [])) or 'none'}); pass data with the columns the model was trained on"
            )
        if cols.get("freq") and data.freq and data.freq != cols["freq"]:
            raise DataError(
                f"the data's frequency is {data.freq} but the model was trained on {cols['freq']} data; "
                f"pass {cols['freq']} data, or train a model on this data"
            )

    def last_windows(
        self, data: SeriesData, window: int, *, what: str = "forecast", pad: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The network's inputs for the end of each gap-free series: history (S, W) and covariates (S, W, C)
        as float32, scale (S, 1) float32, and the calendar position of each first forecast step (S,) int64.

        A series shorter than ``window`` is a DataError, or with ``pad`` repeats its first point (and
        covariates) in front: for a combined model, whose weights give the network nothing there."""
        xs, covs, scales, firsts = [], [], [], []
        for s in data.series:
            missing = window - len(s.target)
            if missing > 0 and not pad:
                raise DataError(
                    f"series{_name(s.id)} has {len(s.target)} points; this model needs at least {window} (its lookback)"
                )
            if self.log and (s.target[-window:] <= 0).any():
                raise DataError(
                    f"the model was trained on log data and the last window has values <= 0; it cannot {what} them"
                )
            before = max(missing, 0)
            xs.append(np.pad(s.target[-window:], (before, 0), mode="edge"))
            covs.append(np.pad(s.covariates[-window:], ((before, 0), (0, 0)), mode="edge"))
            scales.append([self.scale_of(s)])
            firsts.append(int(ordinals(data, s)[-1]) + 1)
        return (
            np.stack(xs).astype(np.float32),
            np.stack(covs).astype(np.float32),
            np.asarray(scales, dtype=np.float32),
            np.asarray(firsts, dtype=np.int64),
        )


def fit_state(data: SeriesData, cfg: ForecastConfig) -> tuple[ForecastState, list[np.ndarray], str]:
    """Fit the preprocessing on gap-free ``data``: the state, the transformed series ``z``, and why the
    network cannot train ("" when it can; then the references alone forecast, with a one-line note).

    Raises:
        DataError: ``model.transform=log`` on data with values <= 0; a series too short for any method.
    """
    H = cfg.model.horizon
    if _may_skip(cfg) and data.min_length < MIN_POINTS:  # before the season's notes: the error line alone
        raise DataError(
            f"series too short: forecasting needs at least {MIN_POINTS} points, "
            f"the shortest series has {data.min_length}"
        )
    season = choose_season(data, cfg.data.season, horizon=H)
    seasons = fit_profiles(data, season) if seasonally_adjusted(season) else None  # past what AutoETS models
    raw = [s.target for s in data.series]
    targets = [s.target for s in adjusted(data, seasons, season).series] if seasons is not None else raw
    network_season = 1 if seasons is not None else season
    if cfg.data.calendar and seasons is not None:
        log.warning(
            "note: data.calendar is off for a season of %d: the network reads the series with their seasons "
            "removed (MSTL), so it has no phase to read",
            season,
        )
    use_log = {"log": True, "none": False}.get(cfg.model.transform)
    if use_log is None:
        use_log = all(choose_log(y, network_season) for y in targets)
    elif use_log and any((y <= 0).any() for y in targets):
        target = "the seasonally adjusted target" if seasons is not None else "the target"
        raise DataError(
            f"model.transform=log needs positive data, and {target} has values <= 0; use model.transform=none"
        )
    lengths = [len(y) for y in targets]
    too_short = ""
    try:
        lookbacks = auto_lookbacks(
            network_length(lengths, horizon=H, combined=_may_skip(cfg)),
            season=network_season,
            horizon=H,
            ensemble=cfg.model.ensemble or 5,
            lookback=cfg.model.lookback,
        )
        if cfg.model.ensemble is None:  # the first members cycle through every lookback
            lookbacks = lookbacks[: auto_ensemble(sum(lengths), max(lookbacks))]
    except DataError as exc:  # the references still forecast a series too short for the network
        if not _may_skip(cfg):
            raise
        lookbacks, too_short = [min(2, data.min_length)], str(exc)
        # "forecasting H steps needs at least N points, the shortest series has n"
        reason = too_short.split(": ", 1)[-1]
        log.warning(
            "note: too short for the network (%s); the classical references alone forecast it", reason
        )
    else:
        note_classical_only(data, max(lookbacks), adjusted_season=season if seasons is not None else None)
    z = [np.log(y) if use_log else y for y in targets]
    state = ForecastState(
        season=season,
        log=use_log,
        lookbacks=lookbacks,
        scales={str(s.id): series_scale(zi, network_season) for s, zi in zip(data.series, z)},
        columns=data.describe(),
        n_covariates=len(data.covariate_names),
        last_times={str(s.id): _json_time(s.times[-1]) if s.times is not None else None for s in data.series},
        train_lengths={str(s.id): len(s.target) for s in data.series},
        calendar=cfg.data.calendar and network_season > 1,
        baseline=cfg.model.baseline,
        drift=cfg.model.drift if cfg.model.baseline != "none" else 0.0,
        nonnegative=all(float(np.min(y)) >= 0 for y in raw),
        seasons=seasons,
        next_steps={str(s.id): int(ordinals(data, s)[-1]) + 1 for s in data.series}
        if seasons is not None
        else None,
        last_window=_last_window(data, max(lookbacks)),
    )
    return state, z, too_short


def _last_window(data: SeriesData, window: int) -> list[float] | None:
    """The one series' last ``window`` training values, for a series without covariates that long; else None."""
    if len(data.series) != 1 or data.covariate_names or len(data.series[0].target) < window:
        return None
    return [float(v) for v in data.series[0].target[-window:]]


def _may_skip(cfg: ForecastConfig) -> bool:
    """Whether the classical references may forecast what the network cannot (a combined model, lookbacks auto)."""
    return cfg.model.combine != "none" and cfg.model.lookback is None


def read_series(
    data: str | Path | pd.DataFrame | SeriesData, settings: ForecastData, columns: dict[str, Any] | None
) -> SeriesData:
    """Read ``data`` with the column settings, or a fitted model's training ``columns``; gaps stay NaN
    until a hold-out is cut (each model fills them from the data it is given). Series of fewer than
    ``MIN_POINTS`` values are left out, with a warning, when others remain."""
    if isinstance(data, SeriesData):
        return data
    read = _load(data, settings, columns)
    if settings.time_zone is not None:
        check_time_zone(read, settings.time_zone)
    return _forecastable(read)


def _load(
    data: str | Path | pd.DataFrame, settings: ForecastData, columns: dict[str, Any] | None
) -> SeriesData:
    fill = "keep" if settings.fill == "interpolate" else settings.fill
    if columns:  # a fitted model reads new data with the columns it was trained on
        read = load_series(
            data,
            target=columns["target"],
            time_col=columns["time_col"],
            id_col=columns["id_col"],
            covariates=bool(columns["covariates"]),
            fill=fill,
            date_format=settings.date_format or columns.get("date_format"),
            business_days=columns.get("freq") != "D",  # a model trained on days reads days
            # a file of one offset is written in its zone too
            zone=settings.time_zone or format_zone(columns.get("time_format")),
        )
        return _weeks_padded_as_trained(read, columns.get("time_format"))
    return load_series(
        data,
        target=settings.target,
        time_col=settings.time_col,
        id_col=settings.id_col,
        covariates=settings.covariates,
        fill=fill,
        date_format=settings.date_format,
        zone=settings.time_zone,
    )


def _weeks_padded_as_trained(data: SeriesData, trained: str | None) -> SeriesData:
    """``data``, whose future ISO weeks are written with the week number padded as in the training file
    (format ``trained``: ``2021-W1`` or ``2021-W01``) when its own cells do not show the padding: weeks 1
    to 9 alone show it, and the latest weeks of a series (what predict is given) may hold none of them."""
    fmt = data.time_format
    if (
        not fmt
        or not trained
        or not fmt.startswith("%G")
        or fmt.replace("%-V", "%V") != trained.replace("%-V", "%V")
    ):
        return data  # not weeks, or not written as the model's were (this file's own way is kept)
    weeks = [pd.DatetimeIndex(s.times).isocalendar().week for s in data.series if s.times is not None]
    if any((w < 10).any() for w in weeks):
        return data
    return replace(data, time_format=trained)


def _forecastable(data: SeriesData) -> SeriesData:
    """``data`` without the series of fewer than ``MIN_POINTS`` values, named in one warning, when others remain
    (with none left, the forecast refuses the file and says why)."""
    values = [int(np.count_nonzero(~np.isnan(s.target))) for s in data.series]
    short = [f"{s.id} ({n})" for s, n in zip(data.series, values) if n < MIN_POINTS]
    if not short or len(short) == len(data.series):
        return data
    log.warning(
        "%d series have fewer than %d values and are left out: %s", len(short), MIN_POINTS, few(short)
    )
    return replace(data, series=[s for s, n in zip(data.series, values) if n >= MIN_POINTS])


def ordinals(data: SeriesData, series: Series) -> np.ndarray:
    """Calendar positions of a series' steps (see :mod:`lstmkit.data.calendar`)."""
    return step_ordinals(series.times, kind=data.time_kind, freq=data.freq, length=len(series.target))


def _json_time(value: Any) -> Any:
    if isinstance(value, (int, np.integer)):
        return int(value)
    return str(value)


def _name(sid: Any) -> str:
    return f" {sid!r}" if sid is not None else ""


__all__ = ["MIN_POINTS", "ForecastState", "fit_state", "ordinals", "read_series"]
