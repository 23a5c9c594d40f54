"""Training the factual-consistency cross-encoder: MiniLM + LoRA + a one-logit head on team-built pairs.

Recipe (:func:`train_consistency`): build supported/unsupported pairs from the train-split articles and
reference summaries (:mod:`stancekit.training.consistency_data`), fine-tune LoRA adapters and the head with a
class-weighted binary cross-entropy, score the dev-split pairs after each epoch and keep the epoch with the best
dev ROC-AUC, then save adapters + ``consistency.json`` (base model, window, the scoring settings of the
config, the training record) to ``output_dir``. FRANK is never read here: the config's ``scoring`` block
(aggregation, ROUGE weight, threshold) is chosen on FRANK validation afterwards, by
``scripts/meta_evaluate_frank.py --grid``, and written into the config by hand.

Example:
    >>> from stancekit.training.consistency import load_consistency_config, train_consistency
    >>> train_consistency(load_consistency_config("consistency-minilm-v1"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import random
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from stancekit.config import StrictModel, load_config
from stancekit.io import check_output_path
from stancekit.statements.classifiers.config import LoraSettings, resolve_path
from stancekit.summarise.consistency import CONSISTENCY_FILE
from stancekit.training.environment import library_versions


class ScoringSettings(StrictModel):
    """How the trained cross-encoder's sentence probabilities become a summary score (chosen on FRANK
    validation, never used to train)."""

    top_k: int = Field(default=3, ge=1, description="source sentences of evidence per summary sentence")
    rouge_weight: float = Field(default=0.5, ge=0.0, le=1.0, description="weight of ROUGE-2 support")
    aggregation: Literal["mean", "min"] = "mean"
    threshold: float = Field(default=0.5, ge=0.0, le=1.0, description="a summary at or above is 'supported'")


class ConsistencyTraining(StrictModel):
    data: str = "data/summaries/summaries.jsonl"
    train_split: str = "train"
    dev_split: str = "dev"
    base_model: str = "embedded:all-minilm-l6-v2"
    output_dir: str
    max_length: int = Field(default=160, ge=32)
    source_sentences_per_article: int = Field(default=4, ge=0)
    restyle_rate: float = Field(default=0.35, ge=0.0, le=1.0)
    epochs: int = Field(default=2, ge=1)
    learning_rate: float = Field(default=5e-4, gt=0)
    batch_size: int = Field(default=16, ge=1)
    warmup_ratio: float = Field(default=0.1, ge=0.0, lt=1.0)
    weight_decay: float = Field(default=0.01, ge=0.0)
    seed: int = 13
    threads: int | None = Field(default=None, ge=1, description="torch CPU threads (None: torch's default)")
    top_layers: int | None = Field(
        default=None,
        ge=1,
        description="adapt only the top N encoder layers: the backward pass stops there (None: all layers)",
    )
    lora: LoraSettings = Field(default_factory=lambda: LoraSettings(modules_to_save=["classifier", "pooler"]))


class ConsistencyConfig(StrictModel):
    name: str
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    training: ConsistencyTraining


def load_consistency_config(ref: str | Path, overrides: list[str] | None = None) -> ConsistencyConfig:
    """A consistency config by path or shipped name (``configs/consistency/<name>.yaml``)."""
    return load_config(ConsistencyConfig, ref, "consistency", overrides)


class EpochRun(BaseModel):
    epoch: int
    train_loss: float
    dev_roc_auc: float
    seconds: float


class ConsistencyTrainingResult(BaseModel):
    output_dir: str
    n: dict[str, int]
    epochs: list[EpochRun]
    best_epoch: int
    dev_roc_auc: float
    dev_roc_auc_by_kind: dict[str, float]
    weights_bytes: int
    trainable_parameters: int


def _dev_auc(labels: list[int], scores: list[float], kinds: list[str]) -> tuple[float, dict[str, float]]:
    """Pooled ROC-AUC, and each corruption kind's against all supported pairs."""
    from sklearn.metrics import roc_auc_score

    pooled = float(roc_auc_score(labels, scores))
    positives = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    by_kind = {}
    for kind in sorted({k for k, y in zip(kinds, labels, strict=True) if y == 0}):
        negatives = [s for s, y, k in zip(scores, labels, kinds, strict=True) if y == 0 and k == kind]
        by_kind[kind] = round(
            float(roc_auc_score([1] * len(positives) + [0] * len(negatives), positives + negatives)), 4
        )
    return pooled, by_kind


def _top_layers(model: Any, top: int | None) -> dict[str, Any]:
    """peft settings that put adapters on the top ``top`` encoder layers only."""
    if top is None:
        return {}
    n = model.config.num_hidden_layers
    return {"layers_to_transform": list(range(max(0, n - top), n)), "layers_pattern": "layer"}


