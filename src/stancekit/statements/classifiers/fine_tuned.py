"""The fine-tuned classifier: MiniLM with a multi-label head (full weights or LoRA adapters + head)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stancekit.config import WEIGHTS_DIR
from stancekit.errors import ModelUnavailableError
from stancekit.models.device import choose_dtype, select_device
from stancekit.statements.classifiers.base import Classifier
from stancekit.statements.classifiers.config import (
    DEFAULT_CLASSIFIER,
    LABEL_MAP_FILE,
    TAXONOMY_FILE,
    THRESHOLDS_FILE,
    TRAINING_FILE,
    resolve_path,
)
from stancekit.statements.classifiers.encoder import WindowedEncoder, encoder_window, quiet_transformers
from stancekit.statements.taxonomy import Taxonomy

if TYPE_CHECKING:
    pass


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


# What merge_lora folds in by itself: plain LoRA on nn.Linear weights. Anything else (DoRA, rsLoRA, per-module
# ranks, biases, Conv1D's fan-in-fan-out layout) is left to peft.
_PLAIN_LORA = {
    "peft_type": "LORA",
    "use_dora": False,
    "use_rslora": False,
    "fan_in_fan_out": False,
    "bias": "none",
    "lora_bias": False,
    "rank_pattern": {},
    "alpha_pattern": {},
    "layer_replication": None,
    "trainable_token_indices": None,
    "target_parameters": None,
}
ADAPTER_PREFIX = "base_model.model."


def merge_lora(model: Any, directory: Path) -> bool:
    """Fold plain LoRA adapters of ``directory`` into ``model`` in place, as peft's ``merge_and_unload`` does
    (``W += B @ A * alpha / r``, in the weights' dtype), and load its saved modules (pooler, head).

    Importing peft costs about a second and a half of every ``stancekit analyse``; this does its merge without
    it. Returns False, touching nothing, for an adapter it does not handle (the caller then uses peft).
    """
    import torch
    from safetensors.torch import load_file

    config = json.loads((directory / "adapter_config.json").read_text(encoding="utf-8"))
    if any(config.get(key, default) != default for key, default in _PLAIN_LORA.items()):
        return False
    tensors = load_file(directory / "adapter_model.safetensors")
    if not all(key.startswith(ADAPTER_PREFIX) for key in tensors):
        return False
    tensors = {key[len(ADAPTER_PREFIX) :]: value for key, value in tensors.items()}
    scaling = config["lora_alpha"] / config["r"]
    modules = dict(model.named_modules())
    lora = {key[: -len(".lora_A.weight")] for key in tensors if key.endswith(".lora_A.weight")}
    saved = {key: value for key, value in tensors.items() if ".lora_" not in key}
    parameters = dict(model.named_parameters())
    if not all(isinstance(modules.get(name), torch.nn.Linear) for name in lora) or not set(saved) <= set(
        parameters
    ):
        return False
    with torch.no_grad():
        for name in lora:
            weight = modules[name].weight
            delta = tensors[f"{name}.lora_B.weight"] @ tensors[f"{name}.lora_A.weight"] * scaling
            weight += delta.to(weight.dtype)
        for key, value in saved.items():
            parameters[key].copy_(value)
    return True


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
        dtype: str = "auto",
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
        self.device = select_device(device)
        try:
            with quiet_transformers():
                model, tokenizer = self._load_model()
        except (OSError, ValueError, KeyError) as error:
            raise ModelUnavailableError(
                f"the classifier at {self.directory} could not be loaded: {error}",
                fix="check that the directory is complete (weights, label_map.json, thresholds.json), "
                "or retrain it.",
            ) from None
        # auto: bf16 where this machine's measured bf16 GEMM rate clearly wins (benchmarks/classify.py: labels
        # as fp32's on >= 99% of the test statements); an encoder never decodes one row at a time, so bf16's
        # one-row rate is not asked for. The choice and its reason are kept as self.numerics
        choice = choose_dtype(dtype, self.device, decodes=False)
        self.numerics = {**choice.metadata(), "batch_size": batch_size}
        self.model = model.to(self.device, choice.torch_dtype).eval()
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

        from stancekit.models.reference import resolve_model

        if self.training["format"] != "lora":
            model = AutoModelForSequenceClassification.from_pretrained(self.directory)
            return model, AutoTokenizer.from_pretrained(self.directory)
        base = resolve_model(self.training["base_model"], progress=False).location
        model = AutoModelForSequenceClassification.from_pretrained(
            base,
            num_labels=len(self.labels),
            problem_type="multi_label_classification",
            id2label=dict(enumerate(self.labels)),
            label2id={label: i for i, label in enumerate(self.labels)},
        )
        if not merge_lora(model, self.directory):
            from peft import PeftModel

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
