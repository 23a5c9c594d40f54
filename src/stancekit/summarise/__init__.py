"""Summarisation: the summariser config, generator backends, map-reduce chunking, the copy guard, extractive
summaries and stance mode.

``from stancekit.summarise import summarise, Summariser`` is the public entry; the parts live in their own
modules (``config``, ``backends``, ``chunking``, ``copy_guard``, ``prompt``, ``summariser``, ``stance``,
``extractive``, ``data``).
"""

from stancekit.summarise.api import summarise
from stancekit.summarise.backends import release_models
from stancekit.summarise.chunking import Chunk
from stancekit.summarise.config import (
    DEFAULT_CONFIG,
    TRAINED_CONFIG,
    ChunkingSettings,
    CopyGuardSettings,
    GenerationSettings,
    PromptSettings,
    SummariserConfig,
    load_summariser_config,
)
from stancekit.summarise.prompt import build_prompt
from stancekit.summarise.summariser import Summariser, SummaryResult

__all__ = [
    "DEFAULT_CONFIG",
    "TRAINED_CONFIG",
    "Chunk",
    "ChunkingSettings",
    "CopyGuardSettings",
    "GenerationSettings",
    "PromptSettings",
    "Summariser",
    "SummariserConfig",
    "SummaryResult",
    "build_prompt",
    "load_summariser_config",
    "release_models",
    "summarise",
]
