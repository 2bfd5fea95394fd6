"""LSTM.trace against a hand-written per-step loop of the gate equations, on both backends."""

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from lstmkit.nn import LSTM, LSTMTrace
from lstmkit.nn import trace as trace_module
from lstmkit.nn.schedule import Schedule

F_IN, H = 3, 5


def reference_trace(m: LSTM, x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor) -> dict:
    """One sequence ``x (T, F)``, states ``(L*D, P)``/``(L*D, H)``: per layer-direction lists of (T, X)."""
    rec = {k: [] for k in ("i", "f", "g", "o", "c", "h")}
    layer_in = x
    for layer in range(m.num_layers):
        outs = []
        for d in range(m.num_directions):
            k = layer * m.num_directions + d
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w_ih, w_hh = getattr(m, "weight_ih" + sfx), getattr(m, "weight_hh" + sfx)
            b = getattr(m, "bias_ih" + sfx) + getattr(m, "bias_hh" + sfx) if m.bias else 0
            h, c = h0[k], c0[k]
            steps = range(x.size(0) - 1, -1, -1) if d else range(x.size(0))
            per = {key: [None] * x.size(0) for key in rec}
            for t in steps:
                a = w_ih @ layer_in[t] + w_hh @ h + b
                i, f, g, o = (
                    a[:H].sigmoid(),
                    a[H : 2 * H].sigmoid(),
                    a[2 * H : 3 * H].tanh(),
                    a[3 * H :].sigmoid(),
                )
                c = f * c + i * g
                h = o * c.tanh()
                if m.proj_size:
                    h = getattr(m, "weight_hr" + sfx) @ h
                for key, v in zip("ifgoch", (i, f, g, o, c, h)):
                    per[key][t] = v
            for key in rec:
                rec[key].append(torch.stack(per[key]))
            outs.append(torch.stack(per["h"]))
        layer_in = torch.cat(outs, dim=-1)
    return rec


FIELDS = dict(zip("ifgoch", ("input_gate", "forget_gate", "cell_candidate", "output_gate", "cell", "hidden")))
CONFIGS = [
    ("1layer", {}),
    ("2layer-bidir-proj-bf", {"num_layers": 2, "bidirectional": True, "proj_size": 2, "batch_first": True}),
    ("nobias-bidir", {"bias": False, "bidirectional": True}),
]


def force_path(monkeypatch, backend: str) -> list:
    """Make ``trace()`` take the path ``backend`` names; returns the list of ``_recover`` calls.

    "fused": torch's kernel, then the gates recovered from the hidden sequence (the path taken
    where the compiled loop does not apply; with the extension built it would otherwise never
    run). "explicit": lstmkit's gate-by-gate loop, which records the gates as it goes.
    """
    calls = []
    recover = trace_module._recover

    def spy(*args, **kwargs):
        calls.append(1)
        return recover(*args, **kwargs)

    monkeypatch.setattr(trace_module, "_recover", spy)
    if backend == "fused":
        monkeypatch.setattr(trace_module.kernel, "usable_for", lambda t: False)
    return calls


