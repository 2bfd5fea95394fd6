"""Training checkpoints: safetensors + JSON, written so a crash keeps a whole one, read without unpickling."""

import json
import math
import pickle

import pytest
import torch

from lstmkit.errors import CheckpointError
from lstmkit.io import checkpoint as ckpt
from lstmkit.io.checkpoint import load_checkpoint, remove_checkpoint, save_checkpoint


class Boom:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def state(seed=0):
    g = torch.Generator().manual_seed(seed)
    return {
        "epoch": 3,
        "done": False,
        "best_loss": math.inf,
        "history": [{"epoch": 1, "val_loss": math.nan}],
        "model": {"w": torch.randn(3, 2, generator=g), "b": torch.zeros(2, dtype=torch.float64)},
        "optimizer": {
            "state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.ones(2)}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0], "fused": None}],
        },
        "rng": {"torch": [1, 2, 255]},
        "best_state": None,
    }


def test_round_trip_keeps_tensors_types_and_integer_keys(tmp_path):
    save_checkpoint(tmp_path / "c.json", state())
    back = load_checkpoint(tmp_path / "c.json")
    want = state()
    assert torch.equal(back["model"]["w"], want["model"]["w"]) and back["model"]["b"].dtype == torch.float64
    assert list(back["optimizer"]["state"]) == [0]  # an int, as torch's optimizer needs
    assert torch.equal(back["optimizer"]["state"][0]["step"], torch.tensor(3.0))
    assert back["optimizer"]["param_groups"][0]["betas"] == [0.9, 0.999]
    assert back["best_loss"] == math.inf and math.isnan(back["history"][0]["val_loss"])
    assert back["rng"] == {"torch": [1, 2, 255]} and back["best_state"] is None
    record = json.loads((tmp_path / "c.json").read_text())
    assert record["state"]["model"]["w"] == {"__tensor__": "/model/w"}


def test_a_new_checkpoint_replaces_the_old_tensors_file(tmp_path):
    save_checkpoint(tmp_path / "c.json", state(0))
    save_checkpoint(tmp_path / "c.json", state(1))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and names[1] == "c.json"
    assert torch.equal(load_checkpoint(tmp_path / "c.json")["model"]["w"], state(1)["model"]["w"])
    remove_checkpoint(tmp_path / "c.json")
    assert list(tmp_path.iterdir()) == []


def test_a_crash_before_the_json_is_replaced_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    save_checkpoint(tmp_path / "c.json", state(0))

    def crash(path, text):
        raise KeyboardInterrupt  # as if killed between the tensors file and the JSON

    monkeypatch.setattr(ckpt, "atomic_write_text", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "c.json", state(1))
    monkeypatch.undo()
    assert torch.equal(load_checkpoint(tmp_path / "c.json")["model"]["w"], state(0)["model"]["w"])
    save_checkpoint(tmp_path / "c.json", state(2))  # the next save tidies the orphaned tensors file
    assert len(list(tmp_path.iterdir())) == 2


def _tensors_file(tmp_path):
    return next(tmp_path.glob("c-*.safetensors"))


@pytest.mark.parametrize(
    "damage, message",
    [
        (
            "truncate",
            r"checkpoint tensors .*c-[0-9a-f]{12}\.safetensors are truncated or changed \(checksum mismatch\); delete it and run without --resume to start afresh$",
        ),
        ("flip", r"are truncated or changed \(checksum mismatch\)"),
        ("missing", r"checkpoint .*c\.json lacks its tensors file c-[0-9a-f]{12}\.safetensors; delete it"),
        (
            "edit",
            r"checkpoint .*c\.json was changed after it was written \(its checksum does not match\); delete it",
        ),
        ("json", r"checkpoint .*c\.json is damaged \(not JSON: .*\); delete it and run without --resume"),
        ("pickle", r"checkpoint .*c\.json is damaged \(not JSON: .*\)"),
        ("other", r"checkpoint .*c\.json is not an lstmkit training checkpoint \(format 1\)"),
        ("escape", r"lacks its tensors file"),
    ],
)
def test_a_damaged_or_tampered_checkpoint_is_refused_in_one_line(tmp_path, damage, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_checkpoint(tmp_path / "c.json", state())
    path, tensors = tmp_path / "c.json", _tensors_file(tmp_path)
    record = json.loads(path.read_text())
    if damage == "truncate":
        tensors.write_bytes(tensors.read_bytes()[:-10])
    elif damage == "flip":
        raw = bytearray(tensors.read_bytes())
        raw[-1] ^= 1
        tensors.write_bytes(bytes(raw))
    elif damage == "missing":
        tensors.unlink()
    elif damage == "edit":
        record["state"]["epoch"] = 99
        path.write_text(json.dumps(record))
    elif damage == "json":
        path.write_text(path.read_text()[:100])
    elif damage == "pickle":
        path.write_bytes(pickle.dumps(Boom()))
    elif damage == "other":
        path.write_text('{"epoch": 3}')
    elif damage == "escape":
        record["tensors"] = "../c.safetensors"
        path.write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match=message) as info:
        load_checkpoint(path)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "PWNED").exists()


def test_only_plain_data_goes_in(tmp_path):
    with pytest.raises(TypeError, match=r"tensors and plain data only, not Boom \(at /x\)"):
        save_checkpoint(tmp_path / "c.json", {"x": Boom()})
    assert list(tmp_path.iterdir()) == []
