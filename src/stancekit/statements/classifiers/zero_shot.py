"""The zero-shot baseline: similarity of a statement to each label's definition and examples."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from stancekit.errors import ConfigError
from stancekit.models.device import select_device
from stancekit.statements.classifiers.base import Classifier, choose_thresholds, decide, label_matrix
from stancekit.statements.classifiers.config import ZeroShotSettings, resolve_path
from stancekit.statements.classifiers.encoder import WindowedEncoder, encoder_window, quiet_transformers
from stancekit.statements.taxonomy import Taxonomy

if TYPE_CHECKING:
    import torch


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

        from stancekit.models.reference import resolve_model

        self.taxonomy = taxonomy
        self.settings = settings
        self.name = name
        self.device = select_device(device)
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
        from sklearn.metrics import f1_score

        from stancekit.statements.data import load_statements

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
                f1 = f1_score(
                    label_matrix(rows["labels"], self.taxonomy.names),
                    label_matrix([labels for labels, _ in decisions], self.taxonomy.names),
                    average="macro",
                    zero_division=0,
                )
                if f1 > best[0] + 1e-12:
                    best = (f1, cap)
            self.max_labels = best[1]
        self.calibration = {"data": str(data), "split": split, "n": len(rows), "max_labels": self.max_labels}
