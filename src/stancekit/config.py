"""YAML configs, validated into typed objects at the edge.

Every config class forbids unknown keys, so a typo fails early with the key's location and the nearest valid
name. Library code only ever sees the validated objects, never raw dicts.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from stancekit.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
WEIGHTS_DIR = PACKAGE_DIR / "weights"  # trained weights that ship in the package (classifier, scorer, ranker)
# In a source checkout (editable install) the configs live at the repository root; a wheel carries a copy.
_CONFIG_ROOTS = (PACKAGE_DIR.parents[1] / "configs", PACKAGE_DIR / "_configs")

C = TypeVar("C", bound="StrictModel")


class StrictModel(BaseModel):
    """Base for all configs: unknown keys are errors, values are validated on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON of the resolved config: names a run's exact settings."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def config_root() -> Path:
    """The directory holding the shipped configs (``configs/`` in a checkout)."""
    for root in _CONFIG_ROOTS:
        if root.is_dir():
            return root
    raise ConfigError(
        "stancekit's shipped configs were not found.",
        fix="reinstall stancekit (`pip install -e .` from the repository, or the wheel).",
    )


def resolve_config_path(ref: str | Path, kind: str) -> Path:
    """Turn a path or a shipped config name (``embedded-qwen``) of ``kind`` into an existing file."""
    path = Path(ref)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist.", fix="check the path.")
        return path
    shipped = config_root() / kind / f"{ref}.yaml"
    if shipped.is_file():
        return shipped
    names = sorted(p.stem for p in (config_root() / kind).glob("*.yaml"))
    close = difflib.get_close_matches(str(ref), names, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise ConfigError(
        f"no {kind} config named '{ref}'.",
        fix=f"{hint}Shipped {kind} configs: {', '.join(names) or 'none'}; or pass a path to a YAML file.",
    )


def parse_overrides(overrides: list[str] | None) -> dict[str, Any]:
    """Parse dotted command-line overrides (``training.learning_rate=1e-4``) into a nested dict.

    Values are parsed as YAML scalars, so ``3`` is an int, ``1e-4`` a float and ``null`` None.
    """
    nested: dict[str, Any] = {}
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override '{item}' is not of the form key.sub=value.", fix="e.g. seed=13")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        # "prefix=summarize: " is a string, not a mapping; only explicit {...} / [...] make containers.
        if isinstance(value, dict | list) and not raw.lstrip().startswith(("{", "[")):
            value = raw
        # YAML 1.1 reads 1e-4 as a string; numbers are what people mean on a command line.
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = float(value) if any(c in value for c in ".eE") else value
        node = nested
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(
                    f"override '{item}' sets a key below a scalar.", fix="check the dotted key."
                )
        node[parts[-1]] = value
    return nested


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``Model``, ``Model | None`` or ``list[Model]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _format_validation_error(error: ValidationError, cls: type[BaseModel], where: str) -> ConfigError:
    lines = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"])
        if item["type"] == "extra_forbidden":
            owner: Any = cls
            for part in item["loc"][:-1]:
                if isinstance(part, int):  # an index into a list of models: stay on the item type
                    continue
                field = owner.model_fields.get(str(part)) if hasattr(owner, "model_fields") else None
                owner = _model_in(getattr(field, "annotation", None))
            valid = sorted(owner.model_fields) if owner is not None and hasattr(owner, "model_fields") else []
            close = difflib.get_close_matches(str(item["loc"][-1]), valid, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            lines.append(f"unknown key '{loc}'{hint}; valid keys here: {', '.join(valid)}")
        else:
            lines.append(f"'{loc}': {item['msg']} (got {item.get('input')!r})")
    return ConfigError("invalid config:\n  " + "\n  ".join(lines), where=where, fix="correct the keys above.")


def validate(cls: type[C], data: dict[str, Any], where: str = "config") -> C:
    """Validate a raw mapping into ``cls``, turning pydantic's errors into one readable ConfigError."""
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping of keys, got {type(data).__name__}.", where=where)
    try:
        return cls.model_validate(data)
    except ValidationError as error:
        raise _format_validation_error(error, cls, where) from None


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML config file whose top level must be a mapping of keys; anything else is a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"is not valid UTF-8 (byte {error.start}).", where=str(path), fix="save the config as UTF-8."
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"not valid YAML: {getattr(error, 'problem', error)}", where=where) from None
    except OSError as error:
        raise ConfigError(f"cannot read config: {error.strerror}", where=str(path)) from None
    if not isinstance(data, dict):
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        line = node.start_mark.line + 1 if node is not None else 1
        got = "nothing (the file is empty)" if data is None else f"a {type(data).__name__}"
        raise ConfigError(
            f"a config must be a mapping of keys (key: value lines), but this YAML holds {got}.",
            where=f"{path}:{line}",
            fix="write the settings as key: value pairs at the top level, without a leading '- '.",
        )
    return data


def load_config(cls: type[C], ref: str | Path, kind: str, overrides: list[str] | None = None) -> C:
    """Load a YAML config of ``kind`` by path or shipped name, apply dotted overrides, validate into ``cls``."""
    path = resolve_config_path(ref, kind)
    data = deep_merge(load_yaml(path), parse_overrides(overrides))
    return validate(cls, data, where=str(path))
