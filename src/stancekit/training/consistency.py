"""Training the factual-consistency scorer: a logistic model over MiniLM similarity and lexical features.

Recipe (:func:`train_consistency`): build supported/unsupported pairs from the train-split articles and
reference summaries (:mod:`stancekit.training.consistency_data`), compute each pair's features
(:data:`stancekit.summarise.consistency.FEATURES`, MiniLM from the embedded pack), fit a class-balanced,
standardised logistic regression for each ``C`` of the config, keep the one with the best ROC-AUC on the dev
split's pairs, and save its coefficients with the config's scoring settings to ``output_dir/consistency.json``.
FRANK is never read here: the ``scoring`` block (top_k, ROUGE weight, aggregation, threshold) is chosen on FRANK
validation afterwards (``scripts/meta_evaluate_frank.py --grid``) and written into the config by hand.

A MiniLM cross-encoder with LoRA adapters was tried first (issue 10): one epoch over 1,535 pairs took ten
minutes on the shared cores and left the loss at chance (dev ROC-AUC 0.63), so the features route was kept.

Example:
    >>> from stancekit.training.consistency import load_consistency_config, train_consistency
    >>> train_consistency(load_consistency_config("consistency-minilm-v1"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from stancekit.config import StrictModel, load_config
from stancekit.io import check_output_path
from stancekit.statements.classifiers.config import resolve_path
from stancekit.summarise.consistency import CONSISTENCY_FILE, FEATURES
from stancekit.training.environment import library_versions


class ScoringSettings(StrictModel):
    """How the model's sentence probabilities become a summary score (chosen on FRANK validation, never used
    to train)."""

    top_k: int = Field(default=3, ge=1, description="source sentences of evidence per summary sentence")
    rouge_weight: float = Field(default=0.5, ge=0.0, le=1.0, description="weight of ROUGE-2 support")
    aggregation: Literal["mean", "min"] = "mean"
    threshold: float = Field(default=0.5, ge=0.0, le=1.0, description="a summary at or above is 'supported'")


class ConsistencyTraining(StrictModel):
    data: str = "data/summaries/summaries.jsonl"
    train_split: str = "train"
    dev_split: str = "dev"
    base_model: str = Field(default="embedded:all-minilm-l6-v2", description="the sentence encoder")
    output_dir: str
    evidence_top_k: int = Field(
        default=3, ge=1, description="evidence sentences per training pair (scoring.top_k is chosen apart)"
    )
    source_sentences_per_article: int = Field(default=5, ge=0)
    restyle_rate: float = Field(default=0.35, ge=0.0, le=1.0)
    c_grid: list[float] = Field(default_factory=lambda: [0.01, 0.1, 1.0, 10.0], min_length=1)
    seed: int = 13


class ConsistencyConfig(StrictModel):
    name: str
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    training: ConsistencyTraining


def load_consistency_config(ref: str | Path, overrides: list[str] | None = None) -> ConsistencyConfig:
    """A consistency config by path or shipped name (``configs/consistency/<name>.yaml``)."""
    return load_config(ConsistencyConfig, ref, "consistency", overrides)


class ConsistencyTrainingResult(BaseModel):
    output_dir: str
    n: dict[str, int]
    dev_roc_auc_by_c: dict[str, float]
    c: float
    dev_roc_auc: float
    dev_roc_auc_by_kind: dict[str, float]
    coefficients: dict[str, float]
    seconds: float


def _dev_auc(labels: list[int], scores: list[float], kinds: list[str]) -> tuple[float, dict[str, float]]:
    """Pooled ROC-AUC, and each corruption kind's against all supported pairs."""
    from sklearn.metrics import roc_auc_score

    pooled = float(roc_auc_score(labels, scores))
    positives = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    by_kind = {}
    for kind in sorted({k for k, y in zip(kinds, labels, strict=True) if y == 0}):
        negatives = [s for s, y, k in zip(scores, labels, kinds, strict=True) if y == 0 and k == kind]
        truth = [1] * len(positives) + [0] * len(negatives)
        by_kind[kind] = round(float(roc_auc_score(truth, positives + negatives)), 4)
    return pooled, by_kind


def train_consistency(config: ConsistencyConfig, *, log: Any = print) -> ConsistencyTrainingResult:
    """Train the scorer described by ``config`` and save it (see the module docstring)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from stancekit.summarise.consistency import SentenceEncoder, feature_rows
    from stancekit.summarise.data import read_summary_pairs
    from stancekit.training.consistency_data import build_pairs

    started = time.perf_counter()
    tc = config.training
    output = resolve_path(tc.output_dir)
    check_output_path(output, "directory", what="training.output_dir")
    data = resolve_path(tc.data)
    settings = {
        "top_k": tc.evidence_top_k,
        "source_sentences_per_article": tc.source_sentences_per_article,
        "restyle_rate": tc.restyle_rate,
    }
    train = build_pairs(read_summary_pairs(data, split=tc.train_split), seed=tc.seed, **settings)
    dev = build_pairs(read_summary_pairs(data, split=tc.dev_split), seed=tc.seed + 1, **settings)
    log(f"pairs: train {len(train)} ({sum(p.label for p in train)} supported), dev {len(dev)}")
    encoder = SentenceEncoder(tc.base_model)
    x_train = np.asarray(feature_rows(encoder, [p.hypothesis for p in train], [p.evidence for p in train]))
    x_dev = np.asarray(feature_rows(encoder, [p.hypothesis for p in dev], [p.evidence for p in dev]))
    y_train = np.asarray([p.label for p in train])
    scaler = StandardScaler().fit(x_train)
    by_c: dict[str, float] = {}
    best: tuple[float, float, Any, dict[str, float]] | None = None
    for c in tc.c_grid:
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000).fit(
            scaler.transform(x_train), y_train
        )
        scores = model.predict_proba(scaler.transform(x_dev))[:, 1].tolist()
        auc, by_kind = _dev_auc([p.label for p in dev], scores, [p.kind for p in dev])
        by_c[str(c)] = round(auc, 4)
        log(f"C={c}: dev ROC-AUC {auc:.4f} by kind {by_kind}")
        if best is None or auc > best[0]:
            best = (auc, c, model, by_kind)
    assert best is not None
    auc, c, model, by_kind = best
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    coefficients = dict(zip(FEATURES, (round(float(v), 6) for v in model.coef_[0]), strict=True))
    n = {"train_pairs": len(train), "dev_pairs": len(dev)}
    meta = {
        "base_model": tc.base_model,
        "scoring": config.scoring.model_dump(),
        "model": {
            "kind": "logistic regression over standardised features",
            "features": list(FEATURES),
            "mean": scaler.mean_.tolist(),
            "scale": scale.tolist(),
            "coef": model.coef_[0].tolist(),
            "intercept": float(model.intercept_[0]),
            "C": c,
        },
        "config": config.model_dump(mode="json"),
        "config_fingerprint": config.fingerprint(),
        "n": n,
        "dev_roc_auc_by_c": by_c,
        "dev_roc_auc": round(auc, 4),
        "dev_roc_auc_by_kind": by_kind,
        "coefficients": coefficients,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
    }
    staging = output.with_name(f".{output.name}.training")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    (staging / CONSISTENCY_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if output.exists():
        shutil.rmtree(output)
    staging.rename(output)
    return ConsistencyTrainingResult(
        output_dir=str(output),
        n=n,
        dev_roc_auc_by_c=by_c,
        c=c,
        dev_roc_auc=round(auc, 4),
        dev_roc_auc_by_kind=by_kind,
        coefficients=coefficients,
        seconds=round(time.perf_counter() - started, 1),
    )
