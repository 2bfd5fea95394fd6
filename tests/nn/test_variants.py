"""The variants (layer norm, peepholes, coupled gates, recurrent dropout, weight drop, zoneout,
activations, forget bias) against a plain per-step reference written here, plus gradcheck."""

import pytest
import torch
from torch.autograd import gradcheck
from torch.nn.utils.rnn import pack_padded_sequence

from lstmkit.nn import LSTM, LSTMCell
from lstmkit.nn import variants as variants_module

F_IN, H, T, B = 3, 4, 5, 3
ACT = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": lambda v: v.clamp(min=0),
    "hard_sigmoid": lambda v: (v / 6 + 0.5).clamp(0, 1),
}


def layer_norm(v, gain, offset):
    mean = v.mean(-1, keepdim=True)
    var = ((v - mean) ** 2).mean(-1, keepdim=True)
    return (v - mean) / torch.sqrt(var + 1e-5) * gain + offset


def ref_direction(x, h, c, w, kw, masks, training, reverse):
    """One layer-direction over ``x (T, B, F)``, one step at a time, straight from the equations.

    ``w``: the direction's parameters by name without suffix; ``masks``: the weight-dropped W_hh
    and recurrent-dropout mask drawn by the layer, and an iterator of the zoneout masks it drew
    (per direction the cell's, then the hidden's, each ``(T * B, X)`` time-major).
    Returns per-step lists of i, f, g, o, c, h.
    """
    act, ract = ACT[kw.get("activation", "tanh")], ACT[kw.get("recurrent_activation", "sigmoid")]
    zc, zh = (
        kw.get("zoneout", (0.0, 0.0))
        if isinstance(kw.get("zoneout", 0), tuple)
        else (kw.get("zoneout", 0),) * 2
    )
    w_hh, h_mask = masks["draw"]
    ln, peep = kw.get("layer_norm", False), kw.get("peephole", False)
    rec = {k: [None] * x.size(0) for k in "ifgoch"}
    steps, batch = x.size(0), x.size(1)
    keep_c = next(masks["zone"]).view(steps, batch, -1) if zc and training else None
    keep_h = next(masks["zone"]).view(steps, batch, -1) if zh and training else None
    for t in range(x.size(0) - 1, -1, -1) if reverse else range(x.size(0)):
        hr = h if h_mask is None else h * h_mask
        ax, ah = x[t] @ w["weight_ih"].T, hr @ w_hh.T
        if ln:
            ax = layer_norm(ax, w["ln_ih_weight"], w["ln_ih_bias"])
            ah = layer_norm(ah, w["ln_hh_weight"], w["ln_hh_bias"])
        a = ax + ah + (w["bias_ih"] + w["bias_hh"] if "bias_ih" in w else 0)
        a_i, a_f, a_g, a_o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        if peep:
            a_i, a_f = a_i + w["peephole_weight"][0] * c, a_f + w["peephole_weight"][1] * c
        i = ract(a_i)
        f = 1 - i if kw.get("coupled_gates") else ract(a_f)
        g = act(a_g)
        c_new = f * c + i * g
        if zc:
            keep = keep_c[t] if training else zc
            c_new = keep * c + (1 - keep) * c_new
        if peep:
            a_o = a_o + w["peephole_weight"][2] * c_new
        o = ract(a_o)
        h_new = o * act(layer_norm(c_new, w["ln_c_weight"], w["ln_c_bias"]) if ln else c_new)
        if "weight_hr" in w:
            h_new = h_new @ w["weight_hr"].T
        if zh:
            keep = keep_h[t] if training else zh
            h_new = keep * h + (1 - keep) * h_new
        h, c = h_new, c_new
        for key, val in zip("ifgoch", (i, f, g, o, c, h)):
            rec[key][t] = val
    return rec


def ref_lstm(m, x, h0, c0, kw, captured):
    """The whole layer from ``ref_direction``: x (T, B, F) -> output, h_n, c_n, per-direction records."""
    draws, zone = iter(captured["draw"]), iter(captured["zone"])
    records, h_n, c_n, inp = [], [], [], x
    for layer in range(m.num_layers):
        outs = []
        for d in range(m.num_directions):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w = {n[: -len(sfx)]: p for n, p in m.named_parameters() if n.endswith(sfx)}
            k = layer * m.num_directions + d
            masks = {"draw": next(draws) if captured["draw"] else (w["weight_hh"], None), "zone": zone}
            rec = ref_direction(inp, h0[k], c0[k], w, kw, masks, m.training, d == 1)
            records.append(rec)
            outs.append(torch.stack(rec["h"]))
            last = 0 if d else -1
            h_n.append(rec["h"][last])
            c_n.append(rec["c"][last])
        inp = torch.cat(outs, -1)
    return inp, torch.stack(h_n), torch.stack(c_n), records


