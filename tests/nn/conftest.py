"""Shared fixtures for the layer tests: a fixed seed, the tolerance of each dtype, and the capture of
the random draws of a training forward for the reference LSTM (:mod:`lstmkit.nn.reference`)."""

import pytest
import torch
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from lstmkit.nn import variants
from lstmkit.nn.reference import Noise

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


class Draws:
    """The random draws of variant layers and cells, recorded in order (see the ``capture`` fixture)."""

    def __init__(self) -> None:
        self.draw: list = []  # (weight-drop mask of W_hh, recurrent-dropout mask), or None, per layer-direction
        self.zone: list = []  # zoneout keep masks (N, X), packed layout, the cell's before the hidden's

    def noise(self, m, *, steps: int, batch: int, packed=None) -> Noise | None:
        """The draws of one forward of ``m`` as the reference's :class:`Noise`: padded, caller's batch order.

        ``packed``: the PackedSequence the forward ran on, whose rows and batch order the layer's masks follow.
        """
        if not self.draw:  # the fused backend: nothing drawn
            return None
        draws, zone, noise = iter(self.draw), iter(self.zone), Noise()
        order = None if packed is None else packed.unsorted_indices

        def padded(rows):  # (N, X) -> (T, B, X)
            if packed is None:
                return rows.view(steps, batch, -1)
            seq, _ = pad_packed_sequence(PackedSequence(rows, packed.batch_sizes), total_length=steps)
            return seq if order is None else seq[:, order]

        for _ in range(m.num_layers * (2 if getattr(m, "bidirectional", False) else 1)):
            w_mask, h_mask = next(draws)
            noise.w_mask.append(w_mask)
            noise.h_mask.append(h_mask if h_mask is None or order is None else h_mask[order])
            for z, keeps in zip(m.variants.zoneout, (noise.keep_c, noise.keep_h)):
                keeps.append(padded(next(zone)) if z and m.training else None)
        return noise


@pytest.fixture
def capture(monkeypatch) -> Draws:
    """Record the dropout and zoneout masks the layer (or cell) draws, so the reference can reuse them."""
    got = Draws()
    draw, zoneout_mask = variants.draw, variants.zoneout_mask

    def draw_rec(v, w_hh, *a, **k):
        dropped, h_mask = draw(v, w_hh, *a, **k)
        w_mask = None if dropped is w_hh else (dropped / w_hh).detach()  # the scaled Bernoulli mask
        got.draw.append((w_mask, h_mask))
        return dropped, h_mask

    def zone_rec(*a, **k):
        got.zone.append(zoneout_mask(*a, **k))
        return got.zone[-1]

    monkeypatch.setattr(variants, "draw", draw_rec)
    monkeypatch.setattr(variants, "zoneout_mask", zone_rec)
    return got
