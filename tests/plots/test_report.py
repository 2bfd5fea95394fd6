"""report.html: the page builder (escaping, highlighting, data URIs) and every job's report, validated by
tidy and rendered by headless Chromium where those are installed (`make test` installs them)."""

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import main
from lstmkit.plots.report import Report, png_data_uri

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIDY = shutil.which("tidy")
FAST = ["--epochs", "3", "--hidden-size", "8", "--quiet"]
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make browser-deps)")
needs_tidy = pytest.mark.skipif(TIDY is None, reason="tidy is not installed (make browser-deps)")


# ----------------------------------------------------------------------------- the page builder


def test_text_is_escaped_and_the_best_cell_highlighted(tmp_path):
    rep = Report("a <b> & c", subtitle="x < y")
    rep.table(
        ["method", "MASE", "coverage"],
        [["<lstm>", 0.8, 0.7], ["naive", 1.2, 0.8], ["ets", float("nan"), 0.95]],
        best={1: "min", 2: 0.8},
    )
    html = rep.write(tmp_path / "r.html").read_text()
    assert "<title>a &lt;b&gt; &amp; c</title>" in html and "x &lt; y" in html and "&lt;lstm&gt;" in html
    assert re.findall(r'<td class="best">([^<]*)</td>', html) == [
        "0.8",
        "0.8",
    ]  # MASE min; coverage closest to 0.8
    assert "<td>–</td>" in html  # NaN shown as a dash, never highlighted


