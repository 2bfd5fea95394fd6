"""ForecastNet's in-graph baseline, and the combination of the network with the classical members."""
import numpy as np
import pytest
import torch

from lstmkit.evaluate.references import Reference
from lstmkit.models.forecast_combination import combine, validation_weights
from lstmkit.models.forecast_net import ForecastNet


@pytest.mark.parametrize("season, horizon, drift, length", [(4, 6, 0.5, 10), (1, 3, 1.0, 6), (12, 12, 0.0, 24), (12, 4, 1.0, 18)])
def test_baseline_is_a_classical_decomposition_written_out(season, horizon, drift, length):
    net = ForecastNet(lookbacks=[length], horizon=horizon, season=season, baseline="seasonal_drift", drift=drift)
    u = torch.randn(3, length, dtype=torch.float64)
    got = net.baseline(u).numpy()
    x = u.numpy()
    m = season if length >= 2 * season else 1  # 18 steps hold one season of 12 only: non-seasonal
    n = length // m
    for b in range(3):
        blocks = [x[b, length - n * m + i * m: length - n * m + (i + 1) * m] for i in range(n)]
        first, last = blocks[0].mean(), blocks[-1].mean()
        slope = (last - first) / ((n - 1) * m)
        profile = [np.mean([blk[j] - blk.mean() - slope * (j - (m - 1) / 2) for blk in blocks]) for j in range(m)]
        for h in range(1, horizon + 1):
            expected = last + drift * slope * (h + (m - 1) / 2) + profile[(h - 1) % m]
            assert got[b, h - 1] == pytest.approx(expected, abs=1e-10)


def test_an_untrained_net_continues_trend_and_season_exactly():
    net = ForecastNet(lookbacks=[8], horizon=6, season=4, baseline="seasonal_drift", drift=1.0, components="linear")
    for member in net.members:  # the skip starts at zero; silence the head too
        torch.nn.init.zeros_(member.head.weight)
        torch.nn.init.zeros_(member.head.bias)
    pattern = torch.tensor([5.0, -5, 3, -3])
    t = torch.arange(14, dtype=torch.float32)
    x = 100 + 2 * t + pattern.repeat(4)[:14]  # trend 2 per step, season 4
    with torch.no_grad():
        out = net(x[:8].unsqueeze(0), torch.ones(1, 1))[0, :, 0]
    torch.testing.assert_close(out, x[8:])


def test_weights_are_inverse_to_validation_errors_and_a_failed_member_gets_none():
    truth = [np.array([10.0, 12.0])]
    hist = [np.array([1.0, 2.0, 3.0, 4.0, 5.0])]  # MASE scale 1 (lag-1 differences)
    network = np.array([[11.0, 12.0]])  # MAE 0.5
    refs = {"ets": Reference("ets", np.array([[[10.0], [13.0]]])),  # MAE 0.5
            "arima": Reference("arima", np.array([[[8.0], [10.0]]])),  # MAE 2
            "theta": Reference("theta", np.zeros((1, 2, 1)), fallbacks={0: "failed"})}
    w = validation_weights(network, refs, truth, hist, season=1)
    np.testing.assert_allclose(w[0], np.array([2, 2, 0.5, 0]) / 4.5)
    out = combine(np.array([[[1.0], [1.0]]]), refs, w)
    np.testing.assert_allclose(out[0, :, 0], (2 * 1 + 2 * np.array([10, 13]) + 0.5 * np.array([8, 10])) / 4.5)
