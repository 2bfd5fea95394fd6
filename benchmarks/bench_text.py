"""Character language model vs ``xz -9`` on a test text it never saw, in bits per character.

Each corpus is cut three ways: the first 80% trains the model, the next 10% is the validation
part (early stopping, the learning-rate schedule and the choice of the best epoch watch it), and
the last 10% is the test part, scored once at the end: neither training nor any tuning saw it.
The defaults (layers, dropout, dynamic-evaluation rate, step budget) were tuned on GPL-3, so
GPL-3 is the *tuning* corpus; the numbers that count are on other texts.

Both are given the text before the test part (train + validation): the LSTM through training,
xz through its dictionary. xz's cost of the test part is
``size(xz(before + test)) - size(xz(before))`` bytes, times 8, over the test characters. The
LSTM's is ``lstmkit text evaluate``'s: ``-log2 p(char | the test characters before it)``, from a
zero state at the start of the test part, with fixed weights; ``+adapt`` is ``lstmkit text
evaluate --adapt`` (dynamic evaluation: the model adapts to the test text as it reads it, as xz
does; every character is still predicted before it is seen).

Usage::

    python benchmarks/bench_text.py                       # GPL-3 (the tuning corpus), default settings
    python benchmarks/bench_text.py --corpus FILE --threads 2 --set model.hidden_size=256

Prints one table row per corpus and seed. Training uses the library's defaults (a budget of
trainer.max_steps steps, the same whatever the machine's load) unless ``--set`` says otherwise.
"""

from __future__ import annotations

import argparse
import lzma
import sysconfig
import time
from pathlib import Path

import torch

from lstmkit.config import resolve_config
from lstmkit.data.text import read_text
from lstmkit.models.language_model import LanguageModel, TextConfig
from lstmkit.models.text_scoring import ADAPT_LR

# English texts found on most machines without a download: the GNU GPL v3 on Debian/Ubuntu,
# and Python's own licence (the PSF licence and its history) everywhere.
CANDIDATES = (Path("/usr/share/common-licenses/GPL-3"), Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt")


def xz_bits_per_char(train: str, test: str) -> float:
    """Bits per test character that ``xz -9`` spends after having seen ``train``."""

    def size(text: str) -> int:
        return len(lzma.compress(text.encode("utf-8"), preset=9))

    return 8 * (size(train + test) - size(train)) / len(test)


def three_way(text: str) -> tuple[str, str, str]:
    """``(train, validation, test)``: the first 80%, the next 10%, the last 10% of ``text``."""
    n_test = n_val = len(text) // 10
    cut = len(text) - n_test
    return text[: cut - n_val], text[cut - n_val : cut], text[cut:]


def run(corpus: Path, overrides: list[str], seed: int) -> dict:
    text = read_text(corpus)
    train, val, test = three_way(text)
    val_fraction = (len(val) + 0.5) / (
        len(train) + len(val)
    )  # fit() cuts the validation part off the end itself
    config = resolve_config(
        TextConfig(), overrides=[f"trainer.seed={seed}", f"data.val_fraction={val_fraction!r}", *overrides]
    )
    started, cpu = time.perf_counter(), time.process_time()
    lm = LanguageModel(config).fit(train + val)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    assert lm.validation_ is not None and lm.validation_.chars == len(val) - 1  # the split fit() made is ours
    return {
        "corpus": corpus.name,
        "chars": len(text),
        "test": len(test),
        "seed": seed,
        "val_bpc": lm.validation_.bits_per_char,
        "lstm_bpc": lm.score(test).bits_per_char,
        "dynamic_bpc": lm.score(test, adapt_lr=ADAPT_LR).bits_per_char,
        "xz_bpc": xz_bits_per_char(train + val, test),
        "epochs": len(lm.history_.rows),
        "best": lm.history_.best_epoch,
        "seconds": seconds,
        "cpu": cpu_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--corpus", action="append", type=Path, help="text file(s) (default: GPL-3, else Python's LICENSE)"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch threads (the target is 2 cores)")
    parser.add_argument("--seed", type=int, action="append", help="seed(s) (default 0)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        help="config override, e.g. model.hidden_size=256",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    corpora = args.corpus or [next(p for p in CANDIDATES if p.is_file())]
    print(
        f"torch {torch.__version__}, {args.threads} thread(s); overrides: {' '.join(args.overrides) or 'none'}"
    )
    print(
        f"{'corpus':<16} {'chars':>7} {'test':>6} {'seed':>4} {'val bpc':>8} {'test bpc':>8} {'+adapt':>7} "
        f"{'xz -9 bpc':>9} {'epochs':>6} {'best':>4} {'seconds':>7} {'cpu s':>6}"
    )
    for corpus in corpora:
        for seed in args.seed or [0]:
            r = run(corpus, args.overrides, seed)
            print(
                f"{r['corpus']:<16} {r['chars']:>7} {r['test']:>6} {r['seed']:>4} {r['val_bpc']:>8.3f} {r['lstm_bpc']:>8.3f} "
                f"{r['dynamic_bpc']:>7.3f} {r['xz_bpc']:>9.3f} {r['epochs']:>6} {r['best']:>4} {r['seconds']:>7.0f} "
                f"{r['cpu']:>6.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
