"""The jobs' shared base: one not-fitted error, the attribute names, and save/load of the model folder."""

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from lstmkit.errors import CheckpointError, DataError, LstmkitError, NotFittedError
from lstmkit.models.base import Job
from lstmkit.models.classifier import LSTMClassifier
from lstmkit.models.forecast_state import ForecastState
from lstmkit.models.forecaster import LSTMForecaster
from lstmkit.models.language_model import LanguageModel
from lstmkit.models.text_classifier import TextClassifier

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "format_v1"
JOBS = [LSTMForecaster, LSTMClassifier, LanguageModel, TextClassifier]
FIXTURE_JOBS = {"forecast": LSTMForecaster, "classify": LSTMClassifier, "text": LanguageModel}


@pytest.mark.parametrize("cls", JOBS, ids=lambda c: c.__name__)
def test_an_unfitted_job_raises_one_error_that_says_the_fix(cls, tmp_path):
    model = cls()
    assert isinstance(model, Job) and model.network_ is None and model.history_ is None
    message = f"this {cls.__name__} is not fitted yet; call fit() or {cls.__name__}.load() first"
    with pytest.raises(NotFittedError, match=f"^{message}$".replace("(", r"\(").replace(")", r"\)")):
        model.network  # noqa: B018
    with pytest.raises(NotFittedError):
        model.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()
    assert issubclass(NotFittedError, DataError) and issubclass(NotFittedError, LstmkitError)


@pytest.mark.parametrize("cls", JOBS, ids=lambda c: c.__name__)
def test_a_missing_folder_names_the_command_that_writes_one(cls, tmp_path):
    with pytest.raises(CheckpointError) as info:
        cls.load(tmp_path / "none")
    assert (
        str(info.value)
        == f"model folder {tmp_path / 'none'} not found; pass the folder written by {cls.written_by}"
    )


@pytest.mark.parametrize("task", FIXTURE_JOBS)
def test_net_and_history_are_the_old_names_of_network_and_history_(task):
    model = FIXTURE_JOBS[task].load(FIXTURES / task / "model")
    assert model.net is model.network_ is model.network and not model.network.training
    model.history = "h"
    assert model.history_ == "h"


@pytest.mark.parametrize("task", FIXTURE_JOBS)
def test_a_loaded_folder_saves_as_it_was_read(task, tmp_path):
    """Weights byte for byte, every key of config.json but the settings (which gained new fields since) equal;
    a second save is byte-identical to the first."""
    source = FIXTURES / task / "model"
    first = FIXTURE_JOBS[task].load(source).save(tmp_path / "a")
    if task == "forecast":  # the interval widening added since v1, at its v1 meaning (none)
        weights, saved = (load_file(p / "model.safetensors") for p in (source, first))
        torch.testing.assert_close(saved.pop("interval_scale"), torch.ones(2))
        assert saved.keys() == weights.keys()
        assert all(torch.equal(saved[k], weights[k]) for k in weights)
    else:
        assert (first / "model.safetensors").read_bytes() == (source / "model.safetensors").read_bytes()
    old, new = (json.loads((p / "config.json").read_text()) for p in (source, first))
    assert old.keys() == new.keys() and old["task"] == new["task"] == task
    if task == "forecast":  # the typed state writes the fields added since v1, at their v1 meaning
        added = {k: new["fitted"].pop(k) for k in set(new["fitted"]) - set(old["fitted"])}
        defaults = {f.name: f.default for f in dataclasses.fields(ForecastState)}
        assert added == {"calendar": False, "baseline": "none", "drift": 0.0, "nonnegative": False}
        assert all(defaults[k] == v for k, v in added.items())
    assert {k: v for k, v in old.items() if k not in ("settings", "lstmkit_version")} == {
        k: v for k, v in new.items() if k not in ("settings", "lstmkit_version")
    }
    second = FIXTURE_JOBS[task].load(first).save(tmp_path / "b")
    for name in ("config.json", "model.safetensors"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path):
    source = FIXTURES / "classify" / "model"
    folder = tmp_path / "m"
    folder.mkdir()
    config = json.loads((source / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "n_features": config["n_features"] + 1}))
    (folder / "model.safetensors").write_bytes((source / "model.safetensors").read_bytes())
    with pytest.raises(
        CheckpointError, match=r": the weights do not match config\.json \(.*\); train the model again$"
    ):
        LSTMClassifier.load(folder)


def test_a_class_listed_twice_in_config_json_is_refused(tmp_path):
    """An edited 'classes' with a repeated label wrote predictions with two p_<label> columns."""
    source = FIXTURES / "classify" / "model"
    folder = tmp_path / "m"
    folder.mkdir()
    config = json.loads((source / "config.json").read_text())
    first = config["classes"][0]
    (folder / "config.json").write_text(json.dumps({**config, "classes": [first] * len(config["classes"])}))
    (folder / "model.safetensors").write_bytes((source / "model.safetensors").read_bytes())
    with pytest.raises(
        CheckpointError,
        match=rf"m: config\.json is not a valid classifier config \('classes' lists '{first}' more than once\); "
        "train the model again$",
    ):
        LSTMClassifier.load(folder)


def test_a_job_without_onnx_export_says_so(tmp_path):
    from lstmkit.errors import ConfigError

    model = LanguageModel.load(FIXTURES / "text" / "model")
    with pytest.raises(ConfigError) as info:
        model.to_onnx(tmp_path / "m.onnx")
    assert str(info.value) == (
        "ONNX export covers forecasters and sequence classifiers, not a text model; "
        "use save() for a model folder lstmkit loads"
    )
    assert not (tmp_path / "m.onnx").exists()
