"""Metrics as the harness runs them: per-sample scores from the local ``evaluate`` modules, and every reported
number rebuilt from those per-sample records as an :class:`Estimate`.

A run, its bootstrap intervals and a later paired comparison of two runs all go through the same
``Scorer.outcome(records)``, so they compute each statistic the same way. A metric is either the mean of a
per-sample score (ROUGE, semantic similarity, exact-match accuracy) or a corpus statistic recomputed on any
subset of samples (macro-F1, ECE), which is what the bootstrap resamples.

Example:
    >>> scorer = metric_scorer("rouge")
    >>> scorer.kind, [key for key, _, _ in scorer.reported]
    ('summarisation', ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'])
"""

from __future__ import annotations

import difflib
import functools
import math
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from stancekit.config import StrictModel
from stancekit.errors import ConfigError, InputError, StancekitError

Record = dict[str, Any]  # one sample's line of predictions.jsonl
ItemStatistic = Callable[[np.ndarray, "np.ndarray | None"], float]


class MetricError(StancekitError):
    """A metric could not run, or returned something that is not a number."""


@dataclass
class ScoringContext:
    """What a scorer needs beyond the records: the task kind, the scored label set, whether scores are
    probabilities."""

    kind: str
    labels: list[str] | None = None
    probabilities: bool = False


@dataclass
class Estimate:
    """One reported number and how to recompute it on a subset of samples.

    ``items`` holds one row per sample (a per-sample score, or a predicted label row); ``fn(items, gold)``
    computes the statistic (the mean of ``items`` when ``fn`` is None). ``section`` places it in results.json:
    ``("metrics",)`` or ``("per_label", label)``.
    """

    name: str
    metric: str
    label: str
    ids: list[str]
    items: np.ndarray
    gold: np.ndarray | None = None
    fn: ItemStatistic | None = None
    higher_is_better: bool | None = True
    section: tuple[str, ...] = ("metrics",)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def key(self) -> str:
        """A unique name across sections: ``macro_f1`` or ``per_label.threat.f1``."""
        return self.name if self.section == ("metrics",) else ".".join((*self.section, self.name))

    def point(self) -> float:
        return float(self.items.mean()) if self.fn is None else float(self.fn(self.items, self.gold))

    def on(self, indices: np.ndarray) -> float:
        """The statistic on the samples at ``indices`` (with repeats)."""
        if self.fn is None:
            return float(self.items[indices].mean())
        return float(self.fn(self.items[indices], None if self.gold is None else self.gold[indices]))

    def statistic(self) -> np.ndarray | Callable[[np.ndarray], float]:
        """What :func:`stancekit.evaluation.statistics.bootstrap_ci` takes: per-sample values, or a statistic over indices."""
        return self.items.astype(float) if self.fn is None else self.on


@dataclass
class MetricOutcome:
    """Everything one metric reports: the estimates, extra tables, what it could not compute (and why)."""

    estimates: list[Estimate] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    not_computed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class ScoringBatch:
    """The aligned per-sample inputs of a metric."""

    ids: list[str]
    wheres: list[str]
    outputs: list[Any]
    references: list[Any]
    sources: list[str | None]
    label_scores: list[dict[str, float] | None]


class NoArgs(StrictModel):
    pass


