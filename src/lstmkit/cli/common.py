"""Pieces the subcommands share: the parser that reports one-line errors, the argument types, the training
flags (with progress bars and torchrun), what the classification commands print, and the line for a file
the user may not read. The folder a command writes (its lock, its checkpoints, the line printed on Ctrl-C)
is :mod:`lstmkit.cli.output_folder`'s."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from lstmkit.logs import counted


class UsageError(Exception):
    """A bad flag or argument on the command line."""


class ArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become :class:`UsageError` (printed as one ``error:`` line)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # noqa: D401 - argparse's hook
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def parse_known_args(self, args=None, namespace=None):
        """argparse's, noting in ``_command`` the innermost (sub)command that parsed (for the hint below)."""
        namespace, extras = super().parse_known_args(args, namespace)
        if not hasattr(namespace, "_command"):  # a subcommand's parser ran inside this one and set it first
            namespace._command = self.prog
        return namespace, extras

    def parse_args(self, args=None, namespace=None):
        """argparse's, but an unknown flag points at the help of the subcommand it was given to."""
        namespace, extras = self.parse_known_args(args, namespace)
        if extras:
            raise UsageError(
                f"unrecognized arguments: {' '.join(extras)} (see '{namespace._command} --help')"
            )
        return namespace


def positive_int(text: str) -> int:
    """argparse type: an integer > 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def seed(text: str) -> int:
    """argparse type: a random seed, an integer from 0 to 2**32 - 1."""
    from lstmkit.train.trainer import MAX_SEED

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to {MAX_SEED}, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to {MAX_SEED}, got {value}")
    return value


def probability(text: str) -> float:
    """argparse type: a float in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {value}")
    return value


def add_training_args(parser: argparse.ArgumentParser) -> None:
    """The flags every training command shares (DESIGN.md). Unset flags stay None: config decides."""
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=positive_int, help="maximum training epochs")
    group.add_argument("--batch-size", type=positive_int, help="global batch size")
    group.add_argument("--lr", type=positive_float, help="Adam learning rate")
    group.add_argument("--hidden-size", type=positive_int, help="LSTM units per layer")
    group.add_argument("--num-layers", type=positive_int, help="stacked LSTM layers")
    group.add_argument("--dropout", type=probability, help="dropout between LSTM layers, in [0, 1)")
    group.add_argument("--seed", type=seed, help="random seed; the same seed gives the same model")
    group.add_argument(
        "--device", choices=("auto", "cpu", "cuda", "mps"), help="where to train (default auto)"
    )
    group.add_argument(
        "--resume", action="store_true", help="continue an interrupted run from its checkpoint in --output"
    )
    group.add_argument("--config", metavar="FILE.toml", help="TOML file of settings")
    group.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one setting, e.g. --set trainer.lr=3e-3 (repeatable)",
    )
    group.add_argument("--quiet", action="store_true", help="no progress bar or tables")
    add_report_flag(group)


def missing_command(parser: argparse.ArgumentParser) -> UsageError:
    """The error of a command group (``lstmkit``, ``lstmkit classify`` ...) run without one of its commands."""
    commands = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    names = ", ".join(repr(name) for name in commands)
    return UsageError(f"{parser.prog} needs a command: choose from {names} (see '{parser.prog} --help')")


def command_group(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """A command group's action without a subcommand: refuse it with :func:`missing_command`'s line, exit 2."""

    def refuse(args: argparse.Namespace) -> int:
        raise missing_command(parser)

    return refuse


def add_report_flag(parser) -> None:
    """``--no-report``: skip report.html (every job writes one into its output folder by default)."""
    parser.add_argument("--no-report", action="store_true", help="do not write report.html")


def training_overrides(args: argparse.Namespace) -> dict[str, object]:
    """The training flags the user gave, as dotted config keys (flags win over --config and --set)."""
    mapping = {
        "epochs": "trainer.epochs",
        "batch_size": "trainer.batch_size",
        "lr": "trainer.lr",
        "seed": "trainer.seed",
        "device": "trainer.device",
        "hidden_size": "model.hidden_size",
        "num_layers": "model.num_layers",
        "dropout": "model.dropout",
    }
    return {
        key: getattr(args, flag) for flag, key in mapping.items() if getattr(args, flag, None) is not None
    }


def show_progress(args: argparse.Namespace) -> bool:
    """Progress bars only for a person watching a terminal."""
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


def join_torchrun(device: str) -> bool:
    """Join the process group when started by ``torchrun``; True when this process should write files.

    Every rank trains (the trainer splits each global batch across them); only rank 0 writes.
    """
    from lstmkit.train import resolve_device
    from lstmkit.train.distributed import init_from_env, is_main_process

    init_from_env(resolve_device(device))
    return is_main_process()


def write_predictions(output: str, classes: list[str], proba, *, ids=None) -> None:
    """Write ``index, [id,] label, p_<class>...`` to ``output`` atomically; ``proba`` is (N, K)."""
    import pandas as pd

    from lstmkit.errors import DataError
    from lstmkit.io import atomic_output

    path = Path(output)
    if path.is_dir():
        raise DataError(f"--output {path} is a folder; pass a file name such as {path / 'predictions.csv'}")
    columns: dict[str, object] = {"index": range(len(proba))}
    if ids is not None:
        columns["id"] = ids
    columns["label"] = [classes[k] for k in proba.argmax(axis=1)]
    for k, name in enumerate(classes):
        columns[f"p_{name}"] = proba[:, k]
    with atomic_output(path) as tmp:
        pd.DataFrame(columns).to_csv(tmp, index=False, float_format="%.6g")
    print(f"wrote {counted(len(proba), 'prediction')} to {path}")


def print_classification(metrics: dict, *, what: str, source: str) -> None:
    """Print accuracy, macro-F1 and the confusion matrix of ``metrics`` (from classification_metrics), evaluated
    on the ``what`` (singular: ``case``) of ``source``."""
    from lstmkit.evaluate.classification import format_confusion

    print(f"evaluated {counted(metrics['n'], what)} of {source}")
    print(f"accuracy: {metrics['accuracy']:.4f}")
    print(f"macro-F1: {metrics['macro_f1']:.4f}")
    print("confusion matrix (rows: true, columns: predicted):")
    print(format_confusion(metrics["confusion"], metrics["classes"]))


def print_classifier_training(history, validation: dict | None, *, what: str, output) -> None:
    """The epochs run (and the best), the validation accuracy on the ``what`` (singular: ``case``) of the
    validation split when there was one, where the model went."""
    line = f"epochs: {len(history.rows)} (best {history.best_epoch})"
    if validation is not None:
        line += (
            f"; validation (used for early stopping) accuracy {validation['accuracy']:.4f} "
            f"on {counted(validation['n'], what)}"
        )
    print(line)
    print(f"model written to {output}")


def unreadable_message(exc: PermissionError) -> str:
    """The one line for a file or folder the user may not read (a model folder, DATA, a checkpoint)."""
    if exc.filename is None:
        return f"permission denied ({exc.strerror or exc}); check the permissions of the files you passed"
    mode = "u+rx" if Path(exc.filename).is_dir() else "u+r"  # a folder is read through its x bit too
    return (
        f"cannot read {exc.filename}: permission denied; make it readable (chmod {mode}) or pass another path"
    )
