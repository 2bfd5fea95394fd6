"""Classification metrics (confusion matrix, accuracy, per-class and macro F1) and the references.

Shared by every classifier (sequence and text). Labels are compared as given; the class list
fixes the row and column order of the confusion matrix. :func:`reference_scores` fits the sequence
classifiers' references, 1-NN DTW and MiniRocket, from sktime (the optional ``references`` extra).
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


# ----------------------------------------------------------------------------- references

REFERENCES_HINT = (
    "1-NN DTW and MiniRocket references need the optional extra: pip install 'lstmkit[references]' (sktime)"
)


def _panel(series: Sequence[np.ndarray], length: int) -> np.ndarray:
    """``(N, C, length)`` float64: each ``(T_i, C)`` series, missing values as 0, extended by its last value.

    sktime's estimators want equal lengths; repeating the last value adds no new shape.
    """
    out = np.empty((len(series), series[0].shape[1], length))
    for i, s in enumerate(series):
        s = np.nan_to_num(np.asarray(s, dtype=np.float64))
        out[i, :, : len(s)] = s.T
        out[i, :, len(s) :] = s[-1][:, None]
    return out


def reference_scores(
    train_series: Sequence[np.ndarray],
    train_labels: Sequence | np.ndarray,
    test_series: Sequence[np.ndarray],
    test_labels: Sequence | np.ndarray,
    *,
    classes: Sequence,
    seed: int = 0,
) -> dict[str, dict] | None:
    """1-NN DTW and MiniRocket (sktime) fitted on the training split and scored on the test split.

    Returns:
        ``{"1nn_dtw": {...}, "minirocket": {...}}``, each ``{"accuracy", "macro_f1", "seconds"}``
        (fit + predict wall time) or ``{"error": message}`` when that reference failed; None when
        sktime is not installed (:data:`REFERENCES_HINT` says how to get it).
    """
    import time

    try:
        import numba  # noqa: F401  (sktime's MiniRocket and DTW run on it)
        from sktime.classification.distance_based import KNeighborsTimeSeriesClassifier
        from sktime.classification.kernel_based import RocketClassifier
    except ImportError:
        return None

    length = max(
        max(len(s) for s in train_series), max(len(s) for s in test_series), 9
    )  # MiniRocket reads >= 9 steps
    x_train, x_test = _panel(train_series, length), _panel(test_series, length)
    y_train = np.asarray([str(v) for v in train_labels])
    makers = {
        "1nn_dtw": lambda: KNeighborsTimeSeriesClassifier(n_neighbors=1, distance="dtw"),
        "minirocket": lambda: RocketClassifier(rocket_transform="minirocket", random_state=seed),
    }
    results: dict[str, dict] = {}
    for name, make in makers.items():
        started = time.perf_counter()
        try:
            predicted = make().fit(x_train, y_train).predict(x_test)
        except Exception as exc:  # a reference that fails is reported, not fatal: the user's model was scored
            results[name] = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
            continue
        seconds = time.perf_counter() - started
        known = [*classes, *sorted(set(y_train) - set(classes))]
        scored = classification_metrics(list(test_labels), [str(p) for p in predicted], classes=known)
        results[name] = {
            "accuracy": scored["accuracy"],
            "macro_f1": scored["macro_f1"],
            "seconds": round(seconds, 3),
        }
    return results
