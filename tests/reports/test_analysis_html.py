"""`stancekit analyse FILE --format html`: statements highlighted by label with a legend and speakers, and the
summary's citations linked to the statements its support spans cover."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancekit.analyse import Analysis
from stancekit.errors import InputError
from stancekit.reports import render_analysis_html
from stancekit.statements.analysed import analyse_statements
from stancekit.summarise.grounding import rouge2_support
from stancekit.summarise.summariser import SummaryResult
from tests.reports.pages import Page
from tests.rundir import DOCUMENTS
from tests.test_cli import run_cli

_, TEXT, SUMMARY = DOCUMENTS["doc-a"]


def summary_result(summary: str) -> SummaryResult:
    """A hand-written summary in the summariser's result type (no model: the page only renders it)."""
    return SummaryResult(
        summary=summary,
        model="hand-written",
        model_source="test",
        backend="none",
        config="test",
        config_fingerprint="0",
        generation={},
        prompt={},
        input_tokens=0,
        output_tokens=0,
        copy_rate=0.0,
        copy_flagged=False,
        timings={},
    )


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return Analysis(
        text_length=len(TEXT),
        summary=summary_result(SUMMARY),
        statements=analyse_statements(TEXT, classifier="lexicon"),
        classifier="lexicon",
    )


def test_page_highlights_every_statement_and_links_citations(analysis: Analysis) -> None:
    page = Page(render_analysis_html(analysis, TEXT))
    spans = page.with_class("statement")
    assert len(spans) == len(analysis.statements)
    assert [s["data-labels"].split() for s in spans] == [s.labels for s in analysis.statements]
    legend_items = [a["data-label"] for a in page.with_class("legend-item")]
    legend = set(legend_items)
    assert len(legend_items) == len(legend)
    assert {label for s in analysis.statements for label in s.labels} <= legend
    text = "".join(page.text)
    for s in analysis.statements:
        if s.speaker:
            assert f"[{s.speaker.name}]" in text
    # citations: the statements overlapping each sentence's support spans, computed independently here
    expected = []
    for sentence in rouge2_support(SUMMARY, TEXT).sentences:
        expected += [
            f"#s{i}"
            for i, s in enumerate(analysis.statements, 1)
            if any(s.start < span.end and span.start < s.end for span in sentence.support)
        ]
    links = page.anchors("citation")
    assert links == expected and links
    assert {href.lstrip("#") for href in links} <= page.ids


def test_page_prefers_the_summary_own_support(analysis: Analysis) -> None:
    """When the summary carries grounded sentences, their spans are used, not recomputed."""
    last = analysis.statements[-1]
    grounded = analysis.summary.model_copy()
    object.__setattr__(
        grounded,
        "sentences",
        [{"text": "Condolences.", "support": [{"start": last.start, "end": last.end}], "flagged": True}],
    )
    page = Page(render_analysis_html(analysis.model_copy(update={"summary": grounded}), TEXT))
    assert page.anchors("citation") == [f"#s{len(analysis.statements)}"]
    assert page.with_class("flagged")


def test_page_escapes_text_and_checks_the_document(analysis: Analysis) -> None:
    text = 'The envoy said <script>alert("x")</script> was "unacceptable".'
    tricky = Analysis(
        text_length=len(text),
        summary=None,
        statements=analyse_statements(text, classifier="lexicon"),
        classifier="x",
    )
    html = render_analysis_html(tricky, text)
    assert "<script>" not in html and "&lt;script&gt;" in html
    with pytest.raises(InputError, match="characters"):
        render_analysis_html(analysis, TEXT + " more")


def test_cli_analyse_html(tmp_path: Path) -> None:
    source = tmp_path / "doc.txt"
    source.write_text(TEXT)
    out = tmp_path / "doc.html"
    result = run_cli(
        "analyse", str(source), "--format", "html", "--no-summary", "--classifier", "lexicon", "-o", str(out)
    )
    assert result.returncode == 0, result.stderr.decode()
    page = Page(out.read_text())
    assert len(page.with_class("statement")) == len(analyse_statements(TEXT, classifier="lexicon"))
