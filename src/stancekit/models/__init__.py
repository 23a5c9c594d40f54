"""Models: references (hub names, local paths, ``embedded:`` packs), the embedded packs and their integrity
checks, conversion caches, and device and dtype choice."""

from stancekit.models.reference import ModelRef, offline_error, resolve_model

__all__ = ["ModelRef", "offline_error", "resolve_model"]
