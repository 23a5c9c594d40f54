"""Statement classification: one interface, three implementations, one config format.

Every classifier scores each substantive label of its taxonomy, keeps the labels whose score reaches that
label's decision threshold, and assigns the taxonomy's fallback label (``other``) alone when none does.

- :class:`FineTunedClassifier`: MiniLM fine-tuned with a multi-label head (``stancekit.training``); the
  shipped one is LoRA adapters plus the head, loaded over the embedded MiniLM.
- :class:`ZeroShotClassifier`: cosine similarity between the statement and each label's definition and
  examples (mean-pooled MiniLM embeddings), as a softmax over all labels; thresholds chosen on the dev split
  of our statements.
- :class:`LexiconClassifier`: cue words and phrases from a YAML config, with negation and other-sense rules.

Encoder classifiers predict in length-sorted batches, each padded only to its own longest text. A text
longer than the encoder window (256 tokens for MiniLM) is split into overlapping windows whose scores are
max-pooled; ``Classification.windows`` says how many windows a text needed.

Example:
    >>> from stancekit import classify
    >>> result = classify("The president offered his deepest condolences to the victims' families.")
    >>> result[0].labels  # doctest: +SKIP
    ['condolence']
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sys
import types
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator

from stancekit.config import PACKAGE_DIR, StrictModel, load_config
from stancekit.errors import ConfigError, InputError, ModelUnavailableError
from stancekit.statements import Statement
from stancekit.taxonomy import Taxonomy, load_taxonomy
from stancekit.training import TrainConfig

if TYPE_CHECKING:
    import torch

WEIGHTS_DIR = PACKAGE_DIR / "weights"
REPO_ROOT = PACKAGE_DIR.parents[1]
DEFAULT_CLASSIFIER = "diplomatic-v1-minilm"
# Files a trained classifier directory holds besides the weights (written by stancekit.training.train_classifier).
LABEL_MAP_FILE = "label_map.json"
THRESHOLDS_FILE = "thresholds.json"
TRAINING_FILE = "training.json"
TAXONOMY_FILE = "taxonomy.json"


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


class ZeroShotSettings(StrictModel):
    """How the zero-shot baseline embeds labels and where it calibrates its thresholds."""

    encoder: str = "embedded:all-minilm-l6-v2"
    label_text: Literal["definition", "definition+examples"] = "definition+examples"
    # mean: similarity to the average of the label's descriptors (definition and examples);
    # max: the best similarity to any one descriptor.
    pooling: Literal["max", "mean"] = "mean"
    # softmax: similarities to all labels (fallback included) become a distribution, so a label scores high
    # only when it beats the others; cosine: raw similarities. Softmax was better on dev (0.61 vs 0.55).
    scoring: Literal["softmax", "cosine"] = "softmax"
    temperature: float = Field(default=0.05, gt=0)
    calibration_data: str | None = Field(
        default="data/statements/statements.jsonl",
        description="Labelled statements whose dev split sets the thresholds (never an evaluation set).",
    )
    calibration_split: Literal["train", "dev"] = "dev"
    thresholds: dict[str, float] | None = Field(
        default=None, description="Fixed per-label thresholds; when given, no calibration data is read."
    )
    max_labels: int | None = Field(
        default=None, ge=1, description="Keep at most this many labels; None chooses 1-3 or no cap on dev."
    )


class LexiconSettings(StrictModel):
    """Cue patterns per label. Patterns are case-insensitive regular expressions matched on word boundaries."""

    cues: dict[str, list[str]]
    other_senses: list[str] = Field(
        default_factory=list, description="Phrases removed before matching: cue words in unrelated senses."
    )
    negations: list[str] = Field(
        default_factory=list, description="Words that cancel a cue shortly after them."
    )
    negation_window: int = Field(default=3, ge=0, description="Words before a cue searched for a negation.")


class ClassifierConfig(StrictModel):
    """A classifier: which kind, which taxonomy, where its weights are, and (fine-tuned) how to train it."""

    name: str
    kind: Literal["fine_tuned", "zero_shot", "lexicon"]
    taxonomy: str = "diplomatic-v1"
    weights: str | None = Field(
        default=None,
        description="fine_tuned: a shipped weights name (src/stancekit/weights/<name>) or a path.",
    )
    batch_size: int = Field(default=32, ge=1)
    max_length: int = Field(default=256, ge=8, description="Encoder window in tokens at prediction time.")
    stride: int = Field(default=32, ge=0, description="Tokens shared by consecutive windows of a long text.")
    device: str = Field(default="auto", description="'auto' (CUDA when available), 'cpu', 'cuda', 'cuda:1'.")
    zero_shot: ZeroShotSettings | None = None
    lexicon: LexiconSettings | None = None
    training: TrainConfig | None = None

    @model_validator(mode="after")
    def _check_kind(self) -> ClassifierConfig:
        if self.kind == "fine_tuned" and not self.weights:
            raise ValueError("a fine_tuned classifier needs `weights:` (a shipped name or a directory)")
        if self.kind == "lexicon" and self.lexicon is None:
            raise ValueError("a lexicon classifier needs a `lexicon:` section with `cues:`")
        if self.kind == "zero_shot" and self.zero_shot is None:
            self.zero_shot = ZeroShotSettings()
        if self.stride >= self.max_length // 2:
            raise ValueError(f"stride {self.stride} must be below half of max_length {self.max_length}")
        return self


def load_classifier_config(ref: str | Path, overrides: list[str] | None = None) -> ClassifierConfig:
    """Load ``configs/classifier/<ref>.yaml`` (or any YAML path) with dotted overrides."""
    return load_config(ClassifierConfig, ref, "classifier", overrides)


def resolve_path(ref: str | Path) -> Path:
    """A config path: as given when it exists (relative to the working directory), else under the repository."""
    path = Path(ref).expanduser()
    if path.exists() or path.is_absolute():
        return path
    return REPO_ROOT / path


# --------------------------------------------------------------------------------------------- decisions


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


def _texts_of(items: str | Statement | Sequence[str | Statement]) -> list[str]:
    """Validate input into a list of non-empty strings; empty or non-text items raise InputError."""
    if isinstance(items, (str, Statement)):
        items = [items]
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
        items = _texts_of(texts)
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


def pick_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


class WindowedEncoder:
    """Runs a transformers model over texts in length-sorted batches, splitting texts beyond the window.

    ``forward(batch) -> Tensor (windows x k)`` gives one row per window; rows are max-pooled per text
    (``pool="max"``) or averaged (``pool="mean"``).
    """

    def __init__(self, tokenizer: Any, *, max_length: int, stride: int, batch_size: int, device: str) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.stride = stride
        self.batch_size = batch_size
        self.device = device

    def windows(self, texts: Sequence[str]) -> tuple[list[list[int]], list[int]]:
        """Token-id windows of ``texts`` (each within ``max_length``, specials included) and their owners."""
        encoded = self.tokenizer(
            list(texts),
            truncation=True,
            max_length=self.max_length,
            stride=self.stride,
            return_overflowing_tokens=True,
            padding=False,
        )
        owners = encoded.get("overflow_to_sample_mapping")
        if owners is None:  # slow tokenizers cannot split; their truncation is the best they offer
            owners = list(range(len(texts)))
        return [list(ids) for ids in encoded["input_ids"]], [int(o) for o in owners]

    def batches(self, windows: list[list[int]]) -> list[list[int]]:
        """Window indices in length buckets: sorted by length, and a batch closes when it is full or the
        next window is longer than the batch's shortest by more than max(4 tokens, 10%), so padding stays
        a few tokens per row (on a CPU the cost is the padded tokens, not the number of batches)."""
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        batches: list[list[int]] = []
        for i in order:
            if batches and len(batches[-1]) < self.batch_size:
                shortest = len(windows[batches[-1][0]])
                if len(windows[i]) - shortest <= max(4, shortest // 10):
                    batches[-1].append(i)
                    continue
            batches.append([i])
        return batches

    def run(
        self,
        texts: Sequence[str],
        forward: Callable[[dict[str, torch.Tensor]], torch.Tensor],
        *,
        pool: str = "max",
    ) -> tuple[np.ndarray, list[int]]:
        import torch

        windows, owners = self.windows(texts)
        rows: list[np.ndarray | None] = [None] * len(windows)
        pad_id = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for batch in self.batches(windows):
                width = max(len(windows[i]) for i in batch)
                ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    ids[row, : len(windows[i])] = torch.tensor(windows[i])
                    mask[row, : len(windows[i])] = 1
                inputs = {"input_ids": ids.to(self.device), "attention_mask": mask.to(self.device)}
                out = forward(inputs).float().cpu().numpy()
                for row, i in enumerate(batch):
                    rows[i] = out[row]
        width = rows[0].shape[0]  # type: ignore[union-attr]
        pooled = np.full((len(texts), width), -np.inf if pool == "max" else 0.0)
        counts = [0] * len(texts)
        for owner, row in zip(owners, rows, strict=True):
            counts[owner] += 1
            pooled[owner] = np.maximum(pooled[owner], row) if pool == "max" else pooled[owner] + row
        if pool == "mean":
            pooled /= np.asarray(counts, dtype=float)[:, None]
        return pooled, counts


def encoder_window(model: Any, tokenizer: Any, requested: int) -> int:
    """The window to use: ``requested``, capped by the model's position embeddings and the tokenizer's limit,
    so a config asking for more than a model can take never crashes it."""
    config = getattr(model, "config", None)
    positions = getattr(config, "max_position_embeddings", None) or requested
    if getattr(config, "model_type", "") in {"roberta", "xlm-roberta", "camembert"}:
        positions -= 2  # RoBERTa-style position ids start after the padding index
    limit = getattr(tokenizer, "model_max_length", None)
    limit = limit if isinstance(limit, int) and 0 < limit < 1_000_000 else requested
    return min(requested, positions, limit)


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' load reports and progress bars while loading (a new head is expected when a
    base encoder is loaded for classification; the report would only alarm users)."""
    from transformers.utils import logging as hf_logging

    previous = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            # peft 0.21 calls a transformers 5 method that is deprecated; nothing for a user to act on
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            yield
    finally:
        hf_logging.set_verbosity(previous)
        if bars:
            hf_logging.enable_progress_bar()


