"""Shared fixtures for the layer tests: a fixed seed and the tolerance of each dtype."""

import pytest
import torch

_TOL = {torch.float32: {"atol": 1e-5, "rtol": 1e-5}, torch.float64: {"atol": 1e-10, "rtol": 1e-10}}


@pytest.fixture(autouse=True)
def seed() -> int:
    """Every test starts from the same random state."""
    torch.manual_seed(0)
    return 0


@pytest.fixture
def tol():
    """assert_close tolerances per dtype: 1e-5 in float32, 1e-10 in float64."""
    return _TOL
