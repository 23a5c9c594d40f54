"""The summariser training config: data, LoRA, trainer settings and the dev evaluation."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from stancekit.config import (
    PACKAGE_DIR,
    StrictModel,
    deep_merge,
    load_yaml,
    parse_overrides,
    resolve_config_path,
    validate,
)
from stancekit.summarise.config import TRAINED_CONFIG, SummariserConfig
from stancekit.summarise.data import DEFAULT_SUMMARIES

REPO_ROOT = PACKAGE_DIR.parents[1]
CHECKPOINT_MARKER = "stancekit-train.json"
SUMMARISER_FILE = TRAINED_CONFIG
IGNORE_INDEX = -100
# Settings that do not change the trained weights: a checkpoint may be resumed with other values of these.
_NOT_FINGERPRINTED = {
    "training": {"output_dir", "checkpoint_dir", "resume", "resume_from", "keep_checkpoints", "logging_steps"}
}


# --------------------------------------------------------------------------------------------- configuration
class SummaryDataSettings(StrictModel):
    """Where the article / reference pairs are (JSONL with a ``split`` field, see ``data/summaries``)."""

    path: str = str(DEFAULT_SUMMARIES.relative_to(REPO_ROOT))
    schema_file: str | None = Field(None, description="JSON Schema; default: schema.json beside the data")
    train_split: Literal["train", "dev", "test"] = "train"
    dev_split: Literal["train", "dev", "test"] = "dev"


class LoraSettings(StrictModel):
    """LoRA adapters (``peft``); merged into the base weights before saving, so the output is a plain model."""

    r: int = Field(8, ge=1)
    alpha: int = Field(16, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] | None = Field(
        None,
        description="module name suffixes (q_proj, v_proj, ...); None: peft's default for the model type",
    )
    top_layers: int | None = Field(
        None,
        ge=1,
        description="causal LMs: adapters on the top N decoder layers only; backpropagation then stops below "
        "them, which shortens the backward pass about in proportion (None: every layer)",
    )


class TrainingSettings(StrictModel):
    """Optimisation, lengths, checkpoints. Either ``epochs`` or ``max_steps`` (which wins when set)."""

    output_dir: str = Field(description="where the trained model is written (replaced if it exists)")
    checkpoint_dir: str | None = Field(
        None, description="Trainer checkpoints; default '<output_dir>.checkpoints'"
    )
    epochs: float = Field(1.0, gt=0)
    max_steps: int | None = Field(None, ge=1, description="optimizer steps; overrides epochs")
    learning_rate: float = Field(2e-4, gt=0)
    batch_size: int = Field(1, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    warmup_ratio: float = Field(0.0, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    lr_scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"] = "linear"
    max_source_tokens: int = Field(512, ge=8, description="article tokens kept; longer articles are cut")
    max_target_tokens: int = Field(128, ge=2, description="longest reference allowed (an error beyond it)")
    seed: int = 13
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="auto: bf16 mixed precision on a GPU that supports it, else fp32"
    )
    save_steps: int = Field(50, ge=1)
    save_total_limit: int = Field(2, ge=1)
    logging_steps: int = Field(5, ge=1)
    resume: bool = Field(True, description="continue from the last checkpoint in checkpoint_dir, if any")
    resume_from: str | None = Field(None, description="a specific checkpoint-N directory to continue from")
    keep_checkpoints: bool = Field(False, description="keep checkpoint_dir after a successful run")


class EvaluationSettings(StrictModel):
    """Dev ROUGE through ``Summariser`` before and after training, and (encoder-decoders) during training."""

    dev_limit: int | None = Field(None, ge=1, description="score the first n dev pairs; None: all")
    before: bool = Field(True, description="score the base model first, with the same summariser settings")
    after: bool = Field(True, description="score the saved model")
    during: bool = Field(True, description="seq2seq: predict_with_generate ROUGE on dev after each epoch")
    dev_loss: bool = Field(
        True,
        description="causal: teacher-forced loss of the dev references (nats per answer token) before and after "
        "training, a more sensitive signal than ROUGE on a small dev set",
    )


class TrainSummariserConfig(StrictModel):
    """A summariser fine-tuning run. ``summariser`` is the inference config (model, prompt, generation): its
    model is the base that is trained, its prompt formats the training pairs, and it is saved with the result.
    """

    name: str
    summariser: SummariserConfig
    data: SummaryDataSettings = SummaryDataSettings()
    training: TrainingSettings
    lora: LoraSettings | None = Field(None, description="None: full fine-tuning")
    evaluation: EvaluationSettings = EvaluationSettings()

    def training_payload(self) -> dict[str, Any]:
        """The settings that determine the trained weights (what a resumed checkpoint must match)."""
        data = self.model_dump(mode="json")
        payload = {
            "model": data["summariser"]["model"],
            "backend": data["summariser"]["backend"],
            "prompt": data["summariser"]["prompt"],
            "data": data["data"],
            "training": data["training"],
            "lora": data["lora"],
        }
        for section, keys in _NOT_FINGERPRINTED.items():
            payload[section] = {k: v for k, v in payload[section].items() if k not in keys}
        return payload

    def training_fingerprint(self) -> str:
        canonical = json.dumps(self.training_payload(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _inline_summariser(data: dict[str, Any]) -> dict[str, Any]:
    """Replace ``summariser: <name or path>`` by that config's mapping, so dotted overrides reach its keys."""
    ref = data.get("summariser")
    if isinstance(ref, str):
        data = {**data, "summariser": load_yaml(resolve_config_path(ref, "summariser"))}
    return data