@pytest.fixture
def capture(monkeypatch):
    """Record the dropout masks the layer draws, in order, so the reference can reuse them."""
    got = {"draw": [], "zone": []}
    draw, zoneout_mask = variants_module.draw, variants_module.zoneout_mask

    def draw_rec(*a, **k):
        out = draw(*a, **k)
        got["draw"].append(out)
        return out

    def zone_rec(*a, **k):
        out = zoneout_mask(*a, **k)
        got["zone"].append(out)
        return out

    monkeypatch.setattr(variants_module, "draw", draw_rec)
    monkeypatch.setattr(variants_module, "zoneout_mask", zone_rec)
    return got


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
    ref_out, ref_h, ref_c, _ = ref_lstm(m, x.transpose(0, 1), h0, c0, kw, capture)
    ref_out = ref_out.transpose(0, 1)
    wrt = [x, h0, c0, *m.parameters()]
    ours, theirs = [out, h_n, c_n], [ref_out, ref_h, ref_c]
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
    zeros = torch.zeros(1, B, H, dtype=torch.float64)
    ref_out, *_ = ref_lstm(m, x, zeros, zeros, {"zoneout": (0.3, 0.1)}, capture)
    torch.testing.assert_close(m(x)[0], ref_out, atol=1e-12, rtol=0)
    assert capture["zone"] == []  # no masks drawn in eval


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
def test_trace_with_variants_matches_reference(kind, capture):
    kw = {"layer_norm": True, "peephole": True, "zoneout": 0.2, "activation": "relu"}
    m = perturb(
        LSTM(F_IN, H, num_layers=2, bidirectional=True, batch_first=True, **kw, dtype=torch.float64)
    ).eval()
    x = torch.randn(B, T, F_IN, dtype=torch.float64)
    inp = x if kind == "batched" else pack_padded_sequence(x, torch.tensor([T, T, T]), batch_first=True)
    tr = m.trace(inp)
    out = m(inp)[0]
    torch.testing.assert_close(
        tr.output if kind == "batched" else tr.output.data,
        out if kind == "batched" else out.data,
        atol=1e-12,
        rtol=0,
    )
    zeros = torch.zeros(4, B, H, dtype=torch.float64)
    *_, records = ref_lstm(m, x.transpose(0, 1), zeros, zeros, kw, capture)
    names = dict(
        zip("ifgoch", ("input_gate", "forget_gate", "cell_candidate", "output_gate", "cell", "hidden"))
    )
    for k, rec in enumerate(records):
        for key, field in names.items():
            torch.testing.assert_close(
                getattr(tr, field)[k], torch.stack(rec[key], 1), atol=1e-10, rtol=1e-10
            )


@pytest.mark.parametrize("name,kw,mode", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_cell_matches_reference_step(name, kw, mode, capture):
    cell = perturb(LSTMCell(F_IN, H, **kw, dtype=torch.float64)).train(mode == "train")
    x = torch.randn(B, F_IN, dtype=torch.float64, requires_grad=True)
    h, c = torch.randn(B, H, dtype=torch.float64), torch.randn(B, H, dtype=torch.float64)
    h1, c1 = cell(x, (h, c))
    w = dict(cell.named_parameters())
    draws = capture["draw"][0] if capture["draw"] else (w["weight_hh"], None)
    rec = ref_direction(
        x.unsqueeze(0), h, c, w, kw, {"draw": draws, "zone": iter(capture["zone"])}, cell.training, False
    )
    torch.testing.assert_close(h1, rec["h"][0], atol=1e-12, rtol=0)
    torch.testing.assert_close(c1, rec["c"][0], atol=1e-12, rtol=0)
    if mode == "eval":
        assert gradcheck(
            lambda x, *p: torch.func.functional_call(cell, dict(zip(w, p)), (x, (h, c))),
            (x, *cell.parameters()),
            eps=1e-6,
            atol=1e-7,
        )
