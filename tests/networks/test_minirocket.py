"""MiniRocket features against a per-step loop written from the paper, the dilation plan, the bias draw."""

from itertools import combinations

import numpy as np
import torch

from lstmkit.networks.minirocket import KERNELS, dilation_plan, fit_minirocket, quantiles


def loop_features(rocket, series: np.ndarray) -> np.ndarray:
    """PPV features of one series ``(C, T)`` by explicit loops over kernels, dilations, biases and steps."""
    C, T = series.shape
    out, at = [], 0
    for d, (dilation, n) in enumerate(zip(rocket.dilations, rocket.features_per_dilation)):
        for k in range(84):
            channels = rocket.channels[d, k].numpy()
            conv = np.zeros(T)
            for t in range(T):
                for j in range(9):
                    s = t + (j - 4) * dilation  # 'same' zero padding: steps outside the series read 0
                    if 0 <= s < T:
                        conv[t] += KERNELS[k, j] * (channels * series[:, s]).sum()
            pad = 4 * dilation
            read = conv if (d + k) % 2 == 0 else conv[pad : T - pad]  # half the pairs skip the padded ends
            for b in rocket.biases[at : at + n].numpy():
                out.append(float((read > b).mean()) if len(read) else 0.0)
            at += n
    return np.asarray(out)


def test_kernels_are_every_choice_of_three_twos_among_nine():
    assert KERNELS.shape == (84, 9)
    assert {tuple(np.flatnonzero(k == 2.0)) for k in KERNELS} == set(combinations(range(9), 3))
    np.testing.assert_array_equal(KERNELS.sum(axis=1), 0.0)


def test_dilation_plan_follows_the_paper():
    dilations, per = dilation_plan(150, 10_000)
    assert sum(per) == 10_000 // 84  # 119 features per kernel, 9,996 in all
    assert dilations[0] == 1 and dilations == sorted(set(dilations))
    assert dilations[-1] == int(2 ** np.log2(149 / 8))  # the largest dilation still spans the series
    assert dilation_plan(9, 840) == ([1], [10])  # a short series: dilation 1 takes every feature
    np.testing.assert_allclose(quantiles(2), [(1 + 5**0.5) / 2 % 1, (1 + 5**0.5) % 1])


def test_features_match_the_loop_and_ignore_padding(seed):
    rng = np.random.default_rng(0)
    lengths = np.array([40, 23, 31])
    x = np.zeros((3, 3, 40), dtype=np.float32)
    for i, n in enumerate(lengths):
        x[i, :, :n] = rng.normal(size=(3, n)).cumsum(axis=1)
    rocket = fit_minirocket(torch.from_numpy(x), torch.from_numpy(lengths), num_features=84 * 6, seed=1)
    assert len(rocket.dilations) > 1 and (rocket.channels.sum(-1) >= 1).all()
    padded = x.copy()
    padded[1, :, 23:] = 0.0
    with torch.no_grad():
        got = rocket(torch.from_numpy(padded), torch.from_numpy(lengths)).numpy()
    assert got.shape == (3, 84 * 6)
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(got[i], loop_features(rocket, x[i, :, :n]), atol=1e-6)


def test_biases_are_quantiles_of_training_outputs(seed):
    x = torch.randn(5, 1, 30)
    rocket = fit_minirocket(x, torch.full((5,), 30), num_features=840, seed=0)
    with torch.no_grad():
        conv = torch.cat(
            [rocket.convolve(x, d) for d in range(len(rocket.dilations))], dim=1
        )  # (5, 84 D, 30)
    low, high = conv.min().item(), conv.max().item()
    assert low <= rocket.biases.min().item() and rocket.biases.max().item() <= high
    features = rocket(x, torch.full((5,), 30))
    assert ((features >= 0) & (features <= 1)).all() and features.std() > 0.1  # PPVs spread over [0, 1]
