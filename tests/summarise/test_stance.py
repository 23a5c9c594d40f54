"""Stance preservation: kept, distorted (label or speaker) and dropped statements, on hand-built analyses."""

from __future__ import annotations

from stancekit.evaluation.stance_preservation import stance_preservation
from stancekit.statements.analysed import AnalysedStatement
from stancekit.statements.statement import Speaker
from stancekit.summarise.stance import StanceSummary, key_statements

GODFREY = Speaker(name="John Godfrey", role="acting US special envoy")


def statement(
    text: str, labels: list[str], speaker: Speaker | None = None, start: int = 0
) -> AnalysedStatement:
    return AnalysedStatement(
        text=text,
        start=start,
        end=start + len(text),
        speaker=speaker,
        labels=labels,
        scores=dict.fromkeys(labels, 0.9),
    )


SOURCE = [
    statement("The meeting was held by video link on Tuesday.", ["other"]),
    statement(
        "Godfrey said capable ISIS cells in Syria retain aspirations to plot attacks abroad.",
        ["threat_assessment"],
        GODFREY,
    ),
    statement(
        "The ministers pledged training, supplies and funds for Iraqi security forces.",
        ["commitment"],
        Speaker(name="the ministers"),
    ),
    statement(
        "The ministers expressed condolences to the families of the Baghdad bombing victims.",
        ["condolence"],
        Speaker(name="the ministers"),
    ),
]


def test_only_labelled_statements_are_key():
    assert [s.labels for s in key_statements(SOURCE)] == [
        ["threat_assessment"],
        ["commitment"],
        ["condolence"],
    ]


def test_kept_distorted_and_dropped():
    summary = [
        # keeps the commitment with its speaker
        statement(
            "Ministers pledged funds and training for Iraqi security forces.",
            ["commitment"],
            Speaker(name="Ministers"),
        ),
        # turns Godfrey's assessment into a threat
        statement("Godfrey threatened ISIS cells in Syria plotting attacks abroad.", ["threat"], GODFREY),
    ]
    result = stance_preservation(SOURCE, summary)
    outcomes = {o.source.labels[0]: o for o in result.outcomes}
    assert outcomes["commitment"].outcome == "kept"
    assert outcomes["threat_assessment"].outcome == "distorted"
    assert "threat_assessment became threat" in outcomes["threat_assessment"].reason
    assert outcomes["condolence"].outcome == "dropped"
    assert abs(result.kept_rate - 1 / 3) < 1e-9 and abs(result.dropped_rate - 1 / 3) < 1e-9
    assert result.by_label["condolence"] == {"kept": 0, "distorted": 0, "dropped": 1}


def test_swapped_speaker_is_a_distortion():
    summary = [
        statement(
            "NATO said capable ISIS cells in Syria retain aspirations to plot attacks abroad.",
            ["threat_assessment"],
            Speaker(name="NATO"),
        ),
    ]
    result = stance_preservation(SOURCE, summary)
    godfrey = next(o for o in result.outcomes if o.source.speaker == GODFREY)
    assert godfrey.outcome == "distorted" and "became 'NATO'" in godfrey.reason


def test_a_verbatim_sentence_does_not_cover_its_neighbours():
    # The summary copies the commitment verbatim. The condolence shares 3 of its 8 content words with that
    # sentence ("Iraqi security forces"), enough for a lexical match, but the sentence reports the commitment.
    source = [
        *SOURCE,
        statement(
            "The ministers expressed condolences to the families of Iraqi security forces killed in Baghdad.",
            ["condolence"],
            Speaker(name="the ministers"),
        ),
    ]
    summary = [
        statement(
            "The ministers pledged training, supplies and funds for Iraqi security forces.",
            ["commitment"],
            Speaker(name="the ministers"),
        )
    ]
    loose = stance_preservation(source, summary, min_relative=0.0)
    strict = stance_preservation(source, summary)
    outcome = {o.source.labels[0]: o.outcome for o in strict.outcomes if o.source.speaker != GODFREY}
    assert "distorted" in [o.outcome for o in loose.outcomes]  # the lexical match alone is fooled
    assert strict.distorted_rate == 0.0
    assert outcome == {"commitment": "kept", "condolence": "dropped"}


def test_empty_summary_drops_everything():
    result = stance_preservation(SOURCE, [])
    assert result.dropped_rate == 1.0 and result.kept_rate == 0.0


def test_stance_summary_renders_statements_with_offsets():
    from stancekit.summarise.summariser import SummaryResult

    result = SummaryResult(
        summary="Ministers pledged aid.",
        model="m",
        model_source="local",
        backend="causal",
        config="c",
        config_fingerprint="f",
        generation={},
        prompt={},
        input_tokens=1,
        output_tokens=1,
        copy_rate=0.0,
        copy_flagged=False,
        timings={},
    )
    text = str(StanceSummary(summary=result, key_statements=key_statements(SOURCE)))
    assert text.startswith("Ministers pledged aid.")
    assert "[threat_assessment] John Godfrey:" in text
    assert "[condolence] the ministers:" in text


def test_speaker_aliases_are_the_same_speaker_and_role_words_are_not_enough():
    from stancekit.evaluation.stance_preservation import _same_speaker

    def same(a: str, b: str) -> bool:
        return _same_speaker(Speaker(name=a), Speaker(name=b))

    assert same("The European Union", "the EU") and same("United Nations", "UN officials")
    assert same("mediators", "the mediation team") and same("the ministers", "Ministers")
    assert same("Foreign Minister Wang Yi", "Wang")
    assert not same("Japanese officials", "Chinese officials")
    assert not same("United Nations", "United States") and not same("John Godfrey", "NATO")


def test_an_aliased_speaker_keeps_the_statement():
    source = [
        statement(
            "The European Union said it would provide 2.1 billion euros for refugees this year.",
            ["commitment"],
            Speaker(name="The European Union"),
        )
    ]
    summary = [
        statement(
            "The EU said it would provide 2.1 billion euros for refugees.",
            ["commitment"],
            Speaker(name="The EU"),
        )
    ]
    assert stance_preservation(source, summary).outcomes[0].outcome == "kept"
