"""torch's module-test checks (the kind test_modules.py runs over its module_db) on lstmkit's layer and cell.

The samples follow torch's LSTM entries: every combination of bias, batch_first,
bidirectional and proj_size on a 2-layer layer, unbatched input with and without ``hx``, plus
a batched and a non-contiguous input. On each backend, with torch's layer holding the same
weights: forward and backward parity, the no-batch-dim reference (unbatched equals a batch of
one), gradcheck, state dicts both ways, factory kwargs, dtype moves and non-contiguous inputs.
"""

import itertools

import pytest
import torch
from torch.autograd import gradcheck

from lstmkit.nn import LSTM, LSTMCell

F64 = torch.float64
BACKENDS = ["fused", "explicit"]
SAMPLES = [
    {"bias": b, "batch_first": bf, "bidirectional": bd, "proj_size": p}
    for b, bf, bd, p in itertools.product([False, True], [False, True], [False, True], [0, 2])
]
IDS = ["-".join(f"{k[:4]}{int(v)}" for k, v in s.items()) for s in SAMPLES]


def pair(backend, dtype=F64, **kwargs):
    ref = torch.nn.LSTM(2, 3, num_layers=2, dtype=dtype, **kwargs)
    return ref, LSTM.from_torch(ref, backend=backend)


def sample_state(ref, batch=()):
    lead, out = ref.num_layers * (2 if ref.bidirectional else 1), ref.proj_size or ref.hidden_size
    return (
        torch.randn(lead, *batch, out, dtype=F64, requires_grad=True),
        torch.randn(lead, *batch, ref.hidden_size, dtype=F64, requires_grad=True),
    )


def outputs_and_grads(module, x, hx):
    out, (h_n, c_n) = module(x, hx)
    weights = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)
    loss = (out * weights).sum() + h_n.sin().sum() + c_n.cos().sum()
    leaves = [x, *(hx or ()), *module.parameters()]
    return [out, h_n, c_n, *torch.autograd.grad(loss, leaves)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kwargs", SAMPLES, ids=IDS)
def test_forward_backward_parity(backend, kwargs):
    ref, ours = pair(backend, **kwargs)
    for x, hx in (
        (torch.randn(2, 2, dtype=F64, requires_grad=True), None),
        (torch.randn(3, 2, dtype=F64, requires_grad=True), sample_state(ref)),
    ):
        for a, b in zip(outputs_and_grads(ours, x, hx), outputs_and_grads(ref, x, hx)):
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kwargs", SAMPLES[::3], ids=IDS[::3])
def test_unbatched_is_a_batch_of_one(backend, kwargs):
    _, ours = pair(backend, **kwargs)
    x, (h0, c0) = torch.randn(3, 2, dtype=F64), sample_state(ours)
    out, (h_n, c_n) = ours(x, (h0, c0))
    bdim = 0 if kwargs["batch_first"] else 1
    out1, (h_n1, c_n1) = ours(x.unsqueeze(bdim), (h0.unsqueeze(1), c0.unsqueeze(1)))
    torch.testing.assert_close(out, out1.squeeze(bdim))
    torch.testing.assert_close((h_n, c_n), (h_n1.squeeze(1), c_n1.squeeze(1)))


@pytest.mark.parametrize("kwargs", SAMPLES[1::5], ids=IDS[1::5])
def test_gradcheck_explicit(kwargs):
    _, ours = pair("explicit", **kwargs)
    x, hx = torch.randn(3, 2, dtype=F64, requires_grad=True), sample_state(ours)
    params = list(ours.parameters())

    def fn(x, h0, c0, *ws):
        out, (h_n, c_n) = torch.func.functional_call(
            ours, dict(zip([n for n, _ in ours.named_parameters()], ws)), (x, (h0, c0))
        )
        return out, h_n, c_n

    assert gradcheck(fn, (x, *hx, *(p.detach().clone().requires_grad_() for p in params)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_state_dicts_load_both_ways_and_factory_kwargs(backend):
    ref = torch.nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2, dtype=F64)
    ours = LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2, backend=backend, dtype=F64)
    assert all(p.dtype == F64 for p in ours.parameters())
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict(ref.state_dict())
    fresh = torch.nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2, dtype=F64)
    fresh.load_state_dict(ours.state_dict())
    x = torch.randn(4, 3, 2, dtype=F64)
    torch.testing.assert_close(ours(x)[0], fresh(x)[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_dtype_moves_follow_torch(backend):
    ref, ours = pair(backend, dtype=torch.float32, bidirectional=True)
    x = torch.randn(4, 3, 2)
    ref, ours = ref.double(), ours.double()
    assert ours.weight_ih_l0.dtype == F64
    torch.testing.assert_close(ours(x.double())[0], ref(x.double())[0])
    ref, ours = ref.to(torch.float32), ours.to(torch.float32)
    torch.testing.assert_close(ours(x)[0], ref(x)[0], atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="does not match weight dtype"):
        ours(x.double())


@pytest.mark.parametrize("backend", BACKENDS)
def test_non_contiguous_inputs(backend):
    ref, ours = pair(backend, bidirectional=True)
    x = torch.randn(3, 5, 2, dtype=F64).transpose(0, 1)  # (T=5, B=3, F), not contiguous
    h0, c0 = (s.detach().transpose(0, 1).contiguous().transpose(0, 1) for s in sample_state(ref, (3,)))
    assert not x.is_contiguous() and not h0.is_contiguous() and not c0.is_contiguous()
    for a, b in zip(ours(x, (h0, c0))[1], ref(x, (h0, c0))[1]):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(ours(x, (h0, c0))[0], ref(x, (h0, c0))[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_train_and_eval_differ_with_dropout_only(backend):
    _, ours = pair(backend, dropout=0.5)
    x = torch.randn(4, 3, 2, dtype=F64)
    torch.manual_seed(1)
    train_out = ours.train()(x)[0]
    assert not torch.equal(train_out, ours.eval()(x)[0])
    _, plain = pair(backend)
    assert torch.equal(plain.train()(x)[0], plain.eval()(x)[0])


@pytest.mark.parametrize("with_hx", [False, True])
def test_cell_samples(with_hx):
    """torch's LSTMCell samples: unbatched input, with and without a state, against torch's cell."""
    ref = torch.nn.LSTMCell(5, 10, dtype=F64)
    ours = LSTMCell(5, 10, dtype=F64)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(5, dtype=F64, requires_grad=True)
    hx = (
        (torch.randn(10, dtype=F64, requires_grad=True), torch.randn(10, dtype=F64, requires_grad=True))
        if with_hx
        else None
    )
    got, want = ours(x, hx), ref(x, hx)
    torch.testing.assert_close(got, want)
    leaves = [x, *(hx or ())]
    g1 = torch.autograd.grad(got[0].sum() + got[1].sum(), leaves)
    g2 = torch.autograd.grad(want[0].sum() + want[1].sum(), leaves)
    torch.testing.assert_close(g1, g2)
