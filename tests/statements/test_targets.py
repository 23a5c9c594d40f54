"""Targets from the parse, continuations resolved to the document just named, and both in analyse output."""

from __future__ import annotations

import json

import pytest

from stancekit.statements.analysed import AnalysedStatement
from stancekit.statements.segment import segment
from stancekit.statements.statement import Speaker, Target


def target_of(text: str) -> str | None:
    (statement,) = segment(text)
    if statement.target is None:
        return None
    assert text[statement.target.start : statement.target.end] == statement.target.text
    assert statement.start <= statement.target.start < statement.target.end <= statement.end
    return statement.target.text


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("The council condemned the attack on the convoy.", "the attack on the convoy"),
        ("The envoy called on both sides to halt the fighting.", "both sides"),
        ("The president offered condolences to the families of the victims.", "the families of the victims"),
        ("Japan pledged to send two medical teams to the region.", "two medical teams"),
        ("Ministers agreed on Thursday to set up a joint patrol.", "a joint patrol"),
        ("The union expressed its support for the striking dockworkers.", "the striking dockworkers"),
        ("The navy warned fishermen to stay out of the reserve.", "fishermen"),
        ("Forecasters warned that the river could burst its banks.", "the river"),
    ],
)
def test_target_rules(text: str, target: str) -> None:
    assert target_of(text) == target


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("Talks ended on Friday without a deal.", "Talks"),
        ('"This was a deliberate and dangerous act," he told reporters.', "a deliberate and dangerous act"),
        ("Denmark aims to quadruple offshore wind capacity by 2030.", "offshore wind capacity"),
    ],
)
def test_without_a_trigger_the_clause_is_what_it_is_about(text: str, target: str) -> None:
    assert target_of(text) == target


def test_target_is_never_a_date_or_a_dateline() -> None:
    assert target_of("The ministers agreed on Thursday.") != "Thursday"
    assert "ISLAMABAD" not in (target_of("ISLAMABAD — Officials urged calm after the blast.") or "")


def test_it_went_on_is_the_communique() -> None:
    text = (
        "The final communiqué said the ministers “regretted the delay.”\n\n"
        "It went on: “The ministers condemn the attacks on shipping.”"
    )
    statements = segment(text)
    assert [s.speaker.name if s.speaker else None for s in statements] == ["The final communiqué"] * 2


def test_the_statement_added_resolves_to_the_body_just_named() -> None:
    text = 'The foreign ministry said, "We regret the delay." "We remain committed," the statement added.'
    statements = segment(text)
    assert statements[-1].speaker == Speaker(name="The foreign ministry")
    alone = segment('"We remain committed," the statement added.')
    assert alone[-1].speaker == Speaker(name="the statement")  # nothing to refer back to: kept as written


def test_fighting_went_on_names_no_speaker() -> None:
    (statement,) = segment("Fighting went on for days in the north.")
    assert statement.speaker is None


def test_json_gives_speaker_and_target_as_objects() -> None:
    statement = AnalysedStatement(
        text="The council condemned the attack.",
        start=0,
        end=33,
        speaker=Speaker(name="The council"),
        target=Target(start=22, end=32, text="the attack"),
        labels=["condemnation"],
        scores={"condemnation": 0.9},
    )
    data = json.loads(statement.model_dump_json())
    assert data["speaker"] == {"name": "The council", "role": None}
    assert data["target"] == {"start": 22, "end": 32, "text": "the attack"}
    assert json.loads(statement.model_copy(update={"speaker": None}).model_dump_json())["speaker"] is None
