"""``lstmkit classify train|predict|evaluate``: sequence classification from .ts files or long CSVs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Literal

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
from lstmkit.cli.sequence_columns import add_column_args, trained_columns
from lstmkit.errors import DataError

EVALUATION_FOLDER = "evaluation"  # evaluate's default --output, in the model folder: its own files stay

TRAIN_EXAMPLE = """\
examples:
  lstmkit classify train japanese-vowels --output runs/jv
  lstmkit classify train ArrowHead_TRAIN.ts --output runs/arrow --epochs 200 --seed 1
  lstmkit classify train sensors.csv --id-col trip --label-col activity --time-col t --output runs/act

DATA is a UEA/UCR .ts file, a long CSV (one row per case and time step; every numeric column
other than --id-col, --label-col and --time-col is a feature) or a bundled dataset name
(see 'lstmkit datasets'). DIR receives model.safetensors, config.json (its "classes" list the
labels in score order) and history.csv. Retraining into DIR removes the evaluation/ folder
that 'classify evaluate' wrote there for the model replaced."""

PREDICT_EXAMPLE = """\
examples:
  lstmkit classify predict --model runs/jv japanese-vowels --output predictions.csv
  lstmkit classify predict --model runs/act new_trips.csv --output predictions.csv

A long CSV is read with the columns the model was trained with (--id-col, --label-col and
--time-col name others; --time-col '' keeps the file's row order). FILE.csv has one row per
case: index (0-based position in DATA), id (long CSVs), label, and one probability column
p_<class> per class. For a bundled dataset with a test split
(japanese-vowels) the test split is read."""

EVALUATE_EXAMPLE = f"""\
examples:
  lstmkit classify evaluate --model runs/jv japanese-vowels
  lstmkit classify evaluate --model runs/arrow ArrowHead_TEST.ts --output runs/arrow/eval

Prints accuracy, macro-F1 and the confusion matrix; writes confusion.png, metrics.json and
report.html to --output (default: {EVALUATION_FOLDER}/ in the --model folder, so that the training
run's files there, its report.html among them, are never replaced). For a bundled dataset with a
test split (japanese-vowels) the test split is evaluated. With the optional extra (pip install
'lstmkit[references]') 1-NN DTW and MiniRocket are fitted on the model's training data (recorded
in the model folder, or --train) and scored on the same cases: metrics.json's "references" holds
their accuracy, macro-F1 and seconds."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``classify`` and its ``train``, ``predict`` and ``evaluate`` subcommands."""
    parser = subparsers.add_parser(
        "classify",
        help="classify sequences (.ts or long CSV): train, predict, evaluate",
        description="Sequence classification: MiniRocket random-convolution features beside a trained LSTM's, a ridge "
        "classifier on top (--set method=lstm-fcn trains the LSTM-FCN network instead).",
        epilog="example:\n  lstmkit classify train japanese-vowels --output runs/jv\n"
        "  lstmkit classify evaluate --model runs/jv japanese-vowels",
    )
    sub = parser.add_subparsers(dest="classify_command", metavar="COMMAND", parser_class=ArgumentParser)
    parser.set_defaults(func=command_group(parser))

    train = sub.add_parser(
        "train",
        help="train a classifier on labelled sequences",
        epilog=TRAIN_EXAMPLE,
        description="Train a sequence classifier and write its model folder.",
    )
    train.add_argument("data", metavar="DATA", help=".ts file, long CSV or bundled dataset name")
    train.add_argument(
        "--output", "-o", metavar="DIR", help="model folder to write (default: runs/<data>-classify)"
    )
    add_column_args(train)
    add_training_args(train)
    train.set_defaults(func=run_train)

    predict = sub.add_parser(
        "predict",
        help="predict the class of each sequence",
        epilog=PREDICT_EXAMPLE,
        description="Write the predicted class and class probabilities of every case in DATA.",
    )
    predict.add_argument(
        "--model", "-m", required=True, metavar="DIR", help="folder written by 'classify train'"
    )
    predict.add_argument("data", metavar="DATA", help=".ts file, long CSV or bundled dataset name")
    predict.add_argument("--output", "-o", required=True, metavar="FILE.csv", help="CSV file to write")
    add_column_args(predict, trained=True)
    predict.set_defaults(func=run_predict)

    evaluate = sub.add_parser(
        "evaluate",
        help="accuracy, macro-F1 and confusion matrix on labelled data",
        epilog=EVALUATE_EXAMPLE,
        description="Evaluate a trained classifier on labelled data.",
    )
    evaluate.add_argument(
        "--model", "-m", required=True, metavar="DIR", help="folder written by 'classify train'"
    )
    evaluate.add_argument("data", metavar="DATA", help="labelled .ts file, long CSV or bundled dataset name")
    evaluate.add_argument(
        "--output",
        "-o",
        metavar="DIR",
        help=f"folder for confusion.png, metrics.json and report.html (default: {EVALUATION_FOLDER}/ in the --model folder)",
    )
    evaluate.add_argument(
        "--train",
        metavar="DATA",
        help="training data for the references (default: the one the model was trained on)",
    )
    evaluate.add_argument("--no-references", action="store_true", help="skip 1-NN DTW and MiniRocket")
    add_column_args(evaluate, trained=True)
    add_report_flag(evaluate)
    evaluate.set_defaults(func=run_evaluate)


def _read(args: argparse.Namespace, *, split: Literal["train", "test"], require_labels: bool, model=None):
    """DATA as sequences; with ``model``, long-CSV columns not given are the model's training columns."""
    from lstmkit.data.sequences import read_sequences

    flags = {"id_col": args.id_col, "label_col": args.label_col, "time_col": args.time_col}
    columns = flags if model is None else trained_columns(model, **flags)
    return read_sequences(args.data, require_labels=require_labels, split=split, **columns)


def run_train(args: argparse.Namespace) -> int:
    from lstmkit.config import resolve_config
    from lstmkit.data.datasets import dataset_stem
    from lstmkit.io import staged_folder
    from lstmkit.models.classifier import LSTMClassifier
    from lstmkit.models.classify_config import ClassifyConfig

    config = resolve_config(
        ClassifyConfig(), path=args.config, overrides=args.overrides, flags=training_overrides(args)
    )
    data = _read(args, split="train", require_labels=True)
    output = Path(args.output or f"runs/{dataset_stem(args.data)}-classify")
    check_model_output(output, "classify")  # a file, or another job's run
    clf = LSTMClassifier(config, progress=show_progress(args))
    source = args.data if not Path(args.data).exists() else str(Path(args.data).resolve())
    clf.training_data_ = {
        "data": source,
        "id_col": args.id_col,
        "label_col": args.label_col,
        "time_col": args.time_col,
    }
    writer = join_torchrun(config.trainer.device)  # under torchrun: data-parallel, rank 0 writes
    claim_output(args, output)
    clf.fit(data, checkpoint_path=checkpoint_file(output), resume=args.resume)
    assert clf.classes_ is not None  # fit() sets them
    if not writer:
        return 0
    evaluated = (output / EVALUATION_FOLDER).is_dir()  # the old model's, moved out as the new one moves in
    with staged_folder(output, owned=["report.html"], outdated=[EVALUATION_FOLDER]) as stage:
        clf.save(stage)
        if clf.history_ is not None:  # None: a hybrid without its LSTM trained nothing by epochs
            clf.history_.to_csv(stage / "history.csv")
        if not args.no_report:  # report.html (lstmkit.plots.report_classify)
            from lstmkit.plots.report_classify import classify_report

            classify_report(
                stage / "report.html",
                clf=clf,
                data=data,
                metrics=clf.validation_,
                argv=args.argv,
                evaluated=False,
            )
    discard_checkpoints(output)
    if not args.quiet:
        lengths = data.lengths
        print(
            f"trained on {len(data)} cases of {data.name}: {len(clf.classes_)} classes, "
            f"{data.n_features} feature(s), lengths {lengths.min()}-{lengths.max()}"
        )
        ridge = clf.ridge_
        if ridge is not None:  # the hybrid: its honest estimate comes from the ridge's exact leave-one-out
            share = "" if ridge["lstm_share"] is None else f", LSTM share {ridge['lstm_share']:g}"
            print(
                f"leave-one-out accuracy {ridge['loo_accuracy']:.4f} (ridge penalty {ridge['alpha']:.3g}{share})"
            )
        if clf.history_ is None:
            print(f"model written to {output}")
        else:
            print_classifier_training(clf.history_, clf.validation_, what="case", output=output)
    if evaluated:  # said even with --quiet: files the user had were removed
        print(
            f"removed {output / EVALUATION_FOLDER}: it evaluated the previous model; "
            f"run 'lstmkit classify evaluate --model {output} DATA' to evaluate this one"
        )
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from lstmkit.models.classifier import LSTMClassifier

    clf = LSTMClassifier.load(args.model)
    assert clf.classes_ is not None  # load() sets them
    data = _read(args, split="test", require_labels=False, model=clf)
    write_predictions(args.output, clf.classes_, clf.predict_proba(data), ids=data.ids)
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from lstmkit.io import atomic_write_text, staged_folder
    from lstmkit.models.classifier import LSTMClassifier
    from lstmkit.plots.confusion import plot_confusion

    # refused before the work, not after; by default a subfolder, not DIR itself, whose report.html is training's
    output = check_output_folder(args.output) if args.output else _default_evaluation_folder(args.model)
    clf = LSTMClassifier.load(args.model)
    data = _read(args, split="test", require_labels=True, model=clf)
    metrics = clf.evaluate(data)
    print_classification(metrics, what="case", source=data.name)
    references, note = (
        ({}, "references skipped (--no-references)") if args.no_references else _references(args, clf, data)
    )
    _print_references(metrics, references, note)
    report = {"data": data.name, **metrics, "references": references}
    if note:
        report["references_note"] = note
    with staged_folder(output, owned=["report.html"]) as stage:  # made first, then moved into the folder
        plot_confusion(
            metrics["confusion"],
            metrics["classes"],
            stage / "confusion.png",
            title=f"{data.name}: accuracy {metrics['accuracy']:.3f}",
        )
        atomic_write_text(stage / "metrics.json", json.dumps(report, indent=2) + "\n")
        if not args.no_report:  # report.html (lstmkit.plots.report_classify)
            from lstmkit.plots.report_classify import classify_report

            classify_report(
                stage / "report.html", clf=clf, data=data, metrics=report, argv=getattr(args, "argv", None)
            )
    written = ["confusion.png", "metrics.json"] + ([] if args.no_report else ["report.html"])
    print(f"wrote {', '.join(written[:-1])} and {written[-1]} to {output}")
    return 0


def _default_evaluation_folder(model: str) -> Path:
    """``DIR/evaluation``, where evaluate writes when no --output is given; refused when a file stands there
    (the user gave no --output, so the message names the folder and both ways out)."""
    output = Path(model) / EVALUATION_FOLDER
    if output.exists() and not output.is_dir():
        raise DataError(
            f"the default evaluation folder {output} is a file; remove it, or pass --output DIR to write the "
            "evaluation elsewhere"
        )
    return output


def _references(args: argparse.Namespace, clf, test) -> tuple[dict, str | None]:
    """``(references, note)``: 1-NN DTW and MiniRocket on the model's training data and ``test``, or why not."""
    from lstmkit.data.sequences import read_sequences
    from lstmkit.errors import LstmkitError
    from lstmkit.evaluate.classification import REFERENCES_HINT, reference_scores

    recorded = clf.training_data_ or {}
    source = args.train or recorded.get("data")
    if source is None:
        return (
            {},
            "references skipped: the model folder does not say what it was trained on; pass --train DATA",
        )
    flags = {"id_col": args.id_col, "label_col": args.label_col, "time_col": args.time_col}
    columns = trained_columns(clf, **flags) if args.train else trained_columns(clf)
    try:
        train = read_sequences(source, split="train", require_labels=True, **columns)
    except (LstmkitError, OSError) as exc:
        return {}, f"references skipped: cannot read the training data {source} ({exc}); pass --train DATA"
    assert train.labels is not None  # require_labels
    problem = _unlike(train, test, clf.classes_)
    if problem and args.train:
        raise DataError(f"--train {source} {problem}; pass the data the model was trained on")
    if problem:
        return {}, f"references skipped: the training data {source} {problem}; pass --train DATA"
    scores = reference_scores(
        train.series,
        train.labels,
        test.series,
        test.labels,
        classes=clf.classes_,
        seed=clf.config.trainer.seed,
    )
    if scores is None:
        return {}, REFERENCES_HINT
    return scores, None


def _unlike(train, test, classes: list[str]) -> str | None:
    """Why ``train`` cannot be the references' training data for ``test`` and a model of ``classes`` (None: it can)."""
    if train.n_features != test.n_features:
        return f"has {train.n_features} feature(s) per step but {test.name} has {test.n_features}"
    unknown = sorted(set(train.labels) - set(classes))
    if unknown:
        return (
            f"has class label(s) {', '.join(map(repr, unknown[:5]))} the model was not trained on "
            f"(its classes are {', '.join(classes)})"
        )
    return None


def _print_references(metrics: dict, references: dict, note: str | None) -> None:
    if note:
        print(note)
    if not references:
        return
    print("references (same split):")
    print(f"  {'lstmkit':<11} accuracy {metrics['accuracy']:.4f}  macro-F1 {metrics['macro_f1']:.4f}")
    for name, ref in references.items():
        label = {"1nn_dtw": "1-NN DTW", "minirocket": "MiniRocket"}.get(name, name)
        if "error" in ref:
            print(f"  {label:<11} failed: {ref['error']}")
        else:
            print(
                f"  {label:<11} accuracy {ref['accuracy']:.4f}  macro-F1 {ref['macro_f1']:.4f}  {ref['seconds']:.1f} s"
            )
