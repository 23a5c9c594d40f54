"""Stance-aware summaries: the source's key statements kept, and returned beside the summary with speakers and offsets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from stancekit.statements.analysed import (
    AnalysedStatement,
    analyse_statements,
    key_statements,
)
from stancekit.summarise.summariser import Summariser, SummaryResult

if TYPE_CHECKING:
    from stancekit.statements.classifiers.base import Classifier


STANCE_USER = (
    "{document}\n\nKey statements in the article:\n{key_statements}\n\n"
    "Rewrite the article above as a two-sentence summary in your own words, at most 60 words. "
    "Keep who committed to what and who warned of what, naming the right speaker."
)


class StanceSummary(BaseModel):
    """A summary plus the key statements it should keep, grounded in source offsets."""

    summary: SummaryResult
    key_statements: list[AnalysedStatement]

    def __str__(self) -> str:
        lines = [self.summary.summary, "", "Key statements:"]
        for s in self.key_statements:
            who = s.speaker.name if s.speaker else "unattributed"
            lines.append(f"- [{', '.join(s.labels)}] {who}: {s.text} ({s.start}-{s.end})")
        return "\n".join(lines)


def _bullet(statement: AnalysedStatement) -> str:
    who = statement.speaker.name if statement.speaker else "unattributed"
    return f"- {who} ({', '.join(label.replace('_', ' ') for label in statement.labels)}): {statement.text}"


def stance_summary(
    document: str,
    *,
    summariser: Summariser | None = None,
    classifier: Classifier | str | None = None,
    max_key_statements: int = 6,
    statements: list[AnalysedStatement] | None = None,
) -> StanceSummary:
    """Summarise ``document`` keeping its key statements, and return them with speakers and offsets.

    ``statements``: the document's analysed statements when the caller has them already (``analyse``), so
    they are not segmented and classified twice.
    """
    if statements is None:
        statements = analyse_statements(document, classifier=classifier)
    keys = key_statements(statements)
    engine = summariser or Summariser()
    # Rank by the strongest non-fallback label score so the prompt carries the clearest stances.
    ranked = sorted(keys, key=lambda s: -max(s.scores.get(label, 0.0) for label in s.labels))[
        :max_key_statements
    ]
    ranked.sort(key=lambda s: s.start)
    if ranked and engine.backend == "causal":
        prompt = STANCE_USER.replace("{key_statements}", "\n".join(_bullet(s) for s in ranked))
        engine = engine.with_prompt(user=prompt)
    result = engine.summarise_one(document)
    return StanceSummary(summary=result, key_statements=keys)
