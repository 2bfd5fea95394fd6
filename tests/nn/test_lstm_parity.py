"""lstmkit.nn.LSTM against torch.nn.LSTM with copied weights and against the reference LSTM
(lstmkit.nn.reference): outputs, final states, every gradient."""

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from lstmkit.nn import LSTM
from lstmkit.nn.reference import reference_lstm

F_IN, H = 5, 6

# (id, constructor kwargs, how the input is given, whether (h0, c0) are passed)
CONFIGS = [
    ("base", {}, "batched", False),
    ("2layer-nobias-bf", {"num_layers": 2, "bias": False, "batch_first": True}, "batched", True),
    ("bidir-proj", {"bidirectional": True, "proj_size": 3}, "batched", True),
    (
        "2layer-bidir-proj-bf-dropout",
        {"num_layers": 2, "bidirectional": True, "proj_size": 4, "batch_first": True, "dropout": 0.4},
        "batched",
        False,
    ),
    ("unbatched-2layer-bidir", {"num_layers": 2, "bidirectional": True}, "unbatched", True),
    ("unbatched-bf-proj", {"batch_first": True, "proj_size": 2}, "unbatched", False),
    (
        "packed-unsorted-2layer-bidir-proj",
        {"num_layers": 2, "bidirectional": True, "proj_size": 4},
        "packed",
        True,
    ),
    ("packed-sorted-bf", {"batch_first": True}, "packed-sorted", False),
]


def make_input(kind: str, batch_first: bool, dtype: torch.dtype):
    """A fresh input of the given kind (B=4, T=6) and a function that makes it differentiable data."""
    steps, batch = 6, 4
    if kind == "unbatched":
        return torch.randn(steps, F_IN, dtype=dtype, requires_grad=True), None
    shape = (batch, steps, F_IN) if batch_first else (steps, batch, F_IN)
    x = torch.randn(*shape, dtype=dtype, requires_grad=True)
    if kind == "batched":
        return x, None
    lengths = torch.tensor([6, 5, 3, 1]) if kind == "packed-sorted" else torch.tensor([3, 6, 1, 5])
    return x, lengths


def run(module, x, lengths, hx, batch_first, sorted_, *, reference=False):
    inp = (
        x
        if lengths is None
        else pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=sorted_)
    )
    if reference:
        ref = reference_lstm(module, inp, hx)
        out, (h_n, c_n) = ref.output, (ref.h_n, ref.c_n)
    else:
        out, (h_n, c_n) = module(inp, hx)
    return (out if lengths is None else out.data), h_n, c_n


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("backend", ["fused", "explicit"])
@pytest.mark.parametrize("name,kwargs,kind,with_hx", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_matches_torch_lstm_and_the_reference(name, kwargs, kind, with_hx, backend, dtype, tol):
    ref = torch.nn.LSTM(F_IN, H, **kwargs, dtype=dtype).eval()
    ours = LSTM.from_torch(ref, backend=backend).eval()
    batch_first = kwargs.get("batch_first", False)
    x, lengths = make_input(kind, batch_first, dtype)
    hx = None
    if with_hx:
        lead = ours.num_layers * ours.num_directions
        batch = () if kind == "unbatched" else (4,)
        h0 = torch.randn(lead, *batch, ours.proj_size or H, dtype=dtype, requires_grad=True)
        c0 = torch.randn(lead, *batch, H, dtype=dtype, requires_grad=True)
        hx = (h0, c0)
    results = []
    for module, reference in ((ours, False), (ref, False), (ours, True)):  # torch and the reference: oracles
        out, h_n, c_n = run(module, x, lengths, hx, batch_first, kind == "packed-sorted", reference=reference)
        g = torch.Generator().manual_seed(1)  # the same random cotangents for both
        w_out = torch.randn(out.shape, generator=g, dtype=dtype)
        w_h, w_c = (
            torch.randn(h_n.shape, generator=g, dtype=dtype),
            torch.randn(c_n.shape, generator=g, dtype=dtype),
        )
        loss = (out * w_out).sum() + (h_n * w_h).sum() + (c_n * w_c).sum()
        wrt = [x, *(hx or ()), *module.parameters()]
        results.append([out, h_n, c_n, *torch.autograd.grad(loss, wrt)])
    names = (
        ["output", "h_n", "c_n", "d_input"]
        + (["d_h0", "d_c0"] if hx else [])
        + [n for n, _ in ref.named_parameters()]
    )
    assert len(results[0]) == len(names)
    for oracle in results[1:]:
        for label, a, b in zip(names, results[0], oracle):
            torch.testing.assert_close(a, b, **tol[dtype], msg=lambda m, label=label: f"{label}: {m}")


@pytest.mark.parametrize("backend", ["fused", "explicit"])
def test_output_layout_and_types(backend):
    m = LSTM(F_IN, H, num_layers=2, bidirectional=True, proj_size=3, batch_first=True, backend=backend)
    x = torch.randn(4, 6, F_IN)
    out, (h_n, c_n) = m(x)
    assert out.shape == (4, 6, 6) and h_n.shape == (4, 4, 3) and c_n.shape == (4, 4, H)
    packed = pack_padded_sequence(x, torch.tensor([6, 2, 4, 1]), batch_first=True, enforce_sorted=False)
    out_p, _ = m(packed)
    assert isinstance(out_p, torch.nn.utils.rnn.PackedSequence)
    assert torch.equal(out_p.batch_sizes, packed.batch_sizes)


def test_auto_backend_is_fused_without_variants():
    assert LSTM(3, 4).resolved_backend() == "fused"
    assert LSTM(3, 4, backend="explicit").resolved_backend() == "explicit"
