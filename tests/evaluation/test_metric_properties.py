"""Property tests of the metrics (hypothesis): bounds, symmetry where the metric is symmetric, identity."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from stancekit.evaluation.classification import score_label_sets
from stancekit.evaluation.statistics import bootstrap_ci

LABELS = ["commitment", "threat", "condemnation", "other"]
LABEL_SETS = st.lists(st.sampled_from(LABELS), min_size=1, max_size=3, unique=True)
PAIRS = st.integers(1, 12).flatmap(
    lambda n: st.tuples(
        st.lists(LABEL_SETS, min_size=n, max_size=n), st.lists(LABEL_SETS, min_size=n, max_size=n)
    )
)
WORDS = st.lists(
    st.sampled_from(["talks", "resumed", "the", "envoy", "Geneva", "calm", "urged", "3", "é"]),
    min_size=1,
    max_size=12,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(pair=PAIRS)
def test_classification_scores_are_bounded_and_precision_recall_swap(pair):
    gold, predicted = pair
    forward, backward = score_label_sets(gold, predicted, LABELS), score_label_sets(predicted, gold, LABELS)
    for scores in (forward, backward):
        for value in (scores.macro_f1, scores.micro_f1, scores.exact_match):
            assert 0.0 <= value <= 1.0
    assert forward.micro_f1 == backward.micro_f1 and forward.exact_match == backward.exact_match
    for label in LABELS:
        f, b = forward.per_label[label], backward.per_label[label]
        assert f.precision == b.recall and f.recall == b.precision and np.isclose(f.f1, b.f1)


@settings(max_examples=100, deadline=None)
@given(gold=st.lists(LABEL_SETS, min_size=1, max_size=12))
def test_perfect_predictions_score_one(gold):
    scores = score_label_sets(gold, gold, LABELS)
    assert scores.exact_match == 1.0 and scores.micro_f1 == 1.0
    assert all(scores.per_label[label].f1 == 1.0 for label in LABELS if scores.per_label[label].support)


@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30), seed=st.integers(0, 2**32 - 1))
def test_bootstrap_interval_lies_within_the_data_and_is_reproducible(values, seed):
    point, low, high = bootstrap_ci(values, n_resamples=200, seed=seed)
    assert min(values) - 1e-6 <= low <= high <= max(values) + 1e-6
    assert np.isclose(point, np.mean(values))
    assert bootstrap_ci(values, n_resamples=200, seed=seed) == (point, low, high)


@settings(max_examples=150, deadline=None)
@given(a=WORDS, b=WORDS)
def test_rouge_f_is_symmetric_bounded_and_one_on_identity(a, b):
    from rouge_score import rouge_scorer

    from stancekit.evaluation.metrics._rouge_tokenize import RougeTokenizer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=RougeTokenizer(None))
    forward, backward, same = scorer.score(a, b), scorer.score(b, a), scorer.score(a, a)
    for key in forward:
        assert 0.0 <= forward[key].fmeasure <= 1.0
        assert np.isclose(forward[key].fmeasure, backward[key].fmeasure)
        assert forward[key].precision == backward[key].recall
        assert same[key].fmeasure in (0.0, 1.0)  # 1, or 0 when a has no bigram (rouge2 of one word)
