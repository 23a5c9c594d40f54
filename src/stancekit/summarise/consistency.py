"""A learned factual-consistency scorer: a MiniLM cross-encoder over (evidence, summary sentence) pairs.

SummaC-style, made cheap enough for two CPU cores (issue 10):

1. evidence: for each summary sentence, the ``top_k`` source sentences that share most word bigrams with it
   (unigrams break ties, so an abstractive sentence still finds its evidence), joined in source order. Any
   source length works: the source is read sentence by sentence, never truncated; only the evidence is cut to
   the cross-encoder's ``max_length`` tokens;
2. the cross-encoder (MiniLM + LoRA adapters + a one-logit head, shipped in ``stancekit/weights/``) reads
   ``[CLS] evidence [SEP] sentence [SEP]`` and gives the probability that the evidence supports the sentence;
3. a sentence scores ``(1 - rouge_weight) * p + rouge_weight * ROUGE-2 support`` (see
   :mod:`stancekit.summarise.grounding`), and a summary the ``aggregation`` (mean or min) of its sentences.

The weights were trained only on pairs built from the team's own articles (``scripts/train_consistency.py``);
aggregation, ``rouge_weight``, ``top_k`` and the threshold were chosen on FRANK validation (README).

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

from stancekit.config import PACKAGE_DIR
from stancekit.errors import InputError, ModelUnavailableError
from stancekit.models.device import select_device
from stancekit.summarise.grounding import SentenceSupport, Span, SummarySupport, check_pairs, rouge2_support
from stancekit.text import ngrams, sentence_spans, words

WEIGHTS_DIR = PACKAGE_DIR / "weights"
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
    a premise, and the cross-encoder then judges it unsupported)."""
    bigrams, unigrams = _unit_counts(sentence)
    scored = []
    for i, (start, end) in enumerate(spans):
        b, u = _unit_counts(source[start:end])
        scored.append((sum((bigrams & b).values()), sum((unigrams & u).values()), -i))
    ranked = sorted(range(len(spans)), key=lambda i: scored[i], reverse=True)[:k]
    return [spans[i] for i in sorted(ranked)]


def evidence_text(source: str, spans: list[tuple[int, int]]) -> str:
    return " ".join(source[s:e] for s, e in spans)


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
        max_length: int | None = None,
        batch_size: int = 32,
        device: str = "auto",
    ) -> None:
        self.directory = resolve_consistency_weights(weights)
        self.meta = json.loads((self.directory / CONSISTENCY_FILE).read_text(encoding="utf-8"))
        chosen = self.meta.get("scoring", {})
        self.top_k = top_k or chosen.get("top_k", 3)
        self.rouge_weight = chosen.get("rouge_weight", 0.0) if rouge_weight is None else rouge_weight
        self.aggregation = aggregation or chosen.get("aggregation", "mean")
        self.threshold = float(chosen.get("threshold", 0.5))
        self.max_length = max_length or int(self.meta["max_length"])
        if not 0.0 <= self.rouge_weight <= 1.0 or self.top_k < 1 or self.aggregation not in ("mean", "min"):
            raise InputError(
                f"bad scorer settings: top_k={self.top_k}, rouge_weight={self.rouge_weight}, "
                f"aggregation={self.aggregation!r}.",
                fix="top_k >= 1, rouge_weight in [0, 1], aggregation 'mean' or 'min'.",
            )
        self.batch_size = batch_size
        self.device = select_device(device)
        self.model, self.tokenizer = load_cross_encoder(self.directory, self.meta["base_model"])
        self.model = self.model.to(self.device).eval()

    def probabilities(self, premises: list[str], hypotheses: list[str]) -> list[float]:
        """Support probability of each (premise, hypothesis) pair."""
        return cross_encode(
            self.model, self.tokenizer, premises, hypotheses, self.max_length, self.batch_size, self.device
        )

    def score(self, summaries: object, sources: object) -> list[SummarySupport]:
        """Score aligned summaries and sources; bad input raises ``InputError`` before the model runs."""
        summaries, sources = check_pairs(summaries, sources)
        floors = [rouge2_support(s, src) for s, src in zip(summaries, sources, strict=True)]
        premises, hypotheses, evidence = [], [], []
        for floor, source in zip(floors, sources, strict=True):
            spans = source_sentences(source)
            rows = []
            for sentence in floor.sentences:
                chosen = select_evidence(sentence.text, source, spans, self.top_k)
                premises.append(evidence_text(source, chosen))
                hypotheses.append(sentence.text)
                rows.append(chosen)
            evidence.append(rows)
        probabilities = iter(self.probabilities(premises, hypotheses))
        results = []
        for floor, rows in zip(floors, evidence, strict=True):
            sentences = []
            for sentence, chosen in zip(floor.sentences, rows, strict=True):
                p = next(probabilities)
                combined = (1.0 - self.rouge_weight) * p + self.rouge_weight * sentence.score
                # cited evidence: the floor's best-matching sentences first, then the rest of the premise
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


def load_cross_encoder(directory: Path, base_model: str) -> tuple[Any, Any]:
    """The base encoder with the directory's LoRA adapters merged in, and its tokenizer."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from stancekit.models.reference import resolve_model
    from stancekit.statements.classifiers.encoder import quiet_transformers

    try:
        with quiet_transformers():
            base = resolve_model(base_model, progress=False).location
            model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
            from peft import PeftModel

            # merging folds the adapters into the base weights: scoring then costs what the base does
            model = PeftModel.from_pretrained(model, directory).merge_and_unload()
            return model, AutoTokenizer.from_pretrained(base)
    except (OSError, ValueError, KeyError) as error:
        raise ModelUnavailableError(
            f"the consistency scorer at {directory} could not be loaded: {error}",
            fix="check that the directory holds adapter_config.json, adapter_model.safetensors and "
            f"{CONSISTENCY_FILE}, or retrain it.",
        ) from None


def cross_encode(
    model: Any,
    tokenizer: Any,
    premises: list[str],
    hypotheses: list[str],
    max_length: int,
    batch_size: int,
    device: str,
) -> list[float]:
    """Sigmoid of the one-logit head over (premise, hypothesis) pairs, in length-sorted batches (on a CPU
    the cost is the padded tokens); a pair beyond ``max_length`` loses tokens from its longer side first."""
    import torch

    if not premises:
        return []
    encoded = tokenizer(premises, hypotheses, truncation="longest_first", max_length=max_length)
    ids = encoded["input_ids"]
    types = encoded.get("token_type_ids")
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = [0.0] * len(ids)
    pad = tokenizer.pad_token_id or 0
    with torch.inference_mode():
        for b in range(0, len(order), batch_size):
            batch = order[b : b + batch_size]
            width = max(len(ids[i]) for i in batch)
            input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            type_ids = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                input_ids[row, : len(ids[i])] = torch.tensor(ids[i])
                mask[row, : len(ids[i])] = 1
                if types is not None:
                    type_ids[row, : len(ids[i])] = torch.tensor(types[i])
            inputs = {"input_ids": input_ids, "attention_mask": mask}
            if types is not None:
                inputs["token_type_ids"] = type_ids
            logits = model(**{k: v.to(device) for k, v in inputs.items()}).logits[:, 0]
            for row, value in zip(batch, logits.sigmoid().float().cpu().tolist(), strict=True):
                out[row] = value
    return out
