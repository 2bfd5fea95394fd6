"""The compiled time loop (csrc/explicit_loop.cpp) against the PyTorch loop it replaces and the reference LSTM."""

import pytest
import torch
from torch.autograd import gradcheck
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from lstmkit.nn import LSTM, kernel
from lstmkit.nn.explicit import LSTMLayerFunction
from lstmkit.nn.reference import direction
from lstmkit.nn.schedule import Schedule
from lstmkit.nn.variants import Variants

needs_kernel = pytest.mark.skipif(
    not kernel.available(),
    reason="compiled LSTM loop not built (no compiler/ninja, or LSTMKIT_NO_EXTENSION set)",
)
F_IN, H = 3, 5


def reference_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, sched, reverse):
    """LSTMLayerFunction's results from the reference's layer-direction, on the padded layout."""
    x_pad, lengths = pad_packed_sequence(PackedSequence(x, torch.tensor(sched.batch_sizes)))  # (T, B, F)
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
    w = {n: t for n, t in zip(names, (w_ih, w_hh, b_ih, b_hh, w_hr)) if t is not None}
    records, h_n, c_n = direction(x_pad, h0, c0, w, Variants(), lengths=lengths, reverse=reverse)
    return pack_padded_sequence(records[5], lengths).data, h_n, c_n  # (N, P)


def run_layer(args, sched, reverse, *, layer=LSTMLayerFunction.apply):
    out, h_n, c_n = layer(*args, sched, reverse)
    g = torch.Generator().manual_seed(2)
    loss = sum((t * torch.randn(t.shape, generator=g, dtype=t.dtype)).sum() for t in (out, h_n, c_n))
    wrt = [a for a in args if a is not None]
    return [out, h_n, c_n, *torch.autograd.grad(loss, wrt)]


def layer_args(batch_sizes, proj, bias, dtype):
    d = {"dtype": dtype, "requires_grad": True}
    p, batch = proj or H, batch_sizes[0]
    return (
        torch.randn(sum(batch_sizes), F_IN, **d),
        torch.randn(batch, p, **d),
        torch.randn(batch, H, **d),
        torch.randn(4 * H, F_IN, **d),
        torch.randn(4 * H, p, **d),
        torch.randn(4 * H, **d) if bias else None,
        torch.randn(4 * H, **d) if bias else None,
        torch.randn(proj, H, **d) if proj else None,
    )


@needs_kernel
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize(
    "batch_sizes,proj,bias",
    [((4, 4, 4, 4, 4), 0, True), ((4, 4, 4), 2, False), ((5, 3, 3, 2, 1), 0, True), ((4, 3, 1, 1), 3, True)],
    ids=["padded", "padded-proj-nobias", "packed", "packed-proj"],
)
def test_compiled_and_pytorch_loops_agree_with_the_reference(
    batch_sizes, proj, bias, reverse, dtype, monkeypatch
):
    sched, args = Schedule.of(batch_sizes), layer_args(batch_sizes, proj, bias, dtype)
    compiled = run_layer(args, sched, reverse)
    reference = run_layer(args, sched, reverse, layer=reference_layer)
    monkeypatch.setenv("LSTMKIT_NO_EXTENSION", "1")
    assert not kernel.usable_for(args[0])
    fallback = run_layer(args, sched, reverse)
    tol = {"atol": 1e-5, "rtol": 1e-5} if dtype == torch.float32 else {"atol": 1e-12, "rtol": 1e-12}
    for a, b, want in zip(compiled, fallback, reference):
        torch.testing.assert_close(a, b, **tol)
        torch.testing.assert_close(a, want, **tol)


@needs_kernel
def test_compiled_gradcheck_packed_projected():
    sched = Schedule.of((4, 3, 1, 1))
    args = layer_args((4, 3, 1, 1), 2, True, torch.float64)
    for reverse in (False, True):
        assert gradcheck(
            lambda *a, reverse=reverse: LSTMLayerFunction.apply(*a, sched, reverse), args, eps=1e-6, atol=1e-7
        )


def test_pytorch_loop_gradcheck(monkeypatch):
    monkeypatch.setenv("LSTMKIT_NO_EXTENSION", "1")
    sched = Schedule.of((4, 3, 1, 1))
    args = layer_args((4, 3, 1, 1), 2, True, torch.float64)
    for reverse in (False, True):
        assert gradcheck(
            lambda *a, reverse=reverse: LSTMLayerFunction.apply(*a, sched, reverse), args, eps=1e-6, atol=1e-7
        )


@needs_kernel
def test_compiled_layer_is_deterministic_and_matches_torch():
    ref = torch.nn.LSTM(F_IN, H, num_layers=2, bidirectional=True)
    m = LSTM.from_torch(ref, backend="explicit")
    x = torch.randn(7, 4, F_IN)
    runs = []
    for _ in range(2):
        m.zero_grad()
        out, (h_n, c_n) = m(x)
        (out.sum() + h_n.sum() + c_n.sum()).backward()
        runs.append([out, h_n, c_n, *(p.grad.clone() for p in m.parameters())])
    for a, b in zip(*runs):
        assert torch.equal(a, b)
    torch.testing.assert_close(runs[0][0], ref(x)[0], atol=1e-5, rtol=1e-5)


def test_env_var_forces_the_pytorch_loop(monkeypatch):
    monkeypatch.setenv("LSTMKIT_NO_EXTENSION", "1")
    assert not kernel.usable_for(torch.zeros(1))
    monkeypatch.setenv("LSTMKIT_NO_EXTENSION", "0")
    assert kernel.usable_for(torch.zeros(1)) == kernel.available()
    assert not kernel.usable_for(torch.zeros(1, dtype=torch.float16))


@needs_kernel
@pytest.mark.parametrize("batch,hidden", [(13, 20), (128, 64)], ids=["register-blocks", "onednn"])
def test_float32_matmul_paths_match_torch(batch, hidden):
    """The compiled loop's float32 matmuls: its own register-blocked kernel (13 rows = 6 + 6 + 1,
    4H = 80 columns = 64 + 16) and oneDNN's (128 rows and more), forward and backward."""
    ref = torch.nn.LSTM(7, hidden, bidirectional=True)
    ours = LSTM.from_torch(ref, backend="explicit")
    x = torch.randn(9, batch, 7, requires_grad=True)
    results = []
    for module in (ours, ref):
        out, (h_n, c_n) = module(x)
        loss = (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum() + c_n.sum()
        results.append([out, h_n, *torch.autograd.grad(loss, [x, *module.parameters()])])
        with torch.no_grad():
            results[-1].append(module(x)[0])  # the inference forward
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-4)