class Scorer(ABC):
    """A harness metric: runs one ``stancekit.metrics`` module and turns its output into estimates."""

    name: ClassVar[str]
    kind: ClassVar[Literal["summarisation", "classification"]]
    Args: ClassVar[type[StrictModel]] = NoArgs
    needs_sources: ClassVar[bool] = False
    needs_references: ClassVar[bool] = True
    # per-sample keys whose values are structured details (predictions.jsonl ``details``), not scores
    detail_keys: ClassVar[frozenset[str]] = frozenset()
    # (per-sample key, human label, higher is better) for metrics that are means of per-sample scores
    reported: ClassVar[tuple[tuple[str, str, bool | None], ...]] = ()
    # per-sample keys that may be undefined (None) for some samples, e.g. 4-gram rates of 3-word summaries
    may_be_undefined: ClassVar[frozenset[str]] = frozenset()
    # (per-sample key, sign): the summary's support score, higher meaning better supported once multiplied by
    # sign; what a meta_evaluation task judges against people. None: not a faithfulness-type metric.
    support: ClassVar[tuple[str, float] | None] = None

    def support_threshold(self, args: Any) -> float:
        """The support score at or above which the metric calls a summary supported."""
        raise NotImplementedError(f"metric {self.name!r} has no support threshold")

    @abstractmethod
    def score(
        self, args: Any, batch: ScoringBatch, context: ScoringContext
    ) -> tuple[dict[str, list], dict[str, float]]:
        """(per-sample scores by key, the module's own corpus aggregates for a cross-check)."""

    def outcome(self, args: Any, records: list[Record], context: ScoringContext) -> MetricOutcome:
        """The reported numbers, from the records' per-sample scores (means by default)."""
        result = MetricOutcome()
        for key, label, higher in self.reported:
            pairs = [(r["id"], r["scores"].get(key)) for r in records]
            missing = [i for i, (_, v) in enumerate(pairs) if v is None and key not in self.may_be_undefined]
            if missing:
                raise InputError(
                    f"sample {pairs[missing[0]][0]!r} has no '{key}' score ({self.name}).",
                    fix="re-run the evaluation: the predictions file is incomplete.",
                )
            defined = [(i, float(v)) for i, v in pairs if v is not None]
            if not defined:
                result.not_computed[key] = f"undefined for every sample ({self.name})"
                continue
            if len(defined) < len(pairs):
                result.notes.append(
                    f"{key}: undefined for {len(pairs) - len(defined)} of {len(pairs)} samples, reported over "
                    f"the other {len(defined)}."
                )
            result.estimates.append(
                Estimate(
                    key,
                    self.name,
                    label,
                    [i for i, _ in defined],
                    np.array([v for _, v in defined]),
                    higher_is_better=higher,
                )
            )
        return result


METRIC_SCORERS: dict[str, Scorer] = {}


def register_scorer(cls: type[Scorer]) -> type[Scorer]:
    """Class decorator: make a scorer available in task configs' ``metrics:`` by its ``name``."""
    METRIC_SCORERS[cls.name] = cls()
    return cls


