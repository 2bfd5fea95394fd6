"""Shared fixtures: a seeded generator and one torch thread per test worker."""
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture
def seed() -> int:
    """Seed torch's global generator and return the seed."""
    torch.manual_seed(0)
    return 0
