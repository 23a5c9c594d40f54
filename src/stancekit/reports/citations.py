"""Which statements a summary sentence cites: those whose span overlaps one of its support spans."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def overlapping(spans: Iterable[Any], statements: Sequence[Any]) -> list[int]:
    """Positions in ``statements`` (each with ``start``/``end``, attributes or keys) whose half-open span
    overlaps any of ``spans``, in document order."""
    bounds = [(_get(span, "start"), _get(span, "end")) for span in spans or []]
    return [
        i
        for i, statement in enumerate(statements)
        if any(_get(statement, "start") < end and start < _get(statement, "end") for start, end in bounds)
    ]


def _get(item: Any, key: str) -> int:
    return int(item[key] if isinstance(item, dict) else getattr(item, key))
