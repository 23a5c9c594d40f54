"""Device and dtype choice for inference. torch is imported on first use, so `import stancekit` stays fast."""

from __future__ import annotations

from typing import Any

from stancekit.errors import ConfigError


def select_device(name: str) -> str:
    """``auto`` is CUDA when available, else the CPU; a CUDA device asked for where there is none is an error."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"device '{name}' requested but CUDA is not available.", fix="set device: cpu or auto."
        )
    return name


def select_dtype(name: str, device: str) -> Any:
    import torch

    if name == "auto":
        # bf16 matmuls are slow on CPUs without AVX512-BF16/AMX: compute in fp32 there.
        return torch.float32 if device == "cpu" else torch.bfloat16
    return getattr(torch, name)
