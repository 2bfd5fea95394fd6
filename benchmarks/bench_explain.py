"""The cost of ``explain`` on a forecaster, against the forecast itself (not a test; results in benchmarks/README.md).

Issue 12's target: explaining a forecaster's window costs no more than 3 forward passes' time
plus the attribution. For the airpassengers defaults (5 members, hidden 32) and two heavier
settings (layer norm; hidden 128), interleaved in one process, median of many repetitions:

* forward: the network's forecast of the window (all members), ``torch.no_grad()``;
* gates: :func:`lstmkit.explain.member_gates` (one traced pass of one member, to numpy);
* attribution: :func:`lstmkit.explain.window_attributions` (adaptive integrated gradients).

Weights are barely trained (3 epochs): the cost does not depend on their values.
Run: ``.venv/bin/python benchmarks/bench_explain.py [--repeats 200]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch


def timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def measure(settings: dict, repeats: int) -> tuple[float, float, float, int]:
    from lstmkit.explain import forecast_window, member_gates, window_attributions
    from lstmkit.models.forecaster import LSTMForecaster

    torch.manual_seed(0)
    model = LSTMForecaster(12, epochs=3, **settings).fit("airpassengers")
    net, data = model.net.eval(), model.data_
    win = forecast_window(model, data, None)

    def forward():
        with torch.no_grad():
            net(win.x, win.scale, win.cov, win.first)

    times: dict[str, list[float]] = {"forward": [], "gates": [], "attr": []}
    for _ in range(5):  # warm-up
        forward(), member_gates(net, win), window_attributions(net, win)
    for _ in range(repeats):  # interleaved, so load on the machine hits all three alike
        times["forward"] += timed(forward, 1)
        times["gates"] += timed(lambda: member_gates(net, win), 1)
        times["attr"] += timed(lambda: window_attributions(net, win), 1)
    med = {k: statistics.median(v) for k, v in times.items()}
    return med["forward"], med["gates"], med["attr"], net.window


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cases = {
        "defaults (hidden 32, 5 members)": {},
        "layer norm": {"model.variants.layer_norm": True},
        "hidden 128": {"hidden_size": 128},
    }
    print(
        f"{'model':34s} {'window':>6s} {'forward ms':>11s} {'gates ms':>9s} {'gates/fwd':>9s} {'attr ms':>8s} {'attr/fwd':>8s}"
    )
    for name, settings in cases.items():
        fwd, gates, attr, W = measure(settings, args.repeats)
        print(
            f"{name:34s} {W:6d} {fwd * 1e3:11.2f} {gates * 1e3:9.2f} {gates / fwd:9.2f} {attr * 1e3:8.2f} {attr / fwd:8.1f}"
        )


if __name__ == "__main__":
    main()
