"""Forecasting speed and memory, side by side in one run (not tests; results go in benchmarks/README.md).

1. ``lstmkit forecast airpassengers --horizon 12`` end to end (process start to files written),
   against a script that fits StatsForecast's AutoETS, AutoARIMA and AutoTheta twice (hold-out
   and final), imports included: median wall and CPU seconds of ``--repeats`` interleaved runs.
2. Training throughput in windows per second: lstmkit's trainer on the forecaster's network
   (windows gathered from views each batch, per-series scale), against a plain PyTorch loop
   (pre-built windows, Adam, clipping) over the same network; after a warm-up, interleaved, best of two.
3. Peak memory (max RSS) of ``lstmkit train`` on a 1-million-point CSV series (windows are views).
4. With ``--panel``: ``lstmkit forecast --id-col`` on a synthetic long-format file of 150 monthly
   series of 225-970 points (different end months; seed 7), against a script fitting StatsForecast's
   AutoETS per series twice (hold-out and final): wall seconds and the hold-out MASE table. Minutes.

Run: ``.venv/bin/python benchmarks/bench_forecast.py [--points 1000000] [--skip-memory] [--panel]``
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LSTMKIT = [sys.executable, "-m", "lstmkit"]


STATSFORECAST_SCRIPT = """
import numpy as np
from lstmkit.data.tabular import load_series
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta
y = load_series("airpassengers").series[0].target
for history in (y[:-12], y):  # the hold-out and the final fit, as lstmkit forecast does
    for model in (AutoETS(season_length=12), AutoARIMA(season_length=12), AutoTheta(season_length=12)):
        model.fit(history).predict(12, level=[80])
"""


def timed(command: list[str], tmp: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one whole-process run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=tmp, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def end_to_end(tmp: Path, repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds of lstmkit forecast and of the StatsForecast script, interleaved."""
    ours = [*LSTMKIT, "forecast", "airpassengers", "--horizon", "12", "--output", str(tmp / "air"), "--quiet"]
    reference = [sys.executable, "-c", STATSFORECAST_SCRIPT]
    runs = [(timed(ours, tmp), timed(reference, tmp)) for _ in range(repeats)]
    median = lambda pairs: tuple(float(np.median([p[i] for p in pairs])) for i in range(2))  # noqa: E731
    return {"lstmkit": median([r[0] for r in runs]), "statsforecast": median([r[1] for r in runs])}


def throughput(*, n: int = 20000, epochs: int = 3, batch: int = 32) -> tuple[float, float]:
    """(lstmkit windows/s, plain PyTorch windows/s) on the same network and windows."""
    import torch

    from lstmkit.data.windows import gather_windows, window_starts
    from lstmkit.networks.forecast_net import ForecastNet, member_loss
    from lstmkit.train import TrainerConfig, fit, set_seed

    torch.set_num_threads(1)
    t = np.arange(n)
    series = torch.tensor(10 + np.sin(2 * np.pi * t / 24) + 0.01 * t, dtype=torch.float32).unsqueeze(
        1
    )  # (T, 1)
    L, H = 48, 24

    def make():
        set_seed(0)
        return ForecastNet(lookbacks=[L], horizon=H, hidden_size=32, season=24)

    index = window_starts([n], length=L + H, horizon=H, val_fraction=0.0)
    scale = torch.ones(len(index.train))
    windows = len(index.train) * epochs

    net = make()

    class Members(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, u):
            return self.net.members_out(u)

    def loss_fn(model, b):
        win = gather_windows(series, b[0], L + H)
        u, level = net.normalise(win[:, :L, 0], None, b[1].unsqueeze(1))
        return member_loss(model(u), (win[:, L:, 0] - level) / b[1].unsqueeze(1), ())

    cfg = TrainerConfig(
        epochs=epochs, batch_size=batch, lr=1e-3, patience=epochs + 1, lr_schedule="none", device="cpu"
    )

    def run_ours() -> float:
        nonlocal net
        net = make()
        started = time.perf_counter()
        fit(Members(), loss_fn, (index.train, scale), None, config=cfg)
        return windows / (time.perf_counter() - started)

    # the plain loop people write: materialise every window, shuffle, step
    all_windows = series.squeeze(1).unfold(0, L + H, 1)[index.train].clone()  # (N, L + H), a copy
    x, y = all_windows[:, :L], all_windows[:, L:]

    def run_plain() -> float:
        plain_net = make()
        opt = torch.optim.Adam(plain_net.parameters(), lr=1e-3)
        started = time.perf_counter()
        for _ in range(epochs):
            order = torch.randperm(len(x))
            for idx in order.split(batch):
                level = x[idx][:, -24:].mean(1, keepdim=True)
                u = (x[idx] - level).unsqueeze(-1)
                out = plain_net.members_out(u)
                loss = ((out[..., 0] - (y[idx] - level).unsqueeze(0)) ** 2).mean()
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(plain_net.parameters(), 1.0)
                opt.step()
        return windows / (time.perf_counter() - started)

    run_plain()  # warm-up: the first pass pays for allocations and lazy loading, whichever runs it
    results = [(run_ours(), run_plain()) for _ in range(2)]  # interleaved; the best of each
    return max(r[0] for r in results), max(r[1] for r in results)


