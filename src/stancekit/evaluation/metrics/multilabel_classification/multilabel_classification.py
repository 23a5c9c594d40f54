"""Multi-label classification metrics (statements can carry several speech-act labels). Local ``evaluate``.

Load it with ``stancekit.metrics.load_metric("multilabel_classification")``. Single-label classification is
the special case of one label per item.
"""

from __future__ import annotations

from collections.abc import Sequence

import datasets
import evaluate
import numpy as np
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
)

from stancekit.errors import InputError

_DESCRIPTION = """\
Multi-label classification metrics, computed with scikit-learn over binary indicator matrices:

- accuracy: exact-match (subset) accuracy, the share of items whose predicted label set equals the gold set.
- macro_f1: unweighted mean of the per-label F1 (every label in `labels` counts, including labels that never
  occur: their F1 is 0, so a label set must be fixed up front for numbers to be comparable).
- micro_f1: F1 over all (item, label) decisions pooled.
- per_label: {label: {precision, recall, f1, support}}; support = gold occurrences.
- confusion_matrices: {label: [[tn, fp], [fn, tp]]} (scikit-learn's multilabel_confusion_matrix layout).
- ece (only when `scores` are given): expected calibration error with 10 equal-width bins over all (item,
  label) decisions: sum over bins of (bin share) * |mean score - share of gold positives| in the bin.
Undefined precision/recall (no predictions, no gold) count as 0.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of predicted label lists, e.g. [["commitment"], [], ["threat", "condemnation"]].
    references: list of gold label lists, aligned with predictions.
    labels: the label set, in the order used for `scores` and in the output (required). Labels are compared
        as strings. A label outside this set is an error, not silently dropped.
    scores: optional per-label probabilities, shape (n_items, n_labels) in `labels` order, for ECE. Passed to
        compute() (it is not accumulated by add_batch()).
    n_bins: number of ECE bins (default 10).
Returns:
    {"accuracy", "macro_f1", "micro_f1": float, "per_label": dict, "confusion_matrices": dict,
     "n_items": int, and "ece": float when scores are given}.
Example:
    >>> m = stancekit.metrics.load_metric("multilabel_classification")
    >>> out = m.compute(predictions=[["a"], ["a", "b"]], references=[["a"], ["b"]], labels=["a", "b"])
    >>> out["accuracy"], out["micro_f1"]
    (0.5, 0.8)
"""

_CITATION = """\
@article{scikit-learn,
    title = {Scikit-learn: Machine Learning in {P}ython},
    author = {Pedregosa, F. and others},
    journal = {Journal of Machine Learning Research},
    volume = {12},
    pages = {2825--2830},
    year = {2011},
}
"""


class MultilabelClassification(evaluate.Metric):
    """Exact-match accuracy, macro/micro F1, per-label scores, confusion matrices and ECE."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("string")),
                    "references": datasets.Sequence(datasets.Value("string")),
                }
            ),
            reference_urls=[
                "https://scikit-learn.org/stable/modules/model_evaluation.html#multilabel-ranking-metrics"
            ],
        )

    def _compute(
        self,
        predictions: list[list[str]],
        references: list[list[str]],
        labels: Sequence[object] | None = None,
        scores: Sequence[Sequence[float]] | np.ndarray | None = None,
        n_bins: int = 10,
    ) -> dict[str, object]:
        if labels is None or len(labels) == 0:
            raise InputError(
                "multilabel_classification needs the label set",
                fix="pass labels=[...] in the taxonomy's order, e.g. compute(..., labels=taxonomy.labels)",
            )
        names = [str(label) for label in labels]
        if len(set(names)) != len(names):
            raise InputError(f"labels contains duplicates: {names}", fix="list each label once")
        y_pred = _indicator_matrix(predictions, names, "predictions")
        y_true = _indicator_matrix(references, names, "references")

        precision, recall, f1, support = precision_recall_fscore_support(
            y_true, y_pred, average=None, labels=range(len(names)), zero_division=0
        )
        matrices = multilabel_confusion_matrix(y_true, y_pred)
        result: dict[str, object] = {
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
            "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
            "per_label": {
                name: {
                    "precision": float(precision[i]),
                    "recall": float(recall[i]),
                    "f1": float(f1[i]),
                    "support": int(support[i]),
                }
                for i, name in enumerate(names)
            },
            "confusion_matrices": {name: matrices[i].tolist() for i, name in enumerate(names)},
            "n_items": len(y_true),
        }
        if scores is not None:
            probs = np.asarray(scores, dtype=float)
            if probs.shape != y_true.shape:
                raise InputError(
                    f"scores has shape {probs.shape}, expected {y_true.shape} (items x labels)",
                    fix="pass one probability per label per item, in the order of `labels`",
                )
            result["ece"] = expected_calibration_error(probs.ravel(), y_true.ravel(), n_bins=n_bins)
        return result


def _indicator_matrix(label_lists: list[list[str]], names: list[str], what: str) -> np.ndarray:
    index = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((len(label_lists), len(names)), dtype=int)
    for row, item_labels in enumerate(label_lists):
        for label in item_labels or []:
            column = index.get(str(label))
            if column is None:
                raise InputError(
                    f"{what}[{row}] has label {label!r}, which is not in labels {names}",
                    fix="add it to `labels`, or map it to a taxonomy label before scoring",
                )
            matrix[row, column] = 1
    return matrix


def expected_calibration_error(probs: np.ndarray, outcomes: np.ndarray, n_bins: int = 10) -> float:
    """ECE of binary decisions: probability of the positive class vs the observed positive rate, per bin.

    Example:
        >>> round(expected_calibration_error(np.array([0.9, 0.9, 0.1, 0.1]), np.array([1, 1, 0, 0])), 6)
        0.1
    """
    probs = np.asarray(probs, dtype=float)
    outcomes = np.asarray(outcomes, dtype=float)
    if probs.size == 0:
        return float("nan")
    if np.any((probs < 0) | (probs > 1)) or np.isnan(probs).any():
        raise InputError("scores must be probabilities in [0, 1]", fix="apply a sigmoid to logits first")
    # Bin i holds [i/n, (i+1)/n); the top bin also takes p == 1.
    bins = np.minimum((probs * n_bins).astype(int), n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    prob_sums = np.bincount(bins, weights=probs, minlength=n_bins)
    outcome_sums = np.bincount(bins, weights=outcomes, minlength=n_bins)
    occupied = counts > 0
    gaps = np.abs(prob_sums[occupied] - outcome_sums[occupied])  # = count * |mean p - mean y|
    return float(gaps.sum() / probs.size)
