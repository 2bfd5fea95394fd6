"""``lstmkit text classify``: text classification (``train``, ``predict``, ``evaluate``) with a bidirectional
LSTM over word or character tokens; :mod:`lstmkit.cli.text` adds it under ``text``."""

from __future__ import annotations

import argparse
from pathlib import Path

from lstmkit.cli.common import (
    ArgumentParser,
    add_report_flag,
    add_training_args,
    command_group,
    join_torchrun,
    print_classification,
    print_classifier_training,
    show_progress,
    training_overrides,
    write_predictions,
)
from lstmkit.cli.output_folder import (
    check_model_output,
    check_output_folder,
    checkpoint_file,
    claim_output,
    discard_checkpoints,
)
from lstmkit.logs import counted

TRAIN_EXAMPLE = """\
examples:
  lstmkit text classify train reviews.csv --output runs/reviews
  lstmkit text classify train tickets.csv --text-col body --label-col queue --tokenizer char --output runs/t

DATA is a CSV (or Parquet) file with a text column and a label column; the columns are detected
when their names say so (text, review, sentence... / label, class, category...) or when there is
only one candidate. The vocabulary is built from the training split; tokens seen fewer than
data.min_count times, and unseen ones, read as <unk>. DIR receives model.safetensors,
config.json (its "classes" list the labels in score order), history.csv and report.html."""

PREDICT_EXAMPLE = """\
example:
  lstmkit text classify predict --model runs/reviews new.csv --output predictions.csv

FILE.csv has one row per text: index (0-based row of DATA), label, and one probability column
p_<class> per class."""

EVALUATE_EXAMPLE = """\
examples:
  lstmkit text classify evaluate --model runs/reviews test.csv
  lstmkit text classify evaluate --model runs/reviews test.csv --output runs/reviews/eval

Prints accuracy, macro-F1 and the confusion matrix (rows: true, columns: predicted). With
--output DIR it also writes confusion.png, metrics.json and report.html (the first misclassified
texts among them) to DIR."""


def run_train(args: argparse.Namespace) -> int:
    from lstmkit.config import resolve_config
    from lstmkit.data.datasets import dataset_stem
    from lstmkit.data.text import read_text_table
    from lstmkit.io import staged_folder
    from lstmkit.models.text_classifier import TextClassifier, TextClassifyConfig

    flags = training_overrides(args)
    if args.tokenizer:
        flags["data.tokenizer"] = args.tokenizer
    config = resolve_config(TextClassifyConfig(), path=args.config, overrides=args.overrides, flags=flags)
    output = Path(args.output or f"runs/{dataset_stem(args.data)}-text-classify")
    check_model_output(output, "text-classify")  # a file, or another job's run
    table = read_text_table(args.data, text_col=args.text_col, label_col=args.label_col, require_labels=True)
    assert table.labels is not None  # require_labels
    clf = TextClassifier(config, progress=show_progress(args))
    writer = join_torchrun(config.trainer.device)  # under torchrun: data-parallel, rank 0 writes
    claim_output(args, output)
    clf.fit(table.texts, table.labels, checkpoint_path=checkpoint_file(output), resume=args.resume)
    assert clf.history_ is not None and clf.classes_ is not None and clf.tokenizer_ is not None  # set by fit
    if not writer:
        return 0
    with staged_folder(output, owned=["report.html"]) as stage:  # made first, then moved into DIR
        clf.save(stage)
        clf.history_.to_csv(stage / "history.csv")
        if not args.no_report:  # report.html (lstmkit.plots.report_text_classify)
            from lstmkit.plots.report_text_classify import text_classify_report

            text_classify_report(
                stage / "report.html",
                clf=clf,
                table=table,
                metrics=clf.validation_,
                argv=getattr(args, "argv", None),
            )
    discard_checkpoints(output)
    if not args.quiet:
        print(
            f"trained on {len(table.texts)} texts of {table.name} (text column {table.text_col!r}, labels "
            f"{table.label_col!r}): {len(clf.classes_)} classes, vocabulary "
            f"{counted(len(clf.tokenizer_) - 2, f'{clf.tokenizer_.mode} token')}"
        )
        print_classifier_training(clf.history_, clf.validation_, what="text", output=output)
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from lstmkit.data.text import read_text_table
    from lstmkit.models.text_classifier import TextClassifier

    clf = TextClassifier.load(args.model)
    assert clf.classes_ is not None  # load() sets them
    table = read_text_table(args.data, text_col=args.text_col, label_col=args.label_col)
    write_predictions(args.output, clf.classes_, clf.predict_proba(table.texts))
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from lstmkit.data.text import read_text_table
    from lstmkit.models.text_classifier import TextClassifier

    if args.output:
        check_output_folder(args.output)  # refused before the work, not after
    clf = TextClassifier.load(args.model)
    table = read_text_table(args.data, text_col=args.text_col, label_col=args.label_col, require_labels=True)
    assert table.labels is not None  # require_labels
    metrics = clf.evaluate(table.texts, table.labels)
    print_classification(metrics, what="text", source=table.name)
    if args.output:
        _write_evaluation(args, clf, table, metrics)
    return 0