def long_series_seconds(points: tuple[int, ...] = (1355, 2710, 5420)) -> list[tuple[int, float, float]]:
    """(points, seconds per fit, of which the classical members) of the default forecaster on weekly
    series with a yearly season (52): windows are sampled per epoch, so the cost should grow slower
    than the length."""
    import torch

    from lstmkit.models.forecaster import LSTMForecaster

    torch.set_num_threads(1)
    out = []
    for n in points:
        t = np.arange(n)
        rng = np.random.default_rng(n)
        y = 200 + 0.05 * t + 30 * np.sin(2 * np.pi * t / 52.18) + rng.normal(0, 5, n)
        dates = np.datetime64("1990-01-07") + (7 * t).astype("timedelta64[D]")
        frame = __import__("pandas").DataFrame({"week": np.datetime_as_string(dates, unit="D"), "sales": y})
        started = time.perf_counter()
        model = LSTMForecaster(13).fit(frame)
        total = time.perf_counter() - started
        from lstmkit.evaluate import reference_worker, references
        from lstmkit.models.forecast_combination import member_forecasts

        references._FITS.clear()  # time a fresh fit of the members (fit already fitted them on y)
        reference_worker.forget()
        started = time.perf_counter()
        member_forecasts([y], horizon=13, season=model.state.season)
        out.append((n, total, time.perf_counter() - started))
    return out


AUTOETS_PANEL_SCRIPT = """
import sys
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS
frame = pd.read_csv(sys.argv[1])
frame = pd.DataFrame({"unique_id": frame["id"], "ds": pd.PeriodIndex(frame["month"], freq="M").to_timestamp(),
                      "y": frame["value"]})
train = frame.groupby("unique_id", group_keys=False)[["unique_id", "ds", "y"]].apply(lambda g: g.iloc[:-18])
for data in (train, frame):  # the hold-out and the final fit, as lstmkit forecast does
    StatsForecast(models=[AutoETS(season_length=12)], freq="MS", n_jobs=1).forecast(df=data, h=18)
"""


