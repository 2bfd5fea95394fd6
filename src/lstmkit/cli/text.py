"""``lstmkit text``: the character language model (``train``, ``sample``, ``evaluate``); text
classification (``classify train|predict|evaluate``) is :mod:`lstmkit.cli.text_classify`."""

from __future__ import annotations

import argparse
from pathlib import Path

from lstmkit.cli import text_classify
from lstmkit.cli.common import (
    ArgumentParser,
    add_report_flag,
    add_training_args,
    command_group,
    join_torchrun,
    non_negative_int,
    positive_float,
    positive_int,
    seed,
    show_progress,
    training_overrides,
)
from lstmkit.cli.output_folder import (
    check_model_output,
    check_output_folder,
    checkpoint_file,
    claim_output,
    discard_checkpoints,
)
from lstmkit.errors import DataError
from lstmkit.logs import counted

ADAPT_LR = 0.3  # lstmkit.models.text_scoring.ADAPT_LR; repeated so --help needs no torch import

TRAIN_EXAMPLE = """\
examples:
  lstmkit text train python-stdlib --output runs/stdlib
  lstmkit text train corpus.txt --output runs/lm --hidden-size 512 --set trainer.max_steps=8000
  lstmkit text train corpus.txt --output runs/lm --set trainer.max_seconds=280   # opt-in clock cap

CORPUS is a text file (UTF-8; UTF-16 and Windows-1252 are read too, the latter with a warning)
or 'python-stdlib' (the running Python's standard-library sources, first 1M characters). The
last 10% is the validation part early stopping watches (data.val_fraction); its score is
printed but it is not a test score. Training stops after trainer.max_steps steps (4000 by
default: the same model whatever the machine's load; no step budget when --epochs is given), at
--epochs, when the validation loss stops improving (checked between epochs; a big corpus gets
more parallel streams so an epoch stays under 200 steps), or, only if you set it, after
trainer.max_seconds of wall-clock time. --batch-size is the (minimum) number of parallel
streams; truncated backpropagation runs over data.chunk_len characters and carries (h, c)
across chunks.
DIR receives model.safetensors, config.json (with the vocabulary) and history.csv (losses in nats
per character); while training, DIR/.checkpoints holds the checkpoint --resume continues from."""

SAMPLE_EXAMPLE = """\
examples:
  lstmkit text sample --model runs/stdlib --prompt "def " --length 400 --seed 1
  lstmkit text sample --model runs/lm --prompt "The " --temperature 0.7 --top-k 10

The prompt is printed, then LENGTH generated characters. The same --seed gives the same text.
Characters of the prompt the model never saw are read as <unk> (with a warning)."""

EVALUATE_EXAMPLE = """\
examples:
  lstmkit text evaluate --model runs/lm heldout.txt
  lstmkit text evaluate --model runs/lm heldout.txt --adapt

Prints bits per character: the mean of -log2 p(char | the characters before it) over every
character but the first. A character outside the model's vocabulary is charged -log2 p(<unk>),
the probability the model leaves for unseen characters (tiny, so each costs many bits); their
count is printed. With --adapt (dynamic evaluation) a copy of the model takes an SGD step after
every 32 characters it has scored, adapting to the text as a compressor does; each character
is still predicted before it is seen. The model folder is not changed."""


# ----------------------------------------------------------------------------- language model


def run_train(args: argparse.Namespace) -> int:
    from lstmkit.config import resolve_config
    from lstmkit.data.datasets import dataset_stem
    from lstmkit.data.text import read_text
    from lstmkit.io import staged_folder
    from lstmkit.models.language_model import LanguageModel, TextConfig

    flags = training_overrides(args)
    if args.epochs is not None and not any("max_steps" in item for item in args.overrides):
        flags["trainer.max_steps"] = 0  # an explicit epoch count: train that many (or until early stopping)
    config = resolve_config(TextConfig(), path=args.config, overrides=args.overrides, flags=flags)
    output = Path(args.output or f"runs/{dataset_stem(args.corpus)}-text")
    check_model_output(output, "text")  # a file, or another job's run
    text = read_text(args.corpus, max_chars=config.data.max_chars or None)
    lm = LanguageModel(config, progress=show_progress(args))
    writer = join_torchrun(config.trainer.device)  # under torchrun: data-parallel, rank 0 writes
    claim_output(args, output)
    lm.fit(text, checkpoint_path=checkpoint_file(output), resume=args.resume, name=repr(str(args.corpus)))
    assert lm.history_ is not None and lm.vocab_ is not None  # fit() sets them
    if not writer:
        return 0
    with staged_folder(output, owned=["report.html"]) as stage:  # made first, then moved into DIR
        lm.save(stage)
        lm.history_.to_csv(stage / "history.csv")
        if not args.no_report:  # report.html (lstmkit.plots.report_text)
            from lstmkit.plots.report_text import text_report

            text_report(
                stage / "report.html",
                lm=lm,
                text=text,
                name=str(args.corpus),
                argv=getattr(args, "argv", None),
            )
    discard_checkpoints(output)
    if not args.quiet:
        rows = lm.history_.rows
        seconds = sum(row["seconds"] for row in rows)
        print(
            f"trained on {counted(len(text), 'character')} of {args.corpus} "
            f"(vocabulary {counted(len(lm.vocab_) - 1, 'character')}): "
            f"{counted(len(rows), 'epoch')} in {seconds:.0f} s (best {lm.history_.best_epoch})"
        )
        if lm.validation_ is not None:
            print(
                f"validation (used for early stopping) bits per character: {lm.validation_.bits_per_char:.4f} "
                f"on the last {counted(lm.validation_.chars + 1, 'character')}"
            )
        print(f"model written to {output}")
    return 0


