"""The forecasting job's settings: typed dataclasses, one per concept, each default with its reason.

``ForecastConfig`` is what ``lstmkit forecast`` / ``train`` read from ``--config FILE.toml``,
``--set section.key=value`` and the flags; ``qualify`` finds a plain keyword's section
(``LSTMForecaster(12, calendar=True)``) from the dataclasses' fields, so no map is kept by hand.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import Literal

from lstmkit.errors import ConfigError
from lstmkit.nn.variants import Variants
from lstmkit.train import TrainerConfig
from lstmkit.train.trainer import check_trainer_config


@dataclass
class ForecastData:
    """Which columns to read and how to treat the series."""

    target: str | None = None  # None: the single numeric column
    time_col: str | None = None  # None: detected (dates, 1949-01, 1965-Q1, years)
    id_col: str | None = None  # long format: one global model over several series
    date_format: str | None = None  # strftime format of the time cells (e.g. %d/%m/%Y); None: detected
    # the IANA time zone of times written with UTC offsets (Europe/Berlin): future times on its clock, with its
    # offsets, even where the file shows one offset; None: the zone their offsets fit (lstmkit.data.zones)
    time_zone: str | None = None
    season: int | None = None  # None: from the frequency (monthly 12, quarterly 4, ...)
    covariates: bool = True  # other numeric columns are past covariates
    fill: Literal["interpolate", "error"] = "interpolate"  # gaps: interpolate with a warning
    val_fraction: float = 0.15  # last windows of each series for early stopping
    max_windows: int = 2000  # training windows per epoch on long series (a different even subset each epoch); a window over 36 steps counts for length / 36
    calendar: bool = False  # phases in the season as known-future inputs: helps calendar seasons, hurts others (benchmarks/)


@dataclass
class ForecastModel:
    """The network and preprocessing."""

    horizon: int = 12  # steps forecast, all at once
    lookback: int | None = None  # None: two to three seasons (or horizons) as the data allow
    hidden_size: int = 32  # small members generalise on short series; the ensemble adds capacity
    num_layers: int = 1  # one layer is enough for univariate windows
    dropout: float = 0.0  # between stacked layers only
    ensemble: int | None = None  # members over seeds and lookbacks; None: 5, 3 on long data (auto_ensemble)
    quantiles: tuple[float, ...] = (0.1, 0.9)  # an 80% interval by default; () for a point forecast only
    transform: Literal["auto", "log", "none"] = "auto"  # auto: log for positive, multiplicative data
    # weigh the LSTM against AutoETS/ARIMA/Theta per series (forecast_combination)
    combine: Literal["holdout", "validation", "none"] = "holdout"
    # the network's validation origins: 1 this one only, 2 (or more) also the judge's own (no extra training);
    # on long data every classical origin, forecast by one judge (forecast_combination.rolling_origins)
    combine_origins: int = 2
    classical_origins: int = 5  # the classical members' validation origins (fewer in large panels)
    # members correct a seasonal random walk with drift
    baseline: Literal["seasonal_drift", "none"] = "seasonal_drift"
    drift: float = 0.5  # share of the window's trend the baseline carries on (the Theta method's half)
    # the point's training loss: absolute error (the median; what MASE scores) or squared error (the mean)
    loss: Literal["mae", "mse"] = "mae"
    # ablations: the linear skip alone, or the LSTM alone
    components: Literal["full", "linear", "lstm"] = "full"
    # LSTM variants (layer_norm, zoneout, ...): all off = torch.nn.LSTM
    variants: Variants = field(default_factory=Variants)


def _forecast_trainer() -> TrainerConfig:
    # Short series have few windows: more epochs with patience, a livelier rate. The absolute error keeps
    # creeping down on long series (0.7% in 70 epochs of a weekly series): improvements under 1e-3 (of the
    # members' summed loss, in scale units) do not hold training open: 143 -> 88 epochs on 2,710 weeks, the
    # development and held-out scores unchanged (benchmarks/README.md)
    return TrainerConfig(epochs=150, batch_size=32, lr=3e-3, patience=15, grad_clip=1.0, min_delta=1e-3)


@dataclass
class ForecastConfig:
    """Everything ``lstmkit forecast`` / ``train`` can set (``--set data.season=12`` ...)."""

    data: ForecastData = field(default_factory=ForecastData)
    model: ForecastModel = field(default_factory=ForecastModel)
    trainer: TrainerConfig = field(default_factory=_forecast_trainer)


def qualify(key: str) -> str:
    """A plain setting name with its section: ``horizon`` -> ``model.horizon``, ``calendar`` -> ``data.calendar``."""
    if "." in key:
        return key
    for section, kind in (("model", ForecastModel), ("data", ForecastData)):
        if key in {f.name for f in fields(kind)}:
            return f"{section}.{key}"
    return f"trainer.{key}"


def normalised(cfg: ForecastConfig) -> ForecastConfig:
    """A checked copy of ``cfg`` in canonical form: quantiles ascending, without repeats."""
    check_config(cfg)
    out = copy.deepcopy(cfg)
    out.model.quantiles = tuple(sorted(set(cfg.model.quantiles)))
    return out


def check_config(cfg: ForecastConfig) -> None:
    """Raise :class:`ConfigError` naming a setting that cannot work; ``cfg`` is left as it is."""
    m = cfg.model
    if m.horizon < 1:
        raise ConfigError(f"horizon must be a positive integer, got {m.horizon}")
    if m.lookback is not None and m.lookback < 2:
        raise ConfigError(f"lookback must be at least 2, got {m.lookback}")
    if m.ensemble is not None and m.ensemble < 1:
        raise ConfigError(f"model.ensemble must be at least 1, got {m.ensemble}")
    if any(not 0 < q < 1 for q in m.quantiles):
        raise ConfigError(
            f"quantiles must lie strictly between 0 and 1, got {', '.join(map(str, m.quantiles))}"
        )
    if not 0 <= cfg.data.val_fraction < 0.9:
        raise ConfigError(f"data.val_fraction must be in [0, 0.9), got {cfg.data.val_fraction}")
    if cfg.data.season is not None and cfg.data.season < 1:
        raise ConfigError(f"season must be a positive integer, got {cfg.data.season}")
    if m.hidden_size < 1 or m.num_layers < 1:
        raise ConfigError(
            f"model.hidden_size and model.num_layers must be positive integers, got {m.hidden_size} and {m.num_layers}"
        )
    if not 0 <= m.dropout < 1:
        raise ConfigError(f"model.dropout must be in [0, 1), got {m.dropout}")
    if not 0 <= m.drift <= 1:
        raise ConfigError(
            f"model.drift must be between 0 and 1 (the share of the trend carried on), got {m.drift}"
        )
    if m.classical_origins < 1:
        raise ConfigError(
            f"model.classical_origins must be a positive integer (validation origins of the classical members), got {m.classical_origins}"
        )
    if m.combine_origins < 1:
        raise ConfigError(
            f"model.combine_origins must be a positive integer (validation origins the weights average over), got {m.combine_origins}"
        )
    if cfg.data.time_zone is not None:
        from lstmkit.data.zones import named_zone  # pandas: only for a zone to check

        if named_zone(cfg.data.time_zone) is None:
            raise ConfigError(
                f"data.time_zone {cfg.data.time_zone!r} is not a time zone of the IANA database; name one such as "
                "Europe/Berlin or America/New_York"
            )
    if cfg.data.max_windows < 0:
        raise ConfigError(
            f"data.max_windows must be >= 0 (0: every window each epoch), got {cfg.data.max_windows}"
        )
    check_trainer_config(cfg.trainer)


__all__ = ["ForecastConfig", "ForecastData", "ForecastModel", "check_config", "normalised", "qualify"]
