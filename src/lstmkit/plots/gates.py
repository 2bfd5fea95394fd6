"""The gate figure of an :class:`~lstmkit.explain.Explanation` (matplotlib, imported on call).

One column per layer and direction (up to four), rows sharing the time axis: what the model
read on top (the window, the channels, or each character's surprisal), the per-step
attributions of a forecast under it, then heat maps over time x units of the input, forget and
output gates and the cell state. Units are ordered by their mean forget gate, most remembering
on top, so units that hold memory and units that reset read as bands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lstmkit.io.atomic import atomic_output
from lstmkit.plots import missing_glyphs_quiet

MAX_COLUMNS = 4  # layer-directions drawn; the CSV holds them all
_TITLES = {
    "input": "input gate i",
    "forget": "forget gate f",
    "output": "output gate o",
    "cell": "cell state c",
}


# text models: the x-axis unit and the y-label of what is drawn over the steps
_TEXT_KINDS = {"text": ("character", "bits"), "text-classify": ("token", "probability")}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _draw_inputs(ax, expl: Any, steps: np.ndarray) -> None:
    if expl.kind in _TEXT_KINDS:  # a bar per character or token, labelled with it
        ax.bar(steps, np.nan_to_num(expl.inputs[:, 0]), color="tab:gray", width=0.8)
        ax.set_ylabel(_TEXT_KINDS[expl.kind][1], fontsize=8)
        if expl.steps <= 120:
            labels = [{"\n": "↵", " ": "␣", "\t": "⇥"}.get(c, c) for c in expl.step_labels]
            ax.set_xticks(steps, labels, fontsize=6, rotation=0 if expl.kind == "text" else 90)
            ax.tick_params(axis="x", labelbottom=True, length=0)
        return
    shown = expl.inputs[:, :8]
    for j in range(shown.shape[1]):
        ax.plot(steps, shown[:, j], lw=1.1, label=expl.input_names[j] if j < len(expl.input_names) else None)
    if shown.shape[1] <= 4:
        ax.legend(fontsize=7, loc="upper left")


def _draw_attributions(ax, expl: Any, steps: np.ndarray) -> None:
    a = expl.attributions
    ax.bar(steps, a, color=np.where(a >= 0, "tab:red", "tab:blue"), width=0.8)
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_ylabel("attribution", fontsize=8)
    ax.set_title(
        f"contribution to the mean forecast (sum {a.sum():.3g} = forecast {expl.forecast:.4g} "
        f"- flat baseline {expl.baseline:.4g})",
        fontsize=8,
    )


def plot_gates(expl: Any, path: str | Path, *, max_units: int = 64) -> Path:
    """Write the gate figure of ``expl`` to ``path`` (PNG, atomically) and return ``path``."""
    plt = _pyplot()
    cols = min(expl.gates.shape[0], MAX_COLUMNS)
    extra = expl.attributions is not None
    rows = 1 + int(extra) + 4
    heights = [1.3] + ([1.0] if extra else []) + [1.6] * 4
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(max(7.0, 5.5 * cols), sum(heights) * 1.15),
        squeeze=False,
        sharex="col",
        gridspec_kw={"height_ratios": heights},
    )
    steps = np.arange(expl.steps)
    try:
        for k in range(cols):
            layer, d = divmod(k, expl.num_directions)
            col = axes[:, k]
            _draw_inputs(col[0], expl, steps)
            name = f"layer {layer}" + (
                f", {'forward' if d == 0 else 'backward'}" if expl.num_directions == 2 else ""
            )
            col[0].set_title(
                f"{name}: {expl.input_names[0] if expl.kind != 'text' else 'next-character surprisal'}",
                fontsize=9,
            )
            if extra:
                _draw_attributions(col[1], expl, steps)
            for ax in col[: 1 + int(extra)]:  # the same colour-bar gutter as the heat maps, so time lines up
                spacer = fig.colorbar(plt.cm.ScalarMappable(cmap="viridis"), ax=ax, fraction=0.03, pad=0.01)
                spacer.ax.set_visible(False)
            order = expl.unit_order(layer, d)[:max_units]
            for r, gate in enumerate(("input", "forget", "output", "cell")):
                ax = col[1 + int(extra) + r]
                values = expl.gate(gate, layer=layer, direction=d)[:, order].T  # (H, T)
                if gate == "cell":
                    lim = float(np.nanmax(np.abs(values))) or 1.0
                    image = ax.imshow(
                        values,
                        aspect="auto",
                        cmap="RdBu_r",
                        vmin=-lim,
                        vmax=lim,
                        interpolation="nearest",
                        extent=(-0.5, expl.steps - 0.5, len(order) - 0.5, -0.5),
                    )
                else:
                    image = ax.imshow(
                        values,
                        aspect="auto",
                        cmap="viridis",
                        vmin=0.0,
                        vmax=1.0,
                        interpolation="nearest",
                        extent=(-0.5, expl.steps - 0.5, len(order) - 0.5, -0.5),
                    )
                ax.set_ylabel("unit (by mean f)", fontsize=7)
                ax.set_title(_TITLES[gate], fontsize=8, loc="left")
                ax.set_yticks([])
                fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
            unit = _TEXT_KINDS[expl.kind][0] if expl.kind in _TEXT_KINDS and expl.steps <= 120 else "step"
            col[-1].set_xlabel(unit)
            col[-1].tick_params(axis="x", labelsize=6 if expl.kind in _TEXT_KINDS else 8)
            col[-1].set_xlim(-0.5, expl.steps - 0.5)
        fig.suptitle(expl.title, fontsize=10)
        with missing_glyphs_quiet():
            fig.tight_layout()
            with atomic_output(path) as tmp:
                fig.savefig(tmp, format="png", dpi=90)
    finally:
        plt.close(fig)
    return Path(path)