def metric_scorer(name: str) -> Scorer:
    """The scorer of metric ``name``; an unknown name raises ConfigError with the closest known name."""
    key = str(name).strip().lower().replace("-", "_")
    if key not in METRIC_SCORERS:
        close = difflib.get_close_matches(key, list(METRIC_SCORERS), n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(f"unknown metric '{name}'.", fix=f"{hint}Metrics: {', '.join(METRIC_SCORERS)}.")
    return METRIC_SCORERS[key]


@functools.cache
def _load(name: str) -> Any:
    """A metric module, loaded once per process (compute() keeps no state between calls)."""
    from stancekit.evaluation.metrics import load_metric

    return load_metric(name)


def _means(per_sample: dict[str, list], keys: list[str]) -> dict[str, float]:
    out = {}
    for key in keys:
        values = [
            v for v in per_sample[key] if v is not None and not (isinstance(v, float) and math.isnan(v))
        ]
        if values:
            out[key] = sum(values) / len(values)
    return out


# --------------------------------------------------------------------------------------------- summaries


class RougeArgs(StrictModel):
    stemmer: Literal["porter", "rouge155"] = Field(
        default="porter", description="rouge155: ROUGE-1.5.5's stemming, to compare with published numbers"
    )
    use_stemmer: bool = True
    split_sentences: bool = Field(
        default=True, description="split into sentences for ROUGE-Lsum; false: only newlines separate them"
    )


@register_scorer
class RougeScorer(Scorer):
    name = "rouge"
    kind = "summarisation"
    Args = RougeArgs
    reported = (
        ("rouge1", "ROUGE-1 F1", True),
        ("rouge2", "ROUGE-2 F1", True),
        ("rougeL", "ROUGE-L F1 (sentence-level LCS)", True),
        ("rougeLsum", "ROUGE-Lsum F1 (summary-level LCS; the papers' ROUGE-L)", True),
    )

    def score(self, args: RougeArgs, batch: ScoringBatch, context: ScoringContext) -> tuple[dict, dict]:
        out = _load("rouge").compute(
            predictions=batch.outputs,
            references=batch.references,
            use_stemmer=args.use_stemmer,
            stemmer=args.stemmer,
            split_sentences=args.split_sentences,
            use_aggregator=False,
        )
        keys = [k for k, _, _ in self.reported]
        return {k: out[k] for k in keys}, _means(out, keys)


class SemanticSimilarityArgs(StrictModel):
    model: str = "embedded:all-minilm-l6-v2"
    batch_size: int = Field(default=32, ge=1)
    max_length: int = Field(default=256, ge=8)
    device: str = "cpu"


@register_scorer
class SemanticSimilarityScorer(Scorer):
    name = "semantic_similarity"
    kind = "summarisation"
    Args = SemanticSimilarityArgs
    reported = (("semantic_similarity", "semantic similarity (MiniLM cosine, summary vs reference)", True),)

    def score(
        self, args: SemanticSimilarityArgs, batch: ScoringBatch, context: ScoringContext
    ) -> tuple[dict, dict]:
        out = _load("semantic_similarity").compute(
            predictions=batch.outputs, references=batch.references, use_aggregator=False, **args.model_dump()
        )
        return {"semantic_similarity": out["semantic_similarity"]}, _means(out, ["semantic_similarity"])


@register_scorer
class AbstractivenessScorer(Scorer):
    name = "abstractiveness"
    kind = "summarisation"
    needs_sources = True
    needs_references = False
    reported = (
        ("novel_1gram_rate", "novel unigrams (share not in the source)", None),
        ("novel_2gram_rate", "novel bigrams", None),
        ("novel_3gram_rate", "novel trigrams", None),
        ("novel_4gram_rate", "novel 4-grams", None),
        ("copy_rate", "copy rate (source trigrams)", None),
        ("compression_ratio", "compression (source words / summary words)", None),
        ("summary_length", "summary length (words)", None),
        ("source_length", "source length (words)", None),
    )
    may_be_undefined = frozenset(
        [
            "novel_1gram_rate",
            "novel_2gram_rate",
            "novel_3gram_rate",
            "novel_4gram_rate",
            "copy_rate",
            "compression_ratio",
        ]
    )

    def score(self, args: NoArgs, batch: ScoringBatch, context: ScoringContext) -> tuple[dict, dict]:
        out = _load("abstractiveness").compute(
            predictions=batch.outputs, sources=batch.sources, use_aggregator=False
        )
        keys = [k for k, _, _ in self.reported]
        per_sample = {
            k: [None if isinstance(v, float) and math.isnan(v) else v for v in out[k]] for k in keys
        }
        return per_sample, _means(per_sample, keys)


class UnsupportedContentArgs(StrictModel):
    sentence_threshold: float = Field(default=0.25, ge=0, le=1)


_FLAG_KEYS = ("unsupported_numbers", "unsupported_entities", "unsupported_sentences")


@register_scorer
class UnsupportedContentScorer(Scorer):
    """Unsupported numbers, names and low-overlap sentences (a heuristic; it does not agree with people:
    ROC-AUC 0.561 on FRANK validation). Its support score is minus its flag count."""

    name = "unsupported_content"
    kind = "summarisation"
    Args = UnsupportedContentArgs
    needs_sources = True
    needs_references = False
    support = ("unsupported_flags", -1.0)
    flag_free_key = "flag_free_rate"
    reported: ClassVar[tuple[tuple[str, str, bool | None], ...]] = (
        ("flag_free_rate", "share of summaries with no unsupported number, name or sentence", True),
        ("unsupported_numbers", "unsupported numbers per summary", False),
        ("unsupported_entities", "unsupported names per summary", False),
        ("unsupported_sentences", "unsupported sentences per summary", False),
    )

    def support_threshold(self, args: UnsupportedContentArgs) -> float:
        return 0.0  # minus the flag count: supported means no flag at all

    def score(
        self, args: UnsupportedContentArgs, batch: ScoringBatch, context: ScoringContext
    ) -> tuple[dict, dict]:
        out = _load("unsupported_content").compute(
            predictions=batch.outputs, sources=batch.sources, sentence_threshold=args.sentence_threshold
        )
        per_sample = {
            self.flag_free_key: [0.0 if flagged else 1.0 for flagged in out["flagged"]],
            **{k: [float(len(v)) for v in out[k]] for k in _FLAG_KEYS},
            "unsupported_flags": [
                float(sum(len(out[k][i]) for k in _FLAG_KEYS)) for i in range(len(batch.outputs))
            ],
        }
        return per_sample, {self.flag_free_key: out["flag_free_rate"]}


@register_scorer
class FaithfulnessScorer(UnsupportedContentScorer):
    """``faithfulness``: the old name of ``unsupported_content``, kept so committed results reproduce as
    they were recorded (same numbers, under their old key)."""

    name = "faithfulness"
    flag_free_key = "faithfulness"
    reported = (
        (
            "faithfulness",
            "faithfulness (share of summaries with no unsupported number, name or sentence)",
            True,
        ),
        *UnsupportedContentScorer.reported[1:],
    )


class Rouge2SupportArgs(StrictModel):
    window: int | None = Field(
        default=None, ge=1, description="consecutive source sentences per window; null: the whole source"
    )
    threshold: float = Field(
        default=0.325,
        ge=0,
        le=1,
        description="a sentence below this is counted unsupported (chosen on FRANK validation, pooled)",
    )


@register_scorer
class Rouge2SupportScorer(Scorer):
    """The ROUGE-2 support floor (stancekit.summarise.grounding); per-sentence evidence goes to ``details``."""

    name = "rouge2_support"
    kind = "summarisation"
    Args = Rouge2SupportArgs
    support = ("rouge2_support", 1.0)

    def support_threshold(self, args: Rouge2SupportArgs) -> float:
        return args.threshold

    needs_sources = True
    needs_references = False
    detail_keys = frozenset(["support_sentences"])
    reported = (
        ("rouge2_support", "ROUGE-2 support (mean over summaries of sentence-level support)", True),
        ("unsupported_sentence_rate", "share of a summary's sentences below the support threshold", False),
    )

    def score(
        self, args: Rouge2SupportArgs, batch: ScoringBatch, context: ScoringContext
    ) -> tuple[dict, dict]:
        out = _load("rouge2_support").compute(
            predictions=batch.outputs, sources=batch.sources, window=args.window
        )
        per_sample = {
            "rouge2_support": [float(v) for v in out["scores"]],
            "unsupported_sentence_rate": [
                sum(s["score"] < args.threshold for s in sentences) / len(sentences)
                for sentences in out["sentences"]
            ],
            "support_sentences": out["sentences"],
        }
        return per_sample, _means(per_sample, ["rouge2_support", "unsupported_sentence_rate"])


class FactualConsistencyArgs(StrictModel):
    weights: str = Field(
        default="consistency-minilm-v1", description="a shipped consistency scorer or a trained directory"
    )
    threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="a sentence below this is counted unsupported; null: the threshold recorded with the weights",
    )


