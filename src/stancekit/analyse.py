"""Analysing a document: text -> statements (offsets, speakers) -> speech-act labels, plus a summary.

>>> from stancekit import analyse
>>> analysis = analyse(open("data/examples/gulf-of-aden-ministers.txt").read())  # doctest: +SKIP
>>> print(analysis.to_markdown())  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from stancekit._compat import make_callable
from stancekit.errors import ConfigError
from stancekit.statements.analysed import (
    AnalysedStatement,
    analyse_statements,
    key_statements,
    resolve_classifier,
)
from stancekit.statements.statement import Speaker
from stancekit.summarise.config import SummariserConfig
from stancekit.summarise.summariser import Summariser, SummaryResult
from stancekit.text import check_text, language_warning

if TYPE_CHECKING:
    from stancekit.statements.classifiers.base import Classifier
    from stancekit.statements.classifiers.config import ClassifierConfig


class Analysis(BaseModel):
    """The analysis of one document; serialisable to JSON (``model_dump_json``) and Markdown."""

    schema_version: str = "1"
    text_length: int
    summary: SummaryResult | None = Field(description="None when the analysis was run without a summary.")
    statements: list[AnalysedStatement]
    classifier: str
    summary_mode: Literal["plain", "stance"] = Field(
        default="plain", description="stance: the summary prompt carried the key statements"
    )
    warnings: list[str] = Field(
        default_factory=list, description="What makes the labels unreliable, e.g. the text is not English."
    )

    def key_statements(self) -> list[AnalysedStatement]:
        """The statements that carry a stance (any label but ``other``), in document order."""
        return key_statements(self.statements)

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
        lines += [f"> **Warning:** {warning}\n" for warning in self.warnings]
        if self.summary is not None:
            lines += ["## Summary", "", self.summary.summary, ""]
            lines += [
                f"_{self.summary.model}, {self.summary_mode} mode, copy rate {self.summary.copy_rate:.2f}_",
                "",
            ]
        if self.summary_mode == "stance":
            lines += ["## Key statements", ""]
            for s in self.key_statements():
                who = _speaker_cell(s.speaker) if s.speaker else "unattributed"
                text = s.text.replace("\n", " ")
                about = f" — target: {s.target.text}" if s.target else ""
                lines.append(f"- **{', '.join(s.labels)}** — {who}: {text} ({s.start}–{s.end}){about}")
            lines.append("")
        lines += [
            "## Statements",
            "",
            "| # | offsets | speaker | labels | target | statement |",
            "|---|---|---|---|---|---|",
        ]
        for i, s in enumerate(self.statements, 1):
            speaker = _cell(_speaker_cell(s.speaker)) if s.speaker else "—"
            labels = ", ".join(f"{label} {s.scores.get(label, 0):.2f}" for label in s.labels)
            target = _cell(s.target.text) if s.target else "—"
            lines.append(f"| {i} | {s.start}–{s.end} | {speaker} | {labels} | {target} | {_cell(s.text)} |")
        lines += ["", f"_Classifier: {self.classifier}._", ""]
        return "\n".join(lines)


def _speaker_cell(speaker: Speaker) -> str:
    """'Halima Warsame (deputy secretary-general ...)': the name, then the role apart."""
    return speaker.name + (f" ({speaker.role})" if speaker.role else "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def analyse(
    document: str,
    *,
    summary: bool = True,
    summariser: Summariser | SummariserConfig | str | Path | None = None,
    classifier: Classifier | ClassifierConfig | str | Path | None = None,
    mode: Literal["plain", "stance"] = "plain",
) -> Analysis:
    """Split ``document`` into statements, attribute and classify each, and (by default) summarise it.

    ``summariser`` and ``classifier`` take a loaded object, a config, a shipped config name or a YAML path;
    the defaults are the embedded summariser and the shipped fine-tuned classifier. ``mode="stance"``
    summarises as ``summarise(..., mode="stance")`` does: the prompt carries the key statements.
    """
    if mode not in ("plain", "stance"):
        raise ConfigError(f"unknown summary mode {mode!r}.", fix="use mode='plain' or mode='stance'.")
    check_text(document, where="analyse()")  # before any model loads
    model = resolve_classifier(classifier)
    analysed = analyse_statements(document, classifier=model)
    result = None
    if summary:
        engine = summariser if isinstance(summariser, Summariser) else Summariser(summariser)
        if mode == "stance":
            from stancekit.summarise.stance import stance_summary

            result = stance_summary(document, summariser=engine, statements=analysed).summary
        else:
            result = engine.summarise_one(document)
    return Analysis(
        text_length=len(document),
        summary=result,
        statements=analysed,
        classifier=model.name,
        summary_mode=mode,
        warnings=[w for w in [language_warning(document)] if w],
    )


make_callable(__name__)
