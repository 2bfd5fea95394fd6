"""Committed model folders of every format version still load and predict (io/model_dir.py says how to add one);
committed training checkpoints of every checkpoint format still resume."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import main
from lstmkit.io import FORMAT_VERSION, load_model_dir
from lstmkit.models.forecaster import LSTMForecaster

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VERSIONS = range(1, FORMAT_VERSION + 1)


def test_every_format_version_has_a_fixture_of_every_task():
    for version in VERSIONS:
        for task in ("forecast", "classify", "text"):
            assert (FIXTURES / f"format_v{version}" / task / "model" / "config.json").is_file(), (
                version,
                task,
            )


@pytest.mark.parametrize("version", VERSIONS)
def test_forecaster_fixture_loads_and_predicts_what_it_did(version, tmp_path):
    folder = FIXTURES / f"format_v{version}" / "forecast"
    config, _ = load_model_dir(folder / "model", task="forecast")
    assert config["format_version"] == FORMAT_VERSION  # migrated to the current format
    expected = pd.read_csv(folder / "expected.csv")
    got = LSTMForecaster.load(folder / "model").predict(folder / "series.csv")
    assert list(got.columns) == list(expected.columns)
    assert got["time"].tolist() == expected["time"].tolist()
    np.testing.assert_allclose(
        got.drop(columns="time").to_numpy(float), expected.drop(columns="time").to_numpy(float), rtol=1e-5
    )
    out = tmp_path / "f.csv"
    assert (
        main(["predict", "--model", str(folder / "model"), str(folder / "series.csv"), "--output", str(out)])
        == 0
    )
    assert pd.read_csv(out).shape == expected.shape


def test_fixture_files_stay_tiny():
    sizes = [p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file()]
    assert max(sizes) < 20_000


@pytest.mark.parametrize("version", VERSIONS)
def test_classifier_fixture_loads_and_scores_what_it_did(version):
    from lstmkit.data.ts_format import read_ts
    from lstmkit.models.classifier import LSTMClassifier

    folder = FIXTURES / f"format_v{version}" / "classify"
    expected = pd.read_csv(folder / "expected.csv")
    model = LSTMClassifier.load(folder / "model")
    assert list(model.classes_) == list(expected.columns)
    np.testing.assert_allclose(
        model.predict_proba(read_ts(folder / "cases.ts")), expected.to_numpy(), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_language_model_fixture_loads_scores_and_samples_what_it_did(version):
    import json

    from lstmkit.models.language_model import LanguageModel

    folder = FIXTURES / f"format_v{version}" / "text"
    expected = json.loads((folder / "expected.json").read_text())
    model = LanguageModel.load(folder / "model")
    corpus = (folder / "corpus.txt").read_text()
    assert model.score(corpus).bits_per_char == pytest.approx(expected["bits_per_char"], rel=1e-5)
    assert model.sample("the ", length=20, seed=3) == expected["sample"]


CHECKPOINTS = sorted(FIXTURES.glob("checkpoint_v*"))


def test_the_current_checkpoint_format_has_a_fixture():
    from lstmkit.io.checkpoint import FORMAT

    assert FIXTURES / f"checkpoint_v{FORMAT}" in CHECKPOINTS


@pytest.mark.parametrize("folder", CHECKPOINTS, ids=[p.name for p in CHECKPOINTS])
def test_a_committed_training_checkpoint_resumes(folder, tmp_path):
    """A checkpoint an older lstmkit left behind (text train, 2 of 4 epochs) still resumes."""
    source = folder / "text"
    out = tmp_path / "out"
    shutil.copytree(source, out / ".checkpoints", ignore=shutil.ignore_patterns("corpus.txt"))
    rows = json.loads((source / "train.json").read_text())["state"]["history"]
    flags = [
        "--hidden-size",
        "4",
        "--num-layers",
        "1",
        "--set",
        "model.embedding_dim=2",
        "--set",
        "data.chunk_len=16",
        "--set",
        "trainer.patience=100",
        "--quiet",
    ]
    assert (
        main(
            [
                "text",
                "train",
                str(source / "corpus.txt"),
                "--epochs",
                "4",
                "--resume",
                *flags,
                "--output",
                str(out),
            ]
        )
        == 0
    )
    history = pd.read_csv(out / "history.csv")
    assert len(history) == 4 and np.allclose(history["train_loss"][:2], [r["train_loss"] for r in rows[:2]])
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "history.csv",
        "model.safetensors",
        "report.html",
    ]


@pytest.mark.parametrize("folder", CHECKPOINTS, ids=[p.name for p in CHECKPOINTS])
@pytest.mark.parametrize("command", ["train", "forecast"])
def test_a_forecast_resume_refuses_a_committed_checkpoint_of_another_job(folder, command, tmp_path, capsys):
    """The text checkpoint records no task (it predates that): 'train --resume' found no final.json beside it,
    trained afresh and removed it (exit 0)."""
    out = tmp_path / "out"
    shutil.copytree(folder / "text", out / ".checkpoints", ignore=shutil.ignore_patterns("corpus.txt"))
    kept = {p.name: p.read_bytes() for p in (out / ".checkpoints").iterdir()}
    series = FIXTURES / "format_v1" / "forecast" / "series.csv"
    argv = [
        command,
        str(series),
        "--horizon",
        "3",
        "--epochs",
        "1",
        "--quiet",
        "--resume",
        "--output",
        str(out),
    ]
    assert main(argv) == 2
    ours = "holdout.json or final.json" if command == "forecast" else "final.json"
    assert capsys.readouterr().err == (
        f"error: --resume: {out / '.checkpoints'} holds train.json, not this command's {ours}: another command's "
        "interrupted run; resume it with the command that started it, or choose another --output\n"
    )
    assert {p.name: p.read_bytes() for p in (out / ".checkpoints").iterdir()} == kept
    assert sorted(p.name for p in out.iterdir()) == [".checkpoints"]
