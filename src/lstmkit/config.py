"""Typed configuration: nested dataclasses filled from defaults, a TOML file, ``--set`` and flags.

Each job owns a top-level dataclass whose fields are section dataclasses (``data``, ``model``,
``trainer``...). Values arrive in this order, later winning: the dataclass defaults, a TOML
file (``--config``), ``--set section.key=value`` strings, then explicit command-line flags.
Every value is checked against its field's type; an unknown key gets a "did you mean".
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import tomllib

from lstmkit.errors import ConfigError

T = TypeVar("T")


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


# numeric setting type -> (how an error names it, the Python values taken as they are)
_NUMBERS: dict[type, tuple[str, tuple[type, ...]]] = {
    int: ("an integer", (int,)),
    float: ("a number", (int, float)),
}


def _coerce(value: Any, kind: Any, key: str) -> Any:
    """Return ``value`` as type ``kind`` or raise ConfigError naming the key, the type and the value."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        errors: list[ConfigError] = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(value, option, key)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0] if len(errors) == 1 else ConfigError(f"{key}: {value!r} fits none of {kind}")
    if origin is typing.Literal:
        allowed = typing.get_args(kind)
        if value not in allowed:
            raise ConfigError(f"{key} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
        return value
    if origin in (tuple, list):
        (item,) = typing.get_args(kind)[:1] or (Any,)
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        elif isinstance(value, (int, float)):  # `--set model.conv_channels=4`: a list of one
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} must be a list, got {value!r}")
        items = [_coerce(v, item, key) for v in value]
        return tuple(items) if origin is tuple else items
    if kind is Any:
        return value
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    if kind in _NUMBERS:
        what, accepted = _NUMBERS[kind]
        if isinstance(value, accepted) and not isinstance(value, bool):
            return kind(value)
        if isinstance(value, str):
            try:
                return kind(value)
            except ValueError:
                pass
        raise ConfigError(f"{key} must be {what}, got {value!r}")
    if kind is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{key} must be a string, got {value!r}")
    raise ConfigError(f"{key}: unsupported setting type {kind}")  # pragma: no cover - a bug in a config class


def _set(cfg: Any, dotted: str, value: Any, *, from_text: bool, prefix: str = "") -> Any:
    """Return a copy of ``cfg`` with the field at ``dotted`` replaced by ``value`` (type-checked)."""
    head, _, rest = dotted.partition(".")
    types_ = _field_types(type(cfg))
    if head not in types_:
        raise ConfigError(
            f"unknown setting '{prefix}{head}'{_suggest_full(head, types_, prefix)} (settings there: {', '.join(types_)})"
        )
    current = getattr(cfg, head)
    key = f"{prefix}{head}"
    if dataclasses.is_dataclass(current):
        if rest:
            return dataclasses.replace(
                cfg, **{head: _set(current, rest, value, from_text=from_text, prefix=f"{key}.")}
            )
        if not isinstance(value, Mapping):
            first = next(iter(_field_types(type(current))))
            raise ConfigError(f"'{key}' is a section; set one of its keys, such as {key}.{first}")
        for name, item in value.items():
            current = _set(current, str(name), item, from_text=from_text, prefix=f"{key}.")
        return dataclasses.replace(cfg, **{head: current})
    if rest:
        raise ConfigError(f"'{key}' is a setting, not a section: use '{key}=...'")
    if from_text and isinstance(value, str) and types_[head] is not str:
        value = _parse_text(value)
    return dataclasses.replace(cfg, **{head: _coerce(value, types_[head], key)})


def _suggest_full(key: str, choices: Iterable[str], prefix: str) -> str:
    close = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.5)
    return f"; did you mean '{prefix}{close[0]}'?" if close else ""


def _parse_text(text: str) -> Any:
    """A ``--set`` value: TOML/JSON scalars and lists where they parse, else the text itself."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        pass
    try:
        return json.loads(text)
    except ValueError:
        return text


def resolve_config(
    default: T,
    *,
    path: str | Path | None = None,
    overrides: Iterable[str] = (),
    flags: Mapping[str, Any] | None = None,
) -> T:
    """Apply a TOML file, then ``KEY=VALUE`` overrides, then flags (dotted keys) to ``default``.

    Args:
        default: the job's config dataclass with its defaults.
        path: a TOML file whose tables mirror the dataclass sections.
        overrides: strings such as ``"trainer.lr=3e-3"``.
        flags: dotted keys from command-line flags, e.g. ``{"trainer.epochs": 50}``.

    Returns:
        A new config; ``default`` is unchanged.

    Raises:
        ConfigError: unreadable file, unknown key (with a suggestion) or a value of the wrong type.
    """
    cfg = default
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} not found; pass an existing TOML file to --config")
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        for key, value in table.items():
            cfg = _set(cfg, key, value, from_text=False)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects KEY=VALUE such as trainer.lr=3e-3, got {item!r}")
        cfg = _set(cfg, key.strip(), value.strip(), from_text=True)
    for key, value in (flags or {}).items():
        cfg = _set(cfg, key, value, from_text=False)
    return cfg


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """A config dataclass as plain JSON-ready data (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def config_from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a config dataclass from :func:`config_to_dict` output, checking every value.

    Keys missing from ``data`` keep their defaults, so configs written by older versions load.
    """
    return resolve_config(cls(), flags=_flatten(data))


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
