"""Learned factual consistency of a summary with its source: a logistic model over MiniLM
similarity and lexical support features, mixed with the ROUGE-2 floor.

Load it with ``stancekit.metrics.load_metric("factual_consistency")``. The scorer is inference code
(``stancekit.summarise.consistency``); this module makes it a harness metric.
"""

from __future__ import annotations

import functools

import datasets
import evaluate

from stancekit.evaluation.metrics._text import mean_or_nan
from stancekit.summarise.consistency import DEFAULT_CONSISTENCY, ConsistencyScorer
from stancekit.summarise.grounding import check_pairs

_DESCRIPTION = """\
Each summary sentence is scored by a logistic model over MiniLM similarity and lexical support features
(trained on pairs built from the team's own articles: reference-summary and source sentences against entity, number, date, negation, modality, addition and
other-article corruptions) against its evidence, the source sentences that share most bigrams with it; its
score mixes that support probability with its ROUGE-2 support, and the summary scores the mean over its
sentences, in [0, 1], higher meaning better supported. With each sentence come its evidence spans {start, end}.
Its agreement with people is measured on FRANK validation (README, "Does a faithfulness metric agree with
people?").
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of summaries (str).
    sources: list of the source documents (str), aligned with predictions. Any length: sources are read
        sentence by sentence, never truncated.
    weights: a shipped scorer name or a trained directory (default consistency-minilm-v1).
    top_k, rouge_weight, aggregation: override the settings recorded with the weights.
Returns:
    scores: one float per summary in [0, 1];
    sentences: per summary, a list of {text, start, end, score, support: [{start, end}]};
    threshold: the summary-level threshold recorded with the weights (at or above: supported);
    factual_consistency: the mean of scores.
Example:
    >>> m = stancekit.metrics.load_metric("factual_consistency")
    >>> m.compute(predictions=["Kenya will send ships."], sources=["Kenya will send ships."])["scores"]
"""


@functools.lru_cache(maxsize=4)
def _scorer(
    weights: str, top_k: int | None, rouge_weight: float | None, aggregation: str | None
) -> ConsistencyScorer:
    return ConsistencyScorer(weights, top_k=top_k, rouge_weight=rouge_weight, aggregation=aggregation)


class FactualConsistency(evaluate.Metric):
    """Learned factual consistency (see ``_DESCRIPTION``)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "sources": datasets.Value("string")}
            ),
        )

    def _compute(
        self,
        predictions: list[str],
        sources: list[str],
        weights: str = DEFAULT_CONSISTENCY,
        top_k: int | None = None,
        rouge_weight: float | None = None,
        aggregation: str | None = None,
    ) -> dict:
        predictions, sources = check_pairs(predictions, sources)  # before the model loads
        scorer = _scorer(str(weights), top_k, rouge_weight, aggregation)
        results = scorer.score(predictions, sources)
        scores = [r.score for r in results]
        return {
            "scores": scores,
            "sentences": [[s.model_dump() for s in r.sentences] for r in results],
            "threshold": scorer.threshold,
            "factual_consistency": mean_or_nan(scores),
        }
