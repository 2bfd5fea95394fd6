"""The bundled dataset registry."""

import pytest

from lstmkit.data.datasets import REGISTRY, dataset_stem, resolve_dataset
from lstmkit.data.tabular import load_series
from lstmkit.errors import DataError


def test_airpassengers_is_bundled_and_reads_as_144_months():
    data = load_series("airpassengers")
    assert REGISTRY["airpassengers"].task == "forecast"
    assert len(data.series[0].target) == 144 and data.freq == "M" and data.series[0].target[0] == 112


def test_unknown_name_lists_the_bundled_ones():
    with pytest.raises(DataError, match="bundled datasets are: airpassengers"):
        resolve_dataset("airpasengers")


def test_stem_for_default_output_folder(tmp_path):
    assert dataset_stem("airpassengers") == "airpassengers"
    assert dataset_stem(tmp_path / "sales.csv") == "sales"
