"""Baselines: lead-k, TextRank (similarity graph + PageRank) and the majority class, on hand-checked cases."""

from __future__ import annotations

import numpy as np
import pytest

from stancekit.errors import InputError
from stancekit.evaluation.baselines import MajorityClassifier
from stancekit.summarise.extractive import (
    TextRankSummariser,
    document_sentences,
    lead_summary,
    pagerank,
    sentence_similarity,
)

ARTICLE = (
    "Coalition ministers met in Rome on Tuesday to discuss the campaign against the group.\n"
    "The ministers agreed to share intelligence and to train local forces against the group.\n"
    "Lunch was served at noon.\n"
    "The group has lost territory, the ministers said, but the campaign against it will continue."
)


def test_sentences_split_lines_and_sentences() -> None:
    assert document_sentences("Mr. Smith met the U.S. envoy. They agreed.\n\nNew paragraph") == [
        "Mr. Smith met the U.S. envoy.",
        "They agreed.",
        "New paragraph",
    ]


def test_lead_takes_the_first_k_sentences() -> None:
    assert lead_summary(ARTICLE, 1) == ARTICLE.split("\n")[0]
    assert lead_summary(ARTICLE, 2).split("\n") == ARTICLE.split("\n")[:2]
    assert lead_summary("One sentence only.", 3) == "One sentence only."
    with pytest.raises(InputError):
        lead_summary(ARTICLE, 0)


def test_pagerank_is_a_distribution_and_favours_hubs() -> None:
    star = np.zeros((4, 4))
    star[0, 1:] = star[1:, 0] = 1.0
    rank = pagerank(star)
    assert rank.sum() == pytest.approx(1.0)
    assert rank[0] > rank[1] == pytest.approx(rank[2])
    isolated = pagerank(np.zeros((3, 3)))
    assert isolated == pytest.approx(np.full(3, 1 / 3))


def test_sentence_similarity_is_overlap_over_log_lengths() -> None:
    assert sentence_similarity(["a", "b", "c"], ["c", "d", "e", "f"]) == pytest.approx(
        1 / (np.log(3) + np.log(4))
    )
    assert sentence_similarity(["a"], ["b"]) == 0.0
    assert sentence_similarity(["a"], ["a"]) == 1.0  # log 1 + log 1 = 0: no division by zero


def test_textrank_picks_the_central_sentence_in_document_order() -> None:
    textrank = TextRankSummariser(k=1)
    scores = textrank.rank(document_sentences(ARTICLE))
    assert int(np.argmin(scores)) == 2  # "Lunch was served at noon." shares nothing
    best = textrank.summarise(ARTICLE)
    assert best in ARTICLE.split("\n") and best != "Lunch was served at noon."
    two = TextRankSummariser(k=2).summarise(ARTICLE).split("\n")
    positions = [ARTICLE.split("\n").index(s) for s in two]
    assert positions == sorted(positions) and 2 not in positions
    assert textrank.summarise("Only one.") == "Only one."
    with pytest.raises(InputError):
        TextRankSummariser(k=1, damping=1.0)


def test_majority_class_learns_the_most_frequent_label_set() -> None:
    majority = MajorityClassifier.from_label_sets(
        [["other"], ["threat", "condemnation"], ["other"], ["threat"]]
    )
    assert majority.predict(["a", "b"]) == [["other"], ["other"]]
    tie = MajorityClassifier.from_label_sets([["threat"], ["support"]])
    assert tie.labels == ["support"]  # ties: the sorted-first label set, so the baseline is deterministic
    with pytest.raises(InputError):
        MajorityClassifier.from_label_sets([])
