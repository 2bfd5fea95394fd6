"""The ``lstmkit`` command line: one module per subcommand, each a thin call into the library.

Exit codes: 0 success; 2 a problem the user can fix (one ``error: ...`` line on stderr, no
traceback); 1 a bug.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import sys
from collections.abc import Sequence

from lstmkit.cli.common import ArgumentParser, UsageError, missing_command, unreadable_message
from lstmkit.cli.output_folder import interrupted_message
from lstmkit.errors import LstmkitError
from lstmkit.interrupt import Interrupted, interrupt_on_signals
from lstmkit.logs import CommandLineFormatter

# Subcommand modules in the order `lstmkit --help` lists them. Each defines
# `register(subparsers)`, which adds its parser and sets `run(args) -> int` as the default `func`.
COMMANDS = (
    "forecast",
    "train",
    "predict",
    "evaluate",
    "classify",
    "text",
    "export",
    "explain",
    "datasets",
    "demo",
)


def build_parser() -> ArgumentParser:
    """The top-level parser with every subcommand registered."""
    from lstmkit import __version__

    parser = ArgumentParser(
        prog="lstmkit",
        description="LSTM sequence models: forecasting, sequence classification and text.",
        epilog="Example: lstmkit forecast airpassengers --horizon 12 --output runs/air",
    )
    parser.add_argument("--version", action="version", version=f"lstmkit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for name in COMMANDS:
        importlib.import_module(f"lstmkit.cli.{name}").register(subparsers)
    return parser


def console() -> None:
    """The ``lstmkit`` program (and ``python -m lstmkit``): :func:`main`, then exit without a final garbage
    collection of everything the command loaded (``gc.freeze``: with torch and StatsForecast loaded it took
    about a second of a forecast's five). Every file is closed by then; nothing relies on a finaliser. Under
    ``torchrun`` the process group is left first, while everything that uses it is still collectable."""
    code = main()
    distributed = sys.modules.get("lstmkit.train.distributed")
    if distributed is not None:
        distributed.shutdown()
    gc.freeze()
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lstmkit`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    console = logging.StreamHandler()
    console.setFormatter(CommandLineFormatter())
    logging.basicConfig(level=logging.WARNING, handlers=[console])
    parser = build_parser()
    trains = True  # whether the command trains: the line printed on Ctrl-C mentions its checkpoint
    try:
        args = parser.parse_args(argv)
        trains = hasattr(args, "resume")  # every training command has --resume (common.add_training_args)
        args.argv = list(sys.argv[1:] if argv is None else argv)  # the exact command, for report.html
        if not getattr(args, "func", None):
            raise missing_command(parser)
        with contextlib.ExitStack() as cleanup, interrupt_on_signals():
            args.cleanup = cleanup  # commands register their output lock here (output_folder.claim_output)
            return int(args.func(args) or 0)
    except (UsageError, LstmkitError) as exc:
        message = " ".join(str(exc).split("\n")).strip()
        print(f"error: {message}", file=sys.stderr)
        return 2
    except PermissionError as exc:  # a file it may not read (io.atomic.write_errors names failed writes)
        print(f"error: {unreadable_message(exc)}", file=sys.stderr)
        return 2
    except Interrupted as stop:
        print(f"error: {interrupted_message(stop, trains=trains)}", file=sys.stderr)
        return stop.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
