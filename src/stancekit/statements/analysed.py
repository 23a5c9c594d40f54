"""A statement with its labels and scores, and which statements are key (every label but the fallback)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from stancekit.statements.segment import parse
from stancekit.statements.statement import Statement
from stancekit.text import check_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stancekit.statements.classifiers.base import Classifier
    from stancekit.statements.classifiers.config import ClassifierConfig
    from stancekit.statements.segment import ParsedStatement
    from stancekit.statements.statement import Target


class AnalysedStatement(Statement):
    """A statement with its speech-act labels and the score of every label."""

    labels: list[str]
    scores: dict[str, float]


# The taxonomy's fallback label: a statement labelled only this carries no stance.
FALLBACK = "other"


def is_key_statement(statement: AnalysedStatement) -> bool:
    """True for a statement that carries a stance (any label but the fallback ``other``)."""
    return FALLBACK not in statement.labels


def key_statements(statements: list[AnalysedStatement]) -> list[AnalysedStatement]:
    """The statements that carry a stance, in document order."""
    return [s for s in statements if is_key_statement(s)]


def labelled_target(parsed: ParsedStatement, labels: Sequence[str]) -> Target | None:
    """Whom or what a speech act is about, found again for its labels (the act says which argument is its
    target); none for a statement labelled only the fallback."""
    return parsed.target(labels) if FALLBACK not in labels else None


def resolve_classifier(classifier: Classifier | ClassifierConfig | str | Path | None) -> Classifier:
    from stancekit.statements.classifiers import load_classifier
    from stancekit.statements.classifiers.base import Classifier

    if isinstance(classifier, Classifier):
        return classifier
    return load_classifier(classifier or "diplomatic-v1-minilm")


def analyse_statements(
    document: str, *, classifier: Classifier | ClassifierConfig | str | Path | None = None
) -> list[AnalysedStatement]:
    """Segment ``document`` into statements (offsets, speakers) and classify each."""
    check_text(document, where="document")
    parsed = parse(document)
    statements = [p.statement for p in parsed]
    model = resolve_classifier(classifier)
    classifications = model.predict(statements) if statements else []
    return [
        AnalysedStatement(
            **p.statement.model_dump(exclude={"target"}),
            target=labelled_target(p, c.labels),
            labels=c.labels,
            scores=c.scores,
        )
        for p, c in zip(parsed, classifications, strict=True)
    ]
