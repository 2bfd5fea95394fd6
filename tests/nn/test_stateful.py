"""StatefulLSTM: consecutive chunks equal one run over the whole sequence, gradients truncated."""

import torch

from lstmkit.nn import LSTM, StatefulLSTM, detach_state


def test_chunks_continue_the_state_and_truncate_gradients():
    lstm = LSTM(3, 4, num_layers=2, batch_first=True, dtype=torch.float64)
    x = torch.randn(2, 9, 3, dtype=torch.float64)
    whole, (h_n, c_n) = lstm(x)
    model = StatefulLSTM(lstm)
    outs = []
    for chunk in x.split(3, dim=1):
        out, _ = model(chunk)
        outs.append(out)
        assert not model.state[0].requires_grad and not model.state[1].requires_grad
    torch.testing.assert_close(torch.cat(outs, 1), whole, atol=1e-12, rtol=0)
    torch.testing.assert_close(model.state[0], h_n, atol=1e-12, rtol=0)
    first = x[:, :3].clone().requires_grad_()
    model.reset_state()
    model(first)
    out, _ = model(x[:, 3:6])
    out.sum().backward()
    assert first.grad is None  # the graph stops at the chunk boundary


def test_state_dropped_when_batch_changes_and_explicit_hx_wins():
    model = StatefulLSTM(LSTM(3, 4))
    model(torch.randn(5, 2, 3))
    x = torch.randn(5, 1, 3)
    torch.testing.assert_close(model(x)[0], model.lstm(x)[0])  # a shorter last batch starts from zeros
    h0 = (torch.zeros(1, 1, 4), torch.zeros(1, 1, 4))
    x = torch.randn(5, 1, 3)
    torch.testing.assert_close(model(x, h0)[0], model.lstm(x)[0])


def test_detach_state_nested():
    a = torch.ones(2, requires_grad=True) * 2
    got = detach_state([(a, a), a])
    assert isinstance(got, list) and isinstance(got[0], tuple) and not got[1].requires_grad
