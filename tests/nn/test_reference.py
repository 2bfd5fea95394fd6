"""The reference LSTM itself: its training-mode draws, its noise plumbing and inter-layer dropout.

Its numbers are checked against torch.nn.LSTM and every backend in the parity tests
(test_lstm_parity, test_kernel, test_variants, test_variant_explicit, test_trace)."""

import torch

from lstmkit.nn import LSTM
from lstmkit.nn.reference import Noise, reference_lstm

F_IN, H, T, B = 3, 4, 5, 2
STOCHASTIC = {"recurrent_dropout": 0.3, "weight_drop": 0.2, "zoneout": (0.2, 0.1)}


def neutral(m: LSTM, between: float) -> Noise:
    """Draws that change nothing (masks of ones, keep nothing), inter-layer dropout scaled by ``between``."""
    dirs, noise = m.num_directions, Noise()
    for _ in range(m.num_layers * dirs):
        noise.w_mask.append(torch.ones(4 * H, H, dtype=torch.float64))
        noise.h_mask.append(torch.ones(B, H, dtype=torch.float64))
        noise.keep_c.append(torch.zeros(T, B, H, dtype=torch.float64))
        noise.keep_h.append(torch.zeros(T, B, H, dtype=torch.float64))
    noise.between = [torch.full((T, B, dirs * H), between, dtype=torch.float64)] * (m.num_layers - 1)
    return noise


def test_training_draws_are_seeded_and_change_the_result():
    m = LSTM(F_IN, H, num_layers=2, dropout=0.4, **STOCHASTIC, dtype=torch.float64).train()
    x = torch.randn(T, B, F_IN, dtype=torch.float64)
    torch.manual_seed(3)
    a = reference_lstm(m, x).output
    torch.manual_seed(3)
    assert torch.equal(a, reference_lstm(m, x).output)
    assert not torch.equal(a, reference_lstm(m, x).output)  # fresh draws
    assert not torch.allclose(a, reference_lstm(m.eval(), x).output)


def test_neutral_noise_is_the_layer_without_noise_and_between_scales_the_next_layer_input():
    m = LSTM(
        F_IN, H, num_layers=2, bidirectional=True, dropout=0.4, **STOCHASTIC, dtype=torch.float64
    ).train()
    plain = LSTM(F_IN, H, num_layers=2, bidirectional=True, dtype=torch.float64).eval()
    plain.load_state_dict(m.state_dict())
    x = torch.randn(T, B, F_IN, dtype=torch.float64)
    got = reference_lstm(m, x, noise=neutral(m, 1.0))
    torch.testing.assert_close(got.output, plain(x)[0], atol=1e-12, rtol=0)
    layer0 = LSTM(F_IN, H, bidirectional=True, dtype=torch.float64).eval()
    layer1 = LSTM(2 * H, H, bidirectional=True, dtype=torch.float64).eval()
    sd = plain.state_dict()
    layer0.load_state_dict({k: v for k, v in sd.items() if "_l0" in k})
    layer1.load_state_dict({k.replace("_l1", "_l0"): v for k, v in sd.items() if "_l1" in k})
    scaled = reference_lstm(m, x, noise=neutral(m, 2.0)).output
    torch.testing.assert_close(scaled, layer1(2 * layer0(x)[0])[0], atol=1e-12, rtol=0)
