"""The confusion-matrix figure of a classifier's evaluation (matplotlib, imported on call)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lstmkit.io.atomic import atomic_output
from lstmkit.plots import missing_glyphs_quiet


def plot_confusion(
    matrix: np.ndarray | Sequence[Sequence[int]],
    classes: Sequence[str],
    path: str | Path,
    *,
    title: str = "Confusion matrix",
) -> Path:
    """Write a PNG heat map of ``matrix`` (rows true, columns predicted), shaded by row share.

    Each cell shows its count; the colour is the fraction of that true class, so rare classes
    read as clearly as common ones. The file is written atomically.

    Returns:
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    matrix = np.asarray(matrix, dtype=np.int64)
    K = len(classes)
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = min(max(4.0, 0.45 * K + 2.5), 16.0)
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    try:
        image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of true class")
        ax.set_xticks(
            range(K),
            [str(c) for c in classes],
            rotation=45 if K > 8 else 0,
            ha="right" if K > 8 else "center",
        )
        ax.set_yticks(range(K), [str(c) for c in classes])
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(title)
        if K <= 30:
            for i in range(K):
                for j in range(K):
                    if matrix[i, j]:
                        ax.text(
                            j,
                            i,
                            str(matrix[i, j]),
                            ha="center",
                            va="center",
                            fontsize=8,
                            color="white" if share[i, j] > 0.6 else "black",
                        )
        path = Path(path)
        with missing_glyphs_quiet():
            fig.tight_layout()
            with atomic_output(path) as tmp:
                fig.savefig(tmp, format="png", dpi=110)
    finally:
        plt.close(fig)
    return path
