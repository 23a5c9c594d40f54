"""Analysis output: the speaker as name and role, the target, in Markdown and JSON."""

from __future__ import annotations

import json

from stancekit.analyse import Analysis
from stancekit.statements.analysed import AnalysedStatement
from stancekit.statements.statement import Speaker, Target

TEXT = "Halima Warsame, the deputy head of the centre, condemned the attack."


def analysis() -> Analysis:
    start = TEXT.index("the attack")
    statement = AnalysedStatement(
        text=TEXT,
        start=0,
        end=len(TEXT),
        speaker=Speaker(name="Halima Warsame", role="the deputy head of the centre"),
        target=Target(start=start, end=start + 10, text="the attack"),
        labels=["condemnation"],
        scores={"condemnation": 0.91},
    )
    return Analysis(
        text_length=len(TEXT), summary=None, statements=[statement], classifier="test", summary_mode="stance"
    )


def test_markdown_shows_role_apart_and_target() -> None:
    markdown = analysis().to_markdown()
    assert "| # | offsets | speaker | labels | target | statement |" in markdown
    assert "| Halima Warsame (the deputy head of the centre) | condemnation 0.91 | the attack |" in markdown
    assert "target: the attack" in markdown  # the key-statements list of stance mode


def test_json_speaker_and_target_are_objects() -> None:
    (statement,) = json.loads(analysis().to_json())["statements"]
    assert statement["speaker"] == {"name": "Halima Warsame", "role": "the deputy head of the centre"}
    assert statement["target"]["text"] == "the attack"
