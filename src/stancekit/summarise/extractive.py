"""Extractive summaries: lead-k and TextRank. Reference systems, and the selection step of extract-then-abstract."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from stancekit.errors import InputError

# Function words carry no topic: two sentences sharing "the" and "of" are not similar.
from stancekit.text import STOPWORDS as _STOPWORDS
from stancekit.text import split_sentences, words


def document_sentences(document: str) -> list[str]:
    """The sentences of ``document`` in order: every line is split at sentence ends (newlines always split).

    Example:
        >>> document_sentences("Mr. Smith arrived. He spoke.\\nA new line")
        ['Mr. Smith arrived.', 'He spoke.', 'A new line']
    """
    return [sentence for line in document.split("\n") for sentence in split_sentences(line)]


def lead_summary(document: str, k: int = 3) -> str:
    """The first ``k`` sentences of ``document``, one per line (LEAD-k, the classic news baseline)."""
    if k < 1:
        raise InputError(f"lead-k needs k >= 1, got {k}.")
    return "\n".join(document_sentences(document)[:k])


def sentence_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Mihalcea & Tarau's (2004) TextRank similarity of two sentences given as content-word lists:
    shared words / (log |a| + log |b|)."""
    shared = len(set(a) & set(b))
    if not shared:
        return 0.0
    norm = math.log(len(a)) + math.log(len(b))
    return shared / norm if norm > 0 else float(shared)  # two one-word sentences: log 1 + log 1 = 0


def pagerank(
    weights: np.ndarray, *, damping: float = 0.85, max_iter: int = 200, tol: float = 1e-8
) -> np.ndarray:
    """Weighted PageRank by power iteration; a node without edges spreads its rank uniformly.

    Example:
        >>> w = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], dtype=float)
        >>> r = pagerank(w)
        >>> bool(r[0] > r[1] == r[2]) and round(float(r.sum()), 6)
        1.0
    """
    n = weights.shape[0]
    if n == 0:
        return np.zeros(0)
    out_weight = weights.sum(axis=1, keepdims=True)
    transition = np.where(out_weight > 0, weights / np.where(out_weight > 0, out_weight, 1.0), 1.0 / n)
    rank = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        updated = (1.0 - damping) / n + damping * (transition.T @ rank)
        if np.abs(updated - rank).sum() < tol:
            return updated
        rank = updated
    return rank


class TextRankSummariser:
    """Extractive TextRank (Mihalcea & Tarau 2004): sentences are nodes, word overlap weighs the edges,
    PageRank scores them, and the ``k`` best are returned in document order (ties: earlier first)."""

    def __init__(self, k: int = 1, *, damping: float = 0.85, max_iter: int = 200, tol: float = 1e-8) -> None:
        if k < 1:
            raise InputError(f"TextRank needs k >= 1, got {k}.")
        if not 0.0 < damping < 1.0:
            raise InputError(f"TextRank damping must be in (0, 1), got {damping}.")
        self.k, self.damping, self.max_iter, self.tol = k, damping, max_iter, tol

    def rank(self, sentences: Sequence[str]) -> np.ndarray:
        """The TextRank score of each sentence."""
        content = [[w for w in words(s) if w not in _STOPWORDS] for s in sentences]
        n = len(sentences)
        weights = np.zeros((n, n))
        for i in range(n):
            for j in range(i + 1, n):
                weights[i, j] = weights[j, i] = sentence_similarity(content[i], content[j])
        return pagerank(weights, damping=self.damping, max_iter=self.max_iter, tol=self.tol)

    def summarise(self, document: str) -> str:
        sentences = document_sentences(document)
        if len(sentences) <= self.k:
            return "\n".join(sentences)
        scores = self.rank(sentences)
        # Rounding makes ties exact, so float noise never reorders equally central sentences.
        best = sorted(range(len(sentences)), key=lambda i: (-round(float(scores[i]), 12), i))[: self.k]
        return "\n".join(sentences[i] for i in sorted(best))

    def summarise_many(self, documents: Sequence[str]) -> list[str]:
        return [self.summarise(document) for document in documents]
