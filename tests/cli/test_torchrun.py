"""`torchrun -m lstmkit ...` on 2 gloo ranks gives the weights of one process."""

import subprocess
import sys

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load_file


def assert_same_weights(one, two, *, atol=1e-5):
    one, two = load_file(one / "model.safetensors"), load_file(two / "model.safetensors")
    assert one.keys() == two.keys()
    for key in one:
        torch.testing.assert_close(two[key], one[key], rtol=1e-4, atol=atol, msg=key)


def test_forecaster_on_two_ranks_matches_one_process(tmp_path, torchrun):
    t = np.arange(80)
    y = 50 + 5 * np.sin(2 * np.pi * t / 12) + 0.2 * t
    pd.DataFrame({"month": pd.period_range("2001-01", periods=80, freq="M").astype(str), "y": y}).to_csv(
        tmp_path / "data.csv", index=False
    )
    flags = [
        "train",
        str(tmp_path / "data.csv"),
        "--horizon",
        "4",
        "--epochs",
        "3",
        "--batch-size",
        "9",
        "--set",
        "model.ensemble=2",
        # squared error: an absolute error within rounding of zero flips its gradient's sign, and Adam makes that a
        # full step; the split of the global batch across ranks is what this compares
        "--set",
        "model.loss=mse",
        "--hidden-size",
        "8",
        "--quiet",
    ]
    subprocess.run(
        [sys.executable, "-m", "lstmkit", *flags, "--output", str(tmp_path / "one")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    torchrun(["-m", "lstmkit", *flags, "--output", str(tmp_path / "two")])
    # the members correct a baseline that is already close, so their heads' gradients are near zero and Adam turns
    # the float32 summation-order difference of two half-batch means into ~1e-4 steps (1e-5 with the baseline off);
    # a wrong split of the global batch moves weights by ~1e-2
    assert_same_weights(tmp_path / "one", tmp_path / "two", atol=1e-3)
    assert (tmp_path / "two" / "history.csv").exists()


def test_classifier_on_two_ranks_matches_one_process(tmp_path, torchrun):
    rng = np.random.default_rng(0)
    lines = [
        "@problemName Slopes",
        "@dimensions 2",
        "@equalLength false",
        "@classLabel true up down",
        "@data",
    ]
    for i in range(40):
        T, slope = (
            int(rng.integers(4, 12)),
            1 if i % 3 else -1,
        )  # unequal lengths and classes: class weights on
        chans = [",".join(f"{slope * t / T + 0.1 * rng.normal():.4f}" for t in range(T)) for _ in range(2)]
        lines.append(":".join(chans) + (":up" if slope > 0 else ":down"))
    (tmp_path / "train.ts").write_text("\n".join(lines) + "\n")
    flags = [
        "classify",
        "train",
        str(tmp_path / "train.ts"),
        "--epochs",
        "3",
        "--batch-size",
        "9",
        "--hidden-size",
        "8",
        "--dropout",
        "0",
        "--set",
        "data.augment=false",
        "--set",
        "model.conv_channels=8,8",
        "--set",
        "model.kernel_sizes=3,3",
        "--quiet",
    ]
    subprocess.run(
        [sys.executable, "-m", "lstmkit", *flags, "--output", str(tmp_path / "one")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    torchrun(["-m", "lstmkit", *flags, "--output", str(tmp_path / "two")])
    assert_same_weights(tmp_path / "one", tmp_path / "two")


def test_language_model_on_two_ranks_matches_one_process(tmp_path, torchrun):
    (tmp_path / "corpus.txt").write_text("the quick brown fox jumps over the lazy dog. " * 40)
    flags = [
        "text",
        "train",
        str(tmp_path / "corpus.txt"),
        "--epochs",
        "2",
        "--hidden-size",
        "8",
        "--dropout",
        "0",
        "--set",
        "model.embedding_dim=4",
        "--set",
        "data.chunk_len=16",
        "--quiet",
    ]
    subprocess.run(
        [sys.executable, "-m", "lstmkit", *flags, "--output", str(tmp_path / "one")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    torchrun(["-m", "lstmkit", *flags, "--output", str(tmp_path / "two")])
    assert_same_weights(tmp_path / "one", tmp_path / "two")
