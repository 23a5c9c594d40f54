"""Targets from the parse, continuations resolved to the document just named, and both in analyse output."""

from __future__ import annotations

import json

import pytest

from stancekit.statements.analysed import AnalysedStatement
from stancekit.statements.segment import parse, segment
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


def labelled_target_of(text: str, labels: list[str], ranked: bool = True) -> str | None:
    (parsed,) = parse(text)
    target = parsed.target(labels, ranked=ranked)
    if target is None:
        return None
    assert text[target.start : target.end] == target.text
    return target.text


@pytest.mark.parametrize(
    ("text", "labels", "target"),
    [
        # the act decides the argument: who is blamed is the reported clause's subject, not its object
        (
            "The Indian army said Pakistani forces opened fire on forward posts shortly before midnight.",
            ["condemnation"],
            "Pakistani forces",
        ),
        (
            "For serious offences, platforms must act proactively, the court said.",
            ["call_to_action"],
            "platforms",
        ),
        # a commitment names what the future verb acts on, not who commits
        (
            "Defence Minister Ruben van der Vliet said his country would also fund additional training for "
            "Baltic operators.",
            ["commitment"],
            "additional training for Baltic operators",
        ),
        (
            "The foreign ministry said it remained committed to the dialogue with Serbia.",
            ["commitment"],
            "the dialogue with Serbia",
        ),
        (
            '"We are grateful to the State of Qatar for its tireless efforts," said a spokesman.',
            ["support"],
            "the State of Qatar",
        ),
        ("It demanded that Taipei punish those responsible.", ["call_to_action"], "Taipei"),
        (
            '"We will not allow the peace of the border to be held hostage," the spokesman told reporters.',
            ["threat"],
            "the peace of the border",
        ),
        (
            '"Those who shed innocent blood will be brought to justice," the minister said.',
            ["commitment", "threat"],
            "Those who shed innocent blood",
        ),
        (
            "Analysts cautioned that the Ankara text left the hardest questions for later.",
            ["condemnation"],
            "the Ankara text",
        ),
        (
            'France called the attacks "unacceptable" and said it had summoned the ambassador.',
            ["condemnation"],
            "the attacks",
        ),
        # any word of the act counts once the act is known, and a deal names what it commits to
        (
            "The authorities ordered residents to leave the valley before nightfall.",
            ["call_to_action"],
            "residents",
        ),
        (
            "The agency signed a contract on Wednesday to buy two diesel-electric submarines from France.",
            ["commitment"],
            "two diesel-electric submarines",
        ),
        (
            "A senior NATO official said the alliance had recorded more than 40 incidents in nine months.",
            ["threat_assessment"],
            "more than 40 incidents",
        ),
    ],
)
@pytest.mark.parametrize("ranked", [False, True], ids=["rules", "ranker"])
def test_the_labels_choose_the_argument(text: str, labels: list[str], target: str, ranked: bool) -> None:
    assert labelled_target_of(text, labels, ranked) == target


def test_without_labels_the_statement_keeps_the_label_free_target() -> None:
    text = "The Indian army said Pakistani forces opened fire on forward posts shortly before midnight."
    (parsed,) = parse(text)
    assert parsed.statement.target is not None and parsed.statement.target.text == "fire"
    assert parsed.target(None) == parsed.statement.target
    assert segment(text)[0].target == parsed.statement.target


@pytest.mark.parametrize(
    ("text", "target"),
    [
        # the charge is not part of who is charged
        ("Tajikistan's security committee accused Kyrgyz forces of provocative actions.", "Kyrgyz forces"),
        # a list over commas stays whole
        (
            "Health workers warned of a rising number of cases of diarrhoea, skin infections and malaria.",
            "a rising number of cases of diarrhoea, skin infections and malaria",
        ),
        # a quote the span opens is closed in it
        (
            'Beijing said it will conduct regular "law enforcement patrols" in the area.',
            'regular "law enforcement patrols"',
        ),
    ],
)
def test_span_boundaries(text: str, target: str) -> None:
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
