"""Speed of lstmkit's LSTM layer against torch.nn.LSTM, as ratios measured in one process.

For each (batch, length, input, hidden, layers) of the grid, times

- forward (under ``torch.no_grad()``, inference) and forward + backward (``out.sum()``
  backpropagated to every parameter) of torch.nn.LSTM, lstmkit fused, lstmkit explicit, and a
  naive per-step autograd loop over lstmkit.nn.LSTMCell;
- ``lstm.trace`` on the fused backend (forward only: it runs without gradients);
- explicit ``py``: the explicit backend with its PyTorch time loop (``LSTMKIT_NO_EXTENSION``),
  next to ``explicit`` with the compiled loop (when it builds);
- a double-backward table: the weight gradients of a gradient penalty
  (``out.pow(2).sum() + |d out.sum() / dx|²``, ``create_graph=True``) with explicit against
  torch.nn.LSTM, at the grid points up to (32, 100, 64, 256);
- a second table, forward + backward in training mode of the explicit backend with each
  variant (its compiled loop with the hand-written backward, when the extension builds), as a
  ratio to plain torch.nn.LSTM and as a speedup over a naive per-step autograd loop of
  ``LSTMCell`` with the same variant.

Methods run interleaved, one call each per round, and each time is the median over rounds;
every number is a ratio to torch.nn.LSTM in the same round set. Prints a markdown table.

    python benchmarks/bench_lstm.py            # full grid, ~2-3 minutes on 2 cores
    python benchmarks/bench_lstm.py --quick    # fewer rounds
    python benchmarks/bench_lstm.py --threads 1 --timer cpu   # on a machine others load too
    python benchmarks/bench_lstm.py --no-variants --points 0,1  # the first table, two grid points
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import torch

from lstmkit.nn import LSTM, LSTMCell, kernel

VARIANTS = {  # name -> keywords, for the variant table
    "layer_norm": {"layer_norm": True},
    "peephole": {"peephole": True},
    "coupled": {"coupled_gates": True},
    "rec_dropout": {"recurrent_dropout": 0.25},
    "weight_drop": {"weight_drop": 0.25},
    "zoneout": {"zoneout": 0.1},
    "hard_sigmoid": {"recurrent_activation": "hard_sigmoid"},
    "all": {
        "layer_norm": True,
        "peephole": True,
        "recurrent_dropout": 0.25,
        "weight_drop": 0.25,
        "zoneout": 0.1,
    },
}

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
        params = (
            [p for c in cells for p in c.parameters()] if name == "naive" else list(models[name].parameters())
        )

        def run() -> None:
            for p in params:
                p.grad = None
            out = naive_loop(cells, x) if name == "naive" else models[name](x)[0]
            out.sum().backward()

        return run

    def trace() -> None:
        fused.trace(x)

    def no_extension(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            os.environ["LSTMKIT_NO_EXTENSION"] = "1"
            try:
                fn()
            finally:
                del os.environ["LSTMKIT_NO_EXTENSION"]

        return run

    fwd = {name: forward(name) for name in models}
    fwd["trace"] = trace
    fwd["explicit_py"] = no_extension(forward("explicit"))
    fb = {name: forward_backward(name) for name in models}
    fb["explicit_py"] = no_extension(forward_backward("explicit"))
    return fwd, fb


def make_variant_methods(batch: int, length: int, inp: int, hidden: int, layers: int):
    """Forward + backward in training mode: torch.nn.LSTM, and per variant the layer and a naive loop."""
    ref = torch.nn.LSTM(inp, hidden, layers)
    x = torch.randn(length, batch, inp)
    methods: dict[str, Callable[[], None]] = {}

    def fb(params: list[torch.Tensor], call: Callable[[], torch.Tensor]) -> Callable[[], None]:
        def run() -> None:
            for p in params:
                p.grad = None
            call().sum().backward()

        return run

    methods["torch"] = fb(list(ref.parameters()), lambda: ref(x)[0])
    for name, kw in VARIANTS.items():
        m = LSTM(inp, hidden, layers, **kw).train()
        cells = [LSTMCell(inp if k == 0 else hidden, hidden, **kw).train() for k in range(layers)]
        methods[name] = fb(list(m.parameters()), lambda m=m: m(x)[0])
        methods[name + "_naive"] = fb(
            [p for c in cells for p in c.parameters()], lambda c=cells: naive_loop(c, x)
        )
    return methods


def make_double_backward_methods(batch: int, length: int, inp: int, hidden: int, layers: int):
    """The weight gradients of a gradient penalty (a double backward): torch.nn.LSTM and explicit."""
    ref = torch.nn.LSTM(inp, hidden, layers)
    explicit = LSTM.from_torch(ref, backend="explicit")
    x = torch.randn(length, batch, inp, requires_grad=True)

    def penalty(module: torch.nn.Module) -> Callable[[], None]:
        params = list(module.parameters())

        def run() -> None:
            out = module(x)[0]
            (gx,) = torch.autograd.grad(out.sum(), x, create_graph=True)
            torch.autograd.grad(out.pow(2).sum() + gx.pow(2).sum(), params)

        return run

    return {"torch": penalty(ref), "explicit": penalty(explicit)}


def measure(
    methods: dict[str, Callable[[], None]],
    budget_s: float,
    min_rounds: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
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
            t0 = clock()
            fn()
            times[name].append(clock() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short run: fewer rounds per grid point")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    parser.add_argument(
        "--timer",
        choices=("wall", "cpu"),
        default="wall",
        help="wall clock (default), or this process's CPU time: robust to other load "
        "on a shared machine, meaningful with --threads 1",
    )
    parser.add_argument("--points", default=None, help="comma-separated grid indices (default: all)")
    parser.add_argument("--no-variants", action="store_true", help="skip the variant table")
    args = parser.parse_args()
    grid = GRID if args.points is None else [GRID[int(i)] for i in args.points.split(",")]
    clock = time.perf_counter if args.timer == "wall" else time.process_time
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    budget, min_rounds = (1.0, 3) if args.quick else (6.0, 7)
    compiled = kernel.available()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.timer} time, compiled loop "
        f"{'on' if compiled else 'OFF (explicit = explicit py)'}; ratios to torch.nn.LSTM (lower is faster)\n"
    )
    print(
        "| B, T, F, H, L | torch fwd ms | fused fwd | explicit fwd | explicit py fwd | trace fwd | trace / fused fwd "
        "| naive fwd | torch f+b ms | fused f+b | explicit f+b | explicit py f+b | naive f+b |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for cfg in grid:
        fwd_methods, fb_methods = make_methods(*cfg)
        fwd = measure(fwd_methods, budget / 2, min_rounds, clock)
        fb = measure(fb_methods, budget / 2, min_rounds, clock)
        tf, tb = fwd["torch"], fb["torch"]
        print(
            f"| {', '.join(map(str, cfg))} | {tf * 1e3:.2f} | {fwd['fused'] / tf:.2f} | {fwd['explicit'] / tf:.2f} "
            f"| {fwd['explicit_py'] / tf:.2f} | {fwd['trace'] / tf:.2f} | {fwd['trace'] / fwd['fused']:.2f} "
            f"| {fwd['naive'] / tf:.2f} | {tb * 1e3:.2f} | {fb['fused'] / tb:.2f} | {fb['explicit'] / tb:.2f} "
            f"| {fb['explicit_py'] / tb:.2f} | {fb['naive'] / tb:.2f} |",
            flush=True,
        )
    print("\nDouble backward (gradient penalty, create_graph=True): explicit / torch\n")
    print("| B, T, F, H, L | torch ms | explicit / torch |")
    print("|---|---:|---:|")
    for cfg in grid:
        if cfg[0] * cfg[1] * cfg[3] > 32 * 100 * 256:
            continue
        t = measure(make_double_backward_methods(*cfg), budget / 2, min_rounds, clock)
        print(
            f"| {', '.join(map(str, cfg))} | {t['torch'] * 1e3:.2f} | {t['explicit'] / t['torch']:.2f} |",
            flush=True,
        )
    if args.no_variants:
        return
    print(
        "\nVariants, forward + backward in training mode: `x / torch` is the ratio to plain torch.nn.LSTM, "
        "`naive / x` the speedup over a per-step autograd loop of LSTMCell with the same variant\n"
    )
    names = list(VARIANTS)
    print(
        "| B, T, F, H, L | torch f+b ms | " + " | ".join(f"{n} / torch | naive / {n}" for n in names) + " |"
    )
    print("|---|---:|" + "---:|---:|" * len(names))
    for cfg in grid:
        t = measure(make_variant_methods(*cfg), budget, min_rounds, clock)
        cells = " | ".join(f"{t[n] / t['torch']:.2f} | {t[n + '_naive'] / t[n]:.2f}" for n in names)
        print(f"| {', '.join(map(str, cfg))} | {t['torch'] * 1e3:.2f} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
