"""The variants (layer norm, peepholes, coupled gates, recurrent dropout, weight drop, zoneout,
activations, forget bias) against the reference LSTM (lstmkit.nn.reference), plus gradcheck."""

from dataclasses import dataclass

import pytest
import torch
from torch.autograd import gradcheck
from torch.nn.utils.rnn import pack_padded_sequence

from lstmkit.errors import ConfigError
from lstmkit.nn import LSTM, LSTMCell, variants
from lstmkit.nn.reference import reference_lstm

F_IN, H, T, B = 3, 4, 5, 3
FIELDS = ("input_gate", "forget_gate", "cell_candidate", "output_gate", "cell", "hidden")


def perturb(module):
    """Move every parameter off its initial value, so that LN gains and offsets matter."""
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return module


VARIANTS = [
    ("forget_bias", {"forget_bias": 1.0}, "eval"),
    ("layer_norm", {"layer_norm": True}, "eval"),
    ("peephole", {"peephole": True}, "eval"),
    ("coupled_gates", {"coupled_gates": True}, "eval"),
    ("recurrent_dropout", {"recurrent_dropout": 0.3}, "train"),
    ("weight_drop", {"weight_drop": 0.4}, "train"),
    ("zoneout-train", {"zoneout": (0.2, 0.3)}, "train"),
    ("zoneout-eval", {"zoneout": (0.2, 0.3)}, "eval"),
    ("activations", {"activation": "relu", "recurrent_activation": "hard_sigmoid"}, "eval"),
    (
        "all-train",
        {
            "layer_norm": True,
            "peephole": True,
            "coupled_gates": True,
            "recurrent_dropout": 0.2,
            "weight_drop": 0.2,
            "zoneout": 0.25,
            "forget_bias": 0.5,
        },
        "train",
    ),
    (
        "all-eval",
        {
            "layer_norm": True,
            "peephole": True,
            "recurrent_dropout": 0.2,
            "weight_drop": 0.2,
            "zoneout": 0.25,
            "activation": "relu",
        },
        "eval",
    ),
]


