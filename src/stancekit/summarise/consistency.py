"""A learned factual-consistency scorer: a logistic model over MiniLM similarity and lexical support features.

SummaC-style evidence, made cheap enough for two shared CPU cores (issue 10):

1. evidence: for each summary sentence, the ``top_k`` source sentences that share most bigrams with it
   (unigrams break ties, so an abstractive sentence still finds its evidence), in source order. Any source
   length works: the source is read sentence by sentence, never truncated;
2. features of (evidence, sentence) (:data:`FEATURES`): the MiniLM (embedded pack) cosine of the sentence with
   its best and its mean evidence sentence, ROUGE-1/2 precision against the evidence, the share of its names
   and of its numbers that the evidence holds, negation and modality mismatches, its length;
3. a logistic model, trained on pairs built only from the team's own articles (``scripts/train_consistency.py``;
   supported reference and source sentences against entity, number, date, negation, modality, addition and
   other-article corruptions), turns them into a support probability ``p``;
4. a sentence scores ``(1 - rouge_weight) * p + rouge_weight * ROUGE-2 support`` (see
   :mod:`stancekit.summarise.grounding`), and a summary the ``aggregation`` (mean or min) of its sentences.

The weights (a few coefficients, ``consistency.json``) are chosen on the team dev split; ``top_k``,
``rouge_weight``, the aggregation and the threshold on FRANK validation (README).

Example:
    >>> scorer = ConsistencyScorer()  # doctest: +SKIP
    >>> scorer.score(["Kenya will send two ships."], ["Kenya said it will send two ships."])[0].score  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from stancekit.config import WEIGHTS_DIR
from stancekit.errors import InputError, ModelUnavailableError
from stancekit.models.device import select_device
from stancekit.summarise.grounding import SentenceSupport, Span, SummarySupport, check_pairs, rouge2_support
from stancekit.text import ngrams, sentence_spans, words

DEFAULT_CONSISTENCY = "consistency-minilm-v1"
CONSISTENCY_FILE = "consistency.json"  # base model, max_length, the settings chosen on dev, training record


def _unit_counts(text: str) -> tuple[Counter, Counter]:
    tokens = words(text)
    return Counter(ngrams(tokens, 2)), Counter(tokens)


_GLUED = re.compile(r"(?<=[a-z0-9][.!?])(?=[A-Z])|(?<=[a-z][.!?][\"”])(?=[A-Z])")
_MAX_SENTENCE_WORDS = 60


def source_sentences(source: str) -> list[tuple[int, int]]:
    """Sentence spans of ``source`` for evidence: also split where scraped text glued two sentences together
    ("community.Dr Venter"), and sentences beyond 60 words cut into pieces so one never fills the window."""
    spans = []
    for start, end in sentence_spans(source) or [(0, len(source))]:
        cuts = [start] + [start + m.start() for m in _GLUED.finditer(source[start:end])] + [end]
        for s, e in itertools.pairwise(cuts):
            pieces = [m.span() for m in re.finditer(r"\S+", source[s:e])]
            for i in range(0, len(pieces), _MAX_SENTENCE_WORDS):
                chunk = pieces[i : i + _MAX_SENTENCE_WORDS]
                if chunk:
                    spans.append((s + chunk[0][0], s + chunk[-1][1]))
    return spans


def select_evidence(
    sentence: str, source: str, spans: list[tuple[int, int]], k: int
) -> list[tuple[int, int]]:
    """The ``k`` source sentences (spans, in source order) that share most bigrams, then words, with
    ``sentence``; the first ``k`` sentences when nothing is shared (a sentence with no overlap still gets
    a premise, and the scorer then judges it unsupported)."""
    bigrams, unigrams = _unit_counts(sentence)
    scored = []
    for i, (start, end) in enumerate(spans):
        b, u = _unit_counts(source[start:end])
        scored.append((sum((bigrams & b).values()), sum((unigrams & u).values()), -i))
    ranked = sorted(range(len(spans)), key=lambda i: scored[i], reverse=True)[:k]
    return [spans[i] for i in sorted(ranked)]


def resolve_consistency_weights(ref: str | Path) -> Path:
    """A shipped weights name (``consistency-minilm-v1``) or a directory written by the trainer."""
    shipped = WEIGHTS_DIR / str(ref)
    path = shipped if shipped.is_dir() else Path(ref).expanduser()
    if not (path / CONSISTENCY_FILE).is_file():
        raise ModelUnavailableError(
            f"no trained consistency scorer at {str(ref)!r} (looked in {shipped} and {path}).",
            fix="train one: python scripts/train_consistency.py --config configs/consistency/"
            f"{DEFAULT_CONSISTENCY}.yaml.",
        )
    return path


FEATURES = (
    "cosine_best",  # MiniLM cosine of the sentence with its closest evidence sentence
    "cosine_mean",  # ... with the mean of its evidence sentences' embeddings
    "rouge1_precision",  # share of the sentence's words found in the evidence (repeats clipped)
    "rouge2_precision",  # share of its word bigrams found in the evidence
    "content_precision",  # share of its content words (stop words out) found in the evidence
    "name_support",  # share of its capitalised words (names) found in the evidence; 1 with none
    "number_support",  # share of its numbers found in the evidence; 1 with none
    "negation_mismatch",  # 1 when one of sentence and evidence is negated and the other not
    "modality_mismatch",  # 1 when the sentence's modal verbs (will, could, ...) are absent from the evidence
    "log_length",  # log of the sentence's word count
)
_NEGATION = frozenset(
    ["not", "no", "never", "n't", "nor", "cannot", "without", "denied", "refused", "rejected"]
)
_MODALS = frozenset(["will", "would", "could", "may", "might", "should", "must", "can"])
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def _precision(claim: Counter, evidence: Counter) -> float:
    total = sum(claim.values())
    return sum((claim & evidence).values()) / total if total else 1.0


def _share(items: set[str], pool: str | set[str]) -> float:
    return sum(item in pool for item in items) / len(items) if items else 1.0


def pair_features(
    sentence: str, evidence: list[str], cosines: list[float], mean_cosine: float
) -> list[float]:
    """The :data:`FEATURES` of one summary sentence against its evidence sentences."""
    import math

    from stancekit.text import content_words

    joined = " ".join(evidence)
    claim_words, evidence_words = words(sentence), words(joined)
    lowered = joined.lower()
    negated = bool(_NEGATION & set(claim_words)) or "n't" in sentence
    evidence_negated = bool(_NEGATION & set(evidence_words)) or "n't" in joined
    modals = _MODALS & set(claim_words)
    return [
        max(cosines) if cosines else 0.0,
        mean_cosine,
        _precision(Counter(claim_words), Counter(evidence_words)),
        _precision(Counter(ngrams(claim_words, 2)), Counter(ngrams(evidence_words, 2))),
        _share(content_words(sentence), set(evidence_words)),
        _share({m.group(0).lower() for m in _NAME.finditer(sentence)}, lowered),
        _share({m.group(0).replace(",", "") for m in _DIGITS.finditer(sentence)}, joined.replace(",", "")),
        float(negated != evidence_negated),
        float(bool(modals - set(evidence_words))),
        math.log(1 + len(claim_words)),
    ]


class SentenceEncoder:
    """MiniLM sentence embeddings (mean pooling, unit length: the sentence-transformers recipe), cached by
    text so a source sentence cited by several summary sentences is embedded once."""

    def __init__(
        self, model: str = "embedded:all-minilm-l6-v2", *, device: str = "cpu", batch_size: int = 64
    ):
        from transformers import AutoModel, AutoTokenizer

        from stancekit.models.reference import resolve_model
        from stancekit.statements.classifiers.encoder import encoder_window, quiet_transformers

        with quiet_transformers():
            location = resolve_model(model, progress=False).location
            self.model = AutoModel.from_pretrained(location).to(device).eval()
            self.tokenizer = AutoTokenizer.from_pretrained(location)
        self.max_length = encoder_window(self.model, self.tokenizer, 128)
        self.device, self.batch_size = device, batch_size
        self.cache: dict[str, Any] = {}

    def embed(self, texts: list[str]) -> dict[str, Any]:
        import torch

        todo = sorted({t for t in texts if t not in self.cache}, key=len)
        with torch.inference_mode():
            for b in range(0, len(todo), self.batch_size):
                batch = todo[b : b + self.batch_size]
                inputs = self.tokenizer(
                    batch, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
                )
                inputs = {k: v.to(self.device) for k, v in inputs.items()}
                hidden = self.model(**inputs).last_hidden_state
                mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1).float().cpu().numpy()
                self.cache.update(zip(batch, pooled, strict=True))
        return self.cache


def feature_rows(encoder: SentenceEncoder, claims: list[str], evidence: list[list[str]]) -> list[list[float]]:
    """:data:`FEATURES` for aligned claims and their evidence sentences."""
    import numpy as np

    vectors = encoder.embed([*claims, *(e for group in evidence for e in group)])
    rows = []
    for claim, group in zip(claims, evidence, strict=True):
        c = vectors[claim]
        cosines = [float(c @ vectors[e]) for e in group]
        mean = np.mean([vectors[e] for e in group], axis=0) if group else np.zeros_like(c)
        norm = float(np.linalg.norm(mean)) or 1.0
        rows.append(pair_features(claim, group, cosines, float(c @ mean) / norm))
    return rows


class ConsistencyScorer:
    """Scores how well each summary sentence is supported by its source (see the module docstring).

    Settings left as None take the values recorded with the weights (chosen on FRANK validation).
    """

    def __init__(
        self,
        weights: str | Path = DEFAULT_CONSISTENCY,
        *,
        top_k: int | None = None,
        rouge_weight: float | None = None,
        aggregation: Literal["mean", "min"] | None = None,
        device: str = "auto",
    ) -> None:
        import numpy as np

        self.directory = resolve_consistency_weights(weights)
        self.meta = json.loads((self.directory / CONSISTENCY_FILE).read_text(encoding="utf-8"))
        chosen = self.meta.get("scoring", {})
        self.top_k = top_k or chosen.get("top_k", 3)
        self.rouge_weight = chosen.get("rouge_weight", 0.0) if rouge_weight is None else rouge_weight
        self.aggregation = aggregation or chosen.get("aggregation", "mean")
        self.threshold = float(chosen.get("threshold", 0.5))
        if not 0.0 <= self.rouge_weight <= 1.0 or self.top_k < 1 or self.aggregation not in ("mean", "min"):
            raise InputError(
                f"bad scorer settings: top_k={self.top_k}, rouge_weight={self.rouge_weight}, "
                f"aggregation={self.aggregation!r}.",
                fix="top_k >= 1, rouge_weight in [0, 1], aggregation 'mean' or 'min'.",
            )
        model = self.meta.get("model", {})
        if model.get("features") != list(FEATURES):
            raise ModelUnavailableError(
                f"{self.directory / CONSISTENCY_FILE} was trained on other features than this stancekit computes.",
                fix="retrain it: python scripts/train_consistency.py --config configs/consistency/"
                f"{DEFAULT_CONSISTENCY}.yaml.",
            )
        self.mean = np.asarray(model["mean"], dtype=float)
        self.scale = np.asarray(model["scale"], dtype=float)
        self.coef = np.asarray(model["coef"], dtype=float)
        self.intercept = float(model["intercept"])
        self.encoder = SentenceEncoder(self.meta["base_model"], device=select_device(device))

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        import numpy as np

        if not rows:
            return []
        z = ((np.asarray(rows, dtype=float) - self.mean) / self.scale) @ self.coef + self.intercept
        return (1.0 / (1.0 + np.exp(-z))).tolist()

    def score(self, summaries: object, sources: object) -> list[SummarySupport]:
        """Score aligned summaries and sources; bad input raises ``InputError`` before the model runs."""
        summaries, sources = check_pairs(summaries, sources)
        floors = [rouge2_support(s, src) for s, src in zip(summaries, sources, strict=True)]
        claims, evidence, chosen_spans = [], [], []
        for floor, source in zip(floors, sources, strict=True):
            spans = source_sentences(source)
            rows = []
            for sentence in floor.sentences:
                chosen = select_evidence(sentence.text, source, spans, self.top_k)
                claims.append(sentence.text)
                evidence.append([source[s:e] for s, e in chosen])
                rows.append(chosen)
            chosen_spans.append(rows)
        probabilities = iter(self.probabilities(feature_rows(self.encoder, claims, evidence)))
        results = []
        for floor, rows in zip(floors, chosen_spans, strict=True):
            sentences = []
            for sentence, chosen in zip(floor.sentences, rows, strict=True):
                p = next(probabilities)
                combined = (1.0 - self.rouge_weight) * p + self.rouge_weight * sentence.score
                # cited evidence: the floor's best-matching sentences first, then the rest of the evidence
                cited = [(s.start, s.end) for s in sentence.support]
                cited += [c for c in chosen if c not in cited]
                sentences.append(
                    SentenceSupport(
                        text=sentence.text,
                        start=sentence.start,
                        end=sentence.end,
                        score=combined,
                        support=[Span(start=s, end=e) for s, e in cited[: self.top_k]],
                    )
                )
            values = [s.score for s in sentences]
            total = min(values) if self.aggregation == "min" else sum(values) / len(values)
            results.append(SummarySupport(score=total, sentences=sentences))
        return results
