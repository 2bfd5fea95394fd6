"""Class labels as names: one spelling per class, whatever file type or array the labels came from.

A Parquet file (or a pandas column with a missing value) stores integer classes as floats, ``1.0``, where a
CSV writes ``1``: :func:`class_label` reads an integral decimal as its integer, so that a model trained on
one file type evaluates the other's cases, and every reader of labels (long tables, ``.ts`` files, text
tables, the arrays given to ``fit``, a model folder's class list) names a class the same way.
"""

from __future__ import annotations

import re

_INTEGRAL_DECIMAL = re.compile(r"([-+]?\d+)\.0+")  # 1.0, -2.00: the float spelling of an integer class


def class_label(value: object) -> str:
    """``value`` as a class name: its text, stripped, with an integral decimal as its integer (``1.0`` is ``1``)."""
    text = str(value).strip()
    integral = _INTEGRAL_DECIMAL.fullmatch(text)
    return integral.group(1) if integral else text


def stored_classes(classes: list) -> list[str]:
    """A model folder's class list as :func:`class_label` names them (folders written before it kept ``1.0``),
    unless two of them would become one (``1`` and ``1.0`` trained as two classes): then as stored."""
    named = [class_label(c) for c in classes]
    return named if len(set(named)) == len(named) else [str(c) for c in classes]
