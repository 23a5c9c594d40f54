"""Flags summary content that its source does not support. A local ``evaluate`` metric, model-free.

Load it with ``stancekit.metrics.load_metric("unsupported_content")`` (``"faithfulness"``, its old name, is an
alias). These are cheap, transparent heuristics that flag invented numbers, names and low-overlap sentences;
they are not an entailment model, they miss paraphrased contradictions, and they do not agree with people:
on FRANK validation their flag count separates fully factual summaries from erroneous ones with ROC-AUC 0.561
pooled (chance 0.5; README). Hence the honest name: what they count is unsupported content, not faithfulness.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

import datasets
import evaluate
from nltk.stem import porter

from stancekit.evaluation.metrics._text import split_sentences, words
from stancekit.text import STOPWORDS as _STOPWORDS

_DESCRIPTION = """\
Source-support checks for summaries. For each summary:

- unsupported_numbers: numbers written in digits in the summary that do not occur in the source. Numbers
  are compared by value after dropping thousands separators ("5,000" == "5000" == "5000.0"); the source's
  number words zero..twenty, the tens, hundred, thousand and dozen count as their values.
- unsupported_entities: capitalised word sequences (named-entity-like spans) with a word that is nowhere in
  the source, case-insensitively. A span's sentence-initial word and function words ("The", "We") are not
  checked, because capitals there say nothing.
- unsupported_sentences: summary sentences with no close source sentence: the best single source sentence
  covers less than `sentence_threshold` of the summary sentence's content words (Porter-stemmed, stop words
  removed). This is unigram precision, which, unlike Jaccard, does not punish short summary sentences
  for matching long source sentences. The default threshold 0.25 is set on the team's own pairs
  (data/summaries, train and dev, n=162, whose references are supported by construction): it flags 7.8% of
  reference sentences against their own article and 99.4% against a random other article (0.2: 3.6% / 98.8%;
  0.3: 24% / 99.4%). Evaluation data (../shared/eval) was not used to choose it.

Aggregates: flag_free_rate (also under its old name faithfulness) = share of summaries with no flag at all; unsupported_number_rate and
unsupported_entity_rate = share of the distinct numbers / entities mentioned in each summary (summed over
the corpus) that are unsupported; unsupported_sentence_rate = share of all summary sentences that are
unsupported. A rate is NaN when there is nothing to count.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of summaries (str).
    sources: list of the source documents (str), aligned with predictions.
    sentence_threshold: minimum content-word coverage by one source sentence for a summary sentence to count
        as supported (default 0.25; 0 switches the sentence check off).
Returns:
    aggregates: "flag_free_rate" (and its old name "faithfulness"), "unsupported_number_rate", "unsupported_entity_rate",
        "unsupported_sentence_rate" (floats);
    per summary: "unsupported_numbers", "unsupported_entities", "unsupported_sentences" (lists of str, as
        written in the summary), "flagged" (bool).
Example:
    >>> m = stancekit.metrics.load_metric("unsupported_content")
    >>> out = m.compute(predictions=["The envoy met Kerry in Paris on 5 May."],
    ...                 sources=["The envoy met Kerry in Rome on 4 May."])
    >>> out["unsupported_numbers"], out["unsupported_entities"], out["faithfulness"]
    ([['5']], [['Paris']], 0.0)