def train_consistency(config: ConsistencyConfig, *, log: Any = print) -> ConsistencyTrainingResult:
    """Train the cross-encoder described by ``config`` and save it (see the module docstring)."""
    import torch
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
    )

    from stancekit.models.reference import resolve_model
    from stancekit.statements.classifiers.encoder import quiet_transformers
    from stancekit.summarise.consistency import cross_encode
    from stancekit.summarise.data import read_summary_pairs
    from stancekit.training.consistency_data import build_pairs

    tc = config.training
    output = resolve_path(tc.output_dir)
    check_output_path(output, "directory", what="training.output_dir")
    if tc.threads:
        torch.set_num_threads(tc.threads)
    data = resolve_path(tc.data)
    top_k = config.scoring.top_k
    train = build_pairs(
        read_summary_pairs(data, split=tc.train_split),
        top_k=top_k,
        source_sentences_per_article=tc.source_sentences_per_article,
        restyle_rate=tc.restyle_rate,
        seed=tc.seed,
    )
    dev = build_pairs(
        read_summary_pairs(data, split=tc.dev_split),
        top_k=top_k,
        source_sentences_per_article=tc.source_sentences_per_article,
        restyle_rate=tc.restyle_rate,
        seed=tc.seed + 1,
    )
    log(f"pairs: train {len(train)} ({sum(p.label for p in train)} supported), dev {len(dev)}")

    torch.manual_seed(tc.seed)
    base = resolve_model(tc.base_model, progress=False).location
    tokenizer = AutoTokenizer.from_pretrained(base)
    with quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
        model = get_peft_model(
            model,
            LoraConfig(
                task_type=TaskType.SEQ_CLS,
                r=tc.lora.r,
                lora_alpha=tc.lora.alpha,
                lora_dropout=tc.lora.dropout,
                target_modules=tc.lora.target_modules,
                modules_to_save=list(tc.lora.modules_to_save),
                **_top_layers(model, tc.top_layers),
            ),
        )
    model.peft_config["default"].base_model_name_or_path = tc.base_model
    encoded = tokenizer(
        [p.premise for p in train],
        [p.hypothesis for p in train],
        truncation="longest_first",
        max_length=tc.max_length,
    )
    labels = [float(p.label) for p in train]
    # length-grouped batches, shuffled each epoch: padding stays small on a CPU
    order = sorted(range(len(train)), key=lambda i: len(encoded["input_ids"][i]))
    batches = [order[i : i + tc.batch_size] for i in range(0, len(order), tc.batch_size)]
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=tc.learning_rate, weight_decay=tc.weight_decay)
    steps = len(batches) * tc.epochs
    schedule = get_linear_schedule_with_warmup(optimiser, int(tc.warmup_ratio * steps), steps)
    positives = sum(labels)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(labels) - positives) / positives))
    rng = random.Random(tc.seed)
    pad = tokenizer.pad_token_id or 0

    def collate(batch: list[int]) -> dict[str, Any]:
        width = max(len(encoded["input_ids"][i]) for i in batch)
        out = {}
        for key in ("input_ids", "token_type_ids", "attention_mask"):
            if key not in encoded:
                continue
            fill = pad if key == "input_ids" else 0
            out[key] = torch.tensor(
                [list(encoded[key][i]) + [fill] * (width - len(encoded[key][i])) for i in batch]
            )
        return out

    runs: list[EpochRun] = []
    best: tuple[float, int, dict[str, Any], dict[str, float]] | None = None
    for epoch in range(1, tc.epochs + 1):
        started = time.perf_counter()
        model.train()
        rng.shuffle(batches)
        total = 0.0
        for step, batch in enumerate(batches, 1):
            logits = model(**collate(batch)).logits[:, 0]
            loss = loss_fn(logits, torch.tensor([labels[i] for i in batch]))
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            total += loss.item()
            if step % 20 == 0:
                log(f"epoch {epoch} step {step}/{len(batches)} loss {total / step:.4f}")
        model.eval()
        scores = cross_encode(
            model,
            tokenizer,
            [p.premise for p in dev],
            [p.hypothesis for p in dev],
            tc.max_length,
            64,
            "cpu",
        )
        auc, by_kind = _dev_auc([p.label for p in dev], scores, [p.kind for p in dev])
        runs.append(
            EpochRun(
                epoch=epoch,
                train_loss=round(total / len(batches), 4),
                dev_roc_auc=round(auc, 4),
                seconds=round(time.perf_counter() - started, 1),
            )
        )
        log(f"epoch {epoch}: {runs[-1].model_dump()} by kind {by_kind}")
        if best is None or auc > best[0]:
            state = {
                k: v.detach().clone()
                for k, v in model.state_dict().items()
                if "lora" in k or "modules_to_save" in k
            }
            best = (auc, epoch, state, by_kind)

    assert best is not None
    auc, best_epoch, state, by_kind = best
    model.load_state_dict(state, strict=False)
    staging = output.with_name(f".{output.name}.training")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    model.save_pretrained(staging, safe_serialization=True)
    n = {"train_pairs": len(train), "dev_pairs": len(dev)}
    meta = {
        "base_model": tc.base_model,
        "max_length": tc.max_length,
        "scoring": config.scoring.model_dump(),
        "config": config.model_dump(mode="json"),
        "config_fingerprint": config.fingerprint(),
        "n": n,
        "epochs": [r.model_dump() for r in runs],
        "best_epoch": best_epoch,
        "dev_roc_auc": round(auc, 4),
        "dev_roc_auc_by_kind": by_kind,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
    }
    (staging / CONSISTENCY_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if output.exists():
        shutil.rmtree(output)
    staging.rename(output)
    return ConsistencyTrainingResult(
        output_dir=str(output),
        n=n,
        epochs=runs,
        best_epoch=best_epoch,
        dev_roc_auc=round(auc, 4),
        dev_roc_auc_by_kind=by_kind,
        weights_bytes=sum(p.stat().st_size for p in output.glob("*.safetensors")),
        trainable_parameters=sum(p.numel() for p in trainable),
    )
