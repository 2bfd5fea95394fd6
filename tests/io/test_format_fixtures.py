"""Committed model folders of every format version still load and predict (io/model_dir.py says how to add one)."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import main
from lstmkit.io import FORMAT_VERSION, load_model_dir
from lstmkit.models.forecaster import LSTMForecaster

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VERSIONS = range(1, FORMAT_VERSION + 1)


def test_every_format_version_has_a_fixture():
    for version in VERSIONS:
        assert (FIXTURES / f"format_v{version}" / "forecast" / "model" / "config.json").is_file(), version


@pytest.mark.parametrize("version", VERSIONS)
def test_forecaster_fixture_loads_and_predicts_what_it_did(version, tmp_path):
    folder = FIXTURES / f"format_v{version}" / "forecast"
    config, _ = load_model_dir(folder / "model", task="forecast")
    assert config["format_version"] == FORMAT_VERSION  # migrated to the current format
    expected = pd.read_csv(folder / "expected.csv")
    got = LSTMForecaster.load(folder / "model").predict(folder / "series.csv")
    assert list(got.columns) == list(expected.columns)
    assert got["time"].tolist() == expected["time"].tolist()
    np.testing.assert_allclose(got.drop(columns="time").to_numpy(float), expected.drop(columns="time").to_numpy(float), rtol=1e-5)
    out = tmp_path / "f.csv"
    assert main(["predict", "--model", str(folder / "model"), str(folder / "series.csv"), "--output", str(out)]) == 0
    assert pd.read_csv(out).shape == expected.shape


def test_fixture_files_stay_tiny():
    sizes = [p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file()]
    assert max(sizes) < 20_000