@register_scorer
class FactualConsistencyScorer(Scorer):
    """The learned consistency scorer (stancekit.summarise.consistency); per-sentence evidence goes to ``details``."""

    name = "factual_consistency"
    kind = "summarisation"
    Args = FactualConsistencyArgs
    support = ("factual_consistency", 1.0)

    def support_threshold(self, args: FactualConsistencyArgs) -> float:
        if args.threshold is not None:
            return args.threshold
        import json

        from stancekit.summarise.consistency import CONSISTENCY_FILE, resolve_consistency_weights

        meta = json.loads((resolve_consistency_weights(args.weights) / CONSISTENCY_FILE).read_text("utf-8"))
        return float(meta.get("scoring", {}).get("threshold", 0.5))

    needs_sources = True
    needs_references = False
    detail_keys = frozenset(["consistency_sentences"])
    reported = (
        ("factual_consistency", "factual consistency (mean over summaries, learned scorer)", True),
        (
            "inconsistent_sentence_rate",
            "share of a summary's sentences below the consistency threshold",
            False,
        ),
    )

    def score(
        self, args: FactualConsistencyArgs, batch: ScoringBatch, context: ScoringContext
    ) -> tuple[dict, dict]:
        out = _load("factual_consistency").compute(
            predictions=batch.outputs, sources=batch.sources, weights=args.weights
        )
        threshold = out["threshold"] if args.threshold is None else args.threshold
        per_sample = {
            "factual_consistency": [float(v) for v in out["scores"]],
            "inconsistent_sentence_rate": [
                sum(s["score"] < threshold for s in sentences) / len(sentences)
                for sentences in out["sentences"]
            ],
            "consistency_sentences": out["sentences"],
        }
        return per_sample, _means(per_sample, ["factual_consistency", "inconsistent_sentence_rate"])


