"""``LSTMForecaster``: the forecasting job's sklearn-shaped model (fit, predict, save, load, evaluate).

It reads one or several series (:mod:`lstmkit.data.tabular`), fits the preprocessing on the
training data only (log transform chosen automatically, per-series scale, covariate
standardisation), trains the :class:`~lstmkit.networks.forecast_net.ForecastNet` ensemble with
lstmkit's trainer on windows gathered from views, and forecasts the ``horizon`` steps after the
end of each series (direct multi-output: all steps at once). The model folder holds everything
needed to rebuild it: weights in safetensors, the settings and fitted preprocessing in JSON.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from lstmkit.config import config_from_dict, config_to_dict, resolve_config
from lstmkit.data.calendar import step_ordinals
from lstmkit.data.preprocess import auto_lookbacks, choose_log, series_scale
from lstmkit.data.tabular import SeriesData, choose_season, impute, load_series
from lstmkit.data.windows import gather_windows, window_starts
from lstmkit.errors import DataError
from lstmkit.models.base import Job
from lstmkit.models.forecast_combination import (
    classical_members,
    combine,
    error_weights,
    member_forecasts,
    validation_errors,
)
from lstmkit.models.forecast_config import ForecastConfig, ForecastData, ForecastModel, check_config, qualify
from lstmkit.models.forecast_training import EpochWindows, MembersOnly, few_threads
from lstmkit.networks.forecast_net import ForecastNet, member_loss
from lstmkit.train import History, fit, set_seed

log = logging.getLogger(__name__)

MIN_POINTS = (
    3  # the shortest series forecast at all (by the classical references, when the network cannot train)
)


# ----------------------------------------------------------------------------- the model


class LSTMForecaster(Job):
    """Forecast the ``horizon`` steps after the end of each series with an LSTM ensemble.

    Example::

        model = LSTMForecaster(horizon=12).fit("airpassengers")
        forecast = model.predict()          # columns: time, step, forecast
        model.save("runs/air/model")

    Args:
        horizon: steps to forecast.
        config: a full :class:`ForecastConfig` (its ``model.horizon`` is replaced by ``horizon``).
        **settings: dotted or plain setting names, e.g. ``quantiles=(0.1, 0.5, 0.9)``,
            ``epochs=20``, ``seed=1``, ``"data.season": 12``.
    """

    task, written_by, what = "forecast", "'lstmkit train' or 'forecast'", "forecaster"

    def __init__(self, horizon: int = 12, *, config: ForecastConfig | None = None, **settings: Any):
        flags = {qualify(k): v for k, v in settings.items()}
        flags["model.horizon"] = horizon
        self.config = resolve_config(config or ForecastConfig(), flags=flags)
        check_config(self.config)
        self.network_: ForecastNet | None = None  # also self.net (Job)
        self.state: dict[str, Any] = {}
        self.history_: History | None = None  # also self.history (Job)
        self.data_: SeriesData | None = None

    # ---- fitting

    def fit(
        self,
        data: str | Path | pd.DataFrame | SeriesData,
        *,
        progress: bool = False,
        checkpoint_path: str | Path | None = None,
        resume: bool = False,
        judge: LSTMForecaster | None = None,
    ) -> LSTMForecaster:
        """Fit the preprocessing and the network on all of ``data``, then the combination weights; returns self.

        Args:
            judge: with ``model.combine="holdout"``, a forecaster with these settings already fitted on
                all but the last ``horizon`` points of ``data`` (such as the hold-out model of
                ``lstmkit forecast``): its network's forecasts of those points set the weights. Without
                it, one is trained here.
        """
        cfg = self.config
        data = impute(self.read(data))  # gaps filled from this data only: a hold-out was cut before
        H = cfg.model.horizon
        season = choose_season(data, cfg.data.season, horizon=H)
        targets = [s.target for s in data.series]
        use_log = {"log": True, "none": False}.get(cfg.model.transform)
        if use_log is None:
            use_log = all(choose_log(y, season) for y in targets)
        elif use_log and any((y <= 0).any() for y in targets):
            raise DataError(
                "model.transform=log needs positive data, and the target has values <= 0; use model.transform=none"
            )
        ensemble = cfg.model.ensemble or (5 if sum(len(y) for y in targets) <= 1500 else 3)
        try:
            lookbacks, too_short = (
                auto_lookbacks(
                    data.min_length, season=season, horizon=H, ensemble=ensemble, lookback=cfg.model.lookback
                ),
                "",
            )
        except DataError as exc:  # the references still forecast a series too short for the network
            if cfg.model.combine == "none" or cfg.model.lookback is not None:
                raise
            if data.min_length < MIN_POINTS:
                raise DataError(
                    f"series too short: forecasting needs at least {MIN_POINTS} points, "
                    f"the shortest series has {data.min_length}"
                ) from None
            lookbacks, too_short = [min(2, data.min_length)], str(exc)
            log.warning("note: %s; forecasting with the classical references alone", too_short.split(":")[0])
        z = [np.log(y) if use_log else y for y in targets]
        scales = [series_scale(zi, season) for zi in z]
        ids = [s.id for s in data.series]
        self.state = {
            "season": season,
            "log": use_log,
            "lookbacks": lookbacks,
            "scales": dict(zip(map(str, ids), scales)),
            "columns": data.describe(),
            "n_covariates": len(data.covariate_names),
            "last_times": {
                str(s.id): _json_time(s.times[-1]) if s.times is not None else None for s in data.series
            },
            "train_lengths": {str(s.id): len(s.target) for s in data.series},
            "calendar": cfg.data.calendar and season > 1,
            "baseline": cfg.model.baseline,
            "drift": cfg.model.drift if cfg.model.baseline != "none" else 0.0,
        }
        set_seed(cfg.trainer.seed)
        self.net = self._build_net()
        if too_short:  # an untrained network with no weight in the combination
            self.history, self.state["network"] = History(), f"not trained: {too_short}"
            members = classical_members(season)
            self.state["combination"] = {
                "members": ["lstm", *members],
                "weights": {str(i): [0.0] + [1.0 / len(members)] * len(members) for i in ids},
            }
        else:
            self._train_network(
                data, z, scales, progress=progress, checkpoint_path=checkpoint_path, resume=resume
            )
            if cfg.model.combine != "none":
                self.state["combination"] = self._validation_weights(data, judge)
        self.net.eval()
        self.data_ = data
        return self

    def _train_network(
        self,
        data: SeriesData,
        z: list[np.ndarray],
        scales: list[float],
        *,
        progress: bool,
        checkpoint_path: str | Path | None,
        resume: bool,
    ) -> None:
        """Train the ensemble on windows of the transformed series ``z`` (normalised in-graph)."""
        cfg, net, H = self.config, self.net, self.config.model.horizon
        assert net is not None  # fit() builds it first
        cov = (
            np.concatenate([s.covariates for s in data.series]) if data.covariate_names else np.zeros((0, 0))
        )
        if cov.size:
            net.cov_mean.copy_(torch.as_tensor(cov.mean(axis=0), dtype=torch.float32))
            net.cov_std.copy_(
                torch.as_tensor(np.where(cov.std(axis=0) > 0, cov.std(axis=0), 1.0), dtype=torch.float32)
            )
        window = net.window
        values = torch.as_tensor(
            np.concatenate([np.column_stack([zi, s.covariates]) for zi, s in zip(z, data.series)]),
            dtype=torch.float32,
        )  # (T, 1 + C)
        index = window_starts(
            [len(zi) for zi in z],
            length=window + H,
            horizon=H,
            val_fraction=cfg.data.val_fraction,
            max_windows=cfg.data.max_windows,
        )
        scale_t = torch.tensor(scales, dtype=torch.float32)
        ordinals = torch.as_tensor(
            np.concatenate([_ordinals(data, s) for s in data.series])
        )  # (T,) calendar positions
        rows = index.epoch_rows(0)
        train = (
            index.train[rows].clone(),
            scale_t[index.train_series[rows]],
        )  # refilled each epoch on long series
        val = (index.val, scale_t[index.val_series]) if len(index.val) else None
        quantiles = tuple(cfg.model.quantiles)
        values_on: dict[torch.device, torch.Tensor] = {}  # the series, copied once per device

        def loss_fn(model, batch):
            starts, scale = batch
            if values_on.get(starts.device) is None:
                values_on[starts.device] = values.to(starts.device)
            win = gather_windows(values_on[starts.device], starts, window + H)  # (B, W + H, F)
            u, level = net.normalise(win[:, :window, 0], win[:, :window, 1:], scale.unsqueeze(1))
            target = (win[:, window:, 0] - level) / scale.unsqueeze(1)  # (B, H)
            u, future = net.calendar_inputs(
                u, ordinals[starts.cpu() + window].to(starts.device)
            )  # phases, or (u, None)
            return member_loss(model(u, future), target, quantiles)

        with few_threads(cfg):
            self.history = fit(
                MembersOnly(net),
                loss_fn,
                train,
                val,
                config=cfg.trainer,
                callbacks=[EpochWindows(index, train, scale_t)],
                checkpoint_path=checkpoint_path,
                resume=resume,
                progress=progress,
            )

    def _validation_weights(self, data: SeriesData, judge: LSTMForecaster | None) -> dict[str, Any]:
        """Per-series weights of the network and the classical members, from their errors on the last H points
        and, with ``model.combine_origins`` > 1, the errors the judge itself was weighed by (the H before)."""
        from lstmkit.evaluate.backtest import truncate

        H, season, net = self.config.model.horizon, self.state["season"], self._require_fitted()
        members = ["lstm", *classical_members(season)]
        hist, truths = truncate(data, H)
        ids = [str(s.id) for s in data.series]
        if hist.min_length < net.window:  # too short to validate: every method counts the same
            weights = np.full((len(ids), len(members)), 1.0 / len(members))
            return {"members": members, "weights": _rounded(ids, weights)}
        if self.config.model.combine == "holdout":  # a network that never saw the validation points
            lengths = {str(s.id): len(s.target) for s in hist.series}
            if judge is None or judge.state.get("train_lengths") != lengths or "network" in judge.state:
                cfg = config_from_dict(ForecastConfig, config_to_dict(self.config))
                cfg.model.combine = "none"
                try:
                    judge = LSTMForecaster(H, config=cfg).fit(hist)
                except DataError:  # too short to train without the validation points: this network judges
                    judge = self
            network = judge.network_forecasts(hist)[:, :, 0]
        else:  # this network: the validation points were its early-stopping windows (optimistic)
            network = self.network_forecasts(hist)[:, :, 0]
        histories = [s.target for s in hist.series]
        refs = member_forecasts(histories, horizon=H, season=season)
        errors = validation_errors(network, refs, truths, histories, season=season)[None]  # (1, S, 1 + K)
        earlier = (judge.state.get("combination") or {}) if judge is not None and judge is not self else {}
        if (
            self.config.model.combine_origins > 1
            and earlier.get("members") == members
            and "errors" in earlier
        ):
            before = np.array(
                [earlier["errors"].get(sid, [[np.nan] * len(members)]) for sid in ids], dtype=np.float64
            )  # (S, O', 1 + K), most recent origin first
            errors = np.concatenate(
                [errors, before.transpose(1, 0, 2)[: self.config.model.combine_origins - 1]]
            )
        return {
            "members": members,
            "weights": _rounded(ids, error_weights(errors)),
            "errors": {  # validation MASE per origin (most recent first), per member
                sid: [[None if np.isnan(e) else round(float(e), 6) for e in row] for row in errors[:, i]]
                for i, sid in enumerate(ids)
            },
        }

    def _build_net(self) -> ForecastNet:
        m, st = self.config.model, self.state
        return ForecastNet(
            lookbacks=st["lookbacks"],
            horizon=m.horizon,
            n_covariates=st["n_covariates"],
            hidden_size=m.hidden_size,
            num_layers=m.num_layers,
            dropout=m.dropout,
            quantiles=tuple(m.quantiles),
            season=st["season"],
            log=st["log"],
            calendar=st.get("calendar", False),
            variants=m.variants,
            components=m.components,
            baseline=st.get("baseline", "none"),
            drift=st.get("drift", 0.0),
        )

    def read(self, data: str | Path | pd.DataFrame | SeriesData) -> SeriesData:
        """Read ``data`` with this model's column settings; gaps stay NaN (``fit`` fills them from the data it is given)."""
        if isinstance(data, SeriesData):
            return data
        d, cols = self.config.data, self.state.get("columns")
        fill = (
            "keep" if d.fill == "interpolate" else d.fill
        )  # gaps stay NaN until a hold-out is cut (see fit)
        if cols:  # a fitted model reads new data with the columns it was trained on
            return load_series(
                data,
                target=cols["target"],
                time_col=cols["time_col"],
                id_col=cols["id_col"],
                covariates=bool(cols["covariates"]),
                fill=fill,
                date_format=d.date_format or cols.get("date_format"),
            )
        return load_series(
            data,
            target=d.target,
            time_col=d.time_col,
            id_col=d.id_col,
            covariates=d.covariates,
            fill=fill,
            date_format=d.date_format,
        )

    # ---- forecasting

    def forecast_arrays(self, data: SeriesData) -> np.ndarray:
        """(S, H, 1 + Q) forecasts in data units from the end of each series of ``data``: the network's,
        combined with the classical members' when the model was fitted with ``model.combine``."""
        self._check_compatible(data)
        data = impute(data)
        out = self.network_forecasts(data)
        if self.state.get("combination"):
            refs = self._member_forecasts(data)
            out = combine(out, refs, self._weights(data, refs))
        return out

    def _member_forecasts(self, data: SeriesData) -> dict:
        """The classical members' forecasts (S, H, 1 + Q) from the end of each gap-free series of ``data``."""
        return member_forecasts(
            [s.target for s in data.series],
            horizon=self.config.model.horizon,
            season=self.state["season"],
            quantiles=tuple(self.config.model.quantiles),
        )

    def _scale(self, series) -> float:
        """The series' scale from fit, or for a series the model has not seen, its own."""
        scale = self.state["scales"].get(str(series.id))
        if scale is None:
            z = np.log(series.target) if self.state["log"] else series.target
            scale = series_scale(z, self.state["season"])
        return float(scale)

    def _weights(self, data: SeriesData, refs: dict) -> np.ndarray:
        """(S, 1 + K) combination weights for the series of ``data``; none for a member that failed there."""
        combination = self.state["combination"]
        equal = [1.0 / len(combination["members"])] * len(combination["members"])  # a series not seen in fit
        weights = np.array(
            [combination["weights"].get(str(s.id), equal) for s in data.series], dtype=np.float64
        )
        for k, name in enumerate(combination["members"][1:], start=1):
            for i in refs[name].fallbacks:
                weights[i, k] = 0.0
        return weights / weights.sum(axis=1, keepdims=True)

    def onnx_inputs(self, data: str | Path | pd.DataFrame | SeriesData) -> dict[str, np.ndarray]:
        """Every input of this model's ONNX graph (:meth:`to_onnx`) for forecasting from the end of ``data``.

        ``history`` (and ``covariates``, ``scale``, ``phase`` where the graph takes them) and, for a model
        that combines its network with classical forecasts, ``references`` and ``weights``: the members
        are fitted on each history here, as :meth:`predict` does, since a graph cannot hold them.
        """
        net = self._require_fitted()
        data = impute(self.read(data))
        self._check_compatible(data)
        x, cov, scale, first = self._last_windows(data)
        feeds: dict[str, np.ndarray] = {"history": x[:, :, None]}
        if self.state["n_covariates"]:
            feeds["covariates"] = cov
        if len(self.state["scales"]) > 1:
            feeds["scale"] = scale
        if net.calendar:
            feeds["phase"] = first % net.season
        combination = self.state.get("combination")
        if combination:
            refs = self._member_forecasts(data)
            feeds["references"] = np.stack(
                [refs[m].forecasts for m in combination["members"][1:]], axis=1
            ).astype(np.float32)
            feeds["weights"] = self._weights(data, refs).astype(np.float32)
        return feeds

    def network_forecasts(self, data: SeriesData) -> np.ndarray:
        """(S, H, 1 + Q) forecasts of the network alone (no combination) from the end of each gap-free series."""
        net = self._require_fitted()
        x, cov, scale, first = (torch.as_tensor(a) for a in self._last_windows(data))
        with torch.no_grad(), few_threads(self.config):
            out = net(x, scale, cov, first)  # (S, H, 1 + Q)
        return out.double().numpy()

    def _last_windows(self, data: SeriesData) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The network's inputs for the end of each gap-free series: history (S, W) and covariates (S, W, C)
        as float32, scale (S, 1) float32, and the calendar position of each first forecast step (S,) int64."""
        W = self._require_fitted().window
        xs, covs, scales, firsts = [], [], [], []
        for s in data.series:
            if len(s.target) < W:
                raise DataError(
                    f"series{_name(s.id)} has {len(s.target)} points; this model needs at least {W} (its lookback)"
                )
            if self.state["log"] and (s.target[-W:] <= 0).any():
                raise DataError(
                    "the model was trained on log data and the last window has values <= 0; it cannot forecast them"
                )
            xs.append(s.target[-W:])
            covs.append(s.covariates[-W:])
            scales.append([self._scale(s)])
            firsts.append(int(_ordinals(data, s)[-1]) + 1)
        return (
            np.stack(xs).astype(np.float32),
            np.stack(covs).astype(np.float32),
            np.asarray(scales, dtype=np.float32),
            np.asarray(firsts, dtype=np.int64),
        )

    def predict(self, data: str | Path | pd.DataFrame | SeriesData | None = None) -> pd.DataFrame:
        """The forecast frame: ``id`` (with an id column), ``time`` (with a time column), ``step``, ``forecast``, ``q...``.

        Args:
            data: the history to forecast from (default: the data given to ``fit``).
        """
        if data is None:
            if self.data_ is None:
                raise DataError(
                    "predict() needs data: this model was loaded from disk, pass the history to forecast from"
                )
            data = self.data_
        data = self.read(data)
        out = self.forecast_arrays(data)
        return forecast_frame(data, out, quantiles=self.config.model.quantiles)

    # ---- evaluation

    def evaluate(self, data: str | Path | pd.DataFrame | SeriesData, *, backtest: int = 1) -> dict[str, Any]:
        """Rolling-origin metrics of this (already trained) model and the baselines on ``data``.

        Origin k (1..backtest) forecasts the ``horizon`` points ending ``(k - 1) * horizon`` points
        before the end. The model is not retrained; points it saw in training make the numbers
        optimistic (the result says how many windows overlap).
        """
        from lstmkit.evaluate.backtest import rolling_origin

        data = self.read(data)
        return rolling_origin(self, data, backtest=backtest)

    def explain(
        self, data: str | Path | pd.DataFrame | SeriesData | None = None, *, series: str | None = None
    ):
        """The gates on the last window of a series (default the first) and per-step attributions: an
        :class:`~lstmkit.explain.Explanation`."""
        from lstmkit.explain import explain_forecaster

        return explain_forecaster(self, data, series=series)

    # ---- persistence

    def to_config_dict(self) -> dict[str, Any]:
        return {"settings": config_to_dict(self.config), "fitted": self.state}

    @classmethod
    def _from_config_dict(cls, config: dict[str, Any]) -> LSTMForecaster:
        cfg = config_from_dict(ForecastConfig, config["settings"])
        model = cls(cfg.model.horizon, config=cfg)
        model.state = dict(config["fitted"])
        model.net = model._build_net()
        return model

    def to_onnx(self, path: str | Path) -> Path:
        """Export to ONNX: ``history`` (B, T >= lookback, 1) in data units -> ``forecast`` (B, H) [+ ``quantiles``]."""
        from lstmkit.io.onnx_export import export_forecast_net

        scales, combination = self.state["scales"], self.state.get("combination")
        return export_forecast_net(
            self._require_fitted(),
            path,
            scale=None if len(scales) > 1 else float(next(iter(scales.values()))),
            n_covariates=int(self.state["n_covariates"]),
            n_references=len(combination["members"]) - 1 if combination else 0,
        )

    # ---- fitted values (what lstmkit.evaluate.backtest reads: its Forecaster protocol)

    @property
    def horizon(self) -> int:
        return self.config.model.horizon

    @property
    def quantiles(self) -> tuple[float, ...]:
        return tuple(self.config.model.quantiles)

    @property
    def season(self) -> int:
        """The season length chosen in fit."""
        return self.state["season"]

    @property
    def window(self) -> int:
        """The points of history the network reads (its longest lookback)."""
        return self._require_fitted().window

    @property
    def combination(self) -> dict[str, Any] | None:
        """The members combined with the network and their weights per series; None without combination."""
        return self.state.get("combination")

    @property
    def train_lengths(self) -> dict[str, int]:
        """Each series' length in fit, by id (as text)."""
        return self.state.get("train_lengths", {})

    # ---- checks

    def _check_compatible(self, data: SeriesData) -> None:
        cols = self.state.get("columns", {})
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


def _rounded(ids: list[str], weights: np.ndarray) -> dict[str, list[float]]:
    return {sid: [round(float(w), 6) for w in row] for sid, row in zip(ids, weights)}


def _ordinals(data: SeriesData, series) -> np.ndarray:
    """Calendar positions of a series' steps (see :mod:`lstmkit.data.calendar`)."""
    return step_ordinals(series.times, kind=data.time_kind, freq=data.freq, length=len(series.target))


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


def _json_time(value) -> Any:
    if isinstance(value, (int, np.integer)):
        return int(value)
    return str(value)


def _name(sid) -> str:
    return f" {sid!r}" if sid is not None else ""


__all__ = ["ForecastConfig", "ForecastData", "ForecastModel", "LSTMForecaster", "forecast_frame"]