def load_train_config(ref: str | Path, overrides: list[str] | None = None) -> TrainSummariserConfig:
    """A training config by path or shipped name (``configs/summariser/<name>.yaml``), with dotted overrides.

    The ``summariser:`` section may name a summariser config (``embedded-qwen``) or give one inline; either way
    overrides such as ``summariser.model=/path/to/model`` or ``training.learning_rate=1e-4`` apply to it.
    """
    path = resolve_config_path(ref, "summariser")
    data = _inline_summariser(load_yaml(path))
    data = _inline_summariser(deep_merge(data, parse_overrides(overrides)))
    return validate(TrainSummariserConfig, data, where=str(path))


# ------------------------------------------------------------------------------------------------ results
class DevScores(BaseModel):
    """ROUGE F-measures (mean over pairs) of one summariser on the dev pairs, with what it wrote."""

    n: int
    rouge1: float
    rouge2: float
    rougeLsum: float
    mean_words: float
    mean_copy_rate: float
    seconds: float
    per_sample: dict[str, list[float]] = Field(repr=False)
    predictions: list[str] = Field(repr=False)


class TrainSummariserResult(BaseModel):
    """What a run produced: where, how well (dev ROUGE before and after), and at what cost."""

    output_dir: str
    backend: Literal["seq2seq", "causal"]
    format: Literal["lora-merged", "full"]
    steps: int = Field(description="optimizer steps of the trained model, resumed ones included")
    steps_run: int = Field(description="optimizer steps taken by this call (fewer than steps when resumed)")
    resumed_from: str | None
    final_loss: float | None
    n: dict[str, int]
    truncated_articles: int
    trainable_parameters: int
    total_parameters: int
    dev_before: DevScores | None
    dev_after: DevScores | None
    dev_during: list[dict[str, float]] = Field(description="seq2seq: Seq2SeqTrainer eval logs per epoch")
    dev_loss: dict[str, float] | None = Field(
        None, description="causal: dev reference loss (nats per answer token) 'before' and 'after' training"
    )
    difference: dict[str, dict[str, float]] | None = Field(
        None, description="after - before per ROUGE type: paired bootstrap 95% CI and p-value"
    )
    seconds: dict[str, float]
    peak_rss_mb: float
