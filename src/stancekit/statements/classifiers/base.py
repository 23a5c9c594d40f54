"""What every classifier shares: the result type, the decision rule over per-label thresholds, and the interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from stancekit.errors import InputError
from stancekit.statements.statement import Statement
from stancekit.statements.taxonomy import Taxonomy

if TYPE_CHECKING:
    pass


class Classification(BaseModel):
    """The labels of one statement and the score of every label of the taxonomy.

    ``scores`` are sigmoid probabilities for the fine-tuned classifier, a softmax over label similarities for
    zero-shot, and cue strengths for the lexicon; a substantive label is assigned when its score reaches its
    threshold (``Classifier.threshold_map()``). The fallback label's score is 1 minus the highest probability
    (fine-tuned), its share of the softmax (zero-shot), or 1/0 (lexicon).
    """

    labels: list[str]
    scores: dict[str, float]
    windows: int = Field(
        default=1, description="Encoder windows the text needed; >1 means split and max-pooled."
    )


# --------------------------------------------------------------------------------------------- configs


def choose_thresholds(scores: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Per-label thresholds maximising F1 of ``scores >= t`` against ``gold`` (both n x labels).

    Candidates are the midpoints between consecutive distinct scores; among equally good candidates the
    middle of the best run is taken, which is the least fitted to this particular sample.
    """
    thresholds = np.zeros(scores.shape[1])
    for j in range(scores.shape[1]):
        values = np.unique(scores[:, j])
        candidates = (values[:-1] + values[1:]) / 2 if len(values) > 1 else values
        positives = gold[:, j].astype(bool)
        f1s = []
        for t in candidates:
            predicted = scores[:, j] >= t
            tp = np.sum(predicted & positives)
            denominator = predicted.sum() + positives.sum()
            f1s.append(2 * tp / denominator if denominator else 0.0)
        f1s_arr = np.asarray(f1s)
        best = np.flatnonzero(f1s_arr == f1s_arr.max())
        thresholds[j] = float(candidates[best[len(best) // 2]])
    return thresholds


def decide(
    scores: np.ndarray,
    labels: Sequence[str],
    thresholds: np.ndarray,
    fallback: str,
    fallback_scores: np.ndarray,
    *,
    max_labels: int | None = None,
) -> list[tuple[list[str], dict[str, float]]]:
    """Turn a score matrix into label sets: labels at or above threshold (the ``max_labels`` best by margin
    over their threshold), else the fallback alone."""
    decisions = []
    for row, fallback_score in zip(scores, fallback_scores, strict=True):
        margins = row - thresholds
        passing = [j for j in np.argsort(-margins) if margins[j] >= 0]
        if max_labels is not None:
            passing = passing[:max_labels]
        chosen = [labels[j] for j in sorted(passing)] or [fallback]
        row_scores = {label: round(float(s), 6) for label, s in zip(labels, row, strict=True)}
        row_scores[fallback] = round(float(fallback_score), 6)
        decisions.append((chosen, row_scores))
    return decisions


def label_matrix(label_sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """Binary indicator matrix (n x len(labels)) of ``label_sets``."""
    index = {label: j for j, label in enumerate(labels)}
    matrix = np.zeros((len(label_sets), len(labels)), dtype=np.int64)
    for i, label_set in enumerate(label_sets):
        for label in label_set:
            if label in index:
                matrix[i, index[label]] = 1
    return matrix


# --------------------------------------------------------------------------------------------- interface


def texts_of(items: str | Statement | Sequence[str | Statement]) -> list[str]:
    """Validate input into a list of non-empty strings; empty or non-text items raise InputError."""
    if isinstance(items, (str, Statement)):
        items = [items]
    if not isinstance(items, Sequence) or isinstance(items, (bytes, bytearray)):
        raise InputError(
            f"expected a str, a Statement or a list of them, got {type(items).__name__}.",
            fix="pass str, list[str] or list[Statement] (decode bytes first).",
        )
    texts = []
    for i, item in enumerate(items):
        text = item.text if isinstance(item, Statement) else item
        if not isinstance(text, str):
            raise InputError(
                f"item {i} is a {type(item).__name__}, not text.",
                fix="pass str, list[str] or list[Statement].",
            )
        if not text.strip():
            raise InputError(f"statement {i} is empty.", fix="remove empty statements before classifying.")
        texts.append(text)
    return texts


class Classifier(ABC):
    """The shared interface: ``predict(texts) -> list[Classification]``.

    Subclasses implement :meth:`score` (an n x substantive-labels matrix, plus the fallback's score and
    the windows per text); thresholds and the fallback rule are applied here, identically for all.
    """

    name: str
    taxonomy: Taxonomy
    thresholds: np.ndarray
    max_labels: int | None = None

    @property
    def labels(self) -> list[str]:
        return self.taxonomy.substantive

    @abstractmethod
    def score(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """(scores n x labels, fallback scores n, windows per text)."""

    def predict(self, texts: str | Statement | Sequence[str | Statement]) -> list[Classification]:
        """Classify each text; raises :class:`InputError` on an empty statement, never drops one."""
        items = texts_of(texts)
        if not items:
            return []
        scores, fallback_scores, windows = self.score(items)
        decisions = decide(
            scores,
            self.labels,
            self.thresholds,
            self.taxonomy.fallback,
            fallback_scores,
            max_labels=self.max_labels,
        )
        return [
            Classification(labels=labels, scores=row, windows=n)
            for (labels, row), n in zip(decisions, windows, strict=True)
        ]

    def threshold_map(self) -> dict[str, float]:
        return {label: float(t) for label, t in zip(self.labels, self.thresholds, strict=True)}


# --------------------------------------------------------------------------------------------- encoders
