"""Metrics against values worked out by hand."""

import numpy as np
import pytest

from lstmkit.evaluate import metrics


def test_point_metrics_by_hand():
    y, f = np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 2.0])
    assert metrics.mae(y, f) == pytest.approx(1.0)
    assert metrics.rmse(y, f) == pytest.approx(np.sqrt(5 / 3))
    assert metrics.smape(y, f) == pytest.approx(100 * (2 / 3 + 0 + 4 / 6) / 3)
    # in-sample lag-2 differences of [1, 3, 2, 6]: |2-1|, |6-3| -> scale 2
    assert metrics.mase(y, f, insample=np.array([1.0, 3.0, 2.0, 6.0]), season=2) == pytest.approx(0.5)


def test_interval_metrics_by_hand():
    y = np.array([1.0, 5.0])
    assert metrics.coverage(y, np.array([0.0, 0.0]), np.array([2.0, 2.0])) == 0.5
    # q=0.9 forecast 2 for truths 1, 5: 0.1*1 and 0.9*3
    assert metrics.pinball(y, {0.9: np.array([2.0, 2.0])}) == pytest.approx((0.1 + 2.7) / 2)
