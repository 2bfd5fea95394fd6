from dataclasses import dataclass, field
from typing import Literal

import pytest

from lstmkit.config import config_from_dict, config_to_dict, resolve_config
from lstmkit.errors import ConfigError
from lstmkit.train import TrainerConfig


@dataclass
class ModelSection:
    hidden_size: int = 32
    quantiles: tuple[float, ...] = ()
    transform: Literal["auto", "log", "none"] = "auto"
    lookback: int | None = None


@dataclass
class JobConfig:
    model: ModelSection = field(default_factory=ModelSection)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)


def test_set_overrides_are_typed():
    cfg = resolve_config(
        JobConfig(), overrides=["trainer.lr=3e-3", "model.hidden_size=64", "model.quantiles=0.1,0.9"]
    )
    assert cfg.trainer.lr == 3e-3 and cfg.model.hidden_size == 64 and cfg.model.quantiles == (0.1, 0.9)
    assert JobConfig().trainer.lr == 1e-3  # the default is untouched


def test_flags_win_over_set_and_file(tmp_path):
    file = tmp_path / "c.toml"
    file.write_text("[trainer]\nepochs = 7\nlr = 0.01\n[model]\nlookback = 24\n")
    cfg = resolve_config(JobConfig(), path=file, overrides=["trainer.epochs=9"], flags={"trainer.epochs": 11})
    assert (cfg.trainer.epochs, cfg.trainer.lr, cfg.model.lookback) == (11, 0.01, 24)


def test_unknown_key_suggests_the_closest():
    with pytest.raises(ConfigError, match=r"unknown setting 'trainer.lrr'; did you mean 'trainer.lr'\?"):
        resolve_config(JobConfig(), overrides=["trainer.lrr=1"])
    with pytest.raises(ConfigError, match=r"unknown setting 'trainr'; did you mean 'trainer'\?"):
        resolve_config(JobConfig(), overrides=["trainr.lr=1"])


def test_wrong_types_are_named():
    with pytest.raises(ConfigError, match=r"trainer.epochs must be an integer, got 'ten'"):
        resolve_config(JobConfig(), overrides=["trainer.epochs=ten"])
    with pytest.raises(
        ConfigError, match=r"model.transform must be one of 'auto', 'log', 'none', got 'sqrt'"
    ):
        resolve_config(JobConfig(), overrides=["model.transform=sqrt"])
    with pytest.raises(ConfigError, match=r"--set expects KEY=VALUE"):
        resolve_config(JobConfig(), overrides=["trainer.lr"])


def test_optional_int_accepts_none_and_int():
    cfg = resolve_config(JobConfig(), overrides=["model.lookback=36"])
    assert cfg.model.lookback == 36


def test_optional_int_names_a_wrong_value():
    # its one non-None option's error, as a ConfigError (it was raised as a bare string: a TypeError)
    with pytest.raises(ConfigError, match=r"^model.lookback must be an integer, got 'abc'$"):
        resolve_config(JobConfig(), overrides=["model.lookback=abc"])


def test_bad_toml_file(tmp_path):
    file = tmp_path / "c.toml"
    file.write_text("[trainer\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        resolve_config(JobConfig(), path=file)
    with pytest.raises(ConfigError, match="not found"):
        resolve_config(JobConfig(), path=tmp_path / "missing.toml")


def test_dict_round_trip():
    cfg = resolve_config(JobConfig(), overrides=["model.quantiles=0.1,0.5,0.9", "trainer.seed=3"])
    data = config_to_dict(cfg)
    assert data["model"]["quantiles"] == [0.1, 0.5, 0.9]
    assert config_from_dict(JobConfig, data) == cfg
    del data["trainer"]["patience"]  # a key an older version did not write keeps its default
    assert config_from_dict(JobConfig, data).trainer.patience == TrainerConfig().patience


def test_a_single_number_is_a_list_of_one():
    assert resolve_config(JobConfig(), overrides=["model.quantiles=0.5"]).model.quantiles == (0.5,)