def panel_csv(path: Path, *, series: int = 150, seed: int = 7) -> Path:
    """A long-format CSV of monthly series of 225-970 points: level, trend, season, a slow cycle and a random walk."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    parts = []
    for k in range(series):
        n = int(rng.integers(225, 971))
        end = pd.Period("2024-12", freq="M") - int(rng.integers(0, 60))
        t = np.arange(n)
        level = 100 * np.exp(rng.normal(0, 1))
        trend = rng.normal(0.002, 0.003) * t
        season = rng.uniform(0.02, 0.2) * np.sin(2 * np.pi * (t + rng.integers(12)) / 12)
        cycle = rng.uniform(0, 0.15) * np.sin(2 * np.pi * t / rng.uniform(40, 120))
        noise = np.cumsum(rng.normal(0, 0.01, n)) + rng.normal(0, rng.uniform(0.01, 0.08), n)
        months = pd.period_range(end=end, periods=n, freq="M").astype(str)
        values = (level * np.exp(trend + season + cycle + noise)).round(3)
        parts.append(pd.DataFrame({"id": f"s{k:03d}", "month": months, "value": values}))
    pd.concat(parts).to_csv(path, index=False)
    return path


def many_series(tmp: Path) -> tuple[float, float, str]:
    """(lstmkit wall seconds, the AutoETS script's, lstmkit's hold-out table) on :func:`panel_csv`."""
    path = panel_csv(tmp / "panel.csv")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", AUTOETS_PANEL_SCRIPT, str(path)], check=True, capture_output=True)
    autoets = time.perf_counter() - started
    command = [
        *LSTMKIT,
        "forecast",
        str(path),
        "--id-col",
        "id",
        "--horizon",
        "18",
        "--output",
        str(tmp / "panel"),
    ]
    started = time.perf_counter()
    done = subprocess.run([*command, "--no-report"], check=True, capture_output=True, text=True)
    ours = time.perf_counter() - started
    return ours, autoets, done.stdout


def peak_memory(tmp: Path, points: int) -> tuple[float, float]:
    """(peak RSS MB of `lstmkit train` on a `points`-long CSV, seconds)."""
    t = np.arange(points)
    path = tmp / "long.csv"
    stamps = np.datetime64("2000-01-01T00:00") + t.astype("timedelta64[h]")
    values = 100 + 10 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(0).normal(0, 1, points)
    with open(path, "w") as handle:
        handle.write("time,load\n")
        for s, v in zip(np.datetime_as_string(stamps, unit="m"), values):
            handle.write(f"{s},{v:.3f}\n")
    code = (
        "import resource, sys; from lstmkit.cli import main; rc = main(sys.argv[1:]); "
        "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(rc)"
    )
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "train",
            str(path),
            "--horizon",
            "24",
            "--epochs",
            "1",
            "--set",
            "model.ensemble=1",
            "--output",
            str(tmp / "long-model"),
            "--quiet",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp,
    )
    seconds = time.perf_counter() - started
    rss_kb = int(next(line.split()[1] for line in proc.stdout.splitlines() if line.startswith("MAXRSS")))
    return rss_kb / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--panel", action="store_true", help="also time 150 monthly series (minutes)")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONPATH", str(ROOT / "src"))
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        e2e = end_to_end(tmp, args.repeats)
        ours, plain = throughput()
        print(f"{'measure':48s} {'value':>12s}")
        for name, (wall, cpu) in e2e.items():
            print(f"{f'airpassengers H=12 end to end, {name}':48s} {wall:10.1f} s wall {cpu:6.1f} s CPU")
        ratio = e2e["lstmkit"][0] / e2e["statsforecast"][0], e2e["lstmkit"][1] / e2e["statsforecast"][1]
        print(f"{'ratio lstmkit / StatsForecast script':48s} {ratio[0]:10.2f} x wall {ratio[1]:6.2f} x CPU")
        print(f"{'training windows/s, lstmkit trainer':48s} {ours:12.0f}")
        print(f"{'training windows/s, plain PyTorch loop':48s} {plain:12.0f}")
        print(f"{'ratio lstmkit / plain':48s} {ours / plain:12.2f}")
        for n, seconds, classical in long_series_seconds():
            print(
                f"{f'weekly series of {n} points (season 52): one fit':48s} {seconds:10.1f} s ({classical:.1f} s classical)"
            )
        if args.panel:
            ours_s, autoets_s, table = many_series(tmp)
            print(f"{'150 monthly series, lstmkit forecast':48s} {ours_s:10.1f} s wall")
            print(f"{'150 monthly series, AutoETS per series':48s} {autoets_s:10.1f} s wall")
            print(f"{'ratio lstmkit / AutoETS':48s} {ours_s / autoets_s:10.2f} x wall")
            print(table)
        if not args.skip_memory:
            rss, seconds = peak_memory(tmp, args.points)
            print(f"{f'train on {args.points:,} points: peak RSS':48s} {rss:10.0f} MB")
            print(f"{f'train on {args.points:,} points: wall time':48s} {seconds:10.1f} s")
    print(
        f"(torch {__import__('torch').__version__}, {os.cpu_count()} CPUs, max RSS of this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main()
