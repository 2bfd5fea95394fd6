"""Speed of lstmkit's LSTM layer against torch.nn.LSTM, as ratios measured in one process.

For each (batch, length, input, hidden, layers) of the grid, times

- forward (under ``torch.no_grad()``, inference) and forward + backward (``out.sum()``
  backpropagated to every parameter) of torch.nn.LSTM, lstmkit fused, lstmkit explicit, and a
  naive per-step autograd loop over lstmkit.nn.LSTMCell;
- ``lstm.trace`` on the fused backend (forward only: it runs without gradients).

Methods run interleaved, one call each per round, and each time is the median over rounds;
every number is a ratio to torch.nn.LSTM in the same round set. Prints a markdown table.

    python benchmarks/bench_lstm.py            # full grid, ~2-3 minutes on 2 cores
    python benchmarks/bench_lstm.py --quick    # fewer rounds
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import torch

from lstmkit.nn import LSTM, LSTMCell

GRID = [  # (batch, length, input, hidden, layers)
    (32, 5, 10, 20, 1),
    (32, 50, 10, 64, 1),
    (64, 50, 32, 128, 1),
    (32, 100, 64, 256, 2),
    (128, 100, 128, 512, 1),
]


def naive_loop(cells: list[LSTMCell], x: torch.Tensor) -> torch.Tensor:
    """A per-step Python loop over cells, autograd recording every step. x (T, B, F) -> (T, B, H)."""
    for cell in cells:
        h = c = x.new_zeros(x.size(1), cell.hidden_size)
        outs = []
        for x_t in x:
            h, c = cell(x_t, (h, c))
            outs.append(h)
        x = torch.stack(outs)
    return x


def make_methods(batch: int, length: int, inp: int, hidden: int, layers: int):
    ref = torch.nn.LSTM(inp, hidden, layers)
    fused, explicit = LSTM.from_torch(ref, backend="fused"), LSTM.from_torch(ref, backend="explicit")
    cells = [LSTMCell(inp if k == 0 else hidden, hidden) for k in range(layers)]
    x = torch.randn(length, batch, inp)
    models = {"torch": ref, "fused": fused, "explicit": explicit, "naive": cells}

    def forward(name: str) -> Callable[[], None]:
        def run() -> None:
            with torch.no_grad():
                naive_loop(cells, x) if name == "naive" else models[name](x)

        return run

    def forward_backward(name: str) -> Callable[[], None]:
        params = [p for c in cells for p in c.parameters()] if name == "naive" else list(models[name].parameters())

        def run() -> None:
            for p in params:
                p.grad = None
            out = naive_loop(cells, x) if name == "naive" else models[name](x)[0]
            out.sum().backward()

        return run

    def trace() -> None:
        fused.trace(x)

    fwd = {name: forward(name) for name in models}
    fwd["trace"] = trace
    fb = {name: forward_backward(name) for name in models}
    return fwd, fb


def measure(methods: dict[str, Callable[[], None]], budget_s: float, min_rounds: int) -> dict[str, float]:
    """Median seconds per call of each method, rounds interleaved, within about budget_s."""
    for fn in methods.values():  # warm up (allocator, oneDNN primitive caches)
        fn()
    start = time.perf_counter()
    for fn in methods.values():
        fn()
    per_round = time.perf_counter() - start
    rounds = max(min_rounds, min(200, int(budget_s / max(per_round, 1e-9))))
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(rounds):
        for name, fn in methods.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short run: fewer rounds per grid point")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    budget, min_rounds = (1.0, 3) if args.quick else (6.0, 7)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; ratios to torch.nn.LSTM (lower is faster)\n")
    print("| B, T, F, H, L | torch fwd ms | fused fwd | explicit fwd | trace fwd | trace / fused fwd | naive fwd "
          "| torch f+b ms | fused f+b | explicit f+b | naive f+b |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for cfg in GRID:
        fwd_methods, fb_methods = make_methods(*cfg)
        fwd = measure(fwd_methods, budget / 2, min_rounds)
        fb = measure(fb_methods, budget / 2, min_rounds)
        tf, tb = fwd["torch"], fb["torch"]
        print(
            f"| {', '.join(map(str, cfg))} | {tf * 1e3:.2f} | {fwd['fused'] / tf:.2f} | {fwd['explicit'] / tf:.2f} "
            f"| {fwd['trace'] / tf:.2f} | {fwd['trace'] / fwd['fused']:.2f} | {fwd['naive'] / tf:.2f} "
            f"| {tb * 1e3:.2f} | {fb['fused'] / tb:.2f} | {fb['explicit'] / tb:.2f} | {fb['naive'] / tb:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
