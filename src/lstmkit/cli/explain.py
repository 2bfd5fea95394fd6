"""``lstmkit explain``: what the gates of a saved model did on the user's data (gates.png, gates.csv)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from lstmkit.cli.common import non_negative_int, positive_int
from lstmkit.cli.output_folder import check_output_folder, claim_output
from lstmkit.cli.sequence_columns import add_trained_columns, trained_columns
from lstmkit.errors import DataError

EXAMPLE = """\
examples:
  lstmkit forecast airpassengers --horizon 12 --output runs/air
  lstmkit explain --model runs/air/model airpassengers --output runs/air/explain
  lstmkit explain --model runs/jv japanese-vowels --case 3
  lstmkit explain --model runs/jv japanese-vowels --class 7
  lstmkit explain --model runs/lm heldout.txt --chars 120
  lstmkit explain --model runs/reviews reviews.csv --case 5

A forecaster explains the last input window of one series (--series, default the first): the
gates of the ensemble member reading the whole window, and each step's contribution to the mean
point forecast (integrated gradients from a window flat at its level; they add up to forecast
minus baseline, written to attributions.csv). A classifier explains one case (--case, default 0)
or the mean over a class (--class). A language model explains the first --chars characters of
a text file. A text classifier explains one text of a CSV (--case, its 0-based row, default 0):
the gates over its tokens, under the probability of its predicted class on the text up to each
token. DIR receives gates.png and gates.csv (layer, direction, step, unit, gate, value)."""


def _accept(args: argparse.Namespace) -> Callable[[object], None]:
    """A check of the folder's task, and of the flags against it, run before the model is built."""

    def check(task: object) -> None:
        if task not in SUPPORTED:
            raise DataError(
                f"model folder {args.model} holds a {task!r} model; explain works on forecast, classify, text "
                "(language model) and text-classify folders"
            )
        _check_flags(args, str(task))

    return check


_TASK_NAMES = {"text": "text (language)"}  # beside text-classify, 'text models' would name both


def _check_flags(args: argparse.Namespace, task: str) -> None:
    """Flags that belong to another kind of model are refused, not ignored."""
    owners = {
        "series": ("forecast",),
        "case": ("classify", "text-classify"),
        "label": ("classify",),
        "chars": ("text",),
        "text_col": ("text-classify",),
    }
    for flag, owner in owners.items():
        if getattr(args, flag) is not None and task not in owner:
            name = {"label": "--class", "text_col": "--text-col"}.get(flag, f"--{flag}")
            raise DataError(
                f"{name} applies to {' and '.join(_TASK_NAMES.get(o, o) for o in owner)} models, and {args.model} "
                f"holds a {task} model; drop {name}"
            )
    if args.case is not None and args.label is not None:
        raise DataError("--case and --class both given; pass one case, or a class to average over")


def _explain_forecaster(model, args: argparse.Namespace):
    return model.explain(args.data, series=args.series)


def _explain_classifier(model, args: argparse.Namespace):
    from lstmkit.data.sequences import read_sequences

    columns = trained_columns(model, id_col=args.id_col, label_col=args.label_col, time_col=args.time_col)
    data = read_sequences(
        args.data,
        **columns,
        require_labels=args.label is not None,
        split="test",
    )
    return model.explain(data, case=args.case, label=args.label)


def _explain_language_model(model, args: argparse.Namespace):
    from lstmkit.data.text import read_text

    chars = args.chars or 100
    return model.explain(read_text(args.data, max_chars=chars), max_chars=chars)


def _explain_text_classifier(model, args: argparse.Namespace):
    from lstmkit.data.text import read_text_table

    table = read_text_table(args.data, text_col=args.text_col, label_col=args.label_col)
    return model.explain(table.texts, case=args.case, source=table.name)


# task -> how DATA is read for that kind of model and explained
EXPLAIN = {
    "forecast": _explain_forecaster,
    "classify": _explain_classifier,
    "text": _explain_language_model,
    "text-classify": _explain_text_classifier,
}
SUPPORTED = tuple(EXPLAIN)


def build_explanation(args: argparse.Namespace):
    """Load the model in ``args.model``, read DATA as that model reads it, and explain it."""
    from lstmkit.models.registry import load_model

    model = load_model(args.model, accept=_accept(args))
    return EXPLAIN[model.task](model, args)


def run(args: argparse.Namespace) -> int:
    from lstmkit.data.datasets import dataset_stem
    from lstmkit.explain import write_explanation

    out = check_output_folder(args.output or Path("runs") / f"{dataset_stem(args.data)}-explain")
    expl = build_explanation(args)
    claim_output(args, out)  # from here a failure removes the folder (and parents) this run made
    paths = write_explanation(expl, out)
    print(expl.summary())
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="show what a saved model's LSTM gates did on DATA (gates.png, gates.csv)",
        description="Trace a saved model's LSTM on DATA and draw its input, forget and output gates and cell state "
        "over time, per layer and direction.",
        epilog=EXAMPLE,
    )
    parser.add_argument(
        "data",
        metavar="DATA",
        help="the data to explain: series (CSV/Parquet), sequences (.ts/CSV), "
        "text file, CSV of texts, or a bundled dataset name",
    )
    parser.add_argument(
        "--model",
        required=True,
        metavar="DIR",
        help="model folder written by forecast, train, classify train, text train or text classify train",
    )
    parser.add_argument(
        "--output", metavar="DIR", help="folder for gates.png and gates.csv (default runs/<data>-explain)"
    )
    parser.add_argument(
        "--series", metavar="ID", help="forecasters: the series to explain (default: the first)"
    )
    parser.add_argument(
        "--case",
        type=non_negative_int,
        metavar="N",
        help="classifiers: the case (text) to explain (default 0)",
    )
    parser.add_argument(
        "--class", dest="label", metavar="LABEL", help="classifiers: average over the cases of this class"
    )
    parser.add_argument(
        "--chars", type=positive_int, metavar="N", help="language models: characters to explain (default 100)"
    )
    parser.add_argument(
        "--text-col", metavar="COL", help="text classifiers: the column holding the texts (default: detected)"
    )
    add_trained_columns(parser.add_argument_group("long CSV columns of sequence data (classifiers)"))
    parser.set_defaults(func=run)
