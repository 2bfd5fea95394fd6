"""``LSTMForecaster``: the forecasting job's sklearn-shaped model (fit, predict, save, load, evaluate).

It reads one or several series (:mod:`lstmkit.data.tabular`), fits the preprocessing on the
training data only (log transform chosen automatically, per-series scale, covariate
standardisation), trains the :class:`~lstmkit.networks.forecast_net.ForecastNet` ensemble with
lstmkit's trainer on windows gathered from views, and forecasts the ``horizon`` steps after the
end of each series (direct multi-output: all steps at once). The model folder holds everything
needed to rebuild it: weights in safetensors, the settings and fitted preprocessing in JSON.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from lstmkit.config import config_from_dict, config_to_dict, resolve_config
from lstmkit.data.seasons import choose_season
from lstmkit.data.tabular import SeriesData, impute
from lstmkit.errors import DataError
from lstmkit.evaluate import reference_worker
from lstmkit.models.base import Job
from lstmkit.models.forecast_combination import (
    classical_members,
    combine,
    member_fits,
    member_forecasts,
    series_weights,
)
from lstmkit.models.forecast_config import ForecastConfig, ForecastData, ForecastModel, normalised, qualify
from lstmkit.models.forecast_frame import forecast_frame
from lstmkit.models.forecast_intervals import widened
from lstmkit.models.forecast_state import ForecastState, fit_state, read_series
from lstmkit.models.forecast_training import build_network, few_threads, train_network
from lstmkit.models.forecast_validation import Judge, validation_weights
from lstmkit.networks.forecast_net import ForecastNet
from lstmkit.train import History, set_seed

log = logging.getLogger(__name__)

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
        self.config = normalised(resolve_config(config or ForecastConfig(), flags=flags))
        self.network_: ForecastNet | None = None  # also self.net (Job)
        self.state: ForecastState | None = None  # the fitted preprocessing (forecast_state)
        self.history_: History | None = None  # also self.history (Job)
        self.data_: SeriesData | None = None
        self.judge_: LSTMForecaster | None = None  # the network the combination weights rest on (not saved)

    # ---- fitting

    def fit(
        self,
        data: str | Path | pd.DataFrame | SeriesData,
        *,
        progress: bool = False,
        checkpoint_path: str | Path | None = None,
        resume: bool = False,
        judge: Judge = None,
        command: str | None = None,
    ) -> LSTMForecaster:
        """Fit the preprocessing and the network on all of ``data``, then the combination weights; returns self.

        Args:
            judge: with ``model.combine="holdout"``, a forecaster with these settings already fitted on
                all but the last ``horizon`` points of ``data`` (such as the hold-out model of
                ``lstmkit forecast``): its network's forecasts of those points set the weights. Without
                it, one is trained here. A callable returning one (or None) is called when the weights
                need it, after this network has trained: the judge's own waits on the classical fits of
                the second process then come after this training instead of beside idle cores.
            command: the command line training (``"lstmkit forecast"``, ``"lstmkit train"``), recorded in the
                checkpoint: a ``resume`` by another command refuses it.
        """
        cfg = self.config
        data = impute(self.read(data))  # gaps filled from this data only: a hold-out was cut before
        state, z, too_short = fit_state(data, cfg)
        self.state = state
        # the classical members, fitted in a second process while the network trains
        if reference_worker.enabled():
            reference_worker.start(self.reference_fits(data, season=state.season))
        set_seed(cfg.trainer.seed)
        self.network_ = net = build_network(state, cfg.model)
        if too_short:  # an untrained network with no weight in the combination
            self.history_, state.network = History(), f"not trained: {too_short}"
            members = classical_members(state.season)
            share = [0.0] + [1.0 / len(members)] * len(members)
            state.combination = {
                "members": ["lstm", *members],
                "weights": {sid: list(share) for sid in state.train_lengths},
            }
        else:
            self.history_ = train_network(
                net,
                state,
                data,
                z,
                cfg,
                progress=progress,
                checkpoint_path=checkpoint_path,
                resume=resume,
                command=command,
            )
            if cfg.model.combine != "none":
                state.combination, self.judge_ = validation_weights(self, data, judge)
        net.eval()
        if state.combination and len(data.series) == 1 and not data.covariate_names:
            refs = self.classical_forecasts(data)  # predict on this data reuses these fits
            state.end = {
                "references": np.stack(
                    [refs[m].forecasts[0] for m in state.combination["members"][1:]]
                ).tolist(),
                "weights": self.combination_weights(data, refs)[0].tolist(),
            }
        self.data_ = data
        return self

    def reference_fits(
        self, data: SeriesData, *, season: int | None = None, validation: bool = True
    ) -> list[reference_worker.Fit]:
        """The classical fits ``fit(data)`` (with ``validation``) and ``forecast_arrays(data)`` make (for
        :func:`reference_worker.start`)."""
        m = self.config.model
        if m.combine == "none":
            return []
        filled = impute(data)
        season = season or choose_season(filled, self.config.data.season, horizon=m.horizon)
        return member_fits(
            filled,
            horizon=m.horizon,
            season=season,
            quantiles=tuple(m.quantiles),
            validation=validation,
            names=None if validation else self._members(),
            classical_origins=m.classical_origins,
        )

    def read(self, data: str | Path | pd.DataFrame | SeriesData) -> SeriesData:
        """Read ``data`` with this model's column settings; gaps stay NaN (``fit`` fills them from the data it is given)."""
        return read_series(data, self.config.data, self.state.columns if self.state is not None else None)

    # ---- forecasting

    @property
    def fitted(self) -> ForecastState:
        """The fitted preprocessing.

        Raises:
            NotFittedError: neither ``fit`` nor ``load`` has run.
        """
        self._require_fitted()
        assert self.state is not None  # set with the network
        return self.state

    def forecast_arrays(self, data: SeriesData) -> np.ndarray:
        """(S, H, 1 + Q) forecasts in data units from the end of each series of ``data``: the network's,
        combined with the classical members' when the model was fitted with ``model.combine``."""
        self.fitted.check_compatible(data)
        data = impute(data)
        out = self._network_out(data)
        if self.fitted.combination:
            refs = self.classical_forecasts(data)
            out = combine(out, refs, self.combination_weights(data, refs))
        return self._floored(out)

    def classical_forecasts(self, data: SeriesData) -> dict:
        """The classical members' forecasts (S, H, 1 + Q) from the end of each gap-free series of ``data``: the
        members the model was fitted with (a folder from a version with other members keeps its own), their
        intervals widened as validation asked (``member_interval_scales``)."""
        refs = member_forecasts(
            [s.target for s in data.series],
            horizon=self.config.model.horizon,
            season=self.fitted.season,
            quantiles=tuple(self.config.model.quantiles),
            names=self._members(),
        )
        for name, scale in ((self.fitted.combination or {}).get("member_interval_scales") or {}).items():
            if name in refs and scale != 1.0:
                refs[name] = dataclasses.replace(refs[name], forecasts=widened(refs[name].forecasts, scale))
        return refs

    def _members(self) -> list[str] | None:
        """The fitted combination's classical members, or None before the combination is fitted."""
        combination = self.state.combination if self.state is not None else None
        return list(combination["members"][1:]) if combination else None

    def combination_weights(self, data: SeriesData, refs: dict) -> np.ndarray:
        """(S, 1 + K) combination weights for the series of ``data``; none for a member that failed there, nor
        for the network on a series it does not forecast (:meth:`network_left_out`)."""
        assert self.fitted.combination is not None  # callers check
        short = list(self.network_left_out(data))
        return series_weights(self.fitted.combination, [str(s.id) for s in data.series], refs, short=short)

    def network_left_out(self, data: SeriesData) -> dict[int, str]:
        """The series of ``data`` the network does not forecast, by index, and why (none of them where it was
        not trained; else those shorter than it reads): the classical members alone forecast them, and what
        :meth:`network_forecasts` gives there is no forecast of the network's."""
        return self.fitted.network_left_out(data, self.window)

    def onnx_inputs(
        self, data: str | Path | pd.DataFrame | SeriesData, *, references: bool = False
    ) -> dict[str, np.ndarray]:
        """Every input of this model's ONNX graph (``to_onnx(path, references=...)``) for forecasting from the end
        of ``data`` (:func:`lstmkit.models.forecast_onnx.graph_inputs`)."""
        from lstmkit.models.forecast_onnx import graph_inputs

        return graph_inputs(self, impute(self.read(data)), references=references)

    def network_forecasts(self, data: SeriesData, *, pad: bool | None = None) -> np.ndarray:
        """(S, H, 1 + Q) forecasts of the network alone (no combination) from the end of each gap-free series.

        The rows of the series in :meth:`network_left_out` are filler, not the network's forecasts of them.

        Args:
            pad: read a series shorter than the window padded with its first point (default: for a combined
                model, which gives the network no weight there) instead of refusing it.
        """
        return self._floored(self._network_out(data, pad=pad))

    def _network_out(self, data: SeriesData, *, pad: bool | None = None) -> np.ndarray:
        """The network's (S, H, 1 + Q) output, before the floor (combined first, floored once, as in ONNX)."""
        net, st = self._require_fitted(), self.fitted
        pad = bool(st.combination) if pad is None else pad
        seen, seasons = st.network_view(data, net.window, self.horizon)
        x, cov, scale, first = (torch.as_tensor(a) for a in st.last_windows(seen, net.window, pad=pad))
        with torch.no_grad(), few_threads(self.config):
            out = net(x, scale, cov, first).double().numpy()
        if seasons is not None:  # the seasons the network's series had removed, put back
            out = out + seasons[:, net.window :, None]
        return out

    def _floored(self, out: np.ndarray) -> np.ndarray:
        """``out`` kept >= 0 for a model whose training data had no negative value."""
        return np.maximum(out, 0.0) if self.fitted.nonnegative else out

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
        :class:`~lstmkit.explain.Explanation`. One intra-op thread for small members, as in training and
        prediction (the same numbers; two threads spun for 0.2-3.6 s of CPU on a busy 2-core machine)."""
        from lstmkit.explain import explain_forecaster

        with few_threads(self.config):
            return explain_forecaster(self, data, series=series)

    # ---- persistence

    def to_config_dict(self) -> dict[str, Any]:
        return {"settings": config_to_dict(self.config), "fitted": self.fitted.to_dict()}

    @classmethod
    def _from_config_dict(cls, config: dict[str, Any]) -> LSTMForecaster:
        cfg = config_from_dict(ForecastConfig, config["settings"])
        model = cls(cfg.model.horizon, config=cfg)
        model.state = ForecastState.from_dict(config["fitted"])
        model.network_ = build_network(model.state, model.config.model)
        return model

    def to_onnx(self, path: str | Path, *, references: bool = False) -> Path:
        """Export to ONNX: ``history`` (B, T >= lookback, 1) in data units -> ``forecast`` (B, H) [+ ``quantiles``]
        (:func:`lstmkit.models.forecast_onnx.export_graph`)."""
        from lstmkit.models.forecast_onnx import export_graph

        return export_graph(self, path, references=references)

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
        return self.fitted.season

    @property
    def network(self) -> ForecastNet:
        """The fitted ensemble network.

        Raises:
            NotFittedError: neither ``fit`` nor ``load`` has run.
        """
        return self._require_fitted()

    @property
    def window(self) -> int:
        """The points of history the network reads (its longest lookback)."""
        return self.network.window

    @property
    def combination(self) -> dict[str, Any] | None:
        """The members combined with the network and their weights per series; None without combination."""
        return self.fitted.combination

    @property
    def train_lengths(self) -> dict[str, int]:
        """Each series' length in fit, by id (as text)."""
        return self.fitted.train_lengths


__all__ = ["ForecastConfig", "ForecastData", "ForecastModel", "LSTMForecaster"]
