"""The long-CSV column flags of the sequence classifier's commands (``--id-col``, ``--label-col``,
``--time-col``) and the columns they resolve to.

``classify train`` reads a long CSV with the columns given (defaults id, label, file order) and records
them in the model folder; commands that read data for a trained classifier (``classify predict``,
``classify evaluate``, ``explain``) default to those recorded columns, so a user who trained with
``--time-col t`` need not repeat it.
"""

from __future__ import annotations

import argparse
from typing import TypedDict


def add_column_args(parser: argparse.ArgumentParser, *, trained: bool = False) -> None:
    """The long-CSV column flags; ``trained``: a model exists, whose training columns are the defaults."""
    group = parser.add_argument_group("long CSV columns (ignored for .ts files)")
    if not trained:
        group.add_argument(
            "--id-col", default="id", metavar="COL", help="column naming the case (default: id)"
        )
        group.add_argument(
            "--label-col", default="label", metavar="COL", help="column holding the class (default: label)"
        )
        group.add_argument(
            "--time-col", metavar="COL", help="column ordering the steps within a case (default: file order)"
        )
        return
    add_trained_columns(group)


def add_trained_columns(group) -> None:
    """The long-CSV column flags of commands that read data for a trained classifier (predict, evaluate,
    explain): by default the columns the model was trained with."""
    group.add_argument(
        "--id-col",
        metavar="COL",
        help="column naming the case (default: the model's training column, else id)",
    )
    group.add_argument(
        "--label-col",
        metavar="COL",
        help="column holding the class (default: the model's training column, else label)",
    )
    group.add_argument(
        "--time-col",
        metavar="COL",
        help="column ordering the steps within a case (default: the model's training column; '' for file order)",
    )


class Columns(TypedDict):
    """The long-CSV columns :func:`lstmkit.data.sequences.read_sequences` reads data with."""

    id_col: str
    label_col: str
    time_col: str | None


def trained_columns(
    model, *, id_col: str | None = None, label_col: str | None = None, time_col: str | None = None
) -> Columns:
    """The long-CSV columns to read data with: those given, else the ones ``model`` was trained with.

    A user who trained with ``--time-col t`` and predicts without it would otherwise have ``t`` read as
    a feature, and be told to drop a column instead of to name it. ``time_col=""`` keeps the file's order.
    """
    recorded = model.training_data_ or {}

    def column(name: str, given: str | None) -> str | None:
        return (given if given is not None else recorded.get(name)) or None

    return Columns(
        id_col=column("id_col", id_col) or "id",
        label_col=column("label_col", label_col) or "label",
        time_col=column("time_col", time_col),
    )
