import json
import pickle

import pytest
import torch

from lstmkit.errors import CheckpointError
from lstmkit.io import FORMAT_VERSION, atomic_output, load_model_dir, save_model_dir


def test_round_trip(tmp_path):
    tensors = {"w": torch.randn(3, 4), "b": torch.arange(5.0)}
    save_model_dir(tmp_path / "m", task="forecast", config={"lookback": 24}, tensors=tensors)
    config, loaded = load_model_dir(tmp_path / "m", task="forecast")
    assert (
        config["lookback"] == 24
        and config["format_version"] == FORMAT_VERSION
        and config["task"] == "forecast"
    )
    assert torch.equal(loaded["w"], tensors["w"]) and torch.equal(loaded["b"], tensors["b"])


def test_output_folder_holding_model_is_accepted(tmp_path):
    save_model_dir(
        tmp_path / "run" / "model", task="forecast", config={"season": 12}, tensors={"w": torch.ones(2)}
    )
    config, _ = load_model_dir(tmp_path / "run")
    assert config["season"] == 12


def test_missing_and_wrong_task(tmp_path):
    with pytest.raises(CheckpointError, match=r"model folder .*nope not found"):
        load_model_dir(tmp_path / "nope")
    save_model_dir(tmp_path / "m", task="classify", config={}, tensors={"w": torch.zeros(1)})
    with pytest.raises(CheckpointError, match=r"holds a 'classify' model, not a 'forecast' model"):
        load_model_dir(tmp_path / "m", task="forecast")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    del config["task"]
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(  # it said "holds a None model"
        CheckpointError,
        match=r"config.json has no 'task'; it is not an lstmkit model config, train the model again$",
    ):
        load_model_dir(tmp_path / "m", task="forecast")
    (tmp_path / "m" / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="has no model.safetensors; it is incomplete"):
        load_model_dir(tmp_path / "m")


class Boom:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def test_pickle_in_place_of_weights_is_refused_and_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_model_dir(tmp_path / "m", task="forecast", config={}, tensors={"w": torch.zeros(1)})
    (tmp_path / "m" / "model.safetensors").write_bytes(pickle.dumps(Boom()))
    with pytest.raises(
        CheckpointError, match="is a pickle or torch.save file, not safetensors; lstmkit never unpickles"
    ):
        load_model_dir(tmp_path / "m")
    assert not (tmp_path / "PWNED").exists()
    torch.save({"w": Boom()}, tmp_path / "m" / "model.safetensors")  # a torch.save zip archive
    with pytest.raises(CheckpointError, match="is a pickle or torch.save file"):
        load_model_dir(tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").write_bytes(b"{" + b"x" * 50)  # neither: safetensors' own error
    with pytest.raises(CheckpointError, match="is not a valid safetensors file"):
        load_model_dir(tmp_path / "m")
    assert not (tmp_path / "PWNED").exists()


def test_newer_format_and_damaged_config(tmp_path):
    save_model_dir(tmp_path / "m", task="forecast", config={}, tensors={"w": torch.zeros(1)})
    cfg = tmp_path / "m" / "config.json"
    data = json.loads(cfg.read_text())
    cfg.write_text(json.dumps({**data, "format_version": FORMAT_VERSION + 1}))
    with pytest.raises(CheckpointError, match="newer than this lstmkit reads"):
        load_model_dir(tmp_path / "m")
    cfg.write_text('{"format_version": 1, ')
    with pytest.raises(CheckpointError, match="is not valid JSON"):
        load_model_dir(tmp_path / "m")


def test_atomic_output_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_output_gives_an_ordinary_file_mode(tmp_path):
    import os

    with atomic_output(tmp_path / "f.csv") as tmp:
        tmp.write_text("x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "f.csv").stat().st_mode & 0o777 == 0o666 & ~mask
