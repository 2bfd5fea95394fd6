"""On a CUDA device: the layer on both backends, and a job end to end. Skipped without a GPU."""

import numpy as np
import pandas as pd
import pytest
import torch

from lstmkit.nn import LSTM

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@pytest.mark.parametrize("backend", ["fused", "explicit"])
def test_layer_on_cuda_matches_torch(backend):
    torch.manual_seed(0)
    ref = torch.nn.LSTM(6, 16, 2, batch_first=True, bidirectional=True).cuda().double()
    ours = LSTM.from_torch(ref, backend=backend).cuda().double()
    x = torch.randn(4, 9, 6, device="cuda", dtype=torch.float64, requires_grad=True)
    (out, _), (want, _) = ours(x), ref(x)
    torch.testing.assert_close(out, want)
    (g,) = torch.autograd.grad(out.sum(), x)
    (g_ref,) = torch.autograd.grad(want.sum(), x)
    torch.testing.assert_close(g, g_ref)


def test_variant_layer_runs_on_cuda():
    lstm = LSTM(3, 8, batch_first=True, layer_norm=True, zoneout=0.1).cuda()
    out, (h, c) = lstm(torch.randn(2, 5, 3, device="cuda"))
    assert out.is_cuda and out.shape == (2, 5, 8)


def test_forecaster_trains_on_cuda(tmp_path):
    from lstmkit.cli import main

    t = np.arange(96)
    pd.DataFrame({"y": 10 + np.sin(2 * np.pi * t / 12)}).to_csv(tmp_path / "d.csv", index=False)
    assert (
        main(
            [
                "forecast",
                str(tmp_path / "d.csv"),
                "--horizon",
                "3",
                "--season",
                "12",
                "--epochs",
                "2",
                "--device",
                "cuda",
                "--output",
                str(tmp_path / "out"),
                "--quiet",
            ]
        )
        == 0
    )
    assert len(pd.read_csv(tmp_path / "out" / "forecast.csv")) == 3
