"""LSTM.trace against the reference LSTM (lstmkit.nn.reference, the per-step equations), on both backends."""

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from lstmkit.nn import LSTM, LSTMTrace, kernel
from lstmkit.nn import trace as trace_module
from lstmkit.nn.reference import reference_lstm
from lstmkit.nn.schedule import Schedule

F_IN, H = 3, 5


FIELDS = ("input_gate", "forget_gate", "cell_candidate", "output_gate", "cell", "hidden")
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
        monkeypatch.setattr(trace_module.kernel, "usable_for", lambda t, work=None: False)
    return calls


@pytest.mark.parametrize("backend", ["fused", "explicit"])
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[c[0] for c in CONFIGS])
@pytest.mark.parametrize("kind", ["batched", "packed", "unbatched"])
def test_trace_matches_the_reference(name, kwargs, kind, backend, monkeypatch):
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
    ref = reference_lstm(m, inp, hx)
    for field in FIELDS:
        got, want = getattr(tr, field), getattr(ref, field)  # (L*D, T, B, X) or (L*D, B, T, X), B dropped
        width = p if field == "hidden" else H
        assert got.shape == (
            (lead, 6, width) if kind == "unbatched" else (lead, 3, 6, width) if bf else (lead, 6, 3, width)
        )
        torch.testing.assert_close(got, want, atol=1e-10, rtol=1e-10)
    if kind == "packed":  # zero past each sequence's end
        for b, n in enumerate(lengths):
            assert (tr.cell[:, b, n:] == 0).all() if bf else (tr.cell[:, n:, b] == 0).all()


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
    ref = reference_lstm(m, x)
    for field in FIELDS:
        torch.testing.assert_close(getattr(traced, field), getattr(ref, field), atol=1e-5, rtol=1e-5)


def _gates_match_the_reference(m, x, traced):
    ref = reference_lstm(m, x)
    for field in FIELDS:
        torch.testing.assert_close(getattr(traced, field), getattr(ref, field), atol=1e-5, rtol=1e-5)


def _fresh_process(monkeypatch, build_succeeds: bool) -> list:
    """Make ``kernel`` forget that this process built or loaded the loops; record build attempts."""
    builds = []

    def build():
        builds.append(1)
        return build_succeeds, "" if build_succeeds else "a build was attempted"

    monkeypatch.delenv("LSTMKIT_NO_EXTENSION", raising=False)
    monkeypatch.setattr(kernel, "_state", {})
    monkeypatch.setattr(kernel, "_build", build)
    return builds


def test_a_small_trace_does_not_build_the_compiled_loops(monkeypatch):
    """report.html traces one window: in a process without the compiled loops it must not wait
    for a build (10-60 s); torch's kernel and the recovered gates serve it."""
    builds = _fresh_process(monkeypatch, build_succeeds=False)
    recovered = force_path(monkeypatch, "explicit")  # only spies on _recover: the choice is trace's
    m = LSTM(F_IN, H, num_layers=2, batch_first=True).eval()  # the default backend: torch's kernel
    x = torch.randn(1, 24, F_IN)
    traced = m.trace(x)
    assert builds == [] and kernel._state == {} and recovered
    torch.testing.assert_close(traced.output, m(x)[0], atol=1e-6, rtol=1e-6)
    _gates_match_the_reference(m, x, traced)


def test_only_work_large_enough_builds_the_compiled_loops(monkeypatch):
    builds = _fresh_process(monkeypatch, build_succeeds=True)
    x = torch.zeros(1)
    assert not kernel.usable_for(x, work=kernel.BUILD_MIN_WORK - 1) and builds == []
    assert kernel.usable_for(x, work=kernel.BUILD_MIN_WORK) and builds == [1]
    assert kernel.usable_for(x, work=1) and builds == [1]  # built now: small work uses them too


def test_a_small_trace_uses_the_compiled_loops_this_process_has(monkeypatch):
    if not kernel.available():  # builds them (or loads the cached build)
        pytest.skip("compiled LSTM loop not built (no compiler/ninja, or LSTMKIT_NO_EXTENSION set)")
    recovered = force_path(monkeypatch, "explicit")  # only spies on _recover
    m = LSTM(F_IN, H, num_layers=2, bidirectional=True).eval()
    x = torch.randn(5, 2, F_IN)
    traced = m.trace(x)
    assert not recovered  # recorded by the compiled loop, not recovered from torch's kernel
    torch.testing.assert_close(traced.output, m(x)[0], atol=1e-5, rtol=1e-5)
    _gates_match_the_reference(m, x, traced)
