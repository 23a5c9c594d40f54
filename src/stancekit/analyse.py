"""Analysing a document: text -> statements (offsets, speakers) -> speech-act labels, plus a summary.

>>> from stancekit import analyse
>>> analysis = analyse(open("data/examples/gulf-of-aden-ministers.txt").read())  # doctest: +SKIP
>>> print(analysis.to_markdown())  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from stancekit.segment import segment
from stancekit.statements import Speaker, Statement
from stancekit.summarise import Summariser, SummariserConfig, SummaryResult
from stancekit.text import check_text

if TYPE_CHECKING:
    from stancekit.classify import Classifier, ClassifierConfig


class AnalysedStatement(Statement):
    """A statement with its speech-act labels and the score of every label."""

    labels: list[str]
    scores: dict[str, float]


class Analysis(BaseModel):
    """The analysis of one document; serialisable to JSON (``model_dump_json``) and Markdown."""

    schema_version: str = "1"
    text_length: int
    summary: SummaryResult | None = Field(description="None when the analysis was run without a summary.")
    statements: list[AnalysedStatement]
    classifier: str

    def speakers(self) -> list[Speaker]:
        seen: dict[str, Speaker] = {}
        for statement in self.statements:
            if statement.speaker and statement.speaker.name not in seen:
                seen[statement.speaker.name] = statement.speaker
        return list(seen.values())

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)

    def to_markdown(self) -> str:
        lines = ["# Analysis", ""]
        if self.summary is not None:
            lines += ["## Summary", "", self.summary.summary, ""]
            lines += [f"_{self.summary.model}, copy rate {self.summary.copy_rate:.2f}_", ""]
        lines += [
            "## Statements",
            "",
            "| # | offsets | speaker | labels | statement |",
            "|---|---|---|---|---|",
        ]
        for i, s in enumerate(self.statements, 1):
            speaker = (
                s.speaker.name + (f" ({s.speaker.role})" if s.speaker and s.speaker.role else "")
                if s.speaker
                else "—"
            )
            labels = ", ".join(f"{label} {s.scores.get(label, 0):.2f}" for label in s.labels)
            text = s.text.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {i} | {s.start}–{s.end} | {speaker} | {labels} | {text} |")
        lines += ["", f"_Classifier: {self.classifier}._", ""]
        return "\n".join(lines)


def _load_classifier(classifier: Classifier | ClassifierConfig | str | Path | None) -> Classifier:
    from stancekit.classify import Classifier, load_classifier

    if isinstance(classifier, Classifier):
        return classifier
    return load_classifier(classifier or "diplomatic-v1-minilm")


def analyse_statements(
    document: str, *, classifier: Classifier | ClassifierConfig | str | Path | None = None
) -> list[AnalysedStatement]:
    """Segment ``document`` into statements (offsets, speakers) and classify each."""
    check_text(document, where="document")
    statements = segment(document)
    model = _load_classifier(classifier)
    classifications = model.predict(statements) if statements else []
    return [
        AnalysedStatement(**s.model_dump(), labels=c.labels, scores=c.scores)
        for s, c in zip(statements, classifications, strict=True)
    ]


def analyse(
    document: str,
    *,
    summary: bool = True,
    summariser: Summariser | SummariserConfig | str | Path | None = None,
    classifier: Classifier | ClassifierConfig | str | Path | None = None,
) -> Analysis:
    """Split ``document`` into statements, attribute and classify each, and (by default) summarise it.

    ``summariser`` and ``classifier`` take a loaded object, a config, a shipped config name or a YAML path;
    the defaults are the embedded summariser and the shipped fine-tuned classifier.
    """
    model = _load_classifier(classifier)
    analysed = analyse_statements(document, classifier=model)
    result = None
    if summary:
        engine = summariser if isinstance(summariser, Summariser) else Summariser(summariser)
        result = engine.summarise_one(document)
    return Analysis(text_length=len(document), summary=result, statements=analysed, classifier=model.name)
