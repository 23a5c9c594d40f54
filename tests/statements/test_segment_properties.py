"""Property tests of segmentation (hypothesis): over generated documents with quotations, abbreviations,
initials, unicode and odd whitespace, statements keep exact offsets, come in order without overlap, and
cover every non-whitespace character exactly once."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

WORDS = [
    "the",
    "envoy",
    "said",
    "Mr.",
    "Dr.",
    "U.S.",
    "officials",
    "talks",
    "e.g.",
    "No.",
    "Jan.",
    "calm",
    "Ms.",
    "St.",
    "Genève",
    "Zürich",
    "北京",
    "القاهرة",
    "🙂",
    "they’ve",
    "don't",
    "J.",
    "Smith",
    "3.5",
    "etc.",
]
PUNCT = [".", "!", "?", ",", ";", ":", "…", "—", ".\u201d", '?"', ""]
QUOTES = ['"', "“", "”", "'", "‘", "’", "«", "»", "„"]
SPACE = [" ", "  ", "\n", "\n\n", "\r\n", "\t", "\u00a0", " \n \n "]


@st.composite
def documents(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 25))):
        kind = draw(st.sampled_from(["word", "word", "word", "punct", "quote", "space"]))
        if kind == "word":
            parts.append(draw(st.sampled_from(WORDS)) + " ")
        elif kind == "punct":
            parts.append(draw(st.sampled_from(PUNCT)))
        elif kind == "quote":
            parts.append(draw(st.sampled_from(QUOTES)))
        else:
            parts.append(draw(st.sampled_from(SPACE)))
    if draw(st.booleans()):
        parts.append(draw(st.text(min_size=1, max_size=8)))  # arbitrary unicode, control characters too
    text = "".join(parts)
    return text if text.strip() else "calm"


@pytest.fixture(scope="module")
def segmenter():
    from stancekit.statements.segment import Segmenter

    return Segmenter()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=documents())
def test_statements_partition_the_document(segmenter, text):
    statements = segmenter.segment(text)
    for s in statements:
        assert text[s.start : s.end] == s.text and s.text == s.text.strip() and s.text
    for a, b in itertools.pairwise(statements):
        assert a.end <= b.start
    covered = "".join(s.text for s in statements)
    assert re.sub(r"\s", "", covered) == re.sub(r"\s", "", text)  # nothing lost, nothing duplicated