"""

_CITATION = """\
@inproceedings{maynez-etal-2020-faithfulness,
    title = "On Faithfulness and Factuality in Abstractive Summarization",
    author = "Maynez, Joshua and Narayan, Shashi and Bohnet, Bernd and McDonald, Ryan",
    booktitle = "Proceedings of ACL",
    year = "2020",
    url = "https://aclanthology.org/2020.acl-main.173",
}
"""

# Digits with optional thousands groups and decimals; not glued to a preceding word ("A4", "G7" are names).
_NUMBER_RE = re.compile(r"(?<![\w.,])\d+(?:,\d{3})*(?:\.\d+)?")
_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "dozen": 12,
}  # fmt: skip
_UPPER = "A-ZÀ-ÖØ-Þ"
_CAPITALISED_SPAN_RE = re.compile(rf"[{_UPPER}][\w'’.&-]*(?:[ \t]+[{_UPPER}][\w'’.&-]*)*")

_SINGULAR = {"numbers": "number", "entities": "entity", "sentences": "sentence"}
_stem = functools.lru_cache(maxsize=1 << 18)(porter.PorterStemmer().stem)


class UnsupportedContent(evaluate.Metric):
    """Unsupported numbers, entities and sentences of summaries against their sources."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "sources": datasets.Value("string")}
            ),
            reference_urls=["https://aclanthology.org/2020.acl-main.173"],
        )

    def _compute(
        self, predictions: list[str], sources: list[str], sentence_threshold: float = 0.25
    ) -> dict[str, object]:
        if not 0.0 <= sentence_threshold <= 1.0:
            raise ValueError(f"sentence_threshold must be in [0, 1], got {sentence_threshold}")
        counts = {"numbers": [0, 0], "entities": [0, 0], "sentences": [0, 0]}  # [unsupported, total]
        out: dict[str, list] = {
            "unsupported_numbers": [],
            "unsupported_entities": [],
            "unsupported_sentences": [],
            "flagged": [],
        }
        for summary, source in zip(predictions, sources, strict=True):
            source_words = set(words(source))
            source_lower = source.lower()
            checks = {
                "numbers": _check_numbers(summary, _numbers_in_source(source, source_words)),
                "entities": _check_entities(summary, source_lower, source_words),
                "sentences": _check_sentences(summary, source, sentence_threshold),
            }
            for kind, (unsupported, total) in checks.items():
                out[f"unsupported_{kind}"].append(unsupported)
                counts[kind][0] += len(unsupported)
                counts[kind][1] += total
            out["flagged"].append(any(unsupported for unsupported, _ in checks.values()))
        flagged = out["flagged"]
        return {
            "flag_free_rate": 1.0 - sum(flagged) / len(flagged) if flagged else float("nan"),
            "faithfulness": 1.0 - sum(flagged) / len(flagged) if flagged else float("nan"),
            **{f"unsupported_{_SINGULAR[kind]}_rate": _rate(*c) for kind, c in counts.items()},
            **out,
        }


def _rate(unsupported: int, total: int) -> float:
    return unsupported / total if total else float("nan")


def normalise_number(text: str) -> str:
    """A number's value as a canonical string: ``"5,000"``, ``"5000"`` and ``"5000.0"`` all give ``"5000"``."""
    try:
        return format(Decimal(text.replace(",", "")).normalize(), "f")
    except InvalidOperation:
        return text


def _numbers_in_source(source: str, source_words: set[str]) -> set[str]:
    found = {normalise_number(m.group()) for m in _NUMBER_RE.finditer(source)}
    found.update(str(value) for word, value in _NUMBER_WORDS.items() if word in source_words)
    return found


def _check_numbers(summary: str, source_numbers: set[str]) -> tuple[list[str], int]:
    mentioned = _unique(m.group() for m in _NUMBER_RE.finditer(summary))
    return [n for n in mentioned if normalise_number(n) not in source_numbers], len(mentioned)


def _check_entities(summary: str, source_lower: str, source_words: set[str]) -> tuple[list[str], int]:
    spans: list[str] = []
    for sentence in split_sentences(summary):
        first_word = re.search(r"[^\W_]", sentence)
        for match in _CAPITALISED_SPAN_RE.finditer(sentence):
            tokens = [_clean_token(t) for t in match.group().split()]
            if first_word is not None and match.start() == first_word.start():
                tokens = tokens[1:]  # a sentence-initial capital is not evidence of a name
            while tokens and tokens[0].lower() in _STOPWORDS:
                tokens = tokens[1:]
            if any(t.lower() not in _STOPWORDS for t in tokens):
                spans.append(" ".join(tokens))
    mentioned = _unique(spans)
    unsupported = [
        span
        for span in mentioned
        if span.lower() not in source_lower
        and any(w not in source_words for w in words(span) if w not in _STOPWORDS)
    ]
    return unsupported, len(mentioned)


def _clean_token(token: str) -> str:
    token = token.rstrip(",;:'’-")
    if token.endswith(".") and token.count(".") == 1:  # a sentence's full stop, not "U.S."
        token = token[:-1]
    return re.sub(r"['’]s$", "", token)


def _content_stems(text: str) -> set[str]:
    return {_stem(w) for w in words(text) if w not in _STOPWORDS}


def _check_sentences(summary: str, source: str, threshold: float) -> tuple[list[str], int]:
    summary_sentences = split_sentences(summary)
    source_stems = [_content_stems(s) for s in split_sentences(source)]
    unsupported = []
    for sentence in summary_sentences:
        stems = _content_stems(sentence)
        if not stems:
            continue  # nothing to support
        coverage = max((len(stems & other) / len(stems) for other in source_stems), default=0.0)
        if coverage < threshold:
            unsupported.append(sentence)
    return unsupported, len(summary_sentences)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))  # first-seen order
