"""ForecastNet's in-graph baseline, and the combination of the network with the classical members."""

import numpy as np
import pytest
import torch

from lstmkit.evaluate.references import Reference
from lstmkit.models.forecast_combination import (
    combination_entry,
    combine,
    error_weights,
    series_weights,
    validation_errors,
)
from lstmkit.networks.forecast_net import ForecastNet, member_loss


@pytest.mark.parametrize("season, horizon, drift", [(4, 6, 0.5), (1, 3, 1.0), (12, 12, 0.0)])
def test_baseline_is_the_seasonal_random_walk_with_drift(season, horizon, drift):
    net = ForecastNet(
        lookbacks=[2 * max(season, 3)], horizon=horizon, season=season, baseline="seasonal_drift", drift=drift
    )
    u = torch.randn(3, 2 * max(season, 3), dtype=torch.float64)
    got = net.baseline(u)
    L, m = u.shape[1], season
    slope = np.mean((u[:, m:] - u[:, :-m]).numpy(), axis=1) / m  # per step
    for h in range(1, horizon + 1):  # written out: one season back from step h, then the drift over k seasons
        k = -(-h // m)
        expected = u[:, L - k * m + h - 1].numpy() + drift * slope * k * m
        np.testing.assert_allclose(got[:, h - 1].numpy(), expected, rtol=1e-12, atol=1e-12)


def test_members_correct_the_baseline_and_an_untrained_net_forecasts_it():
    net = ForecastNet(
        lookbacks=[8], horizon=4, season=4, baseline="seasonal_drift", drift=1.0, components="linear"
    )
    for member in net.members:  # the skip starts at zero; silence the head too
        torch.nn.init.zeros_(member.head.weight)
        torch.nn.init.zeros_(member.head.bias)
    t = torch.arange(8, dtype=torch.float32)
    x = (100 + 2 * t + torch.tensor([5.0, -5, 3, -3] * 2)).unsqueeze(0)  # trend 2 per step, season 4
    with torch.no_grad():
        out = net(x, torch.ones(1, 1))[0, :, 0]
    expected = x[0, 4:] + 2 * 4  # last season, plus one season of trend
    torch.testing.assert_close(out, expected)


def test_the_point_lies_within_the_networks_quantiles_even_where_a_head_puts_them_all_above_it():
    net = ForecastNet(lookbacks=[4], horizon=2, quantiles=(0.1, 0.5, 0.9))
    net.interval_scale.fill_(2.0)
    out = torch.zeros(2, 1, 2, 4)  # K=2 members, point and quantiles 0.1 / 0.5 / 0.9
    out[..., 0] = torch.tensor([[[10.0, 20.0]], [[12.0, 22.0]]])  # the point: their mean 11, 21
    out[..., 1:] = torch.tensor([11.5, 12.0, 13.0])  # every quantile above the point at step 1, below at 2
    got = net.combine(out)[0]  # (H, 1 + Q)
    widened = torch.tensor(
        [
            [11.0 + 2 * (q - 11.0) for q in (11.5, 12.0, 13.0)],
            [21.0 + 2 * (q - 21.0) for q in (11.5, 12.0, 13.0)],
        ]
    )
    expected_q = torch.stack(
        [
            torch.minimum(widened[:, 0], torch.tensor([11.0, 21.0])),
            widened[:, 1],
            torch.maximum(widened[:, 2], torch.tensor([11.0, 21.0])),
        ],
        dim=-1,
    )  # q0.1 at most the point, q0.9 at least it, the median head as it is
    torch.testing.assert_close(got[:, 0], torch.tensor([11.0, 21.0]))
    torch.testing.assert_close(got[:, 1:], expected_q)
    assert (got[:, 1] <= got[:, 0]).all() and (got[:, 0] <= got[:, 3]).all()


@pytest.mark.parametrize("point", ["mae", "mse"])
def test_member_loss_sums_the_members_point_error_and_pinball_loss(point):
    target = torch.tensor([[1.0, -2.0]])  # (B=1, H=2)
    out = torch.zeros(2, 1, 2, 3)  # K=2 members, point and quantiles 0.1 / 0.9
    out[0, 0, :, 0] = torch.tensor([0.0, 0.0])
    out[1, 0, :, 0] = torch.tensor([3.0, -2.0])
    out[..., 1], out[..., 2] = out[..., 0] - 1, out[..., 0] + 1
    errors = np.array([[1.0, -2.0], [-2.0, 0.0]])  # (K, H) truth minus point
    per_member = np.abs(errors) if point == "mae" else errors**2
    pinball = [
        max(q * d, (q - 1) * d) for e in errors.ravel() for q, d in ((0.1, e + 1), (0.9, e - 1))
    ]  # each quantile's distance from the truth
    expected = per_member.mean() * 2 + np.mean(pinball) * 2 * 2
    got = member_loss(out, target, (0.1, 0.9), point=point)
    assert got.item() == pytest.approx(expected)


def test_weights_are_inverse_to_validation_errors_and_the_worst_method_is_trimmed():
    truth = [np.array([10.0, 12.0])]
    hist = [np.array([1.0, 2.0, 3.0, 4.0, 5.0])]  # MASE scale 1 (lag-1 differences)
    network = np.array([[11.0, 12.0]])  # MAE 0.5
    refs = {
        "ets": Reference("ets", np.array([[[10.0], [13.0]]])),  # MAE 0.5
        "arima": Reference("arima", np.array([[[9.0], [11.0]]])),  # MAE 1
        "theta": Reference("theta", np.array([[[8.0], [10.0]]])),  # MAE 2: the worst, trimmed
    }
    w = error_weights(validation_errors(network, refs, truth, hist, season=1)[None])
    np.testing.assert_allclose(w[0], np.array([2, 2, 1, 0]) / 5)
    out = combine(np.array([[[1.0], [1.0]]]), refs, w)
    expected = (2 * 1 + 2 * np.array([10, 13]) + 1 * np.array([9, 11])) / 5
    np.testing.assert_allclose(out[0, :, 0], expected)


def test_a_failed_member_gets_no_weight_and_two_methods_are_not_trimmed():
    truth, hist = [np.array([10.0, 12.0])], [np.array([1.0, 2.0, 3.0, 4.0, 5.0])]
    refs = {
        "ets": Reference("ets", np.array([[[10.0], [14.0]]])),  # MAE 1
        "arima": Reference("arima", np.zeros((1, 2, 1)), fallbacks={0: "failed"}),
        "theta": Reference("theta", np.zeros((1, 2, 1)), fallbacks={0: "failed"}),
    }
    w = error_weights(
        validation_errors(np.array([[11.0, 12.0]]), refs, truth, hist, season=1)[None]
    )  # net MAE 0.5: it ranks first, so it counts as good as the best classical member (ets, relative 1)
    np.testing.assert_allclose(w[0], np.array([1, 1, 0, 0]) / 2)


def test_weights_average_the_errors_over_origins():
    nan = np.nan
    errors = np.array(
        [  # (origins, series, methods): origin 0 is the most recent
            [[1.0, 2.0, 4.0], [nan, nan, nan], [nan, nan, nan]],
            [[3.0, 2.0, 4.0], [1.0, 1.0, 2.0], [nan, nan, nan]],
        ]
    )
    w = error_weights(errors, every_origin=False)  # long data's rule: the network too on average
    np.testing.assert_allclose(w[0], np.array([0.5, 0.5, 0]))  # means 2, 2, 4: the worst trimmed
    np.testing.assert_allclose(w[1], np.array([0.5, 0.5, 0]))  # scored at one origin only
    np.testing.assert_allclose(w[2], np.full(3, 1 / 3))  # scored nowhere: equal weights


def test_the_network_joins_only_where_validation_ranks_it_first():
    errors = np.array([[[1.5, 1.0, 2.0, 4.0], [0.9, 1.0, 2.0, 4.0]]])  # (origins, series, net + 3 classical)
    w = error_weights(errors)
    np.testing.assert_allclose(w[0], np.array([0, 2, 1, 0]) / 3)  # second to ETS: out; then Theta trimmed
    np.testing.assert_allclose(w[1], np.array([1, 1, 0.5, 0]) / 2.5)  # first: in, as good as the best


def test_the_network_joins_short_data_only_where_it_ranked_first_at_each_of_its_origins():
    errors = np.array(
        [  # (origins, series, net + 3 classical): one lucky origin, then second to ETS
            [[0.5, 1.0, 2.0, 4.0]],
            [[1.2, 1.0, 2.0, 4.0]],
        ]
    )
    # its mean, 0.85, is below ETS's 1.0: on average (long data) it joins as the best; at each origin it does not
    np.testing.assert_allclose(error_weights(errors, every_origin=False)[0], np.array([1, 1, 0.5, 0]) / 2.5)
    np.testing.assert_allclose(error_weights(errors)[0], np.array([0, 2, 1, 0]) / 3)  # out; Theta trimmed
    errors[1, 0, 0] = 1.0  # a tie with the best counts as first
    np.testing.assert_allclose(error_weights(errors)[0], np.array([1, 1, 0.5, 0]) / 2.5)


def test_a_higher_power_leans_on_the_best_with_the_same_trimming():
    errors = np.array([[[0.9, 1.0, 2.0, 4.0]]])  # the network first; relative scores 1, 1, 2, 4 (trimmed)
    np.testing.assert_allclose(error_weights(errors)[0], np.array([1, 1, 0.5, 0]) / 2.5)
    sharp = np.array([1, 1, 2.0**-8, 0])
    np.testing.assert_allclose(error_weights(errors, power=8.0)[0], sharp / sharp.sum())


def test_each_origins_errors_count_relative_to_its_best_so_a_shock_does_not_outweigh_calm_origins():
    nan = np.nan
    errors = np.array(
        [  # (origins, series, net + 2 classical): a calm origin where A is twice as good, a shock both miss
            [[nan, 0.5, 1.0]],
            [[nan, 10.0, 8.0]],
        ]
    )
    w = error_weights(errors)[0]  # raw means 5.25 vs 4.5 would favour B; relative: 1.125 vs 1.5
    np.testing.assert_allclose(w, np.array([0, 1 / 1.125, 1 / 1.5]) / (1 / 1.125 + 1 / 1.5))


def test_the_network_is_ranked_on_its_own_origins_and_an_old_failure_costs_only_that_origin():
    nan, inf = np.nan, np.inf
    errors = np.array(
        [  # (origins, series, net + 3 classical): the network forecast the two most recent origins only
            [[0.8, 1.0, 1.2, 2.0]],
            [[1.0, 1.0, 1.0, 2.0]],
            [[nan, 0.5, 1.5, inf]],  # an older origin: ETS far ahead, Theta's fit failed
        ]
    )
    w = error_weights(errors)[0]
    # network mean 0.9 <= ETS 1.0 over its origins: in, counting 1; ETS (1 + 1 + 1) / 3 = 1; ARIMA (1.2 + 1 +
    # 3) / 3; Theta (2 + 2) / 2 = 2 from the origins it forecast: the worst, trimmed
    np.testing.assert_allclose(w, np.array([1, 1, 3 / 5.2, 0]) / (2 + 3 / 5.2))


def test_perfect_validation_forecasts_count_as_the_floor_not_as_infinitely_good():
    nan = np.nan
    w = error_weights(np.array([[[nan, 0.0, 0.0, 1.0]], [[nan, 0.0, 0.02, 0.5]]]))[0]  # a flat series, say
    np.testing.assert_allclose(w, [0, 0.5, 0.5, 0])  # both at the floor (0.05): alike; Theta trimmed


def test_further_origins_fit_the_classical_members_within_a_budget_of_series_times_origins():
    from lstmkit.models.forecast_combination import extra_origins

    assert [extra_origins(n, 5) for n in (1, 10, 20, 22, 30, 40, 60, 61, 150)] == [3, 3, 3, 2, 2, 1, 1, 0, 0]
    assert extra_origins(1, 2) == extra_origins(1, 1) == 0


def test_with_every_method_failed_or_left_out_the_classical_members_share_equally():
    inf = np.inf
    w = error_weights(np.array([[[inf, inf, inf, inf]]]))  # the network read padding; every member fell back
    np.testing.assert_allclose(w[0], [0, 1 / 3, 1 / 3, 1 / 3])
    combination = {
        "members": ["lstm", "ets", "arima"],
        "weights": {"a": [0.5, 0.5, 0.0], "b": [0.2, 0.4, 0.4]},
    }
    refs = {
        "ets": Reference("ets", np.zeros((2, 2, 1)), fallbacks={0: "failed"}),
        "arima": Reference("arima", np.zeros((2, 2, 1))),
    }
    w = series_weights(combination, ["a", "b"], refs, short=[0, 1])  # both shorter than the network's window
    np.testing.assert_allclose(w, [[0, 0, 1], [0, 0.5, 0.5]])


def test_errors_of_failed_methods_are_written_as_null():
    entry = combination_entry(["lstm", "ets"], ["a"], np.array([[[np.inf, 1.25]]]))
    assert entry["errors"] == {"a": [[None, 1.25]]}
    assert entry["weights"] == {"a": [0.0, 1.0]}