class StancePreservationArgs(StrictModel):
    classifier: str = Field(
        default="diplomatic-v1-minilm", description="speech-act classifier: a config name or YAML path"
    )
    min_overlap: float = Field(default=0.2, gt=0, le=1)
    min_relative: float = Field(default=0.5, ge=0, le=1)


def _pooled_share(column: int) -> ItemStatistic:
    """Share of all labelled source statements (pooled over summaries) with outcome ``column``."""

    def statistic(counts: np.ndarray, gold: np.ndarray | None) -> float:
        total = counts.sum()
        return float(counts[:, column].sum() / total) if total else float("nan")

    return statistic


@register_scorer
class StancePreservationScorer(Scorer):
    """Kept / distorted / dropped shares of the source's labelled statements, pooled over statements.

    Bootstrap resamples whole summaries (statements of one article are not independent). Per-statement
    outcomes (offsets, labels, speaker, reason; no text) go to each sample's ``details`` in predictions.jsonl,
    and counts by label to results.json ``details``.
    """

    name = "stance_preservation"
    kind = "summarisation"
    Args = StancePreservationArgs
    needs_sources = True
    needs_references = False
    per_sample_keys = ("stance_kept", "stance_distorted", "stance_dropped")
    detail_keys = frozenset(["stance_outcomes"])
    reported = (
        ("stance_kept_rate", "stance kept (share of labelled source statements)", True),
        ("stance_distorted_rate", "stance distorted (label changed or speaker swapped)", False),
        ("stance_dropped_rate", "stance dropped (no summary sentence covers it)", None),
    )

    def score(
        self, args: StancePreservationArgs, batch: ScoringBatch, context: ScoringContext
    ) -> tuple[dict, dict]:
        from stancekit.evaluation.stance_preservation import OUTCOMES

        out = _load("stance_preservation").compute(
            predictions=batch.outputs, sources=batch.sources, **args.model_dump()
        )
        per_sample = {f"stance_{k}": [float(v) for v in out[k]] for k in OUTCOMES}
        per_sample["stance_outcomes"] = out["outcomes"]
        aggregates = {f"stance_{k}_rate": out[f"{k}_rate"] for k in OUTCOMES}
        return per_sample, {k: v for k, v in aggregates.items() if v == v}

    def outcome(
        self, args: StancePreservationArgs, records: list[Record], context: ScoringContext
    ) -> MetricOutcome:
        result = MetricOutcome()
        ids = [r["id"] for r in records]
        counts = np.array([[r["scores"][k] for k in self.per_sample_keys] for r in records], dtype=float)
        if counts.sum() == 0:
            for key, _, _ in self.reported:
                result.not_computed[key] = "no source has a labelled (non-`other`) statement"
            return result
        for column, (key, label, higher) in enumerate(self.reported):
            result.estimates.append(
                Estimate(key, self.name, label, ids, counts, None, _pooled_share(column), higher)
            )
        result.extra["statements"] = int(counts.sum())
        judged = [r.get("details", {}).get("stance_outcomes") for r in records]
        if all(j is not None for j in judged):  # runs written before details existed have only counts
            from stancekit.evaluation.stance_preservation import count_by_label

            statements = [o for sample_outcomes in judged for o in sample_outcomes]
            by_label = count_by_label((o["labels"], o["outcome"]) for o in statements)
            reasons = Counter(
                "speaker swapped" if o["reason"].startswith("speaker") else "label changed"
                for o in statements
                if o["outcome"] == "distorted"
            )
            result.extra["by_label"] = dict(sorted(by_label.items()))
            result.extra["distortions"] = dict(reasons)
        return result


# --------------------------------------------------------------------------------------------- classification


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros(np.shape(tp), dtype=float), where=denominator > 0)


def _counts(predicted: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        (predicted & gold).sum(axis=0),
        (predicted & ~gold).sum(axis=0),
        (~predicted & gold).sum(axis=0),
    )


