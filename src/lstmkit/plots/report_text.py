"""The character language model's report.html (``text train`` and ``text evaluate``).

The bits-per-character curve of training, the held-out (or evaluated) score, samples at two
temperatures, the gate view over a snippet, and the command.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lstmkit.plots.report import Report, gate_section, training_section

TEMPERATURES = (0.5, 1.0)  # conservative and as trained
SAMPLE_LENGTH = 300


def text_report(
    path: str | Path,
    *,
    lm,
    text: str,
    name: str,
    score: Any = None,
    argv: Sequence[str] | None = None,
    evaluated: bool = False,
    seed: int = 0,
) -> Path:
    """Write report.html of a language model trained on (or evaluated on, ``evaluated=True``) ``text``.

    Args:
        score: the :class:`~lstmkit.models.text_scoring.TextScore` to show (default: the held-out score after fit).
    """
    from lstmkit.config import config_to_dict

    path = Path(path)
    score = score if score is not None else lm.validation_
    rep = Report(
        f"Language model {'evaluation' if evaluated else 'training'}: {name}",
        subtitle=f"{len(text):,} characters, vocabulary {len(lm.vocab_) - 1} characters",
    )
    rep.heading("Score")
    if score is None:
        rep.paragraph("No held-out text to score (data.val_fraction is 0).")
    else:
        rep.table(
            ["text", "bits per character", "characters scored", "outside the vocabulary"],
            [
                [
                    name if evaluated else "held-out end of the corpus",
                    score.bits_per_char,
                    score.chars,
                    score.unknown_chars,
                ]
            ],
            caption="bits per character: mean -log2 p(next character); lower is better (log2 of the "
            f"vocabulary size, {_uniform_bits(lm):.2f}, is a uniform guess)",
        )
    training_section(rep, lm.history_, None, bits=True)
    rep.heading("Samples")
    for t in TEMPERATURES:
        rep.heading(f"temperature {t:g}", level=3)
        rep.pre(lm.sample("", length=SAMPLE_LENGTH, temperature=t, seed=seed))
    gate_section(rep, lambda: lm.explain(text), what="the first characters")
    rep.command(argv, config_to_dict(lm.config))
    return rep.write(path)


def _uniform_bits(lm) -> float:
    import math

    return math.log2(max(len(lm.vocab_), 2))
