"""The variant layer's time loops: compiled (csrc/variant_loop.cpp) against PyTorch
(variant_loop.py) and the reference LSTM, and gradcheck of VariantLayerFunction's hand-written
backward on both."""

import pytest
import torch
from torch.autograd import gradcheck
from torch.nn.utils.rnn import pack_padded_sequence

from lstmkit.nn import LSTM, kernel
from lstmkit.nn.reference import reference_lstm
from lstmkit.nn.schedule import Schedule
from lstmkit.nn.variant_explicit import LoopConfig, VariantLayerFunction
from lstmkit.nn.variants import ACTIVATION_INDEX, ACTIVATIONS

needs_kernel = pytest.mark.skipif(
    not kernel.available(),
    reason="compiled LSTM loop not built (no compiler/ninja, or LSTMKIT_NO_EXTENSION set)",
)
F_IN, H = 3, 4


def run(m, x, lengths, *, reference_with=None):
    """Outputs and every gradient of one forward + backward, masks drawn from a fixed seed; or of the
    reference LSTM given the draws the layer made (``reference_with``: the ``capture`` fixture)."""
    torch.manual_seed(11)
    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
    if reference_with is None:
        out, (h_n, c_n) = m(packed)
    else:
        noise = reference_with.noise(m, steps=x.size(0), batch=x.size(1), packed=packed)
        ref = reference_lstm(m, packed, noise=noise)
        out, h_n, c_n = ref.output, ref.h_n, ref.c_n
    g = torch.Generator().manual_seed(2)
    loss = sum((t * torch.randn(t.shape, generator=g, dtype=t.dtype)).sum() for t in (out.data, h_n, c_n))
    return [out.data, h_n, c_n, *torch.autograd.grad(loss, [x, *m.parameters()], allow_unused=True)]


CASES = [
    {"activation": a, "recurrent_activation": r} for a, r in zip(ACTIVATIONS, reversed(list(ACTIVATIONS)))
] + [
    {
        "layer_norm": True,
        "peephole": True,
        "coupled_gates": True,
        "zoneout": (0.3, 0.2),
        "recurrent_dropout": 0.3,
        "weight_drop": 0.3,
        "activation": "gelu",
    },
    {"layer_norm": True, "zoneout": (0.0, 0.4)},
    {"peephole": True, "zoneout": (0.4, 0.0), "recurrent_dropout": 0.2},
]


@needs_kernel
@pytest.mark.parametrize("proj", [0, 2], ids=["noproj", "proj"])
@pytest.mark.parametrize("kw", CASES, ids=["-".join(f"{k}={v}" for k, v in c.items()) for c in CASES])
def test_compiled_and_pytorch_loops_agree_with_the_reference(kw, proj, monkeypatch, capture):
    """Packed, two layers, both directions, training mode: every output and gradient."""
    m = LSTM(F_IN, H, num_layers=2, bidirectional=True, proj_size=proj, **kw, dtype=torch.float64).train()
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.3 * torch.randn_like(p))
    x = torch.randn(5, 3, F_IN, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([3, 5, 2])
    compiled = run(m, x, lengths)
    reference = run(m, x, lengths, reference_with=capture)  # with the masks the compiled run drew
    monkeypatch.setenv("LSTMKIT_NO_EXTENSION", "1")
    fallback = run(m, x, lengths)
    for a, b, want in zip(compiled, fallback, reference):
        if a is None or b is None:  # coupled gates: no gradient for the forget-gate rows
            assert a is None or not a.any()
            continue
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)
        torch.testing.assert_close(a, want, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("loop", ["compiled", "pytorch"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("proj", [0, 2], ids=["noproj", "proj"])
def test_function_gradcheck_every_variant(reverse, proj, loop, monkeypatch):
    """Every input of VariantLayerFunction at once, on a packed schedule, in float64."""
    if loop == "compiled" and not kernel.available():
        pytest.skip("compiled LSTM loop not built")
    if loop == "pytorch":
        monkeypatch.setenv("LSTMKIT_NO_EXTENSION", "1")
    batch_sizes, hid = (3, 3, 2, 1), 3
    sched, n, p = Schedule.of(batch_sizes), sum(batch_sizes), proj or hid
    d = {"dtype": torch.float64, "requires_grad": True}
    args = (
        torch.randn(n, 4 * hid, **d),
        torch.randn(3, p, **d),
        torch.randn(3, hid, **d),
        torch.randn(4 * hid, p, **d),
        torch.randn(proj, hid, **d) if proj else None,
        1 + 0.3 * torch.randn(4 * hid, **d),
        0.3 * torch.randn(4 * hid, **d),
        1 + 0.3 * torch.randn(hid, **d),
        0.3 * torch.randn(hid, **d),
        torch.randn(3, hid, **d),
    )
    masks = (
        torch.bernoulli(torch.full((3, p), 0.7, dtype=torch.float64)) / 0.7,
        torch.bernoulli(torch.full((n, hid), 0.3, dtype=torch.float64)),
        torch.bernoulli(torch.full((n, p), 0.3, dtype=torch.float64)),
    )
    for act, coupled in (("tanh", False), ("softsign", True)):
        cfg = LoopConfig(sched, reverse, ACTIVATION_INDEX[act], ACTIVATION_INDEX["sigmoid"], coupled)
        assert gradcheck(
            lambda *a, cfg=cfg: VariantLayerFunction.apply(*a, *masks, cfg), args, eps=1e-6, atol=1e-7
        )


@needs_kernel
def test_compiled_variants_are_deterministic():
    m = LSTM(
        F_IN, H, layer_norm=True, peephole=True, zoneout=0.2, recurrent_dropout=0.2, weight_drop=0.2
    ).train()
    x = torch.randn(6, 4, F_IN)
    runs = []
    for _ in range(2):
        torch.manual_seed(5)
        m.zero_grad()
        out, (h_n, c_n) = m(x)
        (out.sum() + h_n.sum() + c_n.sum()).backward()
        runs.append([out, h_n, c_n, *(p.grad.clone() for p in m.parameters())])
    for a, b in zip(*runs):
        assert torch.equal(a, b)
