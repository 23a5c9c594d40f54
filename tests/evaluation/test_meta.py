"""Meta-evaluation against human judgements, and the rouge2_support metric module."""

from __future__ import annotations

import pytest

from stancekit.errors import InputError
from stancekit.evaluation.meta import best_threshold, meta_evaluate


def test_a_metric_that_ranks_every_factual_summary_first_has_auc_one():
    human = [1.0, 1.0, 1.0, 0.5, 0.0, 0.0]
    scores = [0.9, 0.8, 0.7, 0.4, 0.2, 0.1]
    result = meta_evaluate(scores, human, threshold=best_threshold(scores, human))
    assert result.roc_auc.value == pytest.approx(1.0)
    assert result.balanced_accuracy.value == pytest.approx(1.0)
    assert result.kendall_tau.value > 0.8
    assert result.n == 6 and result.n_factual == 3


def test_an_inverted_metric_has_auc_zero_and_negative_tau():
    human = [1.0, 1.0, 0.0, 0.0, 0.5]
    scores = [0.1, 0.2, 0.9, 0.8, 0.5]
    result = meta_evaluate(scores, human, threshold=0.5)
    assert result.roc_auc.value == pytest.approx(0.0)
    assert result.kendall_tau.value < 0
    assert result.roc_auc.low <= result.roc_auc.value <= result.roc_auc.high


def test_one_class_only_or_misaligned_is_refused():
    with pytest.raises(InputError, match="both fully factual and erroneous"):
        meta_evaluate([0.1, 0.2], [1.0, 1.0], threshold=0.5)
    with pytest.raises(InputError, match="3 metric scores but 2 human"):
        meta_evaluate([0.1, 0.2, 0.3], [1.0, 0.0], threshold=0.5)


def test_rouge2_support_is_a_shipped_metric():
    from stancekit.metrics import load_metric

    out = load_metric("rouge2_support").compute(
        predictions=["Kenya will send two ships.", "Mars declared war."],
        sources=["Talks ended. Kenya will send two ships next month.", "Talks ended. Kenya will send ships."],
    )
    assert out["scores"][0] == pytest.approx(1.0)
    assert out["scores"][1] < out["scores"][0]
    assert out["sentences"][0][0]["support"] == [{"start": 13, "end": 50}]
    assert out["rouge2_support"] == pytest.approx(sum(out["scores"]) / 2)
