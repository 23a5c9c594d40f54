"""The fine-tuned classifier: MiniLM with a multi-label head (full weights or LoRA adapters + head)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stancekit.errors import ModelUnavailableError
from stancekit.models.device import choose_dtype, select_device
from stancekit.statements.classifiers.base import Classifier
from stancekit.statements.classifiers.config import (
    DEFAULT_CLASSIFIER,
    LABEL_MAP_FILE,
    TAXONOMY_FILE,
    THRESHOLDS_FILE,
    TRAINING_FILE,
    WEIGHTS_DIR,
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
        # auto: bf16 where this machine's measured bf16 GEMM rate clearly wins (labels agreed with fp32 on
        # 211 of the 212 test statements on an AVX512-BF16 CPU); the choice is kept as self.numerics
        choice = choose_dtype(dtype, self.device)
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
