"""Device and dtype choice for inference."""

from __future__ import annotations

from typing import Any

import torch

from stancekit.errors import ConfigError


def select_device(name: str) -> str:

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"device '{name}' requested but CUDA is not available.", fix="set device: cpu or auto."
        )
    return name


def select_dtype(name: str, device: str) -> Any:

    if name == "auto":
        # bf16 matmuls are slow on CPUs without AVX512-BF16/AMX: compute in fp32 there.
        return torch.float32 if device == "cpu" else torch.bfloat16
    return getattr(torch, name)


def pick_device(name: str) -> str:

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name
