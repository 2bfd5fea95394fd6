"""Interval calibration on the validation origin: the widening it computes, how the network applies it,
and weights saved before it existed."""

import numpy as np
import pytest
import torch

from lstmkit.evaluate.references import Reference
from lstmkit.models.forecast_intervals import (
    MAX_INTERVAL_SCALE,
    MIN_MEMBER_POINTS,
    MIN_POINTS,
    interval_scale,
    member_interval_scales,
    widened,
)
from lstmkit.networks.forecast_net import ForecastNet

Z90 = 1.2815515655446004  # the standard normal's 0.9-quantile


def forecasts_with_halfwidth(n_series, horizon, halfwidth):
    """Point 0 and an 80% interval of +-halfwidth: (S, H, 3)."""
    out = np.zeros((n_series, horizon, 3))
    out[..., 1], out[..., 2] = -halfwidth, halfwidth
    return out


def test_too_narrow_intervals_are_widened_to_cover_as_their_level_says():
    rng = np.random.default_rng(0)
    truths = [rng.normal(0, 1, 500) for _ in range(4)]
    s = interval_scale(forecasts_with_halfwidth(4, 500, 0.5), truths, (0.1, 0.9))
    assert s == pytest.approx(Z90 / 0.5, rel=0.05)  # the spread the truth shows, over the one implied
    covered = np.mean([np.mean(np.abs(t) <= 0.5 * s) for t in truths])
    assert covered == pytest.approx(0.8, abs=0.02)


def test_wide_enough_intervals_are_left_alone_and_the_widening_is_bounded():
    rng = np.random.default_rng(1)
    truths = [rng.normal(0, 0.1, 50)]
    assert interval_scale(forecasts_with_halfwidth(1, 50, 1.0), truths, (0.1, 0.9)) == 1.0
    assert interval_scale(forecasts_with_halfwidth(1, 50, 1e-3), [rng.normal(0, 1, 50)], (0.1, 0.9)) == (
        MAX_INTERVAL_SCALE
    )


def test_a_calibrated_judge_passes_its_widening_on():
    rng = np.random.default_rng(2)
    truths = [rng.normal(0, 1, 400)]
    halfwidth = Z90  # the judge's intervals, already widened twice, fit the truth
    s = interval_scale(forecasts_with_halfwidth(1, 400, halfwidth), truths, (0.1, 0.9), judge_scale=2.0)
    assert s == pytest.approx(2.0, rel=0.1)


def test_missing_truths_are_skipped_and_too_few_points_change_nothing():
    truth = np.array([3.0, np.nan, -3.0, np.nan, 3.0, -3.0, 3.0])
    s = interval_scale(forecasts_with_halfwidth(1, 7, 1.0), [truth], (0.1, 0.9))
    assert s == pytest.approx(3.0 * Z90 / 0.6744897501960817)  # |residuals| 3, implied sigma 1 / Z90
    short = truth[: MIN_POINTS - 1]
    assert interval_scale(forecasts_with_halfwidth(1, 4, 1.0), [short], (0.1, 0.9), judge_scale=1.5) == 1.5
    assert interval_scale(forecasts_with_halfwidth(1, 7, 1.0), [truth], (0.5,)) == 1.0


def test_each_classical_member_is_scaled_to_its_own_errors_over_the_series_it_did_not_fail_on():
    n = MIN_MEMBER_POINTS // 2
    truth = np.tile([2.0, -2.0], n // 2)  # |residual| 2 everywhere
    narrow = forecasts_with_halfwidth(3, n, Z90 / 0.6744897501960817)  # implied median |residual| 1
    too_wide = forecasts_with_halfwidth(3, n, 100.0)
    failed = too_wide.copy()
    failed[2] = forecasts_with_halfwidth(1, n, 0.01)[0]  # the seasonal naive stand-in of a failed fit
    refs = {
        "ets": Reference("ets", narrow),
        "arima": Reference("arima", too_wide),
        "theta": Reference("theta", failed, fallbacks={2: "failed; seasonal naive used"}),
    }
    scales = member_interval_scales(refs, [truth] * 3, (0.1, 0.9))
    assert scales["ets"] == pytest.approx(2.0)
    assert scales["arima"] == 1.0  # too wide: left alone (calibration only widens)
    assert scales["theta"] == 1.0  # as arima: the narrow fallback series is not counted
    one_series = member_interval_scales(refs, [truth, truth[:2], truth[:2]], (0.1, 0.9))
    assert one_series == {"ets": 1.0, "arima": 1.0, "theta": 1.0}  # too few points to say: left alone


def test_widening_scales_each_quantiles_distance_from_an_unchanged_point():
    forecasts = np.array([[[10.0, 8.0, 9.5, 13.0]]])  # point, q0.1, q0.4, q0.9
    np.testing.assert_allclose(widened(forecasts, 2.0), [[[10.0, 6.0, 9.0, 16.0]]])
    np.testing.assert_allclose(widened(forecasts, 0.5), [[[10.0, 9.0, 9.75, 11.5]]])
    np.testing.assert_array_equal(forecasts, [[[10.0, 8.0, 9.5, 13.0]]])  # the input is left as it was


def net(quantiles=(0.1, 0.9)):
    torch.manual_seed(0)
    return ForecastNet(lookbacks=[8, 12], horizon=4, quantiles=quantiles, season=4)


def test_the_network_widens_each_quantile_around_an_unchanged_point():
    model = net().eval()
    x, scale = torch.rand(3, 12) + 1.0, torch.ones(3, 1)
    with torch.no_grad():
        before = model(x, scale)
        model.interval_scale.fill_(2.5)
        after = model(x, scale)
    torch.testing.assert_close(after[..., 0], before[..., 0])
    torch.testing.assert_close(after[..., 1:] - after[..., :1], 2.5 * (before[..., 1:] - before[..., :1]))


def test_weights_saved_before_calibration_load_as_trained():
    old = {k: v for k, v in net().state_dict().items() if k != "interval_scale"}
    model = net()
    model.interval_scale.fill_(3.0)
    model.load_state_dict(old)  # strict: the missing buffer is filled, not an error
    torch.testing.assert_close(model.interval_scale, torch.ones(2))
