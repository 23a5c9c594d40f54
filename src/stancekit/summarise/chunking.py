"""Map-reduce chunking: documents longer than the model's input budget are summarised in parts."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import BaseModel


class Chunk(BaseModel):
    """One map step of a long document: its character span in the input and its partial summary."""

    start: int
    end: int
    tokens: int
    summary: str


def line_spans(text: str) -> list[tuple[int, int]]:
    spans, offset = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((offset, offset + len(line)))
        offset += len(line) + 1
    return spans


def pack_spans(
    units: Sequence[tuple[int, int]],
    count: Callable[[int, int], int],
    budget: int,
    *,
    cut: Callable[[int, int], list[tuple[int, int]]],
) -> list[tuple[int, int]]:
    """Greedy packing of consecutive ``units`` (character spans, in order) into chunks of at most ``budget``
    tokens, ``count(start, end)`` tokens each plus one for the joint. A unit over the budget on its own is
    handed to ``cut`` and its pieces become chunks of their own."""
    chunks: list[tuple[int, int]] = []
    start: int | None = None
    end = used = 0
    for s, e in units:
        n = count(s, e)
        if n > budget:
            if start is not None:
                chunks.append((start, end))
                start, used = None, 0
            chunks.extend(cut(s, e))
            continue
        if start is not None and used + n + 1 > budget:
            chunks.append((start, end))
            start, used = None, 0
        if start is None:
            start = s
        end, used = e, used + n + 1
    if start is not None:
        chunks.append((start, end))
    return chunks
