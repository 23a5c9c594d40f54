"""ROUGE-1/2/L/Lsum F-measures as a local ``evaluate`` metric that needs no network.

Load it with ``stancekit.metrics.load_metric("rouge")``. Unlike the hub's "rouge", it returns the plain mean of
per-sample F-measures (what ROUGE-1.5.5 reports as Average_F) instead of the median of bootstrap means, so
the number is deterministic; confidence intervals come from ``stancekit.evaluation.statistics.bootstrap_ci`` on the per-sample
scores (``use_aggregator=False``).
"""

from __future__ import annotations

import datasets
import evaluate
from rouge_score import rouge_scorer

from stancekit.evaluation.metrics._rouge_tokenize import STEMMERS, RougeTokenizer
from stancekit.evaluation.metrics._text import split_sentences as _split_sentences

_DESCRIPTION = """\
ROUGE F-measures between generated summaries and reference summaries, computed with Google's rouge_score.

- rouge1, rouge2: unigram / bigram overlap.
- rougeL: sentence-level ROUGE-L, the longest common subsequence (LCS) of the two texts taken as one sequence.
- rougeLsum: summary-level ROUGE-L (union LCS over sentences), what ROUGE-1.5.5 and the papers call ROUGE-L.
  Both texts are split into sentences first (a rule-based splitter; newlines always split), because
  rouge_score reads sentence boundaries from newlines only. For one-sentence texts rougeL == rougeLsum.

Tokens: lower-cased runs of [a-z0-9]; punctuation (and tokenised quotes `` '') is dropped, as in ROUGE-1.5.5.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of generated summaries (str).
    references: list of reference summaries, one str or a list of str per prediction (with several, the
        best-scoring reference counts for each ROUGE type, as in rouge_score / HF evaluate).
    rouge_types: subset of ["rouge1", "rouge2", "rougeL", "rougeLsum"] (default: all four; also "rouge3"...).
    use_stemmer: stem tokens longer than 3 characters (default True).
    stemmer: "porter" (rouge_score's NLTK Porter, as HF evaluate; default) or "rouge155" (the official
        ROUGE-1.5.5 -m stemming: WordNet 2.0 exceptions + the script's Perl Porter; use it to compare with
        numbers that papers computed with ROUGE-1.5.5 / pyrouge / files2rouge).
    split_sentences: split texts into sentences for rougeLsum (default True). False: only existing newlines
        separate sentences.
    use_aggregator: True (default) returns the mean F-measure per type; False returns a list per type with
        one score per prediction.
Returns:
    {"rouge1": float, "rouge2": float, "rougeL": float, "rougeLsum": float}, each in [0, 1].
Example:
    >>> rouge = stancekit.metrics.load_metric("rouge")
    >>> rouge.compute(predictions=["the cat sat"], references=["the cat sat down"])["rouge1"]
    0.857...
"""

_CITATION = """\
@inproceedings{lin-2004-rouge,
    title = "{ROUGE}: A Package for Automatic Evaluation of Summaries",
    author = "Lin, Chin-Yew",
    booktitle = "Text Summarization Branches Out",
    year = "2004",
    publisher = "Association for Computational Linguistics",
    url = "https://aclanthology.org/W04-1013",
    pages = "74--81",
}
"""

DEFAULT_ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")


class Rouge(evaluate.Metric):
    """ROUGE-N / ROUGE-L / ROUGE-Lsum F-measures (see ``_KWARGS_DESCRIPTION``)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            # Several references per prediction first: evaluate tries the options in order, and a plain str
            # is refused by the list option, never split into characters.
            features=[
                datasets.Features(
                    {
                        "predictions": datasets.Value("string"),
                        "references": datasets.Sequence(datasets.Value("string")),
                    }
                ),
                datasets.Features(
                    {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
                ),
            ],
            codebase_urls=["https://github.com/google-research/google-research/tree/master/rouge"],
            reference_urls=["https://aclanthology.org/W04-1013"],
        )

    def _compute(
        self,
        predictions: list[str],
        references: list[str] | list[list[str]],
        rouge_types: list[str] | None = None,
        use_stemmer: bool = True,
        stemmer: str = "porter",
        split_sentences: bool = True,
        use_aggregator: bool = True,
    ) -> dict[str, float] | dict[str, list[float]]:
        if stemmer not in STEMMERS:
            raise ValueError(f"stemmer must be one of {STEMMERS}, got {stemmer!r}")
        rouge_types = list(rouge_types or DEFAULT_ROUGE_TYPES)
        scorer = rouge_scorer.RougeScorer(
            rouge_types, tokenizer=RougeTokenizer(stemmer if use_stemmer else None)
        )
        prepare = _one_sentence_per_line if split_sentences else str
        per_sample: dict[str, list[float]] = {t: [] for t in rouge_types}
        for prediction, refs in zip(predictions, references, strict=True):
            refs_list = [refs] if isinstance(refs, str) else list(refs)
            scores = scorer.score_multi([prepare(r) for r in refs_list], prepare(prediction))
            for rouge_type in rouge_types:
                per_sample[rouge_type].append(scores[rouge_type].fmeasure)
        if not use_aggregator:
            return per_sample
        return {t: (sum(v) / len(v) if v else float("nan")) for t, v in per_sample.items()}


def _one_sentence_per_line(text: str) -> str:
    # rougeLsum reads sentence boundaries from "\n"; the other types ignore newlines.
    return "\n".join(_split_sentences(text))