def _write_evaluation(args: argparse.Namespace, clf, table, metrics: dict) -> None:
    """confusion.png, metrics.json and (unless --no-report) report.html into --output, as one staged set."""
    import json

    from lstmkit.io import atomic_write_text, staged_folder
    from lstmkit.plots.confusion import plot_confusion

    output = Path(args.output)
    with staged_folder(output, owned=["report.html"]) as stage:
        plot_confusion(
            metrics["confusion"],
            metrics["classes"],
            stage / "confusion.png",
            title=f"{table.name}: accuracy {metrics['accuracy']:.3f}",
        )
        report = {"data": table.name, **metrics}
        atomic_write_text(stage / "metrics.json", json.dumps(report, indent=2) + "\n")
        if not args.no_report:  # report.html (lstmkit.plots.report_text_classify)
            from lstmkit.plots.report_text_classify import text_classify_report

            text_classify_report(
                stage / "report.html",
                clf=clf,
                table=table,
                metrics=metrics,
                argv=getattr(args, "argv", None),
                evaluated=True,
            )
    print(f"wrote {output / 'confusion.png'} and {output / 'metrics.json'}")


def _columns(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text-col", metavar="COL", help="column holding the text (default: detected)")
    parser.add_argument("--label-col", metavar="COL", help="column holding the label (default: detected)")


def _register_train(sub: argparse._SubParsersAction) -> None:
    """Add ``text classify train``."""
    train = sub.add_parser(
        "train",
        help="train a text classifier",
        epilog=TRAIN_EXAMPLE,
        description="Train a text classifier on a CSV of texts and labels.",
    )
    train.add_argument("data", metavar="DATA", help="CSV or Parquet file with a text and a label column")
    train.add_argument(
        "--output", "-o", metavar="DIR", help="model folder to write (default: runs/<data>-text-classify)"
    )
    _columns(train)
    train.add_argument("--tokenizer", choices=("word", "char"), help="token unit (default word)")
    add_training_args(train)
    train.set_defaults(func=run_train)


def _register_predict(sub: argparse._SubParsersAction) -> None:
    """Add ``text classify predict``."""
    predict = sub.add_parser(
        "predict",
        help="predict the label of each text",
        epilog=PREDICT_EXAMPLE,
        description="Write the predicted label and class probabilities of every text in DATA.",
    )
    predict.add_argument(
        "--model", "-m", required=True, metavar="DIR", help="folder written by 'text classify train'"
    )
    predict.add_argument("data", metavar="DATA", help="CSV or Parquet file with a text column")
    predict.add_argument("--output", "-o", required=True, metavar="FILE.csv", help="CSV file to write")
    _columns(predict)
    predict.set_defaults(func=run_predict)


def _register_evaluate(sub: argparse._SubParsersAction) -> None:
    """Add ``text classify evaluate``."""
    evaluate = sub.add_parser(
        "evaluate",
        help="accuracy and macro-F1 on labelled texts",
        epilog=EVALUATE_EXAMPLE,
        description="Evaluate a trained text classifier on labelled data.",
    )
    evaluate.add_argument(
        "--model", "-m", required=True, metavar="DIR", help="folder written by 'text classify train'"
    )
    evaluate.add_argument("data", metavar="DATA", help="CSV or Parquet file with a text and a label column")
    evaluate.add_argument(
        "--output",
        "-o",
        metavar="DIR",
        help="folder for confusion.png, metrics.json and report.html (default: print only)",
    )
    _columns(evaluate)
    add_report_flag(evaluate)
    evaluate.set_defaults(func=run_evaluate)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``classify`` with ``train``, ``predict`` and ``evaluate`` to the ``text`` subcommands ``sub``."""
    classify = sub.add_parser(
        "classify",
        help="text classification: train, predict, evaluate",
        description="Classify texts (a CSV column) with a bidirectional LSTM over word or character tokens.",
        epilog="examples:\n  lstmkit text classify train reviews.csv --output runs/reviews\n"
        "  lstmkit text classify evaluate --model runs/reviews test.csv",
    )
    classify.set_defaults(func=command_group(classify))
    csub = classify.add_subparsers(
        dest="text_classify_command", metavar="COMMAND", parser_class=ArgumentParser
    )
    _register_train(csub)
    _register_predict(csub)
    _register_evaluate(csub)
