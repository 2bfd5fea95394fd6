"""What the gates did: :class:`Explanation` and the per-job functions that build one.

Each job's network holds an :class:`lstmkit.nn.LSTM`; its ``trace()`` (every backend, every
variant) gives the per-step input, forget and output gates and the cell state of every layer
and direction. This module runs that trace on the sequence the user asks about:

* a forecaster: the last input window of one series, through the ensemble member whose lookback
  covers the whole window, plus integrated-gradient attributions of the *network's* mean point
  forecast (all members, in data units) to each window step;
* a sequence classifier: one case, or the mean over the cases of a class (steps averaged over the
  cases that reach them);
* a character language model: a text snippet, with each character's surprisal (bits).

The figure lives in :mod:`lstmkit.plots.gates`; the long table and the text summary are here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from lstmkit.data.tabular import impute
from lstmkit.errors import DataError

GATES = ("input", "forget", "output", "cell")
COMPLETENESS_TOLERANCE = 0.01  # attributions add up to forecast - baseline within 1% of it
_SPLIT = (
    8  # an interval that misses completeness is cut in this many: steep stretches are reached in few rounds
)


@dataclass
class Explanation:
    """The gates of one sequence, per layer and direction, and what the model read.

    Attributes:
        kind: ``"forecast"``, ``"classify"`` or ``"text"``.
        title: what was explained, for figures and messages.
        gates: ``(L*D, 4, T, H)`` the input, forget and output gates and the cell state
            (:data:`GATES` order), index ``layer * D + direction``.
        num_directions: D.
        inputs: ``(T, F)`` what the model read, in the data's own units.
        input_names: F names (the target and covariates, the channels, or ``"char"``).
        step_labels: a label per step (times, characters) or None.
        attributions: ``(T,)`` each step's contribution to the forecast (forecasters only).
        forecast, baseline: the attributed output at the window and at the baseline window.
        surprisal: ``(T,)`` bits of each next character (language models; NaN at the last step).
    """

    kind: str
    title: str
    gates: np.ndarray
    num_directions: int
    inputs: np.ndarray
    input_names: list[str]
    step_labels: list[str] | None = None
    attributions: np.ndarray | None = None
    forecast: float | None = None
    baseline: float | None = None
    surprisal: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def num_layers(self) -> int:
        return self.gates.shape[0] // self.num_directions

    @property
    def steps(self) -> int:
        return self.gates.shape[2]

    def gate(self, name: str, *, layer: int = 0, direction: int = 0) -> np.ndarray:
        """``(T, H)`` values of gate ``name`` (one of :data:`GATES`)."""
        return self.gates[layer * self.num_directions + direction, GATES.index(name)]

    @property
    def completeness_error(self) -> float | None:
        """``|sum(attributions) - (forecast - baseline)| / |forecast - baseline|``."""
        if self.attributions is None or self.forecast is None or self.baseline is None:
            return None  # the three come together (forecasters only)
        gap = self.forecast - self.baseline
        return abs(float(self.attributions.sum()) - gap) / max(abs(gap), 1e-12)

    def to_frame(self) -> pd.DataFrame:
        """The long table of ``gates.csv``: layer, direction, step, unit, gate, value."""
        LD, G, T, H = self.gates.shape
        k, g, t, u = np.meshgrid(np.arange(LD), np.arange(G), np.arange(T), np.arange(H), indexing="ij")
        return pd.DataFrame(
            {
                "layer": (k // self.num_directions).ravel(),
                "direction": (k % self.num_directions).ravel(),
                "step": t.ravel(),
                "unit": u.ravel(),
                "gate": np.asarray(GATES)[g.ravel()],
                "value": self.gates.ravel().astype(np.float64),
            }
        )

    def attribution_frame(self) -> pd.DataFrame | None:
        """step, label, input value and attribution of each window step (forecasters), else None."""
        if self.attributions is None:
            return None
        frame = pd.DataFrame(
            {"step": np.arange(self.steps), "value": self.inputs[:, 0], "attribution": self.attributions}
        )
        if self.step_labels is not None:
            frame.insert(1, "time", self.step_labels)
        return frame

    def unit_order(self, layer: int = 0, direction: int = 0) -> np.ndarray:
        """Units by mean forget gate, most remembering first."""
        return np.argsort(-self.gate("forget", layer=layer, direction=direction).mean(axis=0), kind="stable")

    def summary(self, *, top: int = 3) -> str:
        """Per layer and direction: mean forget gate, the most saturated units, the steps of largest cell change."""
        lines = [self.title]
        for k in range(self.gates.shape[0]):
            layer, d = divmod(k, self.num_directions)
            name = f"layer {layer}" + (
                f" {'forward' if d == 0 else 'backward'}" if self.num_directions == 2 else ""
            )
            i, f, o, c = self.gates[k]  # (T, H) each
            sat = np.mean([(np.minimum(g, 1 - g) < 0.1).mean(axis=0) for g in (i, f, o)], axis=0)  # (H,)
            units = np.argsort(-sat, kind="stable")[:top]
            prev = (
                np.vstack([np.zeros((1, c.shape[1])), c[:-1]])
                if d == 0
                else np.vstack([c[1:], np.zeros((1, c.shape[1]))])
            )
            change = np.linalg.norm(c - prev, axis=1)  # (T,)
            steps = np.sort(np.argsort(-change, kind="stable")[:top])
            where = ", ".join(self._step_name(s) for s in steps)
            saturated = ", ".join(f"{u} ({sat[u]:.0%} of gate-steps)" for u in units if sat[u] > 0) or "none"
            lines.append(
                f"{name}: mean forget gate {f.mean():.3f}; most saturated units (gates within 0.1 of 0 or 1): "
                f"{saturated}; largest cell change at {where}"
            )
        if self.attributions is not None:
            lines.append(
                f"attributions: forecast {self.forecast:.4g} = baseline {self.baseline:.4g} + "
                f"{self.attributions.sum():.4g} over {self.steps} steps (completeness error "
                f"{self.completeness_error:.2%}); largest at {self._step_name(int(np.abs(self.attributions).argmax()))}"
            )
        return "\n".join(lines + self.notes)

    def _step_name(self, step: int) -> str:
        if self.step_labels is None:
            return f"step {step}"
        return (
            f"step {step} ({self.step_labels[step]!r})"
            if self.kind == "text"
            else f"step {step} ({self.step_labels[step]})"
        )

    def plot(self, path: str | Path) -> Path:
        """Write ``gates.png`` (see :func:`lstmkit.plots.gates.plot_gates`)."""
        from lstmkit.plots.gates import plot_gates

        return plot_gates(self, path)


def gates_from_trace(tr: Any, *, batch: int | slice = 0, lengths: np.ndarray | None = None) -> np.ndarray:
    """``(L*D, 4, T, H)`` from a batch-first :class:`~lstmkit.nn.LSTMTrace`: case ``batch``, or the mean
    over a slice of cases with ``lengths`` (each step averaged over the cases that reach it)."""
    stacked = torch.stack(
        [tr.input_gate, tr.forget_gate, tr.output_gate, tr.cell], dim=1
    )  # (L*D, 4, B, T, H)
    values = stacked.detach().double().cpu().numpy()
    if isinstance(batch, int):
        return values[:, :, batch]
    part = values[:, :, batch]  # (L*D, 4, n, T, H)
    reach = (np.arange(part.shape[3])[None, :] < np.asarray(lengths)[:, None]).astype(np.float64)  # (n, T)
    return (part * reach[None, None, :, :, None]).sum(2) / np.maximum(reach.sum(0), 1)[None, None, :, None]


# ----------------------------------------------------------------------------- forecasters


@dataclass
class ForecastWindow:
    """One series' last input window, as the forecaster's network takes it."""

    series: Any  # the :class:`~lstmkit.data.tabular.Series`
    x: torch.Tensor  # (1, W) data units
    scale: torch.Tensor  # (1, 1)
    cov: torch.Tensor  # (1, W, C)
    first: torch.Tensor  # (1,) calendar ordinal of the first forecast step


def forecast_window(model: Any, data: Any, sid: str | None) -> ForecastWindow:
    """The last window of series ``sid`` (default: the first) of ``data``, with its scale, covariates and calendar."""
    from lstmkit.data.calendar import step_ordinals
    from lstmkit.data.preprocess import series_scale

    ids = [str(s.id) for s in data.series]
    if sid is None:
        series = data.series[0]
    elif data.id_col is None:
        raise DataError(
            f"--series {sid!r} given, but the data holds one series (no id column); drop --series"
        )
    elif str(sid) in ids:
        series = data.series[ids.index(str(sid))]
    else:
        raise DataError(
            f"--series {sid!r} not found in the data; its series are: {', '.join(ids[:10])}"
            + (" ..." if len(ids) > 10 else "")
        )
    W = model.net.window
    if len(series.target) < W:
        raise DataError(
            f"the series has {len(series.target)} points; this model reads windows of {W} (its lookback)"
        )
    if np.isnan(series.target[-W:]).any():
        raise DataError(f"the last window ({W} points) has missing values; fill them to explain it")
    if model.state["log"] and (series.target[-W:] <= 0).any():
        raise DataError(
            "the model was trained on log data and the last window has values <= 0; it cannot explain them"
        )
    scale = model.state["scales"].get(str(series.id))
    if scale is None:  # a series the model has not seen: its own scale, as predict does
        z = np.log(series.target) if model.state["log"] else series.target
        scale = series_scale(z, model.state["season"])
    ordinals = step_ordinals(series.times, kind=data.time_kind, freq=data.freq, length=len(series.target))
    x = torch.as_tensor(series.target[-W:], dtype=torch.float32)[None]
    cov = torch.as_tensor(series.covariates[-W:], dtype=torch.float32)[None]
    first = torch.as_tensor([int(ordinals[-1]) + 1], dtype=torch.long)
    return ForecastWindow(series, x, torch.tensor([[float(scale)]]), cov, first)


def member_gates(net: Any, win: ForecastWindow) -> tuple[int, np.ndarray]:
    """``(k, gates (L, 4, W, H))`` of member k, the first whose lookback covers the whole window: one traced pass."""
    k = max(range(len(net.members)), key=lambda j: net.members[j].lookback)
    member = net.members[k]
    with torch.no_grad():
        u, _ = net.normalise(net.to_z(win.x), win.cov, win.scale)
        u, _ = net.calendar_inputs(u, win.first)
        return k, gates_from_trace(member.lstm.trace(u[:, -member.lookback :, :]))


def window_attributions(net: Any, win: ForecastWindow) -> tuple[np.ndarray, float, float]:
    """Integrated gradients of the network's mean point forecast (all members, data units) over the window
    steps, from a window flat at its level: ``(attributions (W,), forecast, baseline forecast)``.

    In float32 first; when that misses completeness within 256 path points (near a flat window layer
    norm is steep, and float32 rounding turns the steep stretch into noise) again on a float64 copy.
    """
    for dtype, max_points, near_zero in ((torch.float32, 256, 0), (torch.float64, 2048, 48)):
        f = net if dtype == torch.float32 else copy.deepcopy(net).double()
        x, scale, cov = win.x.to(dtype), win.scale.to(dtype), win.cov.to(dtype)

        def mean_forecast(windows: torch.Tensor, f=f, scale=scale, cov=cov) -> torch.Tensor:  # (B, W) -> (B,)
            n = windows.shape[0]
            return f(windows, scale.expand(n, 1), cov.expand(n, -1, -1), win.first.expand(n))[..., 0].mean(1)

        base = (
            f.from_z(f.level(f.to_z(x)))[0].expand(x.shape[1]).clone()
        )  # flat at the window's level, data units
        attr, fx, fb = integrated_gradients(
            mean_forecast, x[0], base, max_points=max_points, near_zero=near_zero
        )
        if abs(attr.sum() - (fx - fb)) <= COMPLETENESS_TOLERANCE * abs(fx - fb):
            break
    return attr, fx, fb


def integrated_gradients(
    f: Any,
    x: torch.Tensor,
    baseline: torch.Tensor,
    *,
    steps: int = 32,
    near_zero: int = 0,
    max_points: int = 2048,
) -> tuple[np.ndarray, float, float]:
    """Integrated gradients of scalar ``f`` from ``baseline`` to ``x`` (both ``(W,)``), adaptive midpoint rule.

    The path ``b + a (x - b)``, a in [0, 1], starts as ``steps`` equal intervals (plus ``near_zero``
    log-spaced ones next to the baseline); each interval's share is ``(x - b) * grad f(midpoint) * width``.
    The intervals whose share misses their own change ``f(end) - f(start)`` the most are cut in
    :data:`_SPLIT` (only the new pieces are evaluated) until the attributions add up to ``f(x) - f(b)``
    within :data:`COMPLETENESS_TOLERANCE`, or there are ``max_points`` intervals: steep stretches, such as
    layer norm next to an all-zero input, get fine steps, smooth ones stay coarse.

    Returns:
        ``(attributions (W,), f(x), f(baseline))``.
    """
    delta = x - baseline

    def values(alphas: torch.Tensor) -> torch.Tensor:  # (S,) -> f on the path, (S,)
        with torch.no_grad():
            return f(baseline + alphas[:, None] * delta).double()

    def shares(
        lo: torch.Tensor, hi: torch.Tensor
    ) -> torch.Tensor:  # intervals (S,) -> their attributions (S, W)
        path = (baseline + ((lo + hi) / 2)[:, None] * delta).requires_grad_(True)
        (grad,) = torch.autograd.grad(f(path).sum(), path)
        return (delta * grad * (hi - lo)[:, None]).detach().double()

    knots = torch.linspace(0.0, 1.0, steps + 1, dtype=x.dtype)
    if near_zero:
        knots = torch.sort(torch.cat([knots, torch.logspace(-9, -1, near_zero, dtype=x.dtype)])).values
    ends = values(knots)
    lo, hi, f_lo, f_hi = knots[:-1], knots[1:], ends[:-1], ends[1:]
    part = shares(lo, hi)  # (S, W)
    fx, fb = float(ends[-1]), float(ends[0])
    while True:
        attr = part.sum(0)
        if (
            abs(float(attr.sum()) - (fx - fb)) <= COMPLETENESS_TOLERANCE * abs(fx - fb) + 1e-9
            or len(lo) >= max_points
        ):
            return attr.numpy(), fx, fb
        miss = ((f_hi - f_lo) - part.sum(1)).abs()  # (S,)
        order = torch.argsort(miss, descending=True)
        count = (
            int(torch.searchsorted(miss[order].cumsum(0), 0.5 * miss.sum())) + 1
        )  # those holding half the miss
        worst, keep = order[:count], order[count:]
        cuts = (
            lo[worst, None] + (hi - lo)[worst, None] * torch.arange(_SPLIT + 1, dtype=x.dtype) / _SPLIT
        )  # (c, 9)
        inner = values(cuts[:, 1:-1].flatten()).view(count, _SPLIT - 1)
        fv = torch.cat([f_lo[worst, None], inner, f_hi[worst, None]], dim=1)  # (c, 9)
        new_lo, new_hi = cuts[:, :-1].flatten(), cuts[:, 1:].flatten()
        lo, hi = torch.cat([lo[keep], new_lo]), torch.cat([hi[keep], new_hi])
        f_lo, f_hi = (
            torch.cat([f_lo[keep], fv[:, :-1].flatten()]),
            torch.cat([f_hi[keep], fv[:, 1:].flatten()]),
        )
        part = torch.cat([part[keep], shares(new_lo, new_hi)])


def explain_forecaster(model: Any, data: Any = None, *, series: str | None = None) -> Explanation:
    """Gates of the member reading the whole last window of a series, and attributions of the mean forecast.

    The baseline window is flat at the window's level (the mean of its last season): the
    attributions say how each step's departure from flat moved the mean point forecast (data units).

    Raises:
        DataError: an unknown series, or a series shorter than the model's window.
    """
    net = model.network
    if data is None:
        if model.data_ is None:
            raise DataError(
                "explain() needs data: this model was loaded from disk, pass the history to explain"
            )
        data = model.data_
    data = impute(model.read(data))  # the window the network reads: gaps filled as forecasting fills them
    model._check_compatible(data)
    win = forecast_window(model, data, series)
    net.eval()
    k, gates = member_gates(net, win)
    attr, fx, fb = window_attributions(net, win)
    s, x, W = win.series, win.x, win.x.shape[1]
    labels = None
    if s.times is not None:
        labels = [str(t) for t in list(s.times[-W:])]
    notes = []
    if abs(attr.sum() - (fx - fb)) > COMPLETENESS_TOLERANCE * abs(fx - fb):
        notes.append(
            "note: the attributions miss completeness by more than 1% (the network is very steep between the "
            "flat baseline and the window); read them as approximate"
        )
    who = f"series {s.id}" if s.id is not None else f"{data.target}"
    expl = Explanation(
        kind="forecast",
        title=f"forecaster: last window of {who} ({W} steps), member {k} of {len(net.members)}",
        gates=gates,
        num_directions=1,
        inputs=x[0].double().numpy()[:, None],
        input_names=[data.target],
        step_labels=labels,
        attributions=attr,
        forecast=fx,
        baseline=fb,
        notes=notes,
    )
    return expl


# ----------------------------------------------------------------------------- classifiers


def explain_classifier(
    clf: Any, data: Any, *, case: int | None = None, label: str | None = None
) -> Explanation:
    """Gates of the classifier's LSTM on one case (default 0) or averaged over the cases of class ``label``.

    Raises:
        DataError: a case index out of range, an unknown class, or data of the wrong shape.
    """
    from torch.nn.utils.rnn import pack_padded_sequence

    from lstmkit.data.sequences import pad_sequences
    from lstmkit.models.classifier import _as_data
    from lstmkit.networks.hybrid_net import HybridNet, scale_series

    net = clf.network
    data = clf._match_features(_as_data(data))
    clf._check_features(data, expected=clf.n_features_)
    if label is not None:
        if data.labels is None:
            raise DataError(
                f"{data.name} has no class labels; --class needs labelled data, or pick a case with --case"
            )
        index = np.flatnonzero(data.labels == str(label))
        if not len(index):
            present = sorted(set(map(str, data.labels)))
            raise DataError(
                f"class {label!r} has no case in {data.name}; its classes are: {', '.join(present)}"
            )
        title = f"classifier: mean over the {len(index)} cases of class {label!r} in {data.name}"
    else:
        case = 0 if case is None else case
        if not 0 <= case < len(data):
            raise DataError(
                f"--case {case} is out of range: {data.name} has {len(data)} cases (0 to {len(data) - 1})"
            )
        index = np.asarray([case])
        truth = f", true class {data.labels[case]!r}" if data.labels is not None else ""
        title = f"classifier: case {case} of {data.name}{truth}"
    x, lengths = pad_sequences([data.series[i] for i in index])  # (n, T, F)
    xt = torch.from_numpy(x)
    names = data.features or [f"channel {j}" for j in range(x.shape[2])]
    net.eval()
    with torch.no_grad():
        proba = torch.softmax(net(xt, torch.from_numpy(lengths)), dim=-1).mean(0).numpy()
        if isinstance(net, HybridNet):  # its LSTM reads the scaled series, averaged over `pool` steps
            if net.lstm is None:
                raise DataError(
                    "this classifier has no LSTM (hybrid.lstm=false): there are no gates to explain"
                )
            z, steps = net.pooled(
                scale_series(xt, torch.from_numpy(lengths), net.mean, net.std), torch.from_numpy(lengths)
            )
            lstm, x, lengths = net.lstm.lstm, z.double().numpy(), steps.numpy()
            names = [f"{n} (scaled, mean of {net.pool} steps)" for n in names]
        else:
            z = (xt - net.mean) / net.std
            z, lstm = torch.where(torch.isnan(z), torch.zeros_like(z), z), net.lstm
        packed = pack_padded_sequence(
            z, torch.from_numpy(np.asarray(lengths)), batch_first=True, enforce_sorted=False
        )
        tr = lstm.trace(packed)
    gates = gates_from_trace(tr, batch=slice(None), lengths=lengths)
    reach = (np.arange(x.shape[1])[None, :] < lengths[:, None])[..., None]  # (n, T, 1)
    inputs = np.nansum(np.where(reach, x, 0.0), axis=0) / np.maximum(reach.sum(0), 1)  # (T, F)
    top = int(proba.argmax())
    note = f"predicted: {clf.classes_[top]!r} (mean probability {proba[top]:.3f})"
    return Explanation(
        kind="classify",
        title=title,
        gates=gates,
        num_directions=lstm.num_directions,
        inputs=inputs,
        input_names=list(names),
        notes=[note],
    )


# ----------------------------------------------------------------------------- language models


def explain_language_model(lm: Any, text: str, *, max_chars: int = 100) -> Explanation:
    """Gates of the language model's LSTM over the first ``max_chars`` characters of ``text``.

    Raises:
        DataError: fewer than two characters.
    """
    net = lm.network
    snippet = text[:max_chars]
    if len(snippet) < 2:
        raise DataError(
            f"the text has {len(snippet)} character(s); explaining a language model needs at least two"
        )
    ids = torch.tensor(lm.vocab_.encode(snippet))[None]  # (1, T)
    net.eval()
    with torch.no_grad():
        tr = net.lstm.trace(net.embedding(ids))
        logp = torch.log_softmax(net(ids)[0][0], dim=-1)  # (T, V)
        bits = -logp[:-1].gather(1, ids[0, 1:, None])[:, 0] / np.log(2.0)  # (T - 1,)
    surprisal = np.append(bits.double().numpy(), np.nan)
    return Explanation(
        kind="text",
        title=f"language model: {len(snippet)} characters",
        gates=gates_from_trace(tr),
        num_directions=1,
        inputs=surprisal[:, None],
        input_names=["bits of the next character"],
        step_labels=list(snippet),
        surprisal=surprisal,
        notes=[f"mean bits per character on the snippet: {np.nanmean(surprisal):.3f}"],
    )


def write_explanation(expl: Explanation, out: str | Path) -> list[Path]:
    """Write gates.png, gates.csv (and attributions.csv) into folder ``out`` as one staged set."""
    from lstmkit.io import atomic_write_text, staged_folder

    names = ["gates.png", "gates.csv"]
    with staged_folder(out) as stage:
        expl.plot(stage / "gates.png")
        expl.to_frame().to_csv(stage / "gates.csv", index=False, float_format="%.6g")
        attr = expl.attribution_frame()
        if attr is not None:
            atomic_write_text(stage / "attributions.csv", attr.to_csv(index=False, float_format="%.6g"))
            names.append("attributions.csv")
    return [Path(out) / n for n in names]
