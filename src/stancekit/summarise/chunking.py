"""Map-reduce chunking: documents longer than the model's input budget are summarised in parts."""

from __future__ import annotations

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
