"""The text classifier's report.html (``text classify train``, and ``text classify evaluate --output``).

Accuracy and macro-F1 (on the held-out split after training, on the given texts when evaluating),
the confusion matrix as a figure and a table, per-class precision and recall, the first
misclassified texts, the training curves, the data summary and the command.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lstmkit.plots.report import Report, training_section
from lstmkit.plots.report_classify import scores_section

SHOWN_CHARS = 160  # of a misclassified text


def text_classify_report(
    path: str | Path,
    *,
    clf,
    table,
    metrics: dict[str, Any] | None,
    argv: Sequence[str] | None = None,
    evaluated: bool = False,
    max_texts: int = 8,
) -> Path:
    """Write report.html of a text classifier trained (``metrics`` from its held-out split, or None)
    or evaluated (``evaluated=True``) on ``table`` (a :class:`~lstmkit.data.text.TextTable`)."""
    from lstmkit.config import config_to_dict

    path = Path(path)
    rep = Report(
        f"Text classifier {'evaluation' if evaluated else 'training'}: {table.name}",
        subtitle=f"{len(table.texts):,} texts, {len(clf.classes_)} classes, {clf.tokenizer_.mode} tokens",
    )
    if metrics is None:
        rep.paragraph(
            "No held-out split (too few texts per class): run 'lstmkit text classify evaluate' on test data."
        )
    else:
        scores_section(rep, metrics, unit="texts", folder=path.parent if evaluated else None)
    if evaluated and table.labels is not None:
        _misclassified(rep, clf, table, max_texts)
    training_section(rep, clf.history_, None)
    lengths = [len(t) for t in table.texts]
    rep.heading("Data")
    rep.pairs(
        [
            ("data", table.name),
            ("texts", len(table.texts)),
            ("text column", table.text_col),
            ("label column", table.label_col or ""),
            ("classes", ", ".join(map(str, clf.classes_))),
            ("vocabulary", f"{len(clf.tokenizer_) - 2:,} {clf.tokenizer_.mode} tokens"),
            ("characters per text", f"{min(lengths):,} to {max(lengths):,}"),
        ]
    )
    rep.command(argv, config_to_dict(clf.config))
    return rep.write(path)


def _misclassified(rep: Report, clf, table, max_texts: int) -> None:
    predicted = clf.predict(table.texts)
    wrong = [i for i, (p, y) in enumerate(zip(predicted, table.labels)) if p != y][:max_texts]
    rep.heading("Misclassified texts")
    if not wrong:
        rep.paragraph("None: every text was classified correctly.")
        return
    rep.table(
        ["row", "true", "predicted", "text"],
        [[i, table.labels[i], predicted[i], _shortened(table.texts[i])] for i in wrong],
        caption=f"The first {len(wrong)} misclassified texts (row: 0-based row of the data).",
    )


def _shortened(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"
