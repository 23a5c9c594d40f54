"""Fine-tuning the statement classifier: MiniLM with a multi-label head, trained by the HF ``Trainer``.

Recipe, top to bottom (:func:`train_classifier`):

1. load the taxonomy and the train/dev/test splits (validated, see :mod:`stancekit.statements.data`);
2. per seed: build ``AutoModelForSequenceClassification`` (``problem_type="multi_label_classification"``,
   one sigmoid output per substantive label) from the base encoder, optionally wrap it in LoRA adapters,
   train with ``Trainer``; choose per-label thresholds on dev; keep the seed with the best dev macro-F1;
3. save the kept model with ``save_pretrained`` (safetensors) plus ``label_map.json``, ``thresholds.json``,
   ``taxonomy.json``, ``training.json``, and a generated model card ``README.md`` with dev and test scores.

Several processes (``accelerate launch --multi_gpu --num_processes 2 scripts/train_classifier.py ...``; on a
machine without GPUs this is DDP on CPU over gloo) train one model together: ``training.batch_size`` stays the
global batch (each process takes its share), every process scores dev the same way, and only rank 0 writes the
directory, then hands its result to the others.

The fallback label (``other``) has no output: it is assigned when no label reaches its threshold.

Example:
    >>> from stancekit.statements.classifiers import load_classifier_config
    >>> from stancekit.training.classifier import train_classifier
    >>> result = train_classifier(load_classifier_config("diplomatic-v1-minilm"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from stancekit.errors import ConfigError
from stancekit.evaluation.classification import ClassificationScores
from stancekit.io import check_output_path
from stancekit.statements.classifiers.config import LoraSettings
from stancekit.training.environment import library_versions
from stancekit.training.model_cards import classifier_model_card

if TYPE_CHECKING:
    from stancekit.statements.classifiers.config import ClassifierConfig


class SeedRun(BaseModel):
    seed: int
    dev_macro_f1: float
    train_seconds: float
    final_loss: float | None


class TrainingResult(BaseModel):
    """What a training run produced: where, how well (dev and test), and at what cost."""

    output_dir: str
    format: Literal["lora", "full"]
    seed: int
    runs: list[SeedRun]
    dev: ClassificationScores
    test: ClassificationScores | None
    thresholds: dict[str, float]
    n: dict[str, int]
    train_rows_truncated: int
    weights_bytes: int
    trainable_parameters: int
    total_parameters: int


def _tokenize(tokenizer: Any, rows: Any, labels: list[str], max_length: int) -> Any:
    import datasets

    from stancekit.statements.classifiers.base import label_matrix

    matrix = label_matrix(rows["labels"], labels).astype("float32")
    encoded = tokenizer(list(rows["text"]), truncation=True, max_length=max_length)
    return datasets.Dataset.from_dict(
        {
            "input_ids": encoded["input_ids"],
            "attention_mask": encoded["attention_mask"],
            "labels": matrix.tolist(),
        }
    )


def _build_model(
    base: str, labels: list[str], lora: LoraSettings | None, base_ref: str, init: str | None = None
) -> Any:
    from transformers import AutoModelForSequenceClassification

    from stancekit.statements.classifiers.encoder import quiet_transformers

    with quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(
            base,
            num_labels=len(labels),
            problem_type="multi_label_classification",
            id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)},
        )
    if lora is None:
        return model
    from peft import LoraConfig, PeftModel, TaskType, get_peft_model

    if init is not None:  # continue from trained adapters (and head): a warm start on new data
        from stancekit.statements.classifiers.fine_tuned import resolve_weights

        return PeftModel.from_pretrained(model, resolve_weights(init), is_trainable=True)

    peft_config = LoraConfig(
        task_type=TaskType.SEQ_CLS,
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        modules_to_save=list(lora.modules_to_save),  # peft extends the list it is given
    )
    model = get_peft_model(model, peft_config)
    # the adapter names its base by what the config says (portable), not this machine's install path
    model.peft_config["default"].base_model_name_or_path = base_ref
    return model


def _dev_probabilities(model: Any, tokenizer: Any, texts: list[str], max_length: int, device: str) -> Any:
    from stancekit.statements.classifiers.encoder import WindowedEncoder, encoder_window

    model.eval()
    window = encoder_window(model, tokenizer, max_length)
    encoder = WindowedEncoder(tokenizer, max_length=window, stride=window // 8, batch_size=64, device=device)
    probabilities, _ = encoder.run(texts, lambda batch: model(**batch).logits.sigmoid())
    return probabilities


def train_classifier(config: ClassifierConfig, *, progress: bool = True) -> TrainingResult:
    """Train the classifier described by ``config`` (which needs a ``training:`` section) and save it."""
    import datasets
    import torch
    from transformers import AutoTokenizer, DataCollatorWithPadding, Trainer, TrainingArguments, set_seed

    from stancekit.evaluation.classification import evaluate_on_statements, score_label_sets
    from stancekit.models.device import select_device
    from stancekit.models.reference import resolve_model
    from stancekit.statements.classifiers.base import choose_thresholds, decide, label_matrix
    from stancekit.statements.classifiers.config import resolve_path
    from stancekit.statements.classifiers.fine_tuned import FineTunedClassifier
    from stancekit.statements.data import load_natural, load_statements
    from stancekit.statements.taxonomy import load_taxonomy

    if config.training is None:
        raise ConfigError(
            f"classifier config {config.name!r} has no `training:` section.",
            fix="only fine_tuned classifiers are trained; zero-shot calibrates on dev when loaded and the "
            "lexicon needs no training.",
        )
    tc = config.training
    check_output_path(resolve_path(tc.output_dir), "directory", what="training.output_dir")
    taxonomy = load_taxonomy(config.taxonomy)
    labels = taxonomy.substantive
    data = resolve_path(tc.data)
    train_rows = load_statements(data, taxonomy, split=tc.train_split)
    if tc.natural_data is not None:
        # the natural-prior train split joins the balanced one; its weight is a whole number of repeats here
        natural = load_natural(tc.train_split, taxonomy, directory=resolve_path(tc.natural_data))
        natural = natural.select_columns(["text", "labels"])
        repeats = max(1, round(tc.natural_weight))
        train_rows = datasets.concatenate_datasets(
            [train_rows.select_columns(["text", "labels"]), *[natural] * repeats]
        )
    if tc.limit_train_rows:
        train_rows = train_rows.select(range(min(tc.limit_train_rows, len(train_rows))))
    if tc.threshold_data == "natural":
        dev_rows = load_natural(tc.dev_split, taxonomy, directory=resolve_path(tc.natural_data))
    else:
        dev_rows = load_statements(data, taxonomy, split=tc.dev_split)
    base = resolve_model(tc.base_model, progress=progress).location
    tokenizer = AutoTokenizer.from_pretrained(base)
    lengths = [len(ids) for ids in tokenizer(list(train_rows["text"]))["input_ids"]]
    truncated = sum(n > tc.max_length for n in lengths)
    train_set = _tokenize(tokenizer, train_rows, labels, tc.max_length)
    device = select_device(config.device)
    dev_gold = label_matrix(dev_rows["labels"], labels)

    output = resolve_path(tc.output_dir)
    staging = output.with_name(f".{output.name}.training")
    runs: list[SeedRun] = []
    best: tuple[float, int, Any] | None = None
    for seed in tc.seeds:
        set_seed(seed)
        model = _build_model(base, labels, tc.lora, tc.base_model, tc.init_weights)
        args = TrainingArguments(
            output_dir=str(staging / "trainer"),
            num_train_epochs=tc.epochs,
            learning_rate=tc.learning_rate,
            per_device_train_batch_size=max(1, tc.batch_size // _world_size()),  # batch_size is global
            weight_decay=tc.weight_decay,
            warmup_steps=tc.warmup_ratio,  # transformers 5: a float below 1 is a ratio of all steps
            lr_scheduler_type="linear",
            seed=seed,
            data_seed=seed,
            train_sampling_strategy="group_by_length",
            eval_strategy="no",
            save_strategy="no",
            logging_strategy="epoch",
            report_to="none",
            disable_tqdm=not progress,
            use_cpu=device == "cpu",
            dataloader_num_workers=0,
            ddp_find_unused_parameters=False,  # every trainable weight is used, full or LoRA
            # The head's BCE loss is a per-batch mean that ignores num_items_in_batch, so the token-count
            # rescaling (loss x processes) would double the gradient under DDP; DDP's own averaging is right.
            average_tokens_across_devices=False,
        )
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=train_set,
            data_collator=DataCollatorWithPadding(tokenizer),
            processing_class=tokenizer,
        )
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
        losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
        probabilities = _dev_probabilities(
            model, tokenizer, list(dev_rows["text"]), config.max_length, device
        )
        thresholds = choose_thresholds(probabilities, dev_gold)
        decisions = decide(
            probabilities, labels, thresholds, taxonomy.fallback, 1.0 - probabilities.max(axis=1)
        )
        dev_f1 = score_label_sets(
            list(dev_rows["labels"]), [d[0] for d in decisions], taxonomy.names
        ).macro_f1
        runs.append(
            SeedRun(
                seed=seed,
                dev_macro_f1=dev_f1,
                train_seconds=round(seconds, 1),
                final_loss=losses[-1] if losses else None,
            )
        )
        if best is None or dev_f1 > best[0]:
            best = (dev_f1, seed, (model, thresholds, trainer.state.log_history))
        else:
            del model
        if device != "cpu":
            torch.cuda.empty_cache()

    assert best is not None
    if _rank() != 0:
        return _shared_result(None)  # rank 0 writes the directory; the others wait for its result
    _, seed, (model, thresholds, log_history) = best
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    fmt: Literal["lora", "full"] = "lora" if tc.lora else "full"
    model.save_pretrained(staging, safe_serialization=True)
    if fmt == "full":
        tokenizer.save_pretrained(staging)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    threshold_map = {label: round(float(t), 6) for label, t in zip(labels, thresholds, strict=True)}
    _write_json(
        staging / "label_map.json",
        {"labels": labels, "fallback": taxonomy.fallback, "taxonomy": taxonomy.name},
    )
    _write_json(staging / "thresholds.json", threshold_map)
    _write_json(staging / "taxonomy.json", taxonomy.model_dump(mode="json"))
    meta = {
        "format": fmt,
        "base_model": tc.base_model,
        "max_length": tc.max_length,
        "classifier_config": config.model_dump(mode="json"),
        "config_fingerprint": config.fingerprint(),
        "seed": seed,
        "processes": _world_size(),
        "runs": [r.model_dump() for r in runs],
        "log_history": log_history,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
    }
    _write_json(staging / "training.json", meta)
    shutil.rmtree(staging / "trainer", ignore_errors=True)

    # Score the saved directory, not the in-memory model: what is measured is what loads.
    classifier = FineTunedClassifier(
        staging, device=config.device, dtype="float32", batch_size=config.batch_size
    )  # thresholds are chosen on exact fp32 scores
    dev_scores = evaluate_on_statements(classifier, data, tc.dev_split)
    test_scores = evaluate_on_statements(classifier, data, tc.test_split) if tc.test_split else None
    n = {"train": len(train_rows), "dev": len(dev_rows)}
    if test_scores:
        n["test"] = test_scores.n
    weights_bytes = sum(p.stat().st_size for p in staging.glob("*.safetensors"))
    meta["metrics"] = {
        "dev": dev_scores.model_dump(),
        "test": test_scores.model_dump() if test_scores else None,
    }
    meta["n"] = n
    meta["train_rows_truncated"] = truncated
    meta["trainable_parameters"] = trainable
    meta["total_parameters"] = total
    _write_json(staging / "training.json", meta)
    result = TrainingResult(
        output_dir=str(output),
        format=fmt,
        seed=seed,
        runs=runs,
        dev=dev_scores,
        test=test_scores,
        thresholds=threshold_map,
        n=n,
        train_rows_truncated=truncated,
        weights_bytes=weights_bytes,
        trainable_parameters=trainable,
        total_parameters=total,
    )
    (staging / "README.md").write_text(classifier_model_card(config, result, taxonomy), encoding="utf-8")
    _replace_directory(staging, output)
    return _shared_result(result)


def _world_size() -> int:
    """Processes training together (torchrun/accelerate set WORLD_SIZE; 1 when run plainly)."""
    import os

    return int(os.environ.get("WORLD_SIZE", "1"))


def _rank() -> int:
    import torch.distributed as dist

    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def _shared_result(result: TrainingResult | None) -> TrainingResult:
    """Rank 0's result on every process (a no-op in a single process)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        box = [result]
        dist.broadcast_object_list(box, src=0)
        result = box[0]
    assert result is not None
    return result


def _replace_directory(staging: Path, output: Path) -> None:
    """Move the finished ``staging`` to ``output`` by renames only: a kill at any point leaves ``output`` either
    the old complete classifier, absent, or the new one, never a half-deleted mix a loader could trust."""
    old = output.with_name(f".{output.name}.replaced")
    if old.exists():
        shutil.rmtree(old)
    if output.exists():
        output.rename(old)
    staging.rename(output)
    shutil.rmtree(old, ignore_errors=True)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