def macro_f1(predicted: np.ndarray, gold: np.ndarray | None) -> float:
    """Unweighted mean of per-label F1 over indicator matrices (labels never seen or predicted count 0)."""
    assert gold is not None
    return float(_f1(*_counts(predicted, gold)).mean())


def micro_f1(predicted: np.ndarray, gold: np.ndarray | None) -> float:
    assert gold is not None
    tp, fp, fn = (c.sum() for c in _counts(predicted, gold))
    return float(2 * tp / (2 * tp + fp + fn)) if (2 * tp + fp + fn) else 0.0


def _per_label(column: int, stat: str) -> ItemStatistic:
    def statistic(predicted: np.ndarray, gold: np.ndarray | None) -> float:
        assert gold is not None
        p, g = predicted[:, column], gold[:, column]
        tp, fp, fn = int((p & g).sum()), int((p & ~g).sum()), int((~p & g).sum())
        if stat == "precision":
            return tp / (tp + fp) if tp + fp else 0.0
        if stat == "recall":
            return tp / (tp + fn) if tp + fn else 0.0
        return 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0

    return statistic


def _ece(n_bins: int) -> ItemStatistic:
    from stancekit.evaluation.metrics.multilabel_classification.multilabel_classification import (
        expected_calibration_error,
    )

    def statistic(probabilities: np.ndarray, gold: np.ndarray | None) -> float:
        assert gold is not None
        return expected_calibration_error(probabilities.ravel(), gold.ravel().astype(float), n_bins=n_bins)

    return statistic


class ClassificationArgs(StrictModel):
    calibration: Literal["auto", "required", "off"] = Field(
        default="auto",
        description="ECE: auto computes it when the system's scores are probabilities and says why not otherwise",
    )
    n_bins: int = Field(default=10, ge=2)


