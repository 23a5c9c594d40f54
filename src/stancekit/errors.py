"""Errors a user can act on: each says what was wrong, where, and how to fix it."""

from __future__ import annotations


class StancekitError(Exception):
    """Base class for every error stancekit raises on purpose.

    The CLI prints ``str(error)`` and exits with status 2, with no traceback, so the message must carry
    everything the user needs: what was wrong, where (file, line, key) and the fix.
    """

    def __init__(self, problem: str, *, fix: str | None = None, where: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        self.where = where
        parts = [f"{where}: {problem}" if where else problem]
        if fix:
            parts.append(f"Fix: {fix}")
        super().__init__("\n".join(parts))


class InputError(StancekitError, ValueError):
    """The text, file or data handed in cannot be used (empty, binary, malformed)."""


class ConfigError(StancekitError, ValueError):
    """A YAML config or an override is invalid."""


class ModelUnavailableError(StancekitError, OSError):
    """A model cannot be loaded: not available offline, missing files, or a wrong kind of model."""


class IntegrityError(StancekitError):
    """An embedded pack failed its integrity check (hash mismatch)."""
