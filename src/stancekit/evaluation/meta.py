"""Meta-evaluation: how well a metric agrees with human judgements, with bootstrap intervals.

For factual consistency the human judgement is FRANK's factuality (the share of a summary's sentences judged
free of errors). Reported, each with a 95% percentile-bootstrap interval over summaries:

- ``roc_auc``: how well the metric separates fully factual summaries (human score 1.0) from those with an error;
  0.5 is chance;
- ``balanced_accuracy`` at the metric's threshold (a score at or above it says "factual");
- ``kendall_tau``: rank agreement (tau-b) between the metric and the human score.

The bootstrap is stratified: each resample draws the factual and the erroneous summaries apart, keeping their
counts, so every resample has both classes and ROC-AUC is defined in each (XSum has only 23 factual ones).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from stancekit.errors import InputError


class Agreement(BaseModel):
    """One figure with its 95% interval."""

    value: float
    low: float
    high: float


class MetaEvaluation(BaseModel):
    """A metric's agreement with people on one group of summaries."""

    group: str
    n: int
    n_factual: int
    roc_auc: Agreement
    balanced_accuracy: Agreement
    kendall_tau: Agreement
    threshold: float


def _interval(statistic, strata: list[np.ndarray], seed: int, n_resamples: int = 1000) -> Agreement:
    rng = np.random.default_rng(seed)
    replicates = [
        statistic(np.concatenate([rng.choice(stratum, size=len(stratum)) for stratum in strata]))
        for _ in range(n_resamples)
    ]
    low, high = np.percentile(replicates, [2.5, 97.5])
    return Agreement(value=statistic(np.concatenate(strata)), low=float(low), high=float(high))


def meta_evaluate(
    scores: Sequence[float], human: Sequence[float], *, threshold: float, group: str = "all", seed: int = 0
) -> MetaEvaluation:
    """Agreement of metric ``scores`` (higher = better supported) with ``human`` scores (1.0 = fully factual)."""
    from scipy.stats import kendalltau
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    s, h = np.asarray(scores, dtype=float), np.asarray(human, dtype=float)
    if s.shape != h.shape or s.ndim != 1:
        raise InputError(
            f"{s.size} metric scores but {h.size} human scores.", fix="align them one per summary."
        )
    factual = h >= 1.0
    if factual.all() or not factual.any():
        raise InputError(
            f"group {group!r} needs both fully factual and erroneous summaries to score ROC-AUC.",
            fix="meta-evaluate on a set with both kinds.",
        )
    n = len(s)
    strata = [np.flatnonzero(factual), np.flatnonzero(~factual)]

    def auc(i: np.ndarray) -> float:
        return float(roc_auc_score(factual[i], s[i]))

    def bacc(i: np.ndarray) -> float:
        return float(balanced_accuracy_score(factual[i], s[i] >= threshold))

    def tau(i: np.ndarray) -> float:
        return float(kendalltau(s[i], h[i]).statistic)

    return MetaEvaluation(
        group=group,
        n=n,
        n_factual=int(factual.sum()),
        roc_auc=_interval(auc, strata, seed),
        balanced_accuracy=_interval(bacc, strata, seed),
        kendall_tau=_interval(tau, strata, seed),
        threshold=threshold,
    )


def best_threshold(scores: Sequence[float], human: Sequence[float]) -> float:
    """The threshold that maximises balanced accuracy at telling fully factual summaries from the rest
    (choose it on a development set such as FRANK validation, never on a test set)."""
    from sklearn.metrics import balanced_accuracy_score

    s, factual = np.asarray(scores, dtype=float), np.asarray(human, dtype=float) >= 1.0
    candidates = np.unique(s)
    return float(max(candidates, key=lambda t: (balanced_accuracy_score(factual, s >= t), -t)))


FRANK_GROUPS = {"cnndm": "CNN/DM", "bbc": "XSum"}


def _support_scores(metric: str, summaries: list[str], sources: list[str]) -> list[float]:
    """One score per summary, higher meaning better supported, from a shipped metric's output."""
    from stancekit.evaluation.metrics import load_metric

    out = load_metric(metric).compute(predictions=summaries, sources=sources)
    if "scores" in out:
        return [float(v) for v in out["scores"]]
    if metric == "faithfulness":  # flags: fewer unsupported numbers, names and sentences is better
        keys = ("unsupported_numbers", "unsupported_entities", "unsupported_sentences")
        return [-float(sum(len(out[k][i]) for k in keys)) for i in range(len(summaries))]
    raise InputError(f"metric {metric!r} gives no per-summary support score.", fix="use rouge2_support.")


def meta_evaluate_frank(path: str, metric: str = "rouge2_support") -> list[MetaEvaluation]:
    """Score FRANK's summaries with a shipped metric and measure its agreement with the annotators, pooled
    and per dataset. The threshold is chosen on the pooled set: FRANK validation is a development set."""
    import json
    from pathlib import Path

    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise InputError(f"{path} holds no rows.", fix="point at frank-validation.jsonl.")
    scores = _support_scores(metric, [r["summary"] for r in rows], [r["article"] for r in rows])
    human = [float(r["factuality"]) for r in rows]
    threshold = best_threshold(scores, human)
    results = [meta_evaluate(scores, human, threshold=threshold, group="pooled")]
    for key, name in FRANK_GROUPS.items():
        idx = [i for i, r in enumerate(rows) if r["dataset"] == key]
        results.append(
            meta_evaluate([scores[i] for i in idx], [human[i] for i in idx], threshold=threshold, group=name)
        )
    return results
