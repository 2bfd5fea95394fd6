"""lstmkit.nn.LSTMCell against torch.nn.LSTMCell with copied weights, gradients included."""

import pytest
import torch

from lstmkit.nn import LSTMCell


def test_same_seed_same_initialisation():
    torch.manual_seed(7)
    ours = LSTMCell(3, 5)
    torch.manual_seed(7)
    ref = torch.nn.LSTMCell(3, 5)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for a, b in zip(ours.state_dict().values(), ref.state_dict().values()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
def test_matches_torch_cell(bias, batched, with_hx, tol):
    dtype = torch.float64
    ref = torch.nn.LSTMCell(3, 5, bias=bias, dtype=dtype)
    ours = LSTMCell(3, 5, bias=bias, dtype=dtype)
    ours.load_state_dict(ref.state_dict())
    batch = (4,) if batched else ()
    x = torch.randn(*batch, 3, dtype=dtype, requires_grad=True)
    hx = (
        (
            torch.randn(*batch, 5, dtype=dtype, requires_grad=True),
            torch.randn(*batch, 5, dtype=dtype, requires_grad=True),
        )
        if with_hx
        else None
    )
    results = []
    for cell in (ours, ref):
        h, c = cell(x, hx)
        loss = (h * torch.linspace(-1, 1, h.numel(), dtype=dtype).view_as(h)).sum() + c.sin().sum()
        results.append([h, c, *torch.autograd.grad(loss, [x, *(hx or ()), *cell.parameters()])])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, **tol[dtype])