# --------------------------------------------------------------------------------------------- fine-tuned


def resolve_weights(ref: str) -> Path:
    """A shipped weights name (``diplomatic-v1-minilm``) or a directory holding a trained classifier."""
    shipped = WEIGHTS_DIR / ref
    path = shipped if shipped.is_dir() else resolve_path(ref)
    if not (path / LABEL_MAP_FILE).is_file():
        names = sorted(p.name for p in WEIGHTS_DIR.glob("*") if (p / LABEL_MAP_FILE).is_file())
        raise ModelUnavailableError(
            f"no trained classifier at {ref!r} (looked in {shipped} and {path}).",
            fix=f"train one: python scripts/train_classifier.py --config configs/classifier/{DEFAULT_CLASSIFIER}.yaml; "
            f"shipped weights: {', '.join(names) or 'none'}.",
        )
    return path


class FineTunedClassifier(Classifier):
    """A trained classifier directory: full weights, or LoRA adapters + head over the base encoder.

    The directory carries its label map, per-label thresholds chosen on dev, and the taxonomy it was
    trained on, so it loads without its training config.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        batch_size: int = 32,
        max_length: int = 256,
        stride: int = 32,
        device: str = "auto",
        name: str | None = None,
    ) -> None:
        self.directory = Path(directory)
        label_map = json.loads((self.directory / LABEL_MAP_FILE).read_text(encoding="utf-8"))
        thresholds = json.loads((self.directory / THRESHOLDS_FILE).read_text(encoding="utf-8"))
        self.training = json.loads((self.directory / TRAINING_FILE).read_text(encoding="utf-8"))
        self.taxonomy = Taxonomy.model_validate(
            json.loads((self.directory / TAXONOMY_FILE).read_text(encoding="utf-8"))
        )
        self.name = name or self.directory.name
        if label_map["labels"] != self.taxonomy.substantive:
            raise ModelUnavailableError(
                f"{self.directory}: label_map.json labels {label_map['labels']} do not match its taxonomy.",
                fix="retrain the classifier; the directory is inconsistent.",
            )
        self.thresholds = np.asarray([thresholds[label] for label in self.labels], dtype=float)
        self.device = pick_device(device)
        try:
            with quiet_transformers():
                model, tokenizer = self._load_model()
        except (OSError, ValueError, KeyError) as error:
            raise ModelUnavailableError(
                f"the classifier at {self.directory} could not be loaded: {error}",
                fix="check that the directory is complete (weights, label_map.json, thresholds.json), "
                "or retrain it.",
            ) from None
        self.model = model.to(self.device).eval()
        window = encoder_window(model, tokenizer, max_length)
        self.encoder = WindowedEncoder(
            tokenizer,
            max_length=window,
            stride=min(stride, window // 4),
            batch_size=batch_size,
            device=self.device,
        )

    def _load_model(self) -> tuple[Any, Any]:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from stancekit.loading import resolve_model

        if self.training["format"] != "lora":
            model = AutoModelForSequenceClassification.from_pretrained(self.directory)
            return model, AutoTokenizer.from_pretrained(self.directory)
        from peft import PeftModel

        base = resolve_model(self.training["base_model"], progress=False).location
        model = AutoModelForSequenceClassification.from_pretrained(
            base,
            num_labels=len(self.labels),
            problem_type="multi_label_classification",
            id2label=dict(enumerate(self.labels)),
            label2id={label: i for i, label in enumerate(self.labels)},
        )
        # merging folds the adapters into the base weights: prediction then costs what the base does
        model = PeftModel.from_pretrained(model, self.directory).merge_and_unload()
        return model, AutoTokenizer.from_pretrained(base)

    def probabilities(self, texts: list[str]) -> tuple[np.ndarray, list[int]]:
        """Per-label sigmoid probabilities (max over windows) and windows per text."""
        return self.encoder.run(texts, lambda batch: self.model(**batch).logits.sigmoid())

    def score(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        probabilities, windows = self.probabilities(texts)
        return probabilities, 1.0 - probabilities.max(axis=1), windows


# --------------------------------------------------------------------------------------------- zero-shot


class ZeroShotClassifier(Classifier):
    """Cosine similarity of mean-pooled MiniLM embeddings to each label's definition and examples,
    by default turned into a softmax over all labels (fallback included).

    Thresholds (and the cap on labels per statement) are chosen on the dev split of our labelled statements
    when the classifier is built, unless the config fixes them.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        settings: ZeroShotSettings,
        *,
        batch_size: int = 32,
        max_length: int = 256,
        stride: int = 32,
        device: str = "auto",
        name: str = "zero-shot",
    ) -> None:
        from transformers import AutoModel, AutoTokenizer

        from stancekit.loading import resolve_model

        self.taxonomy = taxonomy
        self.settings = settings
        self.name = name
        self.device = pick_device(device)
        location = resolve_model(settings.encoder, progress=False).location
        with quiet_transformers():
            self.model = AutoModel.from_pretrained(location).to(self.device).eval()
            tokenizer = AutoTokenizer.from_pretrained(location)
        window = encoder_window(self.model, tokenizer, max_length)
        self.encoder = WindowedEncoder(
            tokenizer,
            max_length=window,
            stride=min(stride, window // 4),
            batch_size=batch_size,
            device=self.device,
        )
        self._descriptors = self._embed_labels()
        self.max_labels = settings.max_labels
        if settings.thresholds is not None:
            missing = [label for label in self.labels if label not in settings.thresholds]
            if missing:
                raise ConfigError(
                    f"zero_shot.thresholds lacks labels {missing}.", fix="give every label one."
                )
            self.thresholds = np.asarray([settings.thresholds[label] for label in self.labels])
        elif settings.calibration_data:
            self.calibrate(resolve_path(settings.calibration_data), settings.calibration_split)
        else:
            raise ConfigError(
                "the zero-shot classifier needs calibration_data (its dev split sets thresholds) or thresholds.",
                fix="set zero_shot.calibration_data or zero_shot.thresholds in the classifier config.",
            )

    def _mean_pooled(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        import torch

        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def embed(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """Unit-length sentence embeddings (a long text: the mean of its windows' embeddings)."""
        vectors, windows = self.encoder.run(texts, self._mean_pooled, pool="mean")
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-9)
        return vectors, windows

    def _embed_labels(self) -> list[np.ndarray]:
        descriptors = []
        for name in self.taxonomy.names:
            label = self.taxonomy.label(name)
            texts = [label.definition]
            if self.settings.label_text == "definition+examples":
                texts += label.examples
            vectors, _ = self.embed(texts)
            if self.settings.pooling == "mean":
                mean = vectors.mean(axis=0, keepdims=True)
                vectors = mean / np.linalg.norm(mean)
            descriptors.append(vectors)
        return descriptors

    def similarities(self, texts: list[str]) -> tuple[np.ndarray, list[int]]:
        """Similarity of each text to each label of the taxonomy (all labels, fallback included)."""
        vectors, windows = self.embed(texts)
        sims = np.stack([(vectors @ d.T).max(axis=1) for d in self._descriptors], axis=1)
        return sims, windows

    def score(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        sims, windows = self.similarities(texts)
        if self.settings.scoring == "softmax":
            logits = sims / self.settings.temperature
            exp = np.exp(logits - logits.max(axis=1, keepdims=True))
            sims = exp / exp.sum(axis=1, keepdims=True)
        fallback_index = self.taxonomy.names.index(self.taxonomy.fallback)
        substantive = [self.taxonomy.names.index(label) for label in self.labels]
        return sims[:, substantive], sims[:, fallback_index], windows

    def calibrate(self, data: Path, split: str) -> None:
        """Choose per-label thresholds, then the label cap, to maximise macro-F1 on ``split`` of ``data``."""
        from stancekit.classify_eval import macro_f1
        from stancekit.data import load_statements

        rows = load_statements(data, self.taxonomy, split=split)
        scores, fallback_scores, _ = self.score(list(rows["text"]))
        gold = label_matrix(rows["labels"], self.labels)
        self.thresholds = choose_thresholds(scores, gold)
        if self.settings.max_labels is None:
            best: tuple[float, int | None] = (-1.0, None)
            for cap in (1, 2, 3, None):
                decisions = decide(
                    scores,
                    self.labels,
                    self.thresholds,
                    self.taxonomy.fallback,
                    fallback_scores,
                    max_labels=cap,
                )
                f1 = macro_f1(list(rows["labels"]), [labels for labels, _ in decisions], self.taxonomy.names)
                if f1 > best[0] + 1e-12:
                    best = (f1, cap)
            self.max_labels = best[1]
        self.calibration = {"data": str(data), "split": split, "n": len(rows), "max_labels": self.max_labels}


# --------------------------------------------------------------------------------------------- lexicon

_WORD = re.compile(r"[\w']+")


class LexiconClassifier(Classifier):
    """Cue phrases per label (regular expressions), applied after removing other-sense phrases.

    A cue preceded within ``negation_window`` words by a negation ("did not condemn", "no plans to send")
    does not count. A label's score is 1 - 0.5**hits, so one cue gives 0.5, the threshold.
    """

    def __init__(self, taxonomy: Taxonomy, settings: LexiconSettings, *, name: str = "lexicon") -> None:
        unknown = [label for label in settings.cues if label not in taxonomy.substantive]
        if unknown:
            raise ConfigError(
                f"lexicon cues for labels {unknown} that taxonomy {taxonomy.name!r} does not score.",
                fix=taxonomy.suggestion(unknown[0]),
            )
        self.taxonomy = taxonomy
        self.settings = settings
        self.name = name
        self.thresholds = np.full(len(self.labels), 0.5)
        try:
            self._cues = {
                label: [re.compile(rf"(?<!\w){p}(?!\w)", re.IGNORECASE) for p in settings.cues.get(label, [])]
                for label in self.labels
            }
            self._other = [re.compile(rf"(?<!\w){p}(?!\w)", re.IGNORECASE) for p in settings.other_senses]
        except re.error as error:
            raise ConfigError(f"lexicon pattern {error.pattern!r} is not a valid regex: {error}") from None
        self._negations = {n.lower() for n in settings.negations}

    def _negated(self, text: str, start: int) -> bool:
        before = _WORD.findall(text[:start].lower())[-self.settings.negation_window :]
        return any(word in self._negations or word.endswith("n't") for word in before)

    def hits(self, text: str) -> dict[str, list[str]]:
        """The cue matches per label that count (not negated, not in an other-sense phrase)."""
        for pattern in self._other:
            text = pattern.sub(lambda m: " " * len(m.group(0)), text)
        found: dict[str, list[str]] = {}
        for label, patterns in self._cues.items():
            for pattern in patterns:
                for match in pattern.finditer(text):
                    if self.settings.negation_window and self._negated(text, match.start()):
                        continue
                    found.setdefault(label, []).append(match.group(0))
        return found

    def score(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        scores = np.zeros((len(texts), len(self.labels)))
        for i, text in enumerate(texts):
            found = self.hits(text)
            for j, label in enumerate(self.labels):
                scores[i, j] = 1.0 - 0.5 ** len(found.get(label, []))
        return scores, (scores.max(axis=1) < 0.5).astype(float), [1] * len(texts)


# --------------------------------------------------------------------------------------------- loading


def build_classifier(config: ClassifierConfig) -> Classifier:
    """Instantiate the classifier a validated config describes."""
    common = {"batch_size": config.batch_size, "max_length": config.max_length, "stride": config.stride}
    if config.kind == "fine_tuned":
        assert config.weights is not None
        classifier = FineTunedClassifier(
            resolve_weights(config.weights), device=config.device, name=config.name, **common
        )
        expected = load_taxonomy(config.taxonomy)
        if classifier.taxonomy.substantive != expected.substantive:
            raise ConfigError(
                f"classifier {config.name!r} was trained on labels {classifier.taxonomy.substantive}, "
                f"but the config names taxonomy {expected.name!r} with {expected.substantive}.",
                fix="point `taxonomy:` at the taxonomy it was trained on, or retrain.",
            )
        return classifier
    taxonomy = load_taxonomy(config.taxonomy)
    if config.kind == "zero_shot":
        assert config.zero_shot is not None
        return ZeroShotClassifier(
            taxonomy, config.zero_shot, device=config.device, name=config.name, **common
        )
    assert config.lexicon is not None
    return LexiconClassifier(taxonomy, config.lexicon, name=config.name)


def load_classifier(config_or_name: ClassifierConfig | str | Path = DEFAULT_CLASSIFIER) -> Classifier:
    """A classifier from a config object, a shipped config name (``diplomatic-v1-minilm``, ``zero-shot``,
    ``lexicon``) or a YAML path.

    Example:
        >>> lexicon = load_classifier("lexicon")
        >>> lexicon.predict(["The council condemned the attack."])[0].labels
        ['condemnation']
    """
    if isinstance(config_or_name, ClassifierConfig):
        return build_classifier(config_or_name)
    return _load_cached(str(config_or_name))


@functools.lru_cache(maxsize=4)
def _load_cached(ref: str) -> Classifier:
    return build_classifier(load_classifier_config(ref))


def classify(
    statements_or_texts: str | Statement | Sequence[str | Statement],
    *,
    classifier: Classifier | str | None = None,
) -> list[Classification]:
    """Classify statements (a str, a list of str, or a list of :class:`Statement`) into taxonomy labels.

    Uses the shipped fine-tuned classifier unless ``classifier`` (an instance or a config name) is given.
    Returns one :class:`Classification` per statement, in order. An empty statement raises InputError.

    Example:
        >>> classify(["The envoy urged both sides to return to the talks."])[0].labels  # doctest: +SKIP
        ['call_to_action']
    """
    texts = _texts_of(statements_or_texts)
    if classifier is None or isinstance(classifier, (str, Path)):
        classifier = load_classifier(classifier or DEFAULT_CLASSIFIER)
    return classifier.predict(texts)


class _CallableModule(types.ModuleType):
    """``stancekit.classify`` is both this module and the function: once the module is imported, Python binds
    the package attribute to the module, so ``from stancekit import classify`` would give the module. Making
    the module callable keeps ``stancekit.classify(texts)`` working whatever was imported first."""

    def __call__(
        self,
        statements_or_texts: str | Statement | Sequence[str | Statement],
        *,
        classifier: Classifier | str | None = None,
    ) -> list[Classification]:
        return classify(statements_or_texts, classifier=classifier)


sys.modules[__name__].__class__ = _CallableModule
