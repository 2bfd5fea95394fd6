"""Sequence classification benchmark: lstmkit's LSTM-FCN classifier against 1-NN DTW on UEA/UCR sets.

Prints one row per dataset: test accuracy of ``LSTMClassifier`` with its default settings (mean
and spread over seeds) and of the standard reference, the 1-nearest-neighbour classifier under
unconstrained dynamic time warping (dependent DTW for multivariate series: squared Euclidean
distance between whole time steps), computed here in numpy.

    python benchmarks/bench_classify.py                                   # JapaneseVowels (bundled)
    python benchmarks/bench_classify.py --data-dir DIR --datasets JapaneseVowels,ArrowHead,GunPoint

DIR holds ``<Name>/<Name>_TRAIN.ts`` and ``<Name>_TEST.ts`` (sktime's ``datasets/data`` folder
has this layout). Results are recorded in benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from lstmkit.config import resolve_config
from lstmkit.data.sequences import SequenceData, pad_sequences, read_sequences
from lstmkit.data.ts_format import read_ts
from lstmkit.models.classifier import ClassifyConfig, LSTMClassifier


def dtw_distances(query: SequenceData, reference: SequenceData, *, chunk: int = 4_000_000) -> np.ndarray:
    """Unconstrained DTW distance ``(Nq, Nr)`` between every pair, vectorised over pairs.

    The recursion ``D[i, j] = c(i, j) + min(D[i-1, j-1], D[i-1, j], D[i, j-1])`` runs along
    anti-diagonals on padded arrays; each pair's distance is read at its own ``(len_q, len_r)``
    (cells past a series' end never feed cells inside it). Missing values count as 0.
    """
    q, lq = pad_sequences([np.nan_to_num(s) for s in query.series])  # (Nq, Tq, F)
    r, lr = pad_sequences([np.nan_to_num(s) for s in reference.series])  # (Nr, Tr, F)
    Nq, Tq, _ = q.shape
    Nr, Tr, _ = r.shape
    out = np.empty((Nq, Nr))
    step = max(1, chunk // (Nr * Tq * Tr))
    for start in range(0, Nq, step):
        a = q[start : start + step]  # (P, Tq, F)
        cost = ((a[:, None, :, None, :] - r[None, :, None, :, :]) ** 2).sum(-1)  # (P, Nr, Tq, Tr)
        D = np.full((len(a), Nr, Tq + 1, Tr + 1), np.inf)
        D[:, :, 0, 0] = 0.0
        for d in range(2, Tq + Tr + 1):
            i = np.arange(max(1, d - Tr), min(Tq, d - 1) + 1)
            j = d - i
            best = np.minimum(np.minimum(D[:, :, i - 1, j - 1], D[:, :, i - 1, j]), D[:, :, i, j - 1])
            D[:, :, i, j] = cost[:, :, i - 1, j - 1] + best
        rows = np.arange(len(a))
        out[start : start + step] = D[rows[:, None], np.arange(Nr)[None, :], lq[start : start + step, None], lr[None, :]]
    return out


def one_nn_dtw(train: SequenceData, test: SequenceData) -> float:
    """Test accuracy of 1-NN under DTW."""
    nearest = dtw_distances(test, train).argmin(axis=1)
    return float(np.mean(train.labels[nearest] == test.labels))


def load(name: str, data_dir: Path | None) -> tuple[SequenceData, SequenceData]:
    if data_dir is not None and (data_dir / name / f"{name}_TRAIN.ts").is_file():
        return read_ts(data_dir / name / f"{name}_TRAIN.ts"), read_ts(data_dir / name / f"{name}_TEST.ts")
    if name.lower() in ("japanesevowels", "japanese-vowels"):
        return read_sequences("japanese-vowels"), read_sequences("japanese-vowels", split="test")
    raise SystemExit(f"{name}: no {name}/{name}_TRAIN.ts under --data-dir {data_dir}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="folder of <Name>/<Name>_TRAIN.ts, <Name>_TEST.ts")
    parser.add_argument("--datasets", default="JapaneseVowels", help="comma-separated names")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated training seeds")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="classifier setting KEY=VALUE")
    parser.add_argument("--no-dtw", action="store_true", help="skip the 1-NN DTW reference")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"{'dataset':<18} {'train':>5} {'test':>5} {'len':>7} {'F':>3} {'K':>3}  "
          f"{'LSTM-FCN acc':>15} {'s/run':>6}  {'1-NN DTW':>8}")
    for name in args.datasets.split(","):
        train, test = load(name.strip(), args.data_dir)
        scores, seconds = [], []
        for seed in seeds:
            config = resolve_config(ClassifyConfig(), overrides=[*args.overrides, f"trainer.seed={seed}"])
            started = time.perf_counter()
            clf = LSTMClassifier(config).fit(train)
            seconds.append(time.perf_counter() - started)
            scores.append(clf.evaluate(test)["accuracy"])
        dtw = float("nan") if args.no_dtw else one_nn_dtw(train, test)
        lengths = np.concatenate([train.lengths, test.lengths])
        span = f"{lengths.min()}-{lengths.max()}" if lengths.min() != lengths.max() else str(lengths.min())
        acc = f"{np.mean(scores):.4f}±{np.std(scores):.4f}"
        print(f"{name:<18} {len(train):>5} {len(test):>5} {span:>7} {train.n_features:>3} "
              f"{len(set(train.labels)):>3}  {acc:>15} {np.mean(seconds):>6.0f}  {dtw:>8.4f}", flush=True)
        print(f"  per seed: {', '.join(f'{s:.4f}' for s in scores)}", flush=True)


if __name__ == "__main__":
    main()
