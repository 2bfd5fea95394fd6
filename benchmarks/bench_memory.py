"""Peak memory of ``lstmkit train`` on a long series (not a test; results go in benchmarks/README.md).

Generates a series of ``--points`` minutely observations (a daily cycle plus noise) as a CSV
(``time,load``) and/or a Parquet file (float32 ``load`` beside a timestamp column) under
``--tmp``, runs ``lstmkit train FILE --horizon 24 --epochs 1 --set model.ensemble=1`` on each
in a fresh process, and prints that process's peak resident set size (``ru_maxrss``) and wall
time. The target (issue 6) is under 2 GB for 10 million points.

Run: ``.venv/bin/python benchmarks/bench_memory.py [--points 10000000] [--format csv,parquet] [--tmp /tmp]``
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 2048
# the child reports its own peak RSS: RUSAGE_CHILDREN would also count the data generator's peak
CHILD = (
    "import resource, sys; from lstmkit.cli import main; rc = main(sys.argv[1:]); "
    "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True); sys.exit(rc)"
)


def make_series(points: int) -> tuple[np.ndarray, np.ndarray]:
    """(stamps as datetime64[m], values float32): minutely, a daily cycle plus noise."""
    t = np.arange(points, dtype=np.int64)
    stamps = np.datetime64("2000-01-01T00:00") + t.astype("timedelta64[m]")
    values = (100 + 10 * np.sin(2 * np.pi * (t % 1440) / 1440)).astype(np.float32)
    values += np.random.default_rng(0).normal(0, 1, points).astype(np.float32)
    return stamps, values


def write_csv(path: Path, stamps: np.ndarray, values: np.ndarray, *, chunk: int = 1_000_000) -> None:
    with open(path, "w") as handle:
        handle.write("time,load\n")
        for i in range(0, len(values), chunk):
            s = np.datetime_as_string(stamps[i : i + chunk], unit="m")
            v = np.char.mod("%.3f", values[i : i + chunk])
            handle.write("\n".join(np.char.add(np.char.add(s, ","), v).tolist()))
            handle.write("\n")


def write_parquet(path: Path, stamps: np.ndarray, values: np.ndarray) -> None:
    import pandas as pd

    pd.DataFrame({"time": stamps.astype("datetime64[ns]"), "load": values}).to_parquet(path, index=False)


def train_peak(path: Path, out: Path) -> tuple[float, float, int]:
    """(peak RSS MB, seconds, exit code) of ``lstmkit train`` on ``path`` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            "train",
            str(path),
            "--horizon",
            "24",
            "--epochs",
            "1",
            "--set",
            "model.ensemble=1",
            "--output",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
    lines = [line for line in proc.stdout.splitlines() if line.startswith("MAXRSS")]
    rss_mb = int(lines[0].split()[1]) / 1024 if lines else float("nan")
    return rss_mb, seconds, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--format", default="csv,parquet", help="comma-separated: csv, parquet")
    parser.add_argument("--tmp", default="/tmp", help="folder for the generated data and model")
    args = parser.parse_args()
    tmp = Path(args.tmp) / f"lstmkit-bench-memory-{args.points}"
    tmp.mkdir(parents=True, exist_ok=True)
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    stamps, values = make_series(args.points)
    files = {}
    for fmt in formats:
        path = tmp / f"series.{fmt}"
        if not path.exists():
            (write_csv if fmt == "csv" else write_parquet)(path, stamps, values)
        files[fmt] = path
    del stamps, values
    print(f"| input ({args.points:,} points) | file MB | peak RSS MB | wall s | under {TARGET_MB} MB |")
    print("|---|---:|---:|---:|---|")
    for fmt, path in files.items():
        rss, seconds, rc = train_peak(path, tmp / f"model-{fmt}")
        ok = "yes" if rc == 0 and rss < TARGET_MB else ("FAILED" if rc else "no")
        print(f"| {fmt} | {path.stat().st_size / 2**20:.0f} | {rss:.0f} | {seconds:.0f} | {ok} |", flush=True)
    print(
        f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs; generator peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main()
