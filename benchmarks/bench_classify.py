"""Sequence classification benchmark: lstmkit's classifier, its ablations and the references on UEA/UCR sets.

Prints one row per dataset and variant: test accuracy of ``LSTMClassifier`` (mean and spread over
seeds) and the wall and CPU seconds of train + predict. Variants: ``hybrid`` (the default:
MiniRocket features + LSTM features + ridge), ``rocket`` (``hybrid.lstm=false``: random
convolutions and ridge only), ``lstm`` (``hybrid.rocket_features=0``: the LSTM's features and
ridge only), ``lstm-fcn`` (the previous default, minutes per run). Then the references on the
same split: MiniRocket and 1-NN DTW from sktime (``lstmkit[references]``), or, without it, 1-NN
DTW computed here in numpy (dependent DTW: squared Euclidean distance between whole steps).

    python benchmarks/bench_classify.py                                   # JapaneseVowels (bundled)
    python benchmarks/bench_classify.py --datasets GunPoint,ArrowHead,ItalyPowerDemand,BasicMotions,OSULeaf

DIR (``--data-dir``) holds ``<Name>/<Name>_TRAIN.ts`` and ``<Name>_TEST.ts``; by default sktime's
bundled ``datasets/data`` folder, which has this layout. Results are recorded in benchmarks/README.md.
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
from lstmkit.models.classifier import LSTMClassifier
from lstmkit.models.classify_config import ClassifyConfig


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
        out[start : start + step] = D[
            rows[:, None], np.arange(Nr)[None, :], lq[start : start + step, None], lr[None, :]
        ]
    return out


def one_nn_dtw(train: SequenceData, test: SequenceData) -> float:
    """Test accuracy of 1-NN under DTW."""
    nearest = dtw_distances(test, train).argmin(axis=1)
    return float(np.mean(train.labels[nearest] == test.labels))


def load(name: str, data_dir: Path | None) -> tuple[SequenceData, SequenceData]:
    if data_dir is None:
        try:
            import sktime

            data_dir = Path(sktime.__file__).parent / "datasets" / "data"
        except ImportError:
            pass
    if data_dir is not None and (data_dir / name / f"{name}_TRAIN.ts").is_file():
        return read_ts(data_dir / name / f"{name}_TRAIN.ts"), read_ts(data_dir / name / f"{name}_TEST.ts")
    if name.lower() in ("japanesevowels", "japanese-vowels"):
        return read_sequences("japanese-vowels"), read_sequences("japanese-vowels", split="test")
    raise SystemExit(f"{name}: no {name}/{name}_TRAIN.ts under --data-dir {data_dir}")


VARIANTS = {
    "hybrid": [],
    "rocket": ["hybrid.lstm=false"],
    "lstm": ["hybrid.rocket_features=0"],
    "lstm-fcn": ["method=lstm-fcn", "trainer.epochs=300", "trainer.lr=2e-3", "trainer.lr_schedule=plateau"],
}


def run(
    train: SequenceData, test: SequenceData, overrides: list[str], seed: int
) -> tuple[float, float, float]:
    """``(accuracy, wall seconds, CPU seconds)`` of train + predict with these settings."""
    config = resolve_config(ClassifyConfig(), overrides=[*overrides, f"trainer.seed={seed}"])
    wall, cpu = time.perf_counter(), time.process_time()
    clf = LSTMClassifier(config).fit(train)
    predicted = clf.predict(test)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return float(np.mean(predicted == test.labels)), wall, cpu


def _reference_scores(train: SequenceData, test: SequenceData) -> dict | None:
    from lstmkit.evaluate.classification import reference_scores

    return reference_scores(
        train.series, train.labels, test.series, test.labels, classes=sorted(set(train.labels))
    )


def references(train: SequenceData, test: SequenceData, no_dtw: bool) -> dict[str, float]:
    """Accuracy of MiniRocket and 1-NN DTW, run in a child process: numba's and BLAS's idle worker
    threads would otherwise spin inside this one and inflate the CPU seconds of the runs after it."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        scores = pool.submit(_reference_scores, train, test).result()
    if scores is None:
        return {"1nn_dtw": float("nan") if no_dtw else one_nn_dtw(train, test), "minirocket": float("nan")}
    return {name: ref.get("accuracy", float("nan")) for name, ref in scores.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, help="folder of <Name>/<Name>_TRAIN.ts, <Name>_TEST.ts")
    parser.add_argument("--datasets", default="JapaneseVowels", help="comma-separated names")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated training seeds")
    parser.add_argument(
        "--variants", default="hybrid,rocket,lstm", help=f"comma-separated, of {', '.join(VARIANTS)}"
    )
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], help="classifier setting KEY=VALUE"
    )
    parser.add_argument("--no-dtw", action="store_true", help="skip the numpy 1-NN DTW (used without sktime)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(
        f"{'dataset':<17} {'train':>5} {'test':>5} {'len':>7} {'F':>2} {'K':>3} {'variant':<9} "
        f"{'accuracy':>15} {'wall s':>6} {'cpu s':>6}"
    )
    for name in args.datasets.split(","):
        train, test = load(name.strip(), args.data_dir)
        lengths = np.concatenate([train.lengths, test.lengths])
        span = f"{lengths.min()}-{lengths.max()}" if lengths.min() != lengths.max() else str(lengths.min())
        shape = f"{name:<17} {len(train):>5} {len(test):>5} {span:>7} {train.n_features:>2} {len(set(train.labels)):>3}"
        for variant in args.variants.split(","):
            runs = np.asarray(
                [run(train, test, [*VARIANTS[variant], *args.overrides], seed) for seed in seeds]
            )
            acc = f"{runs[:, 0].mean():.4f}±{runs[:, 0].std():.4f}"
            print(
                f"{shape} {variant:<9} {acc:>15} {runs[:, 1].mean():>6.1f} {runs[:, 2].mean():>6.1f}"
                f"   per seed: {', '.join(f'{a:.4f}' for a in runs[:, 0])}",
                flush=True,
            )
        refs = references(train, test, args.no_dtw)
        print(
            f"{shape} references: MiniRocket {refs['minirocket']:.4f}, 1-NN DTW {refs['1nn_dtw']:.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
