"""How abstractive summaries are: novel n-grams, copying, compression. A local ``evaluate`` metric.

Load it with ``stancekit.metrics.load_metric("abstractiveness")``. It compares each summary with its own source
document, needs no reference summary, and no network.
"""

from __future__ import annotations

import datasets
import evaluate

from stancekit.evaluation.metrics._text import mean_or_nan, ngrams, words

_DESCRIPTION = """\
Abstractiveness of summaries relative to their source documents (See et al. 2017; Narayan et al. 2018):

- novel_{n}gram_rate (n = 1..4): share of the summary's word n-grams (counted with repeats) that occur
  nowhere in the source. 0 for a summary copied from the source.
- copy_rate: share of the summary's word trigrams found in the source, i.e. 1 - novel_3gram_rate; reported
  under its own name because it is the figure people quote for "how much was copied".
- compression_ratio: source words / summary words (higher = shorter summary).
- summary_length, source_length: in words.

Words are lower-cased runs of letters and digits (punctuation dropped). A rate is NaN for a summary with fewer
than n words (no n-grams), and aggregates skip NaN.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of summaries (str).
    sources: list of the source documents the summaries were made from (str), aligned with predictions.
    use_aggregator: True (default) returns corpus means; False returns one value per summary for each key.
Returns:
    {"novel_1gram_rate", "novel_2gram_rate", "novel_3gram_rate", "novel_4gram_rate", "copy_rate",
     "compression_ratio", "summary_length", "source_length"}: floats (means) or lists of floats.
Example:
    >>> m = stancekit.metrics.load_metric("abstractiveness")
    >>> m.compute(predictions=["The cat sat."], sources=["The cat sat on the mat."])["novel_1gram_rate"]
    0.0
"""

_CITATION = """\
@inproceedings{narayan-etal-2018-dont,
    title = "Don{'}t Give Me the Details, Just the Summary! Topic-Aware Convolutional Neural Networks for
             Extreme Summarization",
    author = "Narayan, Shashi and Cohen, Shay B. and Lapata, Mirella",
    booktitle = "Proceedings of EMNLP",
    year = "2018",
    url = "https://aclanthology.org/D18-1206",
}
"""

NGRAM_ORDERS = (1, 2, 3, 4)


class Abstractiveness(evaluate.Metric):
    """Novel n-gram rates, copy rate, compression ratio and lengths (see ``_DESCRIPTION``)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "sources": datasets.Value("string")}
            ),
            reference_urls=["https://aclanthology.org/D18-1206", "https://aclanthology.org/P17-1099"],
        )

    def _compute(
        self, predictions: list[str], sources: list[str], use_aggregator: bool = True
    ) -> dict[str, float] | dict[str, list[float]]:
        rows = [
            summary_abstractiveness(summary, source)
            for summary, source in zip(predictions, sources, strict=True)
        ]
        keys = [f"novel_{n}gram_rate" for n in NGRAM_ORDERS] + [
            "copy_rate",
            "compression_ratio",
            "summary_length",
            "source_length",
        ]
        per_sample = {key: [row[key] for row in rows] for key in keys}
        if not use_aggregator:
            return per_sample
        return {key: mean_or_nan(values) for key, values in per_sample.items()}


def summary_abstractiveness(summary: str, source: str) -> dict[str, float]:
    """The abstractiveness figures of one summary against its source."""
    summary_words, source_words = words(summary), words(source)
    row: dict[str, float] = {}
    for n in NGRAM_ORDERS:
        summary_ngrams = ngrams(summary_words, n)
        source_ngrams = set(ngrams(source_words, n))
        novel = sum(1 for gram in summary_ngrams if gram not in source_ngrams)
        row[f"novel_{n}gram_rate"] = novel / len(summary_ngrams) if summary_ngrams else float("nan")
    novel_3 = row["novel_3gram_rate"]
    row["copy_rate"] = 1.0 - novel_3 if novel_3 == novel_3 else float("nan")
    row["compression_ratio"] = len(source_words) / len(summary_words) if summary_words else float("nan")
    row["summary_length"] = float(len(summary_words))
    row["source_length"] = float(len(source_words))
    return row
