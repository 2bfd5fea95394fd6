"""`torchrun -m lstmkit train` on 2 gloo ranks gives the weights of one process."""
import subprocess
import sys

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load_file


def test_two_ranks_write_once_and_match_one_process(tmp_path):
    t = np.arange(80)
    y = 50 + 5 * np.sin(2 * np.pi * t / 12) + 0.2 * t
    pd.DataFrame({"month": pd.period_range("2001-01", periods=80, freq="M").astype(str), "y": y}).to_csv(
        tmp_path / "data.csv", index=False)
    flags = ["train", str(tmp_path / "data.csv"), "--horizon", "4", "--epochs", "3", "--batch-size", "9",
             "--set", "model.ensemble=2", "--hidden-size", "8", "--quiet"]
    subprocess.run([sys.executable, "-m", "lstmkit", *flags, "--output", str(tmp_path / "one")],
                   check=True, capture_output=True, timeout=300)
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--rdzv-backend", "c10d",
                    "--rdzv-endpoint", "127.0.0.1:0", "-m", "lstmkit", *flags, "--output", str(tmp_path / "two")],
                   check=True, capture_output=True, timeout=300)
    one, two = load_file(tmp_path / "one" / "model.safetensors"), load_file(tmp_path / "two" / "model.safetensors")
    assert one.keys() == two.keys()
    for key in one:
        torch.testing.assert_close(two[key], one[key], rtol=1e-4, atol=1e-5)
    assert (tmp_path / "two" / "history.csv").exists()
