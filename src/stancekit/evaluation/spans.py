"""Speakers and targets against the natural set's gold: speaker accuracy, null precision, target span match.

The gold rows were cut from their articles by ``stancekit.segment``, so predicted and gold statements pair up
by their offsets. For each article of a split the article is segmented again (and, for targets, classified),
and each gold statement is compared with the predicted statement at the same offsets:

- **speaker accuracy**: over attributable statements (gold speaker not null), the share whose predicted name
  equals the gold name after normalising (:func:`normalise_name`: case, a leading "the", a possessive "'s",
  whitespace and punctuation at either end);
- **null precision**: over statements the system leaves unattributed, the share whose gold speaker is null too;
- **target match**: over labelled statements (gold labels not the fallback) that have a gold target, the share
  whose predicted target has exactly the gold offsets (exact) or overlaps them (partial). End to end
  (``target_exact``, ``target_partial``) the target is the one ``analyse`` shows: the rule's for the predicted
  labels, none when they are the fallback alone. The rule alone (``target_rule_*``) is given the gold labels,
  so its figure does not depend on the classifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from pydantic import BaseModel

from stancekit.errors import InputError

if TYPE_CHECKING:
    from stancekit.statements.data import NaturalRow
    from stancekit.statements.statement import Speaker, Statement, Target

_POSSESSIVE = re.compile(r"[’']s?$")
_HONORIFIC = re.compile(r"^(mr|mrs|ms|dr|prof|sir|dame)\.?\s+")


def normalise_name(name: str) -> str:
    """'The Ministry's' -> 'ministry', 'Dr. Ann Lee' -> 'ann lee': lower case, whitespace collapsed, no
    punctuation at either end, no leading 'the' or honorific (Mr, Mrs, Ms, Dr, Prof, Sir, Dame), no possessive."""
    text = " ".join(name.lower().split()).strip(" \"“”‘’'.,;:()")
    text = _HONORIFIC.sub("", re.sub(r"^the\s+", "", text))
    return _POSSESSIVE.sub("", text).strip()


def same_speaker(predicted: Speaker | None, gold: Speaker | None) -> bool:
    if predicted is None or gold is None:
        return predicted is gold
    return normalise_name(predicted.name) == normalise_name(gold.name)


class Rate(BaseModel):
    """A share with its count: ``value = hits / n`` (None when n is 0)."""

    hits: int
    n: int
    value: float | None


def _rate(hits: int, n: int) -> Rate:
    return Rate(hits=hits, n=n, value=round(hits / n, 4) if n else None)


class SpanScores(BaseModel):
    split: str
    articles: int
    statements: int
    speaker_accuracy: Rate
    speaker_accuracy_with_role: Rate
    null_precision: Rate
    null_recall: Rate
    target_exact: Rate
    target_partial: Rate
    target_rule_exact: Rate
    target_rule_partial: Rate
    misaligned: int


class SpanPrediction(NamedTuple):
    """One predicted statement: the segmenter's statement, the classifier's labels, and the target rule."""

    statement: Statement
    labels: list[str]
    target_for: Callable[[list[str]], Target | None]  # the statement's target for given labels


def _overlap(a: Target | None, b: Target) -> bool:
    return a is not None and a.start < b.end and b.start < a.end


def score_spans(
    gold: Sequence[NaturalRow],
    predict: Callable[[str], list[SpanPrediction]],
    articles: dict[str, str],
    *,
    fallback: str = "other",
) -> SpanScores:
    """Score ``predict(article) -> [SpanPrediction]`` against ``gold`` (one split's rows)."""
    if not gold:
        raise InputError("no gold rows to score speakers and targets on.")
    by_article: dict[str, list[NaturalRow]] = {}
    for row in gold:
        by_article.setdefault(row.article_id, []).append(row)
    attributable = speaker_hits = role_hits = 0
    predicted_null = null_hits = gold_null = null_found = 0
    targets = exact = partial = rule_exact = rule_partial = 0
    misaligned = 0
    for article_id, rows in by_article.items():
        predicted = {(p.statement.start, p.statement.end): p for p in predict(articles[article_id])}
        for row in rows:
            found = predicted.get((row.start, row.end))
            if found is None:
                misaligned += 1  # scored as a miss: no statement at the gold offsets
            statement = found.statement if found is not None else None
            labels = found.labels if found is not None else [fallback]
            speaker = statement.speaker if statement is not None else None
            if row.speaker is not None:
                attributable += 1
                speaker_hits += same_speaker(speaker, row.speaker)
                role_hits += same_speaker(speaker, row.speaker) and (
                    normalise_name(speaker.role or "") == normalise_name(row.speaker.role or "")
                )
            else:
                gold_null += 1
                null_found += speaker is None
            if speaker is None:
                predicted_null += 1
                null_hits += row.speaker is None
            if row.labels != [fallback] and row.target is not None:
                targets += 1
                rule = found.target_for(row.labels) if found is not None else None
                shown = found.target_for(labels) if found is not None and labels != [fallback] else None
                exact += shown is not None and (shown.start, shown.end) == (row.target.start, row.target.end)
                partial += _overlap(shown, row.target)
                rule_exact += rule is not None and (rule.start, rule.end) == (
                    row.target.start,
                    row.target.end,
                )
                rule_partial += _overlap(rule, row.target)
    return SpanScores(
        split=gold[0].split,
        articles=len(by_article),
        statements=len(gold),
        speaker_accuracy=_rate(speaker_hits, attributable),
        speaker_accuracy_with_role=_rate(role_hits, attributable),
        null_precision=_rate(null_hits, predicted_null),
        null_recall=_rate(null_found, gold_null),
        target_exact=_rate(exact, targets),
        target_partial=_rate(partial, targets),
        target_rule_exact=_rate(rule_exact, targets),
        target_rule_partial=_rate(rule_partial, targets),
        misaligned=misaligned,
    )