@register_scorer
class ClassificationScorer(Scorer):
    """Exact-match accuracy, macro/micro-F1, per-label precision/recall/F1, confusion matrices and ECE.

    Predicted labels outside the scored label set are ignored (and counted in the results); a gold label
    outside it is an error.
    """

    name = "multilabel_classification"
    kind = "classification"
    Args = ClassificationArgs

    def _matrices(self, outputs: list, references: list, wheres: list[str], labels: list[str]) -> tuple:
        index = {label: i for i, label in enumerate(labels)}
        gold = np.zeros((len(references), len(labels)), dtype=bool)
        predicted = np.zeros_like(gold)
        unscored: Counter[str] = Counter()
        for row, (out, ref) in enumerate(zip(outputs, references, strict=True)):
            for label in ref:
                if label not in index:
                    close = difflib.get_close_matches(label, labels, n=1)
                    raise InputError(
                        f"gold label {label!r} is not in the scored label set {labels}.",
                        where=wheres[row],
                        fix=(f"did you mean {close[0]!r}? " if close else "")
                        + "fix the data, or list the label in dataset.labels.",
                    )
                gold[row, index[label]] = True
            for label in out:
                if label in index:
                    predicted[row, index[label]] = True
                else:
                    unscored[label] += 1
        return predicted, gold, unscored

    def _probabilities(self, records_scores: list, labels: list[str]) -> np.ndarray | None:
        if any(s is None or any(label not in s for label in labels) for s in records_scores):
            return None
        return np.array([[float(s[label]) for label in labels] for s in records_scores])

    def score(
        self, args: ClassificationArgs, batch: ScoringBatch, context: ScoringContext
    ) -> tuple[dict, dict]:
        labels = context.labels or []
        predicted, gold, _ = self._matrices(batch.outputs, batch.references, batch.wheres, labels)
        scored_outputs = [[labels[j] for j in np.flatnonzero(row)] for row in predicted]
        probabilities = self._probabilities(batch.label_scores, labels) if context.probabilities else None
        out = _load("multilabel_classification").compute(
            predictions=scored_outputs,
            references=[list(r) for r in batch.references],
            labels=labels,
            scores=probabilities if args.calibration != "off" else None,
            n_bins=args.n_bins,
        )
        exact = [float(x) for x in np.all(predicted == gold, axis=1)]
        aggregates = {"accuracy": out["accuracy"], "macro_f1": out["macro_f1"], "micro_f1": out["micro_f1"]}
        if "ece" in out:
            aggregates["ece"] = out["ece"]
        for label, values in out["per_label"].items():
            for stat in ("precision", "recall", "f1"):
                aggregates[f"per_label.{label}.{stat}"] = values[stat]
        return {"exact_match": exact}, aggregates

    def outcome(
        self, args: ClassificationArgs, records: list[Record], context: ScoringContext
    ) -> MetricOutcome:
        labels = context.labels or []
        ids = [r["id"] for r in records]
        wheres = [r.get("where", r["id"]) for r in records]
        predicted, gold, unscored = self._matrices(
            [r["output"] for r in records], [r["reference"] for r in records], wheres, labels
        )
        result = MetricOutcome()
        result.estimates += [
            Estimate(
                "accuracy",
                self.name,
                "accuracy (exact match of the label set)",
                ids,
                np.all(predicted == gold, axis=1).astype(float),
            ),
            Estimate("macro_f1", self.name, "macro-F1", ids, predicted, gold, macro_f1),
            Estimate("micro_f1", self.name, "micro-F1", ids, predicted, gold, micro_f1),
        ]
        probabilities = self._probabilities([r.get("label_scores") for r in records], labels)
        if args.calibration == "off":
            result.not_computed["ece"] = "switched off in the task (calibration: off)."
        elif not context.probabilities or probabilities is None:
            reason = (
                "the system's scores are not probabilities (e.g. cosine similarities or cue strengths)."
                if not context.probabilities
                else "some samples lack a score for every scored label."
            )
            if args.calibration == "required":
                raise ConfigError(
                    f"calibration error (ECE) was required but {reason}", fix="set calibration: auto."
                )
            result.not_computed["ece"] = reason
        else:
            result.estimates.append(
                Estimate(
                    "ece",
                    self.name,
                    f"expected calibration error ({args.n_bins} bins)",
                    ids,
                    probabilities,
                    gold,
                    _ece(args.n_bins),
                    higher_is_better=False,
                )
            )
        for j, label in enumerate(labels):
            for stat in ("precision", "recall", "f1"):
                result.estimates.append(
                    Estimate(
                        stat,
                        self.name,
                        f"{stat} ({label})",
                        ids,
                        predicted,
                        gold,
                        _per_label(j, stat),
                        section=("per_label", label),
                    )
                )
        tp, fp, fn = _counts(predicted, gold)
        tn = len(records) - tp - fp - fn
        result.extra["labels"] = labels
        result.extra["support"] = {label: int(gold[:, j].sum()) for j, label in enumerate(labels)}
        result.extra["per_label_confusion"] = {
            label: [[int(tn[j]), int(fp[j])], [int(fn[j]), int(tp[j])]] for j, label in enumerate(labels)
        }
        # Rows: gold label; columns: predicted label, plus "(none)" for items with no scored prediction.
        matrix = np.zeros((len(labels), len(labels) + 1), dtype=int)
        for g_row, p_row in zip(gold, predicted, strict=True):
            for g in np.flatnonzero(g_row):
                hits = np.flatnonzero(p_row)
                if len(hits):
                    matrix[g, hits] += 1
                else:
                    matrix[g, -1] += 1
        result.extra["confusion_matrix"] = {
            "rows": "gold",
            "columns": [*labels, "(none)"],
            "matrix": matrix.tolist(),
            "definition": "each (gold label, predicted label) pair of an item counts once; (none): no scored label predicted",
        }
        if unscored:
            result.extra["unscored_predictions"] = dict(sorted(unscored.items()))
            result.notes.append(
                "predicted labels outside the scored label set were ignored: "
                + ", ".join(f"{label} x{count}" for label, count in sorted(unscored.items()))
                + "."
            )
        return result


def check_aggregates(scorer: Scorer, outcome: MetricOutcome, aggregates: dict[str, float]) -> None:
    """The harness's numbers must equal the metric module's own: a mismatch is a bug, never a rounding."""
    by_key = {e.key: e for e in outcome.estimates}
    for key, value in aggregates.items():
        estimate = by_key.get(key)
        if estimate is None:
            continue
        point = estimate.point()
        if not math.isclose(point, float(value), rel_tol=1e-9, abs_tol=1e-9):
            raise RuntimeError(f"{scorer.name}: harness {key}={point} differs from the module's {value}")