@pytest.mark.parametrize("proj", [0, 2], ids=["noproj", "proj"])
@pytest.mark.parametrize("name,kw,mode", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_layer_matches_per_step_reference(name, kw, mode, proj, capture):
    """2 layers, both directions, batch_first: outputs, states and every gradient."""
    m = perturb(
        LSTM(
            F_IN,
            H,
            num_layers=2,
            bidirectional=True,
            batch_first=True,
            proj_size=proj,
            **kw,
            dtype=torch.float64,
        )
    ).train(mode == "train")
    x = torch.randn(B, T, F_IN, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(4, B, proj or H, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(4, B, H, dtype=torch.float64, requires_grad=True)
    out, (h_n, c_n) = m(x, (h0, c0))
    ref = reference_lstm(m, x, (h0, c0), noise=capture.noise(m, steps=T, batch=B))
    wrt = [x, h0, c0, *m.parameters()]
    ours, theirs = [out, h_n, c_n], [ref.output, ref.h_n, ref.c_n]
    cot = [torch.randn_like(t) for t in ours]
    loss = [sum((a * w).sum() for a, w in zip(outs, cot)) for outs in (ours, theirs)]
    ours += torch.autograd.grad(loss[0], wrt, allow_unused=True, retain_graph=True)
    theirs += torch.autograd.grad(loss[1], wrt, allow_unused=True)
    for a, b in zip(ours, theirs):
        if a is None or b is None:  # coupled gates: the forget-gate rows get zero gradient
            continue
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)


GRADCHECK = [v for v in VARIANTS if v[0] not in ("zoneout-eval", "all-eval")]


@pytest.mark.parametrize("name,kw,mode", GRADCHECK, ids=[v[0] for v in GRADCHECK])
def test_gradcheck_packed_bidirectional(name, kw, mode):
    m = perturb(
        LSTM(2, 3, bidirectional=True, proj_size=2 if name == "all-train" else 0, **kw, dtype=torch.float64)
    ).train(mode == "train")
    x = torch.randn(4, 3, 2, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([2, 4, 3])
    names = [n for n, _ in m.named_parameters()]

    def fn(x, *params):
        torch.manual_seed(7)  # the same masks at every evaluation
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, (h_n, c_n) = torch.func.functional_call(m, dict(zip(names, params)), (packed,))
        return out.data, h_n, c_n

    assert gradcheck(fn, (x, *m.parameters()), eps=1e-6, atol=1e-7)


EVAL = [v for v in VARIANTS if v[2] == "eval" or v[0] in ("recurrent_dropout", "weight_drop")]


@pytest.mark.parametrize("name,kw,mode", EVAL, ids=[v[0] for v in EVAL])
def test_packed_equals_each_sequence_alone(name, kw, mode):
    m = perturb(LSTM(F_IN, H, num_layers=2, bidirectional=True, **kw, dtype=torch.float64)).eval()
    lengths = [3, 5, 1]
    x = torch.randn(T, 3, F_IN, dtype=torch.float64)
    out, (h_n, c_n) = m(pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False))
    for b, n in enumerate(lengths):
        _, (h1, c1) = m(x[:n, b : b + 1])
        torch.testing.assert_close(h_n[:, b], h1[:, 0], atol=1e-12, rtol=0)
        torch.testing.assert_close(c_n[:, b], c1[:, 0], atol=1e-12, rtol=0)
    padded, _ = torch.nn.utils.rnn.pad_packed_sequence(out)
    for b, n in enumerate(lengths):
        torch.testing.assert_close(padded[:n, b], m(x[:n, b])[0], atol=1e-12, rtol=0)


def test_dropout_like_variants_are_identity_in_eval():
    plain = perturb(LSTM(F_IN, H, num_layers=2, bidirectional=True, dtype=torch.float64))
    drop = LSTM(
        F_IN, H, num_layers=2, bidirectional=True, recurrent_dropout=0.5, weight_drop=0.5, dtype=torch.float64
    )
    drop.load_state_dict(plain.state_dict())
    x = torch.randn(T, B, F_IN, dtype=torch.float64)
    assert drop.resolved_backend() == "explicit"
    torch.testing.assert_close(drop.eval()(x)[0], plain.eval()(x)[0], atol=1e-12, rtol=0)
    a, b = drop.train()(x)[0], drop(x)[0]
    assert not torch.equal(a, b)  # fresh masks per call in training
    torch.manual_seed(3)
    a = drop(x)[0]
    torch.manual_seed(3)
    assert torch.equal(a, drop(x)[0])  # deterministic given the seed


def test_zoneout_in_eval_uses_its_expectation(capture):
    m = perturb(LSTM(F_IN, H, zoneout=(0.3, 0.1), dtype=torch.float64)).eval()
    x = torch.randn(T, B, F_IN, dtype=torch.float64)
    torch.testing.assert_close(m(x)[0], reference_lstm(m, x).output, atol=1e-12, rtol=0)
    assert capture.zone == []  # no masks drawn in eval


def test_forget_bias_is_added_to_the_initial_forget_gate_bias():
    torch.manual_seed(4)
    plain = LSTM(F_IN, H, num_layers=2)
    torch.manual_seed(4)
    fb = LSTM(F_IN, H, num_layers=2, forget_bias=1.0)
    assert fb.resolved_backend() == "fused"  # only the initialisation changes
    for (name, a), b in zip(fb.state_dict().items(), plain.state_dict().values()):
        expected = b.clone()
        if name.startswith("bias_ih"):
            expected[H : 2 * H] += 1.0
        torch.testing.assert_close(a, expected, atol=0, rtol=0)


def test_layer_norm_parameter_names_and_init():
    m = LSTM(F_IN, H, bidirectional=True, layer_norm=True, peephole=True)
    extra = {n: p for n, p in m.named_parameters() if n.startswith(("ln_", "peephole"))}
    assert sorted(extra) == sorted(
        f"{n}_l0{s}"
        for s in ("", "_reverse")
        for n in (
            "ln_ih_weight",
            "ln_ih_bias",
            "ln_hh_weight",
            "ln_hh_bias",
            "ln_c_weight",
            "ln_c_bias",
            "peephole_weight",
        )
    )
    assert extra["ln_ih_weight_l0"].shape == (4 * H,) and extra["ln_c_bias_l0"].shape == (H,)
    assert torch.equal(extra["ln_hh_weight_l0"], torch.ones(4 * H)) and torch.equal(
        extra["ln_c_bias_l0"], torch.zeros(H)
    )
    assert extra["peephole_weight_l0_reverse"].shape == (3, H)
    assert m.resolved_backend() == "explicit"


@pytest.mark.parametrize("kind", ["batched", "packed"])
def test_trace_with_variants_matches_reference(kind):
    kw = {"layer_norm": True, "peephole": True, "zoneout": 0.2, "activation": "relu"}
    m = perturb(
        LSTM(F_IN, H, num_layers=2, bidirectional=True, batch_first=True, **kw, dtype=torch.float64)
    ).eval()
    x = torch.randn(B, T, F_IN, dtype=torch.float64)
    lengths = torch.tensor([T, 2, 4])
    inp = x if kind == "batched" else pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    tr, ref = m.trace(inp), reference_lstm(m, inp)
    out = m(inp)[0]
    for got in (tr.output, ref.output):
        torch.testing.assert_close(
            got if kind == "batched" else got.data, out if kind == "batched" else out.data, atol=1e-12, rtol=0
        )
    for field in FIELDS:
        torch.testing.assert_close(getattr(tr, field), getattr(ref, field), atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("name,kw,mode", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_cell_matches_the_reference_and_the_layer(name, kw, mode, capture):
    """One step of the cell = the reference over a one-step sequence with the cell's weights and draws
    = (in eval) the layer's compiled variant loop."""
    cell = perturb(LSTMCell(F_IN, H, **kw, dtype=torch.float64)).train(mode == "train")
    layer = LSTM(F_IN, H, **kw, dtype=torch.float64).train(mode == "train")
    layer.load_state_dict({f"{n}_l0": p for n, p in cell.state_dict().items()})
    x = torch.randn(B, F_IN, dtype=torch.float64, requires_grad=True)
    h, c = torch.randn(B, H, dtype=torch.float64), torch.randn(B, H, dtype=torch.float64)
    h1, c1 = cell(x, (h, c))
    noise = capture.noise(layer, steps=1, batch=B)
    ref = reference_lstm(layer, x.unsqueeze(0), (h.unsqueeze(0), c.unsqueeze(0)), noise=noise)
    torch.testing.assert_close(h1, ref.h_n[0], atol=1e-12, rtol=0)
    torch.testing.assert_close(c1, ref.c_n[0], atol=1e-12, rtol=0)
    if mode == "eval":
        _, (h_l, c_l) = layer(x.unsqueeze(0), (h.unsqueeze(0), c.unsqueeze(0)))
        torch.testing.assert_close(h1, h_l[0], atol=1e-12, rtol=0)
        torch.testing.assert_close(c1, c_l[0], atol=1e-12, rtol=0)
        w = dict(cell.named_parameters())
        assert gradcheck(
            lambda x, *p: torch.func.functional_call(cell, dict(zip(w, p)), (x, (h, c))),
            (x, *cell.parameters()),
            eps=1e-6,
            atol=1e-7,
        )


def with_new_variants(monkeypatch, **extra):
    """Stand in a Variants with extra fields (name -> (default, kind, init_only)), as adding a variant would."""
    namespace = {"__annotations__": {n: type(d) for n, (d, _, _) in extra.items()}}
    namespace |= {n: variants.variant_field(d, k, init_only=i) for n, (d, k, i) in extra.items()}
    grown = dataclass(frozen=True)(type("GrownVariants", (variants.Variants,), namespace))
    monkeypatch.setattr(variants, "Variants", grown)
    return grown


def test_a_new_init_only_variant_needs_no_list_and_keeps_auto_fused(monkeypatch):
    """Keywords, checks and changes_math come from the fields: an init-only field is accepted and
    checked by its kind, and leaves the step torch's (auto stays fused); one that is not switches auto
    to the explicit backend."""
    with_new_variants(monkeypatch, init_scale=(0.0, "number", True), gate_clip=(False, "flag", False))
    m = LSTM(F_IN, H, init_scale=0.5)
    assert m.variants.init_scale == 0.5 and m.variants.active == {"init_scale": 0.5}
    assert not m.variants.changes_math and m.resolved_backend() == "fused"
    assert "init_scale=0.5" in repr(m)
    assert LSTM(F_IN, H, init_scale=0.5, backend="fused").variants.init_scale == 0.5
    assert LSTM(F_IN, H, gate_clip=True).resolved_backend() == "explicit"
    with pytest.raises(
        ConfigError, match=r"^LSTM init_scale must be a finite number \(e.g. 1.0\), got 'big'$"
    ):
        LSTM(F_IN, H, init_scale="big")
    with pytest.raises(
        ConfigError, match="Valid variant keywords are: forget_bias, .*, init_scale, gate_clip$"
    ):
        LSTM(F_IN, H, init_scal=1.0)
