"""Bootstrap confidence intervals and paired significance tests."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.metrics import f1_score

from stancekit.errors import InputError
from stancekit.evaluation.statistics import bootstrap_ci, paired_bootstrap, paired_permutation_test


def test_bootstrap_ci_of_a_mean_brackets_the_sample_mean() -> None:
    values = np.random.default_rng(0).normal(0.3, 0.1, 400)
    point, low, high = bootstrap_ci(values)
    assert point == pytest.approx(values.mean())
    assert low < point < high
    # The percentile interval of a mean is close to the normal one: +-1.96 standard errors.
    standard_error = values.std(ddof=1) / np.sqrt(len(values))
    assert (high - low) == pytest.approx(2 * 1.96 * standard_error, rel=0.15)


def test_bootstrap_ci_covers_the_true_mean_at_about_the_nominal_rate() -> None:
    rng = np.random.default_rng(1)
    covered = 0
    trials = 200
    for trial in range(trials):
        sample = rng.exponential(1.0, 200)  # skewed, true mean 1.0
        _, low, high = bootstrap_ci(sample, n_resamples=500, seed=trial)
        covered += low <= 1.0 <= high
    assert 0.88 <= covered / trials <= 0.99


def test_bootstrap_ci_shrinks_with_more_samples() -> None:
    rng = np.random.default_rng(2)
    widths = []
    for n in (100, 1000, 10000):
        _, low, high = bootstrap_ci(rng.normal(0, 1, n))
        widths.append(high - low)
    assert widths[0] > widths[1] > widths[2]
    assert widths[0] / widths[2] == pytest.approx(10, rel=0.25)  # width ~ 1/sqrt(n)


def test_bootstrap_ci_is_seeded_and_the_confidence_matters() -> None:
    values = np.random.default_rng(3).random(300)
    assert bootstrap_ci(values, seed=5) == bootstrap_ci(values, seed=5)
    _, low90, high90 = bootstrap_ci(values, confidence=0.90)
    _, low99, high99 = bootstrap_ci(values, confidence=0.99)
    assert low99 < low90 and high90 < high99


def test_callable_statistic_draws_the_same_resamples_as_values() -> None:
    values = np.random.default_rng(4).random(250)
    by_values = bootstrap_ci(values, n_resamples=300, seed=9)
    by_callable = bootstrap_ci(lambda idx: values[idx].mean(), n=250, n_resamples=300, seed=9)
    assert by_callable == pytest.approx(by_values)


def test_bootstrap_ci_of_a_corpus_level_statistic() -> None:
    rng = np.random.default_rng(5)
    gold = rng.integers(0, 3, 300)
    predicted = np.where(rng.random(300) < 0.7, gold, rng.integers(0, 3, 300))

    def macro_f1(indices: np.ndarray) -> float:
        return f1_score(gold[indices], predicted[indices], average="macro")

    point, low, high = bootstrap_ci(macro_f1, n=300, n_resamples=300)
    assert point == pytest.approx(f1_score(gold, predicted, average="macro"))
    assert low < point < high
    assert 0.02 < high - low < 0.25


def test_bootstrap_is_fast_for_means_over_an_xsum_sized_corpus() -> None:
    values = np.random.default_rng(6).random(11_334)
    start = time.perf_counter()
    bootstrap_ci(values, n_resamples=1000)
    paired_bootstrap(values, values[::-1].copy(), n_resamples=1000)
    assert time.perf_counter() - start < 2.0


def test_paired_bootstrap_detects_a_real_difference() -> None:
    rng = np.random.default_rng(7)
    difficulty = rng.random(400)  # shared per-sample difficulty, which pairing cancels
    a = difficulty + 0.03 + rng.normal(0, 0.05, 400)
    b = difficulty + rng.normal(0, 0.05, 400)
    out = paired_bootstrap(a, b)
    assert out["diff"] == pytest.approx(a.mean() - b.mean())
    assert 0 < out["low"] < out["diff"] < out["high"]
    assert out["p_value"] < 0.01
    assert set(out) == {"a", "b", "diff", "low", "high", "p_value"}


def test_paired_bootstrap_does_not_invent_a_difference() -> None:
    # Systems that differ per sample but not on average: the differences are +e and -e in equal measure.
    rng = np.random.default_rng(8)
    difficulty = rng.random(400)
    noise = rng.normal(0, 0.05, 200)
    out = paired_bootstrap(difficulty, difficulty + np.concatenate([noise, -noise]))
    assert out["diff"] == pytest.approx(0.0, abs=1e-12)
    assert out["low"] < 0 < out["high"]
    assert out["p_value"] > 0.5


def test_paired_bootstrap_false_positive_rate_is_near_alpha() -> None:
    rng = np.random.default_rng(9)
    rejections = sum(
        paired_bootstrap(rng.normal(0, 1, 100), rng.normal(0, 1, 100), n_resamples=300, seed=t)["p_value"]
        < 0.05
        for t in range(100)
    )
    assert rejections <= 12


def test_paired_bootstrap_with_corpus_level_statistics() -> None:
    rng = np.random.default_rng(10)
    gold = rng.integers(0, 2, 300)
    good = np.where(rng.random(300) < 0.9, gold, 1 - gold)
    poor = np.where(rng.random(300) < 0.6, gold, 1 - gold)
    out = paired_bootstrap(
        lambda i: f1_score(gold[i], good[i], average="macro"),
        lambda i: f1_score(gold[i], poor[i], average="macro"),
        n=300,
        n_resamples=300,
    )
    assert out["diff"] > 0.15
    assert out["low"] > 0
    assert out["p_value"] < 0.01


def test_paired_permutation_test_on_means() -> None:
    rng = np.random.default_rng(11)
    difficulty = rng.random(300)
    better = difficulty + 0.03 + rng.normal(0, 0.05, 300)
    same = difficulty + rng.normal(0, 0.05, 300)
    assert paired_permutation_test(better, same)["p_value"] < 0.01
    null = paired_permutation_test(difficulty + rng.normal(0, 0.05, 300), same)
    assert null["p_value"] > 0.05
    # Identical systems: every permutation is as extreme as the observed (zero) difference.
    assert paired_permutation_test(same, same, n_resamples=200)["p_value"] == 1.0


def test_paired_permutation_test_with_a_corpus_statistic() -> None:
    rng = np.random.default_rng(12)
    gold = rng.integers(0, 2, 200)
    good = np.where(rng.random(200) < 0.9, gold, 1 - gold)
    poor = np.where(rng.random(200) < 0.6, gold, 1 - gold)

    def macro_f1(predicted: np.ndarray) -> float:
        return f1_score(gold, predicted, average="macro")

    out = paired_permutation_test(good, poor, statistic=macro_f1, n_resamples=300)
    assert out["diff"] == pytest.approx(macro_f1(good) - macro_f1(poor))
    assert out["p_value"] < 0.01
    # Multi-label rows (samples x labels) are swapped whole.
    rows_a = np.stack([good, 1 - good], axis=1)
    rows_b = np.stack([poor, 1 - poor], axis=1)
    labels = np.stack([gold, 1 - gold], axis=1)
    out = paired_permutation_test(
        rows_a, rows_b, statistic=lambda p: f1_score(labels, p, average="macro"), n_resamples=100
    )
    assert out["p_value"] < 0.05


def test_bad_input_raises_input_error() -> None:
    with pytest.raises(InputError, match="NaN"):
        bootstrap_ci([0.1, float("nan")])
    with pytest.raises(InputError, match="n is needed"):
        bootstrap_ci(lambda idx: 0.0)
    with pytest.raises(InputError, match="same samples"):
        paired_bootstrap([0.1, 0.2], [0.1, 0.2, 0.3])
    with pytest.raises(InputError, match="confidence"):
        bootstrap_ci([0.1, 0.2], confidence=95)
    with pytest.raises(InputError, match="aligned"):
        paired_permutation_test([0.1, 0.2], [0.1])
