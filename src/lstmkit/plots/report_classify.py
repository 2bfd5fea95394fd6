"""The sequence classifier's report.html (``classify train`` and ``classify evaluate``).

Accuracy and macro-F1 (beside any references in the metrics), the confusion matrix as a figure
and a table, per-class precision and recall, a few misclassified cases drawn, the training
curves, the gate view of one case, the data summary and the command.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lstmkit.plots.report import Report, figure_from, gate_section, png_of, training_section


def per_class(confusion: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(precision, recall, support)`` per class from a confusion matrix (rows true, columns predicted);
    NaN where a class was never predicted (precision) or never occurs (recall)."""
    m = np.asarray(confusion, dtype=np.float64)
    tp, predicted, support = np.diag(m), m.sum(axis=0), m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return tp / predicted, tp / support, support.astype(np.int64)


def score_table(rep: Report, metrics: dict[str, Any], *, what: str) -> None:
    rows: list[list[Any]] = [["lstmkit", metrics["accuracy"], metrics["macro_f1"]]]
    refs = metrics.get("references")
    if isinstance(refs, dict):
        for name, info in refs.items():
            if isinstance(info, dict):
                rows.append([name, info.get("accuracy", float("nan")), info.get("macro_f1", float("nan"))])
    rep.table(
        ["model", "accuracy (share)", "macro-F1"],
        rows,
        best={1: "max", 2: "max"},
        caption=f"on {metrics['n']:,} {what}; higher is better, best highlighted",
    )


def class_table(rep: Report, metrics: dict[str, Any]) -> None:
    classes, confusion = metrics["classes"], metrics["confusion"]
    precision, recall, support = per_class(confusion)
    rep.table(
        ["class", "precision", "recall", "cases"],
        [[c, float(p), float(r), int(s)] for c, p, r, s in zip(classes, precision, recall, support)],
        caption="per class: precision = right among predicted, recall = found among true (shares)",
    )
    if len(classes) <= 12:
        rep.table(
            ["true \\ predicted"] + [str(c) for c in classes],
            [[str(c)] + [int(v) for v in row] for c, row in zip(classes, confusion)],
            caption="confusion matrix (case counts)",
        )


def scores_section(rep: Report, metrics: dict[str, Any], *, unit: str, folder: Path | None) -> None:
    """A classifier's scores on ``unit`` (cases, texts), its confusion matrix and the per-class table; ``folder``:
    where an evaluation also writes confusion.png (None: the figure is only embedded, as after training on a
    held-out split)."""
    from lstmkit.plots.confusion import plot_confusion

    evaluated = folder is not None
    rep.heading("Scores" if evaluated else "Scores on the held-out split")
    score_table(rep, metrics, what=unit if evaluated else f"held-out {unit}")
    figure_from(
        rep,
        folder,
        "confusion.png",
        plot_confusion,
        metrics["confusion"],
        metrics["classes"],
        alt="confusion matrix",
        caption="Rows: true class; columns: predicted; shade: share of the true class.",
    )
    class_table(rep, metrics)


def _misclassified_plot(data, index: Sequence[int], predicted: Sequence[str], path: Path) -> None:
    from lstmkit.plots.forecast import _pyplot

    plt = _pyplot()
    n = len(index)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 2.6), squeeze=False)
    for ax, i, p in zip(axes[0], index, predicted):
        ax.plot(data.series[i][:, :8], lw=1)
        ax.set_title(f"case {i}: true {data.labels[i]}, predicted {p}", fontsize=8)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=90)
    plt.close(fig)


def _no_held_out(clf) -> str:
    """What a training report says in place of held-out scores."""
    ridge = getattr(clf, "ridge_", None)
    if not ridge:  # LSTM-FCN with a class under 13 cases trains on every case
        return "No held-out split (too few cases per class): run 'lstmkit classify evaluate' on test data."
    share = "" if ridge.get("lstm_share") is None else f", LSTM share {ridge['lstm_share']:g}"
    return (  # the hybrid never holds cases out: the ridge's exact leave-one-out accuracy is its estimate
        f"The hybrid holds no cases out; its ridge's exact leave-one-out accuracy on the training cases is "
        f"{ridge['loo_accuracy']:.4f} (ridge penalty {ridge['alpha']:.3g}{share}). For a test score run "
        "'lstmkit classify evaluate' on test data."
    )


def classify_report(
    path: str | Path,
    *,
    clf,
    data,
    metrics: dict[str, Any] | None,
    argv: Sequence[str] | None = None,
    evaluated: bool = True,
    max_cases: int = 4,
) -> Path:
    """Write report.html of a classifier trained (``evaluated=False``: ``metrics`` from its held-out
    split, or None) or evaluated on ``data``."""
    from lstmkit.config import config_to_dict

    path = Path(path)
    lengths = data.lengths
    title = "Classifier evaluation" if evaluated else "Classifier training"
    rep = Report(
        f"{title}: {data.name}",
        subtitle=f"{len(data):,} cases, {len(clf.classes_)} classes, {data.n_features} feature(s) per step",
    )
    if metrics is None:
        rep.paragraph(_no_held_out(clf))
    else:
        scores_section(rep, metrics, unit="cases", folder=path.parent if evaluated else None)
    wrong: np.ndarray = np.zeros(0, dtype=np.int64)
    if evaluated and data.labels is not None:
        predicted = clf.predict(data)
        wrong = np.flatnonzero(predicted != data.labels)[:max_cases]
        rep.heading("Misclassified cases")
        if len(wrong):
            rep.figure(
                png_of(_misclassified_plot, data, wrong, predicted[wrong]),
                alt="misclassified cases",
                caption=f"The first {len(wrong)} misclassified cases (up to 8 channels each).",
            )
        else:
            rep.paragraph("None: every case was classified correctly.")
    training_section(rep, clf.history_, None)
    first = int(wrong[0]) if len(wrong) else 0  # a misclassified case, when there is one
    gate_section(rep, lambda: clf.explain(data, case=first), what=f"case {first}")
    rep.heading("Data")
    rep.pairs(
        [
            ("data", data.name),
            ("cases", len(data)),
            ("classes", ", ".join(map(str, clf.classes_))),
            ("features per step", data.n_features),
            ("steps per case", f"{lengths.min():,} to {lengths.max():,}"),
        ]
    )
    rep.command(argv, config_to_dict(clf.config))
    return rep.write(path)
