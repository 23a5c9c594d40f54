"""Sentence-level ROUGE-2 support of a summary by its source: the training-free floor for factual consistency.

Load it with ``stancekit.metrics.load_metric("rouge2_support")``. The scorer is inference code
(``stancekit.summarise.grounding``); this module makes it a harness metric.
"""

from __future__ import annotations

import datasets
import evaluate

from stancekit.evaluation.metrics._text import mean_or_nan
from stancekit.summarise.grounding import check_pairs, rouge2_support

_DESCRIPTION = """\
Each summary sentence scores its ROUGE-2 precision against the source (word bigrams, repeats clipped; a one-word
sentence uses its word), or its best against any window of `window` consecutive source sentences, and the
summary scores the mean over its sentences, in [0, 1], higher meaning better supported. With each sentence come
the source sentences {start, end} that share most bigrams with it, best first.
A lexical measure: it rewards copying, misses paraphrase and cannot see a contradiction that reuses the
source's words. Its agreement with people is measured on FRANK validation (README, "Evaluation").
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of summaries (str).
    sources: list of the source documents (str), aligned with predictions.
    window: consecutive source sentences per window; None (default) reads the whole source as one.
Returns:
    scores: one float per summary in [0, 1];
    sentences: per summary, a list of {text, start, end, score, support: [{start, end}]};
    rouge2_support: the mean of scores.
Example:
    >>> m = stancekit.metrics.load_metric("rouge2_support")
    >>> m.compute(predictions=["Kenya will send ships."], sources=["Kenya will send ships."])["scores"]
    [1.0]
"""


class Rouge2Support(evaluate.Metric):
    """Sentence-level ROUGE-2 precision support (see ``_DESCRIPTION``)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "sources": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions: list[str], sources: list[str], window: int | None = None) -> dict:
        predictions, sources = check_pairs(predictions, sources)
        results = [
            rouge2_support(summary, source, window=window)
            for summary, source in zip(predictions, sources, strict=True)
        ]
        scores = [r.score for r in results]
        return {
            "scores": scores,
            "sentences": [[s.model_dump() for s in r.sentences] for r in results],
            "rouge2_support": mean_or_nan(scores),
        }
