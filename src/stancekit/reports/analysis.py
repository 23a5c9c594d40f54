"""One analysed document as a static HTML page: each statement highlighted by its label (with a legend) and
its speaker, and the summary's sentences linked to the statements that support them.

The support spans come from the summary itself when it carries grounded sentences (``SummaryResult.sentences``),
else they are computed here with :func:`stancekit.summarise.grounding.rouge2_support` (no model needed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stancekit.reports.citations import overlapping
from stancekit.reports.palette import label_colours

if TYPE_CHECKING:
    from stancekit.analyse import Analysis

FALLBACK = "other"


def render_analysis_html(analysis: Analysis, document: str) -> str:
    """The page for ``analysis`` of ``document`` (the text it was run on; the analysis keeps only offsets)."""
    from stancekit.errors import InputError
    from stancekit.reports.render import render

    if len(document) != analysis.text_length:
        raise InputError(
            f"the document has {len(document)} characters but the analysis was of {analysis.text_length}.",
            fix="pass the text the analysis was run on.",
        )
    statements = sorted(analysis.statements, key=lambda s: s.start)
    seen: dict[str, None] = {}  # taxonomy order (the score maps'), the fallback last
    for s in statements:
        seen.update(dict.fromkeys([*s.scores, *s.labels]))
    labels = sorted(seen, key=lambda label: label == FALLBACK)
    colours = label_colours(labels, FALLBACK)
    pieces: list[dict[str, Any]] = []
    cursor = 0
    for number, s in enumerate(statements, 1):
        if s.start < cursor:  # overlapping statements would nest; never produced by segment(), kept plain
            continue
        if s.start > cursor:
            pieces.append({"text": document[cursor : s.start], "number": None})
        pieces.append(
            {
                "text": document[s.start : s.end],
                "number": number,
                "labels": s.labels,
                "colour": colours.get(s.labels[0], "#bbb") if s.labels else "#bbb",
                "speaker": s.speaker.name if s.speaker else None,
                "role": s.speaker.role if s.speaker else None,
                "scores": {label: s.scores.get(label, 0.0) for label in s.labels},
            }
        )
        cursor = s.end
    if cursor < len(document):
        pieces.append({"text": document[cursor:], "number": None})
    return render(
        "analysis.html",
        analysis=analysis,
        labels=labels,
        colours=colours,
        pieces=pieces,
        summary=_summary_sentences(analysis, document, statements),
    )


def _summary_sentences(
    analysis: Analysis, document: str, statements: list[Any]
) -> list[dict[str, Any]] | None:
    if analysis.summary is None:
        return None
    grounded = analysis.summary.sentences
    if not grounded:
        from stancekit.summarise.grounding import rouge2_support

        grounded = rouge2_support(analysis.summary.summary, document).sentences
    out = []
    for sentence in grounded:
        support = _field(sentence, "support") or []
        score = _field(sentence, "consistency", _field(sentence, "score"))
        out.append(
            {
                "text": _field(sentence, "text"),
                "score": score,
                "flagged": bool(_field(sentence, "flagged", False)),
                "cites": [i + 1 for i in overlapping(support, statements)],
            }
        )
    return out


def _field(item: Any, key: str, default: Any = None) -> Any:
    return item.get(key, default) if isinstance(item, dict) else getattr(item, key, default)