def test_figures_are_data_uris(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    rep = Report("t")
    rep.figure(png, alt="a figure", caption="c")
    assert png_data_uri(png) == "data:image/png;base64,iVBORw0KGgoAAAAAAAAAAA=="
    assert f'<img src="{png_data_uri(png)}" alt="a figure">' in rep.render()


# ----------------------------------------------------------------------------- every job's report


@pytest.fixture(scope="module")
def runs(tmp_path_factory, slopes_ts):
    """Every reporting command, run once: name -> report path."""
    root = tmp_path_factory.mktemp("reports")
    t = np.arange(60)
    pd.DataFrame(
        {
            "month": pd.period_range("2001-01", periods=60, freq="M").astype(str),
            "sales": 100 + t + 10 * np.sin(2 * np.pi * t / 12),
        }
    ).to_csv(root / "sales.csv", index=False)
    slopes_ts(root / "cases.ts")
    (root / "corpus.txt").write_text("the cat sat on the mat. " * 30, encoding="utf-8")
    sales, lm = str(root / "sales.csv"), ["--set", "model.embedding_dim=4", "--set", "data.chunk_len=8"]
    commands = {
        "forecast": [
            "forecast",
            sales,
            "--horizon",
            "6",
            "--set",
            "model.ensemble=2",
            "--output",
            str(root / "fc"),
            *FAST,
        ],
        "train": [
            "train",
            sales,
            "--horizon",
            "6",
            "--set",
            "model.ensemble=2",
            "--output",
            str(root / "tr"),
            *FAST,
        ],
        "evaluate": [
            "evaluate",
            "--model",
            str(root / "tr"),
            sales,
            "--backtest",
            "2",
            "--output",
            str(root / "ev.json"),
        ],
        "classify train": [
            "classify",
            "train",
            str(root / "cases.ts"),
            "--output",
            str(root / "clf"),
            "--set",
            "model.conv_channels=4,4,4",
            *FAST,
        ],
        "classify evaluate": [
            "classify",
            "evaluate",
            "--model",
            str(root / "clf"),
            str(root / "cases.ts"),
            "--output",
            str(root / "clf-eval"),
        ],
        "text train": ["text", "train", str(root / "corpus.txt"), "--output", str(root / "lm"), *lm, *FAST],
        "text evaluate": [
            "text",
            "evaluate",
            "--model",
            str(root / "lm"),
            str(root / "corpus.txt"),
            "--output",
            str(root / "lm-eval"),
        ],
    }
    for argv in commands.values():
        assert main(argv) == 0, argv
    return {
        "forecast": root / "fc" / "report.html",
        "train": root / "tr" / "report.html",
        "evaluate": root / "ev.html",
        "classify train": root / "clf" / "report.html",
        "classify evaluate": root / "clf-eval" / "report.html",
        "text train": root / "lm" / "report.html",
        "text evaluate": root / "lm-eval" / "report.html",
    }, commands


EXPECTED = {  # title start and texts each page must hold
    "forecast": (
        "Forecast: sales",
        [
            "Hold-out comparison",
            "seasonal_naive",
            "MASE",
            "What the gates did",
            "Reproduce",
            "frequency detected",
            "log transform",
        ],
    ),
    "train": ("Training: sales", ["Training", "What the gates did", "ensemble lookbacks"]),
    "evaluate": ("Evaluation: sales", ["Backtest", "2 rolling origin(s) of 6 steps", "MASE"]),
    "classify train": ("Classifier training: cases.ts", ["Training", "features per step"]),
    "classify evaluate": (
        "Classifier evaluation: cases.ts",
        ["accuracy (share)", "macro-F1", "precision", "recall", "Misclassified cases", "confusion matrix"],
    ),
    "text train": ("Language model training:", ["bits per character", "temperature 0.5", "temperature 1"]),
    "text evaluate": ("Language model evaluation:", ["bits per character", "characters scored"]),
}


@pytest.mark.parametrize("job", list(EXPECTED))
def test_every_job_writes_a_self_contained_report(runs, job):
    paths, commands = runs
    html = paths[job].read_text(encoding="utf-8")
    title, texts = EXPECTED[job]
    assert re.search(r"<title>([^<]*)</title>", html).group(1).startswith(title)
    for text in texts:
        assert text in html, text
    assert "<script" not in html and "<link" not in html and not re.search(r'(src|href)="(?!data:)', html)
    assert html.count('src="data:image/png;base64,') >= 1
    assert ("lstmkit " + " ".join(commands[job][:2])) in html  # the exact command


def test_the_forecast_table_highlights_the_best_of_each_metric(runs):
    import json

    paths, _ = runs
    html = paths["forecast"].read_text()
    scores = json.loads((paths["forecast"].parent / "metrics.json").read_text())["scores"]
    best_mase = min(row["mase"] for row in scores.values())
    assert f'<td class="best">{best_mase:.4g}</td>' in html


def test_no_report_turns_it_off(tmp_path):
    t = np.arange(48)
    pd.DataFrame({"y": 10 + np.sin(t / 2) + t * 0.1}).to_csv(tmp_path / "y.csv", index=False)
    assert (
        main(
            [
                "train",
                str(tmp_path / "y.csv"),
                "--horizon",
                "4",
                "--output",
                str(tmp_path / "m"),
                "--set",
                "model.ensemble=1",
                "--no-report",
                *FAST,
            ]
        )
        == 0
    )
    assert (tmp_path / "m" / "config.json").is_file() and not (tmp_path / "m" / "report.html").exists()


@needs_tidy
@pytest.mark.parametrize("job", list(EXPECTED))
def test_reports_are_valid_html(runs, job):
    paths, _ = runs
    done = subprocess.run(
        [TIDY, "-e", "-q", str(paths[job])], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr  # 0: no errors and no warnings


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("job, width", [("forecast", 1000), ("classify evaluate", 390), ("text train", 390)])
def test_reports_render_in_headless_chromium(runs, tmp_path, job, width):
    from matplotlib.image import imread

    paths, _ = runs
    url = paths[job].resolve().as_uri()
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, f"--screenshot={shot}", f"--window-size={width},1600", url)
    pixels = imread(shot)[..., :3]  # (H, W, 3) in [0, 1]
    assert pixels.shape[:2] == (1600, width)
    ink = (pixels.min(axis=-1) < 0.9).mean()  # share of pixels that are not (near) white
    assert 0.02 < ink < 0.9 and pixels.std() > 0.05
    dom = _chromium(tmp_path, "--dump-dom", url).stdout
    title, texts = EXPECTED[job]
    assert re.search(r"<title>([^<]*)</title>", dom).group(1).startswith(title)
    assert "<table>" in dom and all(text in dom for text in texts[:2])


def test_scores_and_references_tables_take_whatever_methods_are_present():
    from lstmkit.plots.report_forecast import references_table, scores_table

    rep = Report("t")
    scores = {
        "lstmkit": {"mase": 0.5, "coverage": 0.9, "coverage_nominal": 0.8, "crps": 2.0},
        "AutoETS": {"mase": 0.7, "coverage": 0.75, "coverage_nominal": 0.8},
        "combo": {"mase": 0.6},
    }
    scores_table(rep, scores, caption="c")
    references_table(
        rep, {"AutoETS": {"form": "ETS(M,A,M)", "status": "ok"}, "AutoARIMA": {"status": "failed: too short"}}
    )
    html = rep.render()
    header = re.search(r"<thead><tr>(.*?)</tr></thead>", html).group(1)
    assert re.findall(r">([^<]+)</th>", header) == [
        "method",
        "MASE",
        "coverage",
        "crps",
    ]  # no *_nominal column
    assert re.findall(r'<td class="best">([^<]*)</td>', html) == [
        "0.5",
        "2",
        "0.75",
    ]  # coverage closest to 0.8
    assert "<td>combo</td><td>0.6</td><td>–</td><td>–</td>" in html
    assert (
        '<td>AutoARIMA</td><td></td><td class="text">failed: too short</td>' in html and "ETS(M,A,M)" in html
    )


def test_per_series_forms_read_as_text_grouped_by_form_not_as_a_python_dict():
    from lstmkit.plots.report_forecast import references_table

    rep = Report("t")
    references_table(
        rep,
        {
            "ets": {"forms": {"a": "ETS(M,A,A)", "b": "ETS(M,A,M)", "c": "ETS(M,A,M)"}, "fallbacks": {}},
            "naive": {"forms": {"a": "last value", "b": "last value", "c": "last value"}, "fallbacks": {}},
            "arima": {"forms": {"a": "ARIMA(0,1,1)"}, "fallbacks": {"b": "fit failed", "c": "fit failed"}},
        },
    )
    html = rep.render()
    assert (
        '<td>ets</td><td class="text">ETS(M,A,M): b, c; ETS(M,A,A): a</td><td class="text">none</td>' in html
    )
    assert '<td>naive</td><td class="text">last value</td><td class="text">none</td>' in html
    assert (
        '<td>arima</td><td class="text">ARIMA(0,1,1): a</td><td class="text">fit failed: b, c</td>' in html
    )  # not every series
    assert "{" not in html.split("<body>")[-1]  # no dict repr anywhere in the page's body
