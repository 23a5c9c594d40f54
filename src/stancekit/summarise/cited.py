"""Grounded summaries: every summary sentence with its support score, its cited source sentences, and a flag.

The post-generation step of :class:`stancekit.summarise.summariser.Summariser` (issue 10): each sentence of a
summary is scored against the source by the configured scorer (``grounding.scorer``), cited by the numbers of
the source sentences behind it ("[3]" is the source's third sentence, counted by
:func:`stancekit.text.sentence_spans`), and flagged when it scores below ``grounding.threshold``. A flagged
sentence is then kept, dropped or regenerated from its cited sentences, as ``grounding.repair`` says.

Example:
    >>> from stancekit.summarise.config import GroundingSettings
    >>> [s] = ground("Kenya will send two ships.", "Talks ended. Kenya will send two ships.", GroundingSettings())
    >>> s.citations, s.flagged
    ([2], False)
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from pydantic import BaseModel, Field

from stancekit.summarise.config import GroundingSettings
from stancekit.summarise.grounding import SentenceSupport, Span, rouge2_support
from stancekit.text import sentence_spans, words


class GroundedSentence(BaseModel):
    """One summary sentence and its evidence."""

    text: str
    consistency: float = Field(description="support score in [0, 1] from grounding.scorer")
    support: list[Span] = Field(description="source character spans behind the sentence, best first")
    citations: list[int] = Field(description="1-based numbers of the cited source sentences")
    flagged: bool = Field(description="scores below grounding.threshold")
    repair: str | None = Field(default=None, description="'regenerated' when the text was rewritten")


@functools.lru_cache(maxsize=2)
def _consistency_scorer(weights: str):
    from stancekit.summarise.consistency import ConsistencyScorer

    return ConsistencyScorer(weights, device="cpu")


def score_sentences(summary: str, source: str, scorer: str) -> list[SentenceSupport]:
    """Each sentence of ``summary`` with its score and source spans, by ``scorer``."""
    if scorer == "rouge2_support":
        return rouge2_support(summary, source).sentences
    return _consistency_scorer(scorer).score([summary], [source])[0].sentences


def citation_numbers(spans: list[Span], source: str) -> list[int]:
    """The 1-based source sentence numbers that ``spans`` start in, in the order given, without repeats."""
    starts = [s for s, _ in sentence_spans(source) or [(0, len(source))]]
    numbers: list[int] = []
    for span in spans:
        number = sum(1 for start in starts if start <= span.start)
        if number and number not in numbers:
            numbers.append(number)
    return numbers


def ground(summary: str, source: str, settings: GroundingSettings) -> list[GroundedSentence]:
    """Score, cite and flag every sentence of ``summary`` (no repair)."""
    if settings.scorer == "none" or not words(summary):  # nothing to score (a model may emit punctuation)
        return []
    grounded = []
    for sentence in score_sentences(summary, source, settings.scorer):
        spans = sentence.support[: settings.max_citations]
        grounded.append(
            GroundedSentence(
                text=sentence.text,
                consistency=round(sentence.score, 4),
                support=spans,
                citations=citation_numbers(spans, source),
                flagged=sentence.score < settings.threshold,
            )
        )
    return grounded


def repair(
    sentences: list[GroundedSentence],
    source: str,
    settings: GroundingSettings,
    regenerate: Callable[[list[str]], list[str]] | None = None,
) -> tuple[list[GroundedSentence], dict]:
    """Apply ``settings.repair`` to the flagged sentences; returns the kept sentences and what was done.

    ``regenerate`` maps evidence texts (a flagged sentence's cited source sentences, joined) to new
    sentences, one each; a new sentence replaces the old one only if it scores higher.
    """
    flagged = [i for i, s in enumerate(sentences) if s.flagged]
    record = {
        "scorer": settings.scorer,
        "threshold": settings.threshold,
        "repair": settings.repair,
        "sentences": len(sentences),
        "flagged": len(flagged),
        "dropped": 0,
        "regenerated": 0,
    }
    if not flagged or settings.repair == "flag":
        return sentences, record
    if settings.repair == "drop":
        kept = [s for s in sentences if not s.flagged]
        if not kept:  # an empty summary helps no one: keep the best-supported sentence, still flagged
            kept = [max(sentences, key=lambda s: s.consistency)]
        record["dropped"] = len(sentences) - len(kept)
        return kept, record
    assert regenerate is not None
    evidence = [" ".join(source[sp.start : sp.end] for sp in sentences[i].support) for i in flagged]
    rewritten = regenerate([e or source for e in evidence])
    out = list(sentences)
    for i, text in zip(flagged, rewritten, strict=True):
        first = (sentence_spans(text) or [(0, len(text))])[0]
        text = text[first[0] : first[1]].strip()
        if not text:
            continue
        [candidate] = ground(text, source, settings)[:1] or [None]
        if candidate is not None and candidate.consistency > sentences[i].consistency:
            out[i] = candidate.model_copy(update={"repair": "regenerated"})
            record["regenerated"] += 1
    record["flagged_after"] = sum(s.flagged for s in out)
    return out, record


def cited_text(sentences: list[GroundedSentence]) -> str:
    """The summary with its citations, ``Kenya will send ships [2]. Oman pledged aircraft [4, 5] (?).``, where
    ``(?)`` marks a flagged sentence."""
    parts = []
    for s in sentences:
        text = s.text.rstrip()
        end = len(text.rstrip('.!?"”’)'))
        mark = (f" [{', '.join(map(str, s.citations))}]" if s.citations else "") + (
            " (?)" if s.flagged else ""
        )
        parts.append(text[:end] + mark + text[end:])
    return " ".join(parts)
