"""The hold-out's scores: the network alone is scored on the series it forecasts, and metrics.json says which."""

import numpy as np
import pandas as pd
import pytest

from lstmkit.data.tabular import impute
from lstmkit.evaluate.backtest import holdout, network_alone_note, truncate
from lstmkit.evaluate.metrics import point_metrics, quantile_metrics
from lstmkit.models.forecaster import LSTMForecaster

FAST = {"epochs": 4, "ensemble": 2, "hidden_size": 8}


def stores(lengths: dict[str, int]) -> pd.DataFrame:
    """A long-format frame of monthly stores of these lengths (as tests/cli/test_forecast_cli.py's ``forecast_stores``)."""
    rows = [
        (store, str(month), 50 + 10 * i + 5 * np.sin(k / 2) + (k % 12))
        for i, (store, n) in enumerate(lengths.items())
        for k, month in enumerate(pd.period_range("2015-01", periods=n, freq="M"))
    ]
    return pd.DataFrame(rows, columns=["store", "month", "sales"])


def by_hand(model, data, horizon: int, series: list[int]) -> dict[str, float]:
    """The network alone's hold-out metrics on ``series``, averaged as metrics.json averages them."""
    train, truths = truncate(data, horizon)
    filled = impute(train)
    out = model.network_forecasts(filled)  # (S, H, 1 + Q)
    rows = []
    for i in series:
        row = point_metrics(truths[i], out[i, :, 0], insample=filled.series[i].target, season=model.season)
        row.update(quantile_metrics(truths[i], {q: out[i, :, 1 + j] for j, q in enumerate(model.quantiles)}))
        rows.append(row)
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def test_the_network_alone_is_scored_on_the_series_it_forecasts_and_the_others_are_named(seed):
    data = LSTMForecaster(6, id_col="store").read(stores({"a": 72, "tiny": 12, "b": 80}))
    metrics, _, model = holdout(lambda: LSTMForecaster(6, id_col="store", **FAST), data, horizon=6)
    assert metrics["network_alone"]["series"] == 2 and metrics["series"] == 3
    assert metrics["network_alone"]["left_out"] == {
        "tiny": "6 points, shorter than the network's lookback of 36"
    }
    assert metrics["scores"]["lstmkit_network"] == pytest.approx(by_hand(model, data, 6, [0, 2]), rel=1e-12)
    assert metrics["best"] != "lstmkit_network"  # its mean is over fewer series than the others'
    assert network_alone_note(metrics) == (
        "the classical members alone forecast 1 of the 3 series, so lstmkit_network is scored on the other 2: "
        "tiny (6 points, shorter than the network's lookback of 36)"
    )


def test_a_network_that_forecasts_no_series_is_not_scored(seed):
    data = LSTMForecaster(6, id_col="store").read(stores({"a": 20, "b": 21}))
    metrics, _, model = holdout(lambda: LSTMForecaster(6, id_col="store", **FAST), data, horizon=6)
    assert model.fitted.network is not None  # 14 and 15 points once 6 are held out: too few to train on
    assert "lstmkit_network" not in metrics["scores"] and "lstmkit" in metrics["scores"]
    why = (
        "the network was not trained: series too short: forecasting 6 steps needs at least 16 points, the "
        "shortest series has 14"
    )
    assert metrics["network_alone"]["series"] == 0
    assert metrics["network_alone"]["left_out"] == {"a": why, "b": why}
    assert network_alone_note(metrics) == (
        f"the classical members alone forecast every series, so lstmkit_network is not scored: a, b ({why})"
    )


def test_the_network_alone_on_every_series_is_scored_as_before_with_nothing_left_out(seed):
    data = LSTMForecaster(6, id_col="store").read(stores({"a": 60, "b": 66}))
    metrics, _, model = holdout(lambda: LSTMForecaster(6, id_col="store", **FAST), data, horizon=6)
    assert metrics["network_alone"]["series"] == 2 and metrics["network_alone"]["left_out"] == {}
    assert metrics["scores"]["lstmkit_network"] == pytest.approx(by_hand(model, data, 6, [0, 1]), rel=1e-12)
    assert network_alone_note(metrics) == ""
