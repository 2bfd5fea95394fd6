"""What the gates did: :class:`Explanation`, built from an LSTM trace, and its files.

An explanation holds the per-step input, forget and output gates and the cell state of every
layer and direction (:func:`gates_from_trace` turns :meth:`lstmkit.nn.LSTM.trace` into them),
what the model read, and, for forecasters, the attributions. It gives the long table
(``gates.csv``), a text summary and the figure (drawn by :mod:`lstmkit.plots.gates`);
:func:`write_explanation` writes the files as one set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from lstmkit.errors import DataError
from lstmkit.logs import counted

GATES = ("input", "forget", "output", "cell")


@dataclass
class Explanation:
    """The gates of one sequence, per layer and direction, and what the model read.

    Attributes:
        kind: ``"forecast"``, ``"classify"``, ``"text"`` or ``"text-classify"``.
        title: what was explained, for figures and messages.
        gates: ``(L*D, 4, T, H)`` the input, forget and output gates and the cell state
            (:data:`GATES` order), index ``layer * D + direction``.
        num_directions: D.
        inputs: ``(T, F)`` what the model read, in the data's own units.
        input_names: F names (the target and covariates, the channels, or what a text model's value is).
        step_labels: a label per step (times, characters, tokens) or None.
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
            total = float(self.attributions.sum())
            lines.append(
                f"attributions: the network's mean forecast over the horizon {self.forecast:.4g} (before the "
                f"combination with the classical methods) = baseline {self.baseline:.4g} {'-' if total < 0 else '+'} "
                f"{abs(total):.4g} over {self.steps} steps (completeness error "
                f"{self.completeness_error:.2%}); largest at {self._step_name(int(np.abs(self.attributions).argmax()))}"
            )
        return "\n".join(lines + self.notes)

    def _step_name(self, step: int) -> str:
        if self.step_labels is None:
            return f"step {step}"
        return (
            f"step {step} ({self.step_labels[step]!r})"
            if self.kind in ("text", "text-classify")
            else f"step {step} ({self.step_labels[step]})"
        )

    def plot(self, path: str | Path) -> Path:
        """Write ``gates.png`` (see :func:`lstmkit.plots.gates.plot_gates`)."""
        from lstmkit.plots.gates import plot_gates

        return plot_gates(self, path)


def chosen_case(case: int | None, count: int, *, source: str, noun: str = "case") -> int:
    """The case ``--case`` names (0 when none) among ``count`` cases (``noun``: ``text``) of ``source``.

    Raises:
        DataError: ``case`` out of range.
    """
    case = 0 if case is None else case
    if not 0 <= case < count:
        raise DataError(
            f"--case {case} is out of range: {source} has {counted(count, noun)} (0 to {count - 1})"
        )
    return case


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


def write_explanation(expl: Explanation, out: str | Path) -> list[Path]:
    """Write gates.png, gates.csv (and attributions.csv) into folder ``out`` as one staged set."""
    from lstmkit.io import atomic_write_text, staged_folder

    names = ["gates.png", "gates.csv"]
    # attributions.csv: an earlier forecaster's explanation in ``out`` must not stay beside these gates
    with staged_folder(out, owned=["attributions.csv"]) as stage:
        expl.plot(stage / "gates.png")
        expl.to_frame().to_csv(stage / "gates.csv", index=False, float_format="%.6g")
        attr = expl.attribution_frame()
        if attr is not None:
            atomic_write_text(stage / "attributions.csv", attr.to_csv(index=False, float_format="%.6g"))
            names.append("attributions.csv")
    return [Path(out) / n for n in names]
