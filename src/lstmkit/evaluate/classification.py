"""Classification metrics: confusion matrix, accuracy, per-class and macro F1.

Shared by every classifier (sequence and text). Labels are compared as given; the class list
fixes the row and column order of the confusion matrix.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def confusion_matrix(y_true: Sequence, y_pred: Sequence, *, classes: Sequence) -> np.ndarray:
    """Counts ``(K, K)``: row = true class, column = predicted class, in the order of ``classes``.

    Raises:
        ValueError: a label not in ``classes`` (callers check labels at their boundary first).
    """
    index = {c: k for k, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        matrix[index[t], index[p]] += 1
    return matrix


def classification_metrics(y_true: Sequence, y_pred: Sequence, *, classes: Sequence) -> dict:
    """Accuracy, macro-F1, per-class F1 and the confusion matrix.

    Macro-F1 averages the F1 of every class that occurs in ``y_true`` or ``y_pred`` (as
    scikit-learn does); a class with no true and no predicted case has no F1.

    Returns:
        ``{"n", "accuracy", "macro_f1", "f1": {class: f1}, "classes", "confusion"}`` with
        ``confusion`` a list of rows (JSON-ready).
    """
    matrix = confusion_matrix(y_true, y_pred, classes=classes)
    tp = np.diag(matrix).astype(np.float64)
    support, predicted = matrix.sum(axis=1), matrix.sum(axis=0)
    denom = support + predicted  # 2TP + FP + FN
    present = denom > 0
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=present)
    n = int(matrix.sum())
    return {
        "n": n,
        "accuracy": float(tp.sum() / n) if n else float("nan"),
        "macro_f1": float(f1[present].mean()) if present.any() else float("nan"),
        "f1": {str(c): float(v) for c, v, p in zip(classes, f1, present) if p},
        "classes": [str(c) for c in classes],
        "confusion": matrix.tolist(),
    }


def format_confusion(matrix: np.ndarray | Sequence[Sequence[int]], classes: Sequence) -> str:
    """A plain-text confusion matrix: rows are true classes, columns predicted."""
    matrix = np.asarray(matrix)
    names = [str(c) for c in classes]
    width = max(max(len(s) for s in names), len(str(int(matrix.max()) if matrix.size else 0)), 4)
    corner = "true\\pred"
    first = max(width, len(corner))
    lines = [f"{corner:>{first}} " + " ".join(f"{s:>{width}}" for s in names)]
    for name, row in zip(names, matrix):
        lines.append(f"{name:>{first}} " + " ".join(f"{int(v):>{width}}" for v in row))
    return "\n".join(lines)
