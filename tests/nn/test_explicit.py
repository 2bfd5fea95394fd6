"""The explicit backend's autograd function: gradcheck in float64, and inter-layer dropout."""

import pytest
import torch
from torch.autograd import gradcheck
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence

from lstmkit.nn import LSTM
from lstmkit.nn.explicit import LSTMLayerFunction
from lstmkit.nn.reference import reference_lstm
from lstmkit.nn.schedule import Schedule

F_IN, H = 3, 4


def _inputs(batch_sizes, *, proj, bias):
    d = {"dtype": torch.float64, "requires_grad": True}
    rows, batch = sum(batch_sizes), batch_sizes[0]
    p = proj or H
    x = torch.randn(rows, F_IN, **d)
    h0, c0 = torch.randn(batch, p, **d), torch.randn(batch, H, **d)
    w_ih, w_hh = torch.randn(4 * H, F_IN, **d), torch.randn(4 * H, p, **d)
    b_ih, b_hh = (torch.randn(4 * H, **d), torch.randn(4 * H, **d)) if bias else (None, None)
    w_hr = torch.randn(proj, H, **d) if proj else None
    return x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize(
    "batch_sizes,proj,bias",
    [((3, 3, 3), 0, True), ((3, 3, 3, 3), 2, False), ((4, 3, 3, 1), 0, True), ((3, 2, 2, 1), 2, True)],
    ids=["padded", "padded-proj-nobias", "packed", "packed-proj"],
)
def test_layer_function_gradcheck(batch_sizes, proj, bias, reverse):
    sched = Schedule.of(batch_sizes)
    args = _inputs(batch_sizes, proj=proj, bias=bias)

    def fn(*a):
        return LSTMLayerFunction.apply(*a, sched, reverse)

    assert gradcheck(fn, args, eps=1e-6, atol=1e-7)


def test_layer_gradcheck_bidirectional_projected_packed():
    m = LSTM(F_IN, H, num_layers=2, bidirectional=True, proj_size=2, backend="explicit", dtype=torch.float64)
    x = torch.randn(4, 3, F_IN, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(4, 3, 2, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(4, 3, H, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([2, 4, 1])
    names = [n for n, _ in m.named_parameters()]

    def fn(x, h0, c0, *params):
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, (h_n, c_n) = torch.func.functional_call(m, dict(zip(names, params)), (packed, (h0, c0)))
        return out.data, h_n, c_n

    assert gradcheck(fn, (x, h0, c0, *m.parameters()), eps=1e-6, atol=1e-7)


def test_no_grad_inputs_skip_gradients():
    m = LSTM(F_IN, H, backend="explicit")
    m.weight_ih_l0.requires_grad_(False)
    m(torch.randn(5, 2, F_IN))[0].sum().backward()
    assert m.weight_ih_l0.grad is None and m.weight_hh_l0.grad is not None


@pytest.mark.parametrize("backend", ["fused", "explicit"])
def test_dropout_active_in_training_only(backend):
    m = LSTM(F_IN, H, num_layers=2, dropout=0.5, backend=backend)
    x = torch.randn(7, 3, F_IN)
    m.eval()
    assert torch.equal(m(x)[0], m(x)[0])
    eval_out = m(x)[0]
    m.train()
    a, b = m(x)[0], m(x)[0]
    assert not torch.equal(a, b) and not torch.equal(a, eval_out)
    torch.manual_seed(3)
    c = m(x)[0]
    torch.manual_seed(3)
    assert torch.equal(c, m(x)[0])


def test_explicit_dropout_is_inverted_dropout_on_the_output_of_every_layer_but_the_last():
    """Same seed: the 2-layer training forward equals layer 0 -> F.dropout -> layer 1."""
    m = LSTM(F_IN, H, num_layers=2, bidirectional=True, dropout=0.3, backend="explicit", dtype=torch.float64)
    x = torch.randn(6, 4, F_IN, dtype=torch.float64)
    layer0 = LSTM(F_IN, H, bidirectional=True, backend="explicit", dtype=torch.float64)
    layer1 = LSTM(2 * H, H, bidirectional=True, backend="explicit", dtype=torch.float64)
    sd = m.state_dict()
    layer0.load_state_dict({k: v for k, v in sd.items() if "_l0" in k})
    layer1.load_state_dict({k.replace("_l1", "_l0"): v for k, v in sd.items() if "_l1" in k})
    torch.manual_seed(5)
    out, (h_n, _) = m.train()(x)
    torch.manual_seed(5)
    y0, (h0_n, _) = layer0(x)
    y1, (h1_n, _) = layer1(F.dropout(y0, 0.3, training=True))
    torch.testing.assert_close(out, y1, atol=1e-12, rtol=0)
    torch.testing.assert_close(h_n, torch.cat([h0_n, h1_n]), atol=1e-12, rtol=0)
    assert (y0 - F.dropout(y0, 0.3, training=True) != 0).any()  # the mask does drop something


@pytest.mark.parametrize(
    "kwargs", [{}, {"bidirectional": True, "proj_size": 2, "num_layers": 2}], ids=["plain", "bidir-proj"]
)
def test_inference_in_chunks_of_steps_matches_torch_and_the_reference(kwargs, monkeypatch):
    """Without a graph to record the explicit forward runs its steps in chunks (here of 2 steps)."""
    from lstmkit.nn import explicit, kernel

    if not kernel.available():
        pytest.skip("the chunked inference forward needs the compiled loop")
    monkeypatch.setattr(explicit, "_CHUNK_GATES", 2 * 3 * 4 * H)  # 2 steps of B=3
    ref = torch.nn.LSTM(F_IN, H, dtype=torch.float64, **kwargs)
    ours = LSTM.from_torch(ref, backend="explicit")
    x = torch.randn(7, 3, F_IN, dtype=torch.float64)
    lead = ours.num_layers * ours.num_directions
    hx = (
        torch.randn(lead, 3, ours.proj_size or H, dtype=torch.float64),
        torch.randn(lead, 3, H, dtype=torch.float64),
    )
    with torch.no_grad():
        got, want = ours(x, hx), ref(x, hx)
        oracle = reference_lstm(ours, x, hx)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(got, (oracle.output, (oracle.h_n, oracle.c_n)))
