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

# The figures of a meta-evaluation, as results.json names them (pooled; per group "<name>_<group>").
AGREEMENT_STATISTICS = {
    "roc_auc": "ROC-AUC at telling fully factual summaries from the rest (0.5 = chance)",
    "balanced_accuracy": "balanced accuracy at the metric's threshold",
    "kendall_tau": "Kendall tau-b between the metric and the human score",
}


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
    scores: Sequence[float],
    human: Sequence[float],
    *,
    threshold: float,
    group: str = "all",
    seed: int = 0,
    factual_at: float = 1.0,
    n_resamples: int = 1000,
) -> MetaEvaluation:
    """Agreement of metric ``scores`` (higher = better supported) with ``human`` scores (at or above
    ``factual_at``: fully factual)."""
    from scipy.stats import kendalltau
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    s, h = np.asarray(scores, dtype=float), np.asarray(human, dtype=float)
    if s.shape != h.shape or s.ndim != 1:
        raise InputError(
            f"{s.size} metric scores but {h.size} human scores.", fix="align them one per summary."
        )
    factual = h >= factual_at
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
        roc_auc=_interval(auc, strata, seed, n_resamples),
        balanced_accuracy=_interval(bacc, strata, seed, n_resamples),
        kendall_tau=_interval(tau, strata, seed, n_resamples),
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
    if metric in (
        "faithfulness",
        "unsupported_content",
    ):  # flags: fewer unsupported numbers, names and sentences is better
        keys = ("unsupported_numbers", "unsupported_entities", "unsupported_sentences")
        return [-float(sum(len(out[k][i]) for k in keys)) for i in range(len(summaries))]
    raise InputError(f"metric {metric!r} gives no per-summary support score.", fix="use rouge2_support.")


def read_frank(path: str) -> list[dict]:
    import json
    from pathlib import Path

    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise InputError(f"{path} holds no rows.", fix="point at frank-validation.jsonl.")
    return rows


def meta_evaluate_frank(path: str, metric: str = "rouge2_support") -> list[MetaEvaluation]:
    """Score FRANK's summaries with a shipped metric and measure its agreement with the annotators, pooled
    and per dataset. The threshold is chosen on the pooled set: FRANK validation is a development set."""
    rows = read_frank(path)
    scores = _support_scores(metric, [r["summary"] for r in rows], [r["article"] for r in rows])
    return frank_agreement(rows, scores)


def frank_agreement(rows: list[dict], scores: Sequence[float]) -> list[MetaEvaluation]:
    """Pooled and per-dataset agreement of ``scores`` (one per FRANK row), threshold chosen on the pool."""
    scores = list(scores)
    human = [float(r["factuality"]) for r in rows]
    threshold = best_threshold(scores, human)
    results = [meta_evaluate(scores, human, threshold=threshold, group="pooled")]
    for key, name in FRANK_GROUPS.items():
        idx = [i for i, r in enumerate(rows) if r["dataset"] == key]
        results.append(
            meta_evaluate([scores[i] for i in idx], [human[i] for i in idx], threshold=threshold, group=name)
        )
    return results


class GridPoint(BaseModel):
    """One setting of the consistency scorer's aggregation and its FRANK ROC-AUC (point values)."""

    top_k: int
    rouge_weight: float
    aggregation: str
    roc_auc: dict[str, float]


def consistency_grid(
    path: str,
    weights: str,
    *,
    top_ks: Sequence[int] = (1, 2, 3, 5),
    rouge_weights: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
) -> list[GridPoint]:
    """ROC-AUC on FRANK of every (top_k, rouge_weight, aggregation) of one trained consistency scorer: the model
    runs once per top_k; weights and aggregation are recombined from per-sentence scores. FRANK validation
    may choose these settings, never the weights."""
    from sklearn.metrics import roc_auc_score

    from stancekit.summarise.consistency import ConsistencyScorer
    from stancekit.summarise.grounding import rouge2_support

    rows = read_frank(path)
    summaries, sources = [r["summary"] for r in rows], [r["article"] for r in rows]
    factual = np.asarray([float(r["factuality"]) >= 1.0 for r in rows])
    groups = {"pooled": np.ones(len(rows), dtype=bool)}
    groups |= {name: np.asarray([r["dataset"] == key for r in rows]) for key, name in FRANK_GROUPS.items()}
    floors = [
        [s.score for s in rouge2_support(a, b).sentences] for a, b in zip(summaries, sources, strict=True)
    ]
    scorer = ConsistencyScorer(weights, rouge_weight=0.0)
    points = []
    for k in top_ks:
        scorer.top_k = k
        learned = [[s.score for s in r.sentences] for r in scorer.score(summaries, sources)]
        for w in rouge_weights:
            for aggregation in ("mean", "min"):
                combined = [
                    [(1 - w) * p + w * f for p, f in zip(ps, fs, strict=True)]
                    for ps, fs in zip(learned, floors, strict=True)
                ]
                scores = np.asarray([min(c) if aggregation == "min" else sum(c) / len(c) for c in combined])
                auc = {g: round(float(roc_auc_score(factual[m], scores[m])), 4) for g, m in groups.items()}
                points.append(GridPoint(top_k=k, rouge_weight=w, aggregation=aggregation, roc_auc=auc))
    return points