@pytest.mark.parametrize("backend", ["fused", "explicit"])
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[c[0] for c in CONFIGS])
@pytest.mark.parametrize("kind", ["batched", "packed", "unbatched"])
def test_trace_matches_hand_written_loop(name, kwargs, kind, backend, monkeypatch):
    recovered = force_path(monkeypatch, backend)
    m = LSTM(F_IN, H, **kwargs, backend=backend, dtype=torch.float64).eval()
    bf, lead, p = m.batch_first, m.num_layers * m.num_directions, m.proj_size or H
    lengths = [4, 6, 2] if kind == "packed" else [6, 6, 6]
    x = torch.randn(3, 6, F_IN, dtype=torch.float64)  # (B, T, F), zero beyond each length
    for b, n in enumerate(lengths):
        x[b, n:] = 0
    h0, c0 = torch.randn(lead, 3, p, dtype=torch.float64), torch.randn(lead, 3, H, dtype=torch.float64)
    if kind == "unbatched":
        inp, hx = (x[0] if bf else x[0]), (h0[:, 0], c0[:, 0])
    else:
        inp, hx = (x if bf else x.transpose(0, 1)), (h0, c0)
        if kind == "packed":
            inp = pack_padded_sequence(inp, torch.tensor(lengths), batch_first=bf, enforce_sorted=False)
    tr = m.trace(inp, hx)
    assert isinstance(tr, LSTMTrace)
    assert bool(recovered) == (backend == "fused")  # the path the test names ran
    out, (h_n, c_n) = m(inp, hx)
    if kind == "packed":
        torch.testing.assert_close(tr.output.data, out.data, atol=1e-12, rtol=0)
    else:
        torch.testing.assert_close(tr.output, out, atol=1e-12, rtol=0)
    torch.testing.assert_close(tr.h_n, h_n, atol=1e-12, rtol=0)
    torch.testing.assert_close(tr.c_n, c_n, atol=1e-12, rtol=0)
    for b in range(1 if kind == "unbatched" else 3):
        ref = reference_trace(m, x[b, : lengths[b]], h0[:, b], c0[:, b])
        for key, field in FIELDS.items():
            got = getattr(tr, field)  # (L*D, T, B, X) or (L*D, B, T, X), B dropped when unbatched
            width = p if key == "h" else H
            if kind == "unbatched":
                assert got.shape == (lead, 6, width)
                seq = got
            else:
                assert got.shape == ((lead, 3, 6, width) if bf else (lead, 6, 3, width))
                seq = got[:, b] if bf else got[:, :, b]
            torch.testing.assert_close(seq[:, : lengths[b]], torch.stack(ref[key]), atol=1e-10, rtol=1e-10)
            assert (seq[:, lengths[b] :] == 0).all()


@pytest.mark.parametrize("reverse", [False, True])
def test_cell_scan_equals_loop(monkeypatch, reverse):
    sched = Schedule.uniform(37, 3)
    f, u = torch.rand(37 * 3, 4, dtype=torch.float64), torch.randn(37 * 3, 4, dtype=torch.float64)
    c0 = torch.randn(3, 4, dtype=torch.float64)
    monkeypatch.setattr(trace_module, "_SCAN_MAX_WORK", 10**9)
    scan = trace_module.cell_sequence(f, u, c0, sched, reverse)
    monkeypatch.setattr(trace_module, "_SCAN_MAX_WORK", 0)
    loop = trace_module.cell_sequence(f, u, c0, sched, reverse)
    torch.testing.assert_close(scan, loop, atol=1e-12, rtol=1e-12)
    steps = range(36, -1, -1) if reverse else range(37)
    c, fs, us = c0, f.view(37, 3, 4), u.view(37, 3, 4)
    for t in steps:
        c = fs[t] * c + us[t]
        torch.testing.assert_close(loop.view(37, 3, 4)[t], c, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("backend", ["fused", "explicit"])
def test_trace_runs_without_gradients_and_matches_torch_and_the_loop(backend, monkeypatch):
    recovered = force_path(monkeypatch, backend)
    m = LSTM(F_IN, H, num_layers=2, bidirectional=True, backend=backend)
    x = torch.randn(5, 2, F_IN)
    traced = m.trace(x)
    assert bool(recovered) == (backend == "fused")
    assert not traced.cell.requires_grad and not traced.output.requires_grad
    reference = torch.nn.LSTM(F_IN, H, num_layers=2, bidirectional=True)  # an independent implementation
    reference.load_state_dict(m.state_dict())
    with torch.no_grad():
        out, (h_n, c_n) = reference(x)
    torch.testing.assert_close(traced.output, out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(traced.h_n, h_n, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(traced.c_n, c_n, atol=1e-5, rtol=1e-5)
    zeros = torch.zeros(4, H)
    for b in range(2):
        ref = reference_trace(m, x[:, b], zeros, zeros)
        for key, field in FIELDS.items():
            torch.testing.assert_close(
                getattr(traced, field)[:, :, b], torch.stack(ref[key]), atol=1e-5, rtol=1e-5
            )
