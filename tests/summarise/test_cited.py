"""Grounded summaries: citations, flags and the three repairs, and the summariser's post-generation step."""

from __future__ import annotations

import pytest

from stancekit.summarise.cited import cited_text, ground, repair
from stancekit.summarise.config import GroundingSettings

SOURCE = (
    "Foreign ministers met in Djibouti on Thursday. "
    "Kenya and Oman will each contribute two vessels to the patrol. "
    "India pledged surveillance aircraft."
)
SUMMARY = "Kenya and Oman will each send two vessels to the patrol. Brazil sank a tanker off Peru in May."


def test_each_sentence_cites_the_source_sentences_behind_it_and_flags_the_unsupported():
    first, second = ground(SUMMARY, SOURCE, GroundingSettings())
    assert first.citations == [2] and not first.flagged
    assert SOURCE[first.support[0].start : first.support[0].end].startswith("Kenya and Oman")
    assert second.flagged and second.consistency < 0.325
    assert cited_text([first, second]) == (
        "Kenya and Oman will each send two vessels to the patrol [2]. Brazil sank a tanker off Peru in May (?)."
    )


def test_flag_keeps_drop_removes_and_an_all_flagged_summary_keeps_its_best_sentence():
    sentences = ground(SUMMARY, SOURCE, GroundingSettings())
    kept, record = repair(sentences, SOURCE, GroundingSettings(repair="flag"))
    assert kept == sentences and record["flagged"] == 1 and record["dropped"] == 0
    kept, record = repair(sentences, SOURCE, GroundingSettings(repair="drop"))
    assert [s.text for s in kept] == [sentences[0].text] and record["dropped"] == 1
    invented = ground("Mars sank Peru. Venus sold tanks.", SOURCE, GroundingSettings())
    kept, record = repair(invented, SOURCE, GroundingSettings(repair="drop"))
    assert len(kept) == 1 and kept[0].flagged and record["dropped"] == 1


def test_regenerate_rewrites_a_flagged_sentence_from_its_evidence_only_when_it_scores_better():
    sentences = ground(
        "Kenya and Oman will send vessels. India sold surveillance aircraft to Peru.",
        SOURCE,
        GroundingSettings(),
    )
    asked: list[str] = []

    def regenerate(evidence: list[str]) -> list[str]:
        asked.extend(evidence)
        return ["India pledged surveillance aircraft to the patrol. And more."]

    kept, record = repair(sentences, SOURCE, GroundingSettings(repair="regenerate"), regenerate)
    assert asked == ["India pledged surveillance aircraft."]  # the flagged sentence's cited sentence
    assert (
        kept[1].text == "India pledged surveillance aircraft to the patrol."
        and kept[1].repair == "regenerated"
    )
    assert record["regenerated"] == 1 and record["flagged_after"] == 0
    worse, record = repair(sentences, SOURCE, GroundingSettings(repair="regenerate"), lambda e: ["Zzz qqq."])
    assert worse[1] == sentences[1] and record["regenerated"] == 0


def test_no_scorer_and_wordless_summaries_are_not_grounded():
    assert ground(SUMMARY, SOURCE, GroundingSettings(scorer="none")) == []
    assert ground("... !", SOURCE, GroundingSettings()) == []


def test_the_summariser_grounds_every_result_and_records_the_repair(tiny_causal):
    from stancekit.summarise.summariser import Summariser
    from tests.summarise.test_summarise import config_for

    summariser = Summariser(config_for(tiny_causal, grounding={"repair": "drop", "threshold": 0.99}))
    result = summariser.summarise_one(SOURCE)
    if result.sentences:  # random weights may emit no word at all
        assert result.grounding["repair"] == "drop" and result.grounding["scorer"] == "rouge2_support"
        if result.grounding["dropped"]:
            assert result.summary == " ".join(s.text for s in result.sentences)
        assert all(s.flagged == (s.consistency < 0.99) for s in result.sentences)
        assert "[" in result.cited() or not any(s.citations for s in result.sentences)
    data = result.model_dump(mode="json")
    assert "sentences" in data and "grounding" in data


@pytest.mark.parametrize("bad", [{"repair": "rewrite"}, {"threshold": 2.0}])
def test_bad_grounding_settings_are_refused(bad):
    from stancekit.errors import ConfigError
    from stancekit.summarise.config import load_summariser_config

    with pytest.raises(ConfigError, match="grounding"):
        load_summariser_config("embedded-qwen", [f"grounding.{k}={v}" for k, v in bad.items()])