def run_sample(args: argparse.Namespace) -> int:
    from lstmkit.models.language_model import LanguageModel

    lm = LanguageModel.load(args.model)
    text = lm.sample(
        args.prompt, length=args.length, temperature=args.temperature, top_k=args.top_k, seed=args.seed
    )
    print(args.prompt + text)
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from lstmkit.data.text import read_text
    from lstmkit.models.language_model import LanguageModel

    if args.output:
        check_output_folder(args.output)  # refused before the work, not after
    lm = LanguageModel.load(args.model)
    text = read_text(args.text)
    if len(text) < 2:
        raise DataError(f"{args.text} has {counted(len(text), 'character')}; scoring needs at least two")
    score = lm.score(text, adapt_lr=args.adapt_lr if args.adapt else 0.0)
    scored = counted(score.chars, "character")
    line = f"bits per character: {score.bits_per_char:.4f} ({scored} of {args.text} scored"
    if args.adapt:
        line += f", dynamic evaluation at rate {args.adapt_lr:g}"
    if score.unknown_chars:
        line += f"; {score.unknown_chars:,} not in the model's vocabulary, each charged -log2 p(<unk>)"
    print(line + ")")
    if args.output and not args.no_report:  # report.html (lstmkit.plots.report_text)
        from lstmkit.plots.report_text import text_report

        text_report(
            Path(args.output) / "report.html",
            lm=lm,
            text=text,
            name=str(args.text),
            score=score,
            argv=getattr(args, "argv", None),
            evaluated=True,
        )
    return 0


# ----------------------------------------------------------------------------- parsers


def _register_train(sub: argparse._SubParsersAction) -> None:
    """Add ``text train``."""
    train = sub.add_parser(
        "train",
        help="train a character-level language model",
        epilog=TRAIN_EXAMPLE,
        description="Train a character-level LSTM language model and write its model folder.",
    )
    train.add_argument(
        "corpus", metavar="CORPUS", help="text file (UTF-8, UTF-16 or Windows-1252), or python-stdlib"
    )
    train.add_argument(
        "--output", "-o", metavar="DIR", help="model folder to write (default: runs/<corpus>-text)"
    )
    add_training_args(train)
    train.set_defaults(func=run_train)


def _register_sample(sub: argparse._SubParsersAction) -> None:
    """Add ``text sample``."""
    sample = sub.add_parser(
        "sample",
        help="generate text from a trained language model",
        epilog=SAMPLE_EXAMPLE,
        description="Generate characters from a language model, after an optional prompt.",
    )
    sample.add_argument("--model", "-m", required=True, metavar="DIR", help="folder written by 'text train'")
    sample.add_argument("--prompt", default="", metavar="STR", help="text to continue (default: none)")
    sample.add_argument(
        "--length",
        type=non_negative_int,
        default=500,
        metavar="N",
        help="characters to generate (default 500)",
    )
    sample.add_argument(
        "--temperature",
        type=positive_float,
        default=1.0,
        metavar="T",
        help="below 1: safer, above 1: wilder (default 1)",
    )
    sample.add_argument(
        "--top-k", type=positive_int, metavar="K", help="sample among the K likeliest characters only"
    )
    sample.add_argument(
        "--seed", type=seed, metavar="S", help="random seed; the same seed gives the same text"
    )
    sample.set_defaults(func=run_sample)


def _register_evaluate(sub: argparse._SubParsersAction) -> None:
    """Add ``text evaluate``."""
    evaluate = sub.add_parser(
        "evaluate",
        help="bits per character of a language model on a text",
        epilog=EVALUATE_EXAMPLE,
        description="Score a text with a trained language model.",
    )
    evaluate.add_argument(
        "--model", "-m", required=True, metavar="DIR", help="folder written by 'text train'"
    )
    evaluate.add_argument(
        "text", metavar="TEXT.txt", help="text file to score (UTF-8, UTF-16 or Windows-1252)"
    )
    evaluate.add_argument(
        "--adapt",
        action="store_true",
        help="dynamic evaluation: adapt (a copy of) the model to the text as it is read",
    )
    evaluate.add_argument(
        "--adapt-lr",
        type=positive_float,
        default=ADAPT_LR,
        metavar="LR",
        help=f"SGD rate of --adapt (default {ADAPT_LR})",
    )
    evaluate.add_argument(
        "--output", "-o", metavar="DIR", help="folder to write report.html into (default: none)"
    )
    add_report_flag(evaluate)
    evaluate.set_defaults(func=run_evaluate)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``text`` with ``train``, ``sample``, ``evaluate`` and ``classify train|predict|evaluate``."""
    parser = subparsers.add_parser(
        "text",
        help="character language model and text classification",
        description="Model text with LSTMs: a character-level language model, and text classification.",
        epilog="examples:\n  lstmkit text train python-stdlib --output runs/stdlib\n"
        "  lstmkit text sample --model runs/stdlib --prompt 'def ' --seed 1\n"
        "  lstmkit text classify train reviews.csv --output runs/reviews",
    )
    parser.set_defaults(func=command_group(parser))
    sub = parser.add_subparsers(dest="text_command", metavar="COMMAND", parser_class=ArgumentParser)
    _register_train(sub)
    _register_sample(sub)
    _register_evaluate(sub)
    text_classify.register(sub)
