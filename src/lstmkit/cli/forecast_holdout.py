"""The hold-out evaluation of ``lstmkit forecast``: whether the data allow one, and running it once, when the
final model's weights first ask for its judge (the hold-out model)."""

from __future__ import annotations

import logging
from pathlib import Path

from lstmkit.errors import DataError
from lstmkit.logs import counted, labelled

log = logging.getLogger(__name__)

HOLDOUT_NOTE = "hold-out model (all but the last {points}): "


def holdout_obstacle(cfg, data) -> str:
    """Why the data allow no hold-out evaluation (the note metrics.json keeps), or "" when they do: all but
    the last H points must still be enough to forecast from (a series too short for that while others are
    long enough is left out of the hold-out alone: ``HoldoutRun``), and some of the last H points must be
    there to score (gaps at the end are still forecast over).

    Raises:
        DataError: DATA itself is too short to forecast.
    """
    import numpy as np

    H = cfg.model.horizon
    obstacle = _length_obstacle(cfg, data)
    if not obstacle and all(np.isnan(s.target[-H:]).all() for s in data.series):
        return f"every one of the last {counted(H, 'point')} is missing, so there is nothing to score; no hold-out evaluation"
    return obstacle


def _length_obstacle(cfg, data) -> str:
    """Why the series are too short for a hold-out evaluation, or ""."""
    from lstmkit.data.preprocess import auto_lookbacks
    from lstmkit.data.seasons import choose_season
    from lstmkit.models.forecast_state import MIN_POINTS

    H = cfg.model.horizon
    too_short = f"series too short to hold out {counted(H, 'point')} and still train; no hold-out evaluation"
    if (
        cfg.model.combine != "none" and cfg.model.lookback is None
    ):  # the references forecast what the network cannot
        if data.min_length < MIN_POINTS:
            raise DataError(
                f"series too short: forecasting needs at least {MIN_POINTS} points, the shortest series has {data.min_length}"
            )
        season = cfg.data.season or 1
        n = data.median_length  # the length the season was chosen for
        if season > 1 and n >= season + H > n - H:  # the hold-out would lose it
            return (
                f"series too short to hold out {counted(H, 'point')} and keep the season of {season} (a season plus the "
                f"horizon need {season + H} points, {n - H} would be left); no hold-out evaluation"
            )
        return "" if max(len(s.target) for s in data.series) - H >= MIN_POINTS else too_short
    season = choose_season(data, cfg.data.season, horizon=H)
    auto_lookbacks(
        data.min_length, season=season, horizon=H, ensemble=1, lookback=cfg.model.lookback
    )  # raises if DATA is too short
    try:
        auto_lookbacks(data.min_length - H, season=season, horizon=H, ensemble=1, lookback=cfg.model.lookback)
    except DataError:
        return too_short
    return ""


class HoldoutRun:
    """The hold-out evaluation of ``lstmkit forecast``, run once, when first asked for: by the final model's
    fit when its combination needs a judge (after its network has trained, so the hold-out's waits on the
    second process's classical fits come after that training), else right after that fit.

    ``result()`` is ``(metrics, hold-out forecasts or None, hold-out model or None)``; ``command`` is recorded in
    the hold-out model's checkpoint.
    """

    def __init__(self, cfg, data, out: Path, *, obstacle: str, progress: bool, resume: bool, command: str):
        self.cfg, self.data, self.out = cfg, data, out
        self.obstacle, self.progress, self.resume, self.command = obstacle, progress, resume, command
        self._result: tuple | None = None

    def judge(self):
        """The fitted hold-out model (the final model's judge), or None when the data are too short for one."""
        return self.result()[2]

    def result(self) -> tuple:
        if self._result is None:
            self._result = self._run()
        return self._result

    def _long_enough(self) -> list[int]:
        """The indices of the series that keep ``MIN_POINTS`` once the last H are held out; the others are named."""
        from lstmkit.logs import few
        from lstmkit.models.forecast_state import MIN_POINTS

        H, data = self.cfg.model.horizon, self.data
        short = [s for s in data.series if len(s.target) - H < MIN_POINTS]
        if short:
            log.warning(
                "%d series shorter than %d points (the horizon %d plus %d to train on) %s left out of the hold-out "
                "evaluation; %s still forecast: %s",
                len(short),
                H + MIN_POINTS,
                H,
                MIN_POINTS,
                *(("is", "it is") if len(short) == 1 else ("are", "they are")),
                few(f"{s.id} ({len(s.target)})" for s in short),
            )
        return [i for i, s in enumerate(data.series) if len(s.target) - H >= MIN_POINTS]

    def _run(self) -> tuple:
        import dataclasses

        import numpy as np

        from lstmkit.evaluate.backtest import holdout
        from lstmkit.models.forecaster import LSTMForecaster

        H = self.cfg.model.horizon
        if self.obstacle:
            log.warning(self.obstacle)
            return {"horizon": H, "skipped": self.obstacle}, None, None
        ckpt = self.out / ".checkpoints" / "holdout.json"
        with labelled(
            HOLDOUT_NOTE.format(points=counted(H, "point"))
        ):  # its notes are not about the forecast itself
            kept = self._long_enough()
            metrics, forecasts, model = holdout(
                lambda: LSTMForecaster(H, config=self.cfg),
                dataclasses.replace(self.data, series=[self.data.series[i] for i in kept]),
                horizon=H,
                progress=self.progress,
                checkpoint_path=ckpt,
                resume=self.resume and ckpt.exists(),
                command=self.command,
            )
        every = np.full((len(self.data.series), *forecasts.shape[1:]), np.nan)  # NaN: a series left out
        every[kept] = forecasts
        return metrics, every, model
