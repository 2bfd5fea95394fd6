"""Character language model vs ``xz -9`` on held-out text, in bits per character.

Both are given the training text (the first 90% of the corpus): the LSTM through training, xz
through its dictionary. xz's cost of the held-out text is
``size(xz(train + heldout)) - size(xz(train))`` bytes, times 8, over the held-out characters.
The LSTM's is ``lstmkit text evaluate``'s: ``-log2 p(char | the held-out characters before it)``,
starting from a zero state at the start of the held-out part (no context from the training text);
``+adapt`` is ``lstmkit text evaluate --adapt`` (dynamic evaluation: the model adapts to the
held-out text as it reads it, as xz does; every character is still predicted before it is seen).

Usage::

    python benchmarks/bench_text.py                       # GPL-3 (English, 35 KB), default settings
    python benchmarks/bench_text.py --corpus FILE --threads 2 --set model.hidden_size=256

Prints one table row per corpus. Training uses the library's defaults (a 280-second budget)
unless ``--set`` says otherwise.
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


def xz_bits_per_char(train: str, heldout: str) -> float:
    """Bits per held-out character that ``xz -9`` spends after having seen ``train``."""
    def size(text: str) -> int:
        return len(lzma.compress(text.encode("utf-8"), preset=9))

    return 8 * (size(train + heldout) - size(train)) / len(heldout)


def run(corpus: Path, overrides: list[str], seed: int) -> dict:
    text = read_text(corpus)
    config = resolve_config(TextConfig(), overrides=[f"trainer.seed={seed}", *overrides])
    n_val = int(len(text) * config.data.val_fraction)
    train, heldout = text[: len(text) - n_val], text[len(text) - n_val :]
    started = time.perf_counter()
    lm = LanguageModel(config).fit(text)
    seconds = time.perf_counter() - started
    return {
        "corpus": corpus.name, "chars": len(text), "heldout": len(heldout), "seed": seed,
        "lstm_bpc": lm.score(heldout).bits_per_char, "dynamic_bpc": lm.score(heldout, adapt_lr=ADAPT_LR).bits_per_char,
        "xz_bpc": xz_bits_per_char(train, heldout),
        "epochs": len(lm.history_.rows), "best": lm.history_.best_epoch, "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", type=Path, help="text file(s) (default: GPL-3, else Python's LICENSE)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (the target is 2 cores)")
    parser.add_argument("--seed", type=int, action="append", help="seed(s) (default 0)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="config override, e.g. model.hidden_size=256")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    corpora = args.corpus or [next(p for p in CANDIDATES if p.is_file())]
    print(f"torch {torch.__version__}, {args.threads} thread(s); overrides: {' '.join(args.overrides) or 'none'}")
    print(f"{'corpus':<14} {'chars':>7} {'held-out':>8} {'seed':>4} {'LSTM bpc':>9} {'+adapt':>7} {'xz -9 bpc':>9} {'epochs':>6} {'seconds':>7}")
    for corpus in corpora:
        for seed in args.seed or [0]:
            r = run(corpus, args.overrides, seed)
            print(f"{r['corpus']:<14} {r['chars']:>7} {r['heldout']:>8} {r['seed']:>4} {r['lstm_bpc']:>9.3f} {r['dynamic_bpc']:>7.3f} "
                  f"{r['xz_bpc']:>9.3f} {r['epochs']:>6} {r['seconds']:>7.0f}", flush=True)


if __name__ == "__main__":
    main()
