"""What a training run records about where it ran: library versions, the machine, peak memory."""

from __future__ import annotations

import platform
import resource
import sys


def library_versions() -> dict[str, str]:
    import peft
    import torch
    import transformers

    import stancekit

    return {
        "stancekit": stancekit.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "python": platform.python_version(),
    }


def machine() -> str:
    import os

    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return (
        f"{platform.machine()} CPU, {os.cpu_count()} cores visible, {torch.get_num_threads()} torch threads"
    )


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def cpu_note() -> str:
    import os

    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU, {os.cpu_count()} cores visible, {torch.get_num_threads()} torch threads"
