"""The ROUGE-2 support floor: scores, evidence spans, bad input."""

from __future__ import annotations

import pytest

from stancekit.errors import InputError
from stancekit.summarise.grounding import check_pairs, rouge2_support

SOURCE = (
    "Foreign ministers met in Djibouti on Thursday. "
    "Kenya and Oman will each contribute two vessels to the patrol. "
    "India pledged surveillance aircraft."
)


def test_a_copied_sentence_is_fully_supported_by_its_source_sentence():
    result = rouge2_support("Kenya and Oman will each contribute two vessels.", SOURCE)
    sentence = result.sentences[0]
    assert result.score == pytest.approx(1.0)
    best = sentence.support[0]
    assert SOURCE[best.start : best.end].startswith("Kenya and Oman will each contribute")


def test_an_invented_fact_scores_below_a_supported_one():
    supported = rouge2_support("India pledged surveillance aircraft.", SOURCE).score
    invented = rouge2_support("China pledged two aircraft carriers to Djibouti.", SOURCE).score
    assert invented < 0.5 < supported


def test_the_summary_score_is_the_mean_of_its_sentences():
    result = rouge2_support("India pledged surveillance aircraft. The patrol was cancelled in May.", SOURCE)
    assert len(result.sentences) == 2
    assert result.score == pytest.approx(sum(s.score for s in result.sentences) / 2)
    assert all(0.0 <= s.score <= 1.0 for s in result.sentences)
    assert result.sentences[1].text == "The patrol was cancelled in May."


def test_offsets_point_into_the_summary_and_the_source():
    summary = "Ministers met in Djibouti.  India pledged surveillance aircraft."
    for sentence in rouge2_support(summary, SOURCE).sentences:
        assert summary[sentence.start : sentence.end] == sentence.text
        for span in sentence.support:
            assert 0 <= span.start < span.end <= len(SOURCE)


def test_a_window_of_one_sentence_cannot_combine_sentences():
    # each half of the summary sentence is in a different source sentence
    summary = "Kenya and Oman will each contribute India pledged surveillance aircraft."
    whole = rouge2_support(summary, SOURCE).score
    single = rouge2_support(summary, SOURCE, window=1).score
    assert single < whole


@pytest.mark.parametrize(
    ("summary", "source", "match"),
    [
        ("", SOURCE, "empty"),
        ("Something.", "   ", "empty"),
        (None, SOURCE, "expected text as a str"),
        ("...", SOURCE, "no words"),
    ],
)
def test_bad_input_is_refused(summary, source, match):
    with pytest.raises(InputError, match=match):
        rouge2_support(summary, source)


def test_bad_windows_and_mismatched_lists_are_refused():
    with pytest.raises(InputError, match="window"):
        rouge2_support("India pledged aircraft.", SOURCE, window=0)
    with pytest.raises(InputError, match="2 summaries but 1 sources"):
        check_pairs(["a.", "b."], [SOURCE])
    with pytest.raises(InputError, match="expected a list of str"):
        check_pairs("a summary", [SOURCE])
    with pytest.raises(InputError, match="predictions document 1"):
        check_pairs(["a.", ""], [SOURCE, SOURCE])
