"""Classifier configs: which kind, which taxonomy, where the weights are, and how the fine-tuned one is trained.

The training settings are typed YAML like the rest; ``stancekit.training`` reads them, inference never does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from stancekit.config import PACKAGE_DIR, StrictModel, load_config

if TYPE_CHECKING:
    pass


REPO_ROOT = PACKAGE_DIR.parents[1]
DEFAULT_CLASSIFIER = "diplomatic-v1-minilm"
# Files a trained classifier directory holds besides the weights (written by stancekit.training.train_classifier).
LABEL_MAP_FILE = "label_map.json"
THRESHOLDS_FILE = "thresholds.json"
TRAINING_FILE = "training.json"
TAXONOMY_FILE = "taxonomy.json"


class LoraSettings(StrictModel):
    """LoRA adapters on the encoder's linear layers; the listed modules are trained in full and saved."""

    r: int = Field(default=8, ge=1)
    alpha: int = Field(default=16, ge=1)
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0)
    # suffixes of module names: BERT's attention projections, attention output, and the feed-forward pair
    target_modules: list[str] = Field(
        default_factory=lambda: [
            "query",
            "key",
            "value",
            "attention.output.dense",
            "intermediate.dense",
            "output.dense",
        ]
    )
    modules_to_save: list[str] = Field(default_factory=lambda: ["classifier", "pooler"])


class HeadRefitSettings(StrictModel):
    """Refit only the head (BERT pooler + classifier) of trained weights on frozen encoder features.

    The encoder is the one in ``weights:``; its [CLS] states are computed once and the pooler and classifier
    are trained on them from their current values, so a refit takes seconds where fine-tuning takes an hour.
    """

    source: str = Field(
        description="the trained weights whose encoder is kept (a shipped weights name or a directory); "
        "not the output directory, so a re-run starts from the same model"
    )
    epochs: int = Field(default=300, ge=1, description="full-batch Adam steps over the features")
    learning_rate: float = Field(default=1e-3, gt=0)
    weight_decay: float = Field(default=1e-4, ge=0)


class TrainConfig(StrictModel):
    """How a fine-tuned classifier is trained (the ``training:`` section of a classifier config)."""

    data: str = Field(default="data/statements/statements.jsonl", description="statements JSONL with splits")
    base_model: str = Field(
        default="embedded:all-minilm-l6-v2", description="embedded pack, path or hub name"
    )
    output_dir: str = Field(description="where the trained classifier is written (replaced if it exists)")
    epochs: float = Field(default=8, gt=0)
    learning_rate: float = Field(default=5e-5, gt=0)
    batch_size: int = Field(default=16, ge=1)
    weight_decay: float = Field(default=0.01, ge=0)
    warmup_ratio: float = Field(default=0.1, ge=0, lt=1)
    seeds: list[int] = Field(default_factory=lambda: [13], min_length=1)
    max_length: int = Field(default=96, ge=8, description="training truncation length in tokens")
    lora: LoraSettings | None = Field(default=None, description="None trains every weight (full fine-tuning)")
    train_split: Literal["train"] = "train"
    dev_split: Literal["dev"] = "dev"
    test_split: Literal["test"] | None = "test"
    limit_train_rows: int | None = Field(
        default=None, ge=1, description="smoke tests only: train on the first n"
    )
    natural_data: str | None = Field(
        default=None,
        description="directory of the natural-prior set (data/natural): its train split is trained on too",
    )
    natural_weight: float = Field(
        default=1.0, gt=0, description="loss weight of a natural train row relative to a balanced one"
    )
    threshold_data: Literal["statements", "natural"] = Field(
        default="statements",
        description="whose dev split sets the per-label thresholds: the balanced statements or the natural set",
    )
    init_weights: str | None = Field(
        default=None,
        description="LoRA only: continue training these trained weights (a shipped name or a directory) "
        "instead of fresh adapters",
    )
    refit_head: HeadRefitSettings | None = Field(
        default=None, description="refit only the head of `weights:` instead of fine-tuning the base model"
    )

    @model_validator(mode="after")
    def _check_natural(self) -> TrainConfig:
        if self.threshold_data == "natural" and self.natural_data is None:
            raise ValueError("threshold_data: natural needs `natural_data:` (the data/natural directory)")
        return self


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
    thresholds: dict[str, float] | None = Field(
        default=None,
        description="Per-label decision thresholds replacing the classifier's own (one per substantive label), "
        "e.g. recalibrated on a user's corpus by `stancekit corpus validate`.",
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        default="auto",
        description="fine_tuned: 'auto' is bf16 where this machine's measured bf16 GEMM rate clearly wins, "
        "else fp32; 'float32' is the exact path.",
    )
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
