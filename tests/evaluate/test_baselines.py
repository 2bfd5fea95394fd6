import numpy as np
import pytest
from statistics import NormalDist

from lstmkit.evaluate import baselines


def test_naive_intervals_follow_the_random_walk_formula():
    y = np.array([10.0, 12, 11, 13, 12, 14])
    point = baselines.naive(y, 4)
    q = baselines.baseline_quantiles("naive", y, point, (0.1, 0.9))
    sigma = np.sqrt(np.mean(np.diff(y) ** 2))
    z = NormalDist().inv_cdf(0.9)
    np.testing.assert_allclose(q[0.9] - point, z * sigma * np.sqrt([1, 2, 3, 4]))
    np.testing.assert_allclose(point - q[0.1], q[0.9] - point)


def test_seasonal_naive_intervals_widen_once_per_season():
    rng = np.random.default_rng(0)
    y = np.tile([1.0, 5.0, 3.0, 2.0], 6) + rng.normal(0, 0.1, 24)
    point = baselines.seasonal_naive(y, 8, season=4)
    width = np.diff(np.stack(list(baselines.baseline_quantiles("seasonal_naive", y, point, (0.1, 0.9), season=4).values())), axis=0)[0]
    assert np.allclose(width[:4], width[0]) and np.allclose(width[4:], width[0] * np.sqrt(2))


@pytest.mark.parametrize("name", list(baselines.BASELINES))
def test_every_baseline_gives_ordered_quantiles(name):
    t = np.arange(48.0)
    y = 20 + 0.3 * t + 3 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(1).normal(0, 0.5, 48)
    point = baselines.BASELINES[name](y, 6, 12)
    q = baselines.baseline_quantiles(name, y, point, (0.05, 0.5, 0.95), season=12)
    assert (q[0.05] < q[0.5]).all() and (q[0.5] < q[0.95]).all()
    np.testing.assert_allclose(q[0.5], point)
