"""Fine-tuning a summariser: an encoder-decoder with ``Seq2SeqTrainer``, or a chat LM by supervised fine-tuning.

Recipe, top to bottom (:func:`train_summariser`):

1. validate the config; read the train and dev pairs (schema, empty fields, duplicate ids: ``file:line``);
2. tokenise: encoder-decoders read ``prefix + article`` with the summary as ``text_target``; causal LMs read
   the same chat prompt the :class:`~stancekit.summarise.Summariser` builds at inference, followed by the
   reference as the assistant's answer, and only the answer tokens carry labels (the prompt is ``-100``).
   Articles beyond ``max_source_tokens`` are cut (and counted); a reference beyond ``max_target_tokens`` or the
   model's window is an error;
3. check the model has a generation head, and that a checkpoint to resume from was written by the same
   training settings (a fingerprint is stored with every checkpoint);
4. score the base model on dev through ``Summariser`` (same prompt and generation settings);
5. train (full or LoRA with ``peft``), seeded, checkpointing every ``save_steps``, resuming from the last
   checkpoint; encoder-decoders also report dev ROUGE with ``predict_with_generate`` at each epoch, causal
   LMs the teacher-forced loss of the dev references before and after;
6. merge LoRA adapters into the base weights and save safetensors, the tokenizer, ``generation_config.json``,
   ``stancekit-summariser.yaml`` (the summariser config for this directory), ``training.json`` and a model card;
7. score the saved directory on dev through ``Summariser``: what is measured is what loads.

Example:
    >>> from stancekit.training.summariser import train_summariser
    >>> from stancekit.training.summariser_config import load_train_config
    >>> config = load_train_config("train-embedded-qwen-lora", ["training.max_steps=2"])  # doctest: +SKIP
    >>> result = train_summariser(config)  # doctest: +SKIP
    >>> from stancekit import summarise
    >>> summarise("The ministers met ...", model=result.output_dir)  # doctest: +SKIP
"""

from __future__ import annotations

import gc
import hashlib
import json
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import yaml

from stancekit.config import (
    validate,
)
from stancekit.errors import ConfigError, ModelUnavailableError
from stancekit.io import check_output_path
from stancekit.summarise.backends import release_models
from stancekit.summarise.config import GenerationSettings, SummariserConfig
from stancekit.summarise.data import SummaryPair, read_summary_pairs
from stancekit.training.checkpoints import _marker_payload, _prepare_checkpoints
from stancekit.training.environment import library_versions, machine, peak_rss_mb
from stancekit.training.model_cards import summariser_model_card
from stancekit.training.summariser_config import (
    CHECKPOINT_MARKER,
    IGNORE_INDEX,
    SUMMARISER_FILE,
    DevScores,
    LoraSettings,
    TrainSummariserConfig,
    TrainSummariserResult,
)
from stancekit.training.summary_features import _model_window, _resolve_input, tokenise_pairs


# --------------------------------------------------------------------------------------------- tokenising
# ---------------------------------------------------------------------------------------------- models
def _backend(
    summariser: SummariserConfig, model_config: Any, identifier: str
) -> Literal["seq2seq", "causal"]:
    """The trainable backend, refusing models without a generation head of that kind (before any training)."""
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES,
    )

    is_encoder_decoder = bool(getattr(model_config, "is_encoder_decoder", False))
    backend = summariser.backend
    if backend == "auto":
        backend = "seq2seq" if is_encoder_decoder else "causal"
    mapping = (
        MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES
        if backend == "seq2seq"
        else MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
    )
    heads = {name for value in mapping.values() for name in ((value,) if isinstance(value, str) else value)}
    kind = getattr(model_config, "model_type", "?")
    # The saved architecture names the head the weights were trained with: a BertModel or a
    # ...ForSequenceClassification checkpoint has no generation head to fine-tune, whatever its model type.
    architectures = getattr(model_config, "architectures", None) or []
    trainable = kind in mapping and (not architectures or any(a in heads for a in architectures))
    if not trainable or (backend == "seq2seq") != is_encoder_decoder:
        wanted = (
            "an encoder-decoder (BART, T5, Pegasus)" if backend == "seq2seq" else "a causal (decoder-only) LM"
        )
        found = ", ".join(architectures) or type(model_config).__name__
        raise ModelUnavailableError(
            f"model '{identifier}' ({found}, model_type '{kind}') cannot be trained as a {backend} summariser: "
            f"it has no {'sequence-to-sequence' if backend == 'seq2seq' else 'causal LM'} generation head.",
            fix=f"use {wanted} saved with its generation head"
            + (", or set summariser.backend to match the model." if summariser.backend != "auto" else "."),
        )
    return backend


def _load_model(location: str, backend: str, lora: LoraSettings | None) -> Any:
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    auto_class = AutoModelForSeq2SeqLM if backend == "seq2seq" else AutoModelForCausalLM
    # fp32 master weights; bf16 on a GPU comes from mixed precision (training.precision), not from the weights.
    model = auto_class.from_pretrained(location, dtype=torch.float32)
    if lora is None:
        return model
    from peft import LoraConfig, TaskType, get_peft_model

    layers = None
    if lora.top_layers:
        total = model.config.num_hidden_layers
        layers = list(range(total - lora.top_layers, total))
    peft_config = LoraConfig(
        task_type=TaskType.SEQ_2_SEQ_LM if backend == "seq2seq" else TaskType.CAUSAL_LM,
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        layers_to_transform=layers,
    )
    try:
        return get_peft_model(model, peft_config)
    except ValueError as error:  # e.g. target_modules that match nothing in this architecture
        raise ConfigError(f"LoRA cannot be applied: {error}", fix="check lora.target_modules.") from None


def generation_config_for(settings: GenerationSettings, model: Any, tokenizer: Any) -> Any:
    """A ``GenerationConfig`` with the summariser's generation settings (as ``Summariser`` builds it)."""
    from transformers import GenerationConfig

    values = settings.model_dump()
    if not values["do_sample"]:
        values.pop("temperature")
        values.pop("top_p")
    current = model.generation_config
    return GenerationConfig(
        **{k: v for k, v in values.items() if v is not None},
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=getattr(current, "bos_token_id", None),
        eos_token_id=getattr(current, "eos_token_id", None) or tokenizer.eos_token_id,
        decoder_start_token_id=getattr(current, "decoder_start_token_id", None),
    )


def _slices_logits(model: Any) -> bool:
    """Whether the model's forward takes ``logits_to_keep`` (most causal LMs in transformers 5 do)."""
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "logits_to_keep" in inspect.signature(base.forward).parameters


def answer_loss(model: Any, features: dict[str, list[list[int]]]) -> float:
    """Teacher-forced loss of the labelled (answer) tokens of ``features``, in nats per token, for a causal LM.

    Summed over every answer token of every pair and divided by their number, so long and short references
    weigh by their length, as in training.
    """
    import torch

    slices = _slices_logits(model)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for ids, labels in zip(features["input_ids"], features["labels"], strict=True):
            first = max(next(i for i, label in enumerate(labels) if label != IGNORE_INDEX), 1)
            keep = len(ids) - first + 1
            input_ids = torch.tensor([ids], device=device)
            if slices:
                logits = model(input_ids=input_ids, logits_to_keep=keep).logits[0]
            else:
                logits = model(input_ids=input_ids).logits[0, -keep:]
            targets = torch.tensor(labels[first:], device=device)
            total += float(
                torch.nn.functional.cross_entropy(
                    logits[:-1].float(), targets, ignore_index=IGNORE_INDEX, reduction="sum"
                )
            )
            count += int((targets != IGNORE_INDEX).sum())
    model.train(was_training)
    return total / count


def _answer_only_trainer() -> type:
    """A ``Trainer`` whose causal-LM loss computes logits at the answer positions only.

    The prompt's labels are all -100, so its logits are never needed; with a 150k-entry vocabulary they are
    the largest tensor of the step (about 0.3 GB for a 500-token prompt, twice that with its gradient), and
    the output projection over them about a quarter of the compute. The loss is summed over answer tokens and
    divided by the answer tokens of the whole accumulated batch, as the Trainer's own causal-LM loss does.
    """
    import torch
    from transformers import Trainer

    class AnswerOnlyTrainer(Trainer):
        loss_is_scaled_for_ga = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # makes the Trainer count the answer tokens of each accumulated batch (num_items_in_batch)
            self.model_accepts_loss_kwargs = True
            self._slices = _slices_logits(self.model)

        def compute_loss(
            self,
            model: Any,
            inputs: dict[str, Any],
            return_outputs: bool = False,
            num_items_in_batch: Any = None,
        ) -> Any:
            labels = inputs["labels"]
            inputs = {k: v for k, v in inputs.items() if k != "labels"}
            answer = labels != IGNORE_INDEX
            first = max(int(answer.int().argmax(dim=1).min()), 1)  # earliest answer token in the batch
            keep = labels.shape[1] - first + 1  # positions first-1 .. end predict tokens first .. end
            if self._slices:
                outputs = model(**inputs, logits_to_keep=keep)
                logits = outputs.logits
            else:
                outputs = model(**inputs)
                logits = outputs.logits[:, -keep:]
            loss = torch.nn.functional.cross_entropy(
                logits[:, :-1].float().reshape(-1, logits.shape[-1]),
                labels[:, first:].reshape(-1),
                ignore_index=IGNORE_INDEX,
                reduction="sum",
            )
            loss = loss / (num_items_in_batch if num_items_in_batch is not None else answer.sum())
            return (loss, outputs) if return_outputs else loss

    return AnswerOnlyTrainer


# ------------------------------------------------------------------------------------------- checkpoints
# -------------------------------------------------------------------------------------------- evaluation
def _release(summariser: Any) -> None:
    """Drop the Summariser's model from the per-process cache (training needs the memory back)."""
    release_models()


def score_on_dev(config: SummariserConfig, pairs: list[SummaryPair], *, progress: bool = False) -> DevScores:
    """ROUGE-1/2/Lsum of ``config``'s summaries of ``pairs`` against their references (mean over pairs)."""
    from stancekit.evaluation.metrics import load_metric
    from stancekit.summarise.summariser import Summariser

    summariser = Summariser(config, progress=progress)
    try:
        started = time.perf_counter()
        results = summariser.summarise_many([p.article for p in pairs])
        seconds = time.perf_counter() - started
    finally:
        _release(summariser)
    predictions = [r.summary for r in results]
    scores = load_metric("rouge").compute(
        predictions=predictions,
        references=[p.summary for p in pairs],
        rouge_types=["rouge1", "rouge2", "rougeLsum"],
        use_aggregator=False,
    )
    per_sample = {k: [round(float(v), 6) for v in values] for k, values in scores.items()}

    def mean(values: list[float]) -> float:
        return round(sum(values) / len(values), 4)

    return DevScores(
        n=len(pairs),
        rouge1=mean(per_sample["rouge1"]),
        rouge2=mean(per_sample["rouge2"]),
        rougeLsum=mean(per_sample["rougeLsum"]),
        mean_words=round(sum(len(p.split()) for p in predictions) / len(predictions), 1),
        mean_copy_rate=mean([r.copy_rate for r in results]),
        seconds=round(seconds, 1),
        per_sample=per_sample,
        predictions=predictions,
    )


def _rouge_metrics(tokenizer: Any) -> Any:
    """``compute_metrics`` for Seq2SeqTrainer with ``predict_with_generate``: dev ROUGE of generated ids."""
    import numpy as np

    from stancekit.evaluation.metrics import load_metric

    rouge = load_metric("rouge")

    def compute(prediction: Any) -> dict[str, float]:
        predictions, labels = prediction.predictions, prediction.label_ids
        pad = tokenizer.pad_token_id
        predictions = np.where(predictions == IGNORE_INDEX, pad, predictions)
        labels = np.where(labels == IGNORE_INDEX, pad, labels)
        decoded = [t.strip() for t in tokenizer.batch_decode(predictions, skip_special_tokens=True)]
        references = [t.strip() for t in tokenizer.batch_decode(labels, skip_special_tokens=True)]
        scores = rouge.compute(
            predictions=decoded, references=references, rouge_types=["rouge1", "rouge2", "rougeLsum"]
        )
        return {k: round(float(v), 4) for k, v in scores.items()}

    return compute


# ------------------------------------------------------------------------------------------------ training
def train_summariser(config: TrainSummariserConfig, *, progress: bool = True) -> TrainSummariserResult:
    """Fine-tune the summariser described by ``config``, save it, and score it on dev (see the module doc)."""
    import datasets
    import torch
    from transformers import (
        AutoConfig,
        AutoTokenizer,
        DataCollatorForSeq2Seq,
        Seq2SeqTrainer,
        Seq2SeqTrainingArguments,
        TrainerCallback,
        set_seed,
    )

    from stancekit.evaluation.statistics import paired_bootstrap
    from stancekit.models.reference import offline_error, resolve_model

    started = time.perf_counter()
    seconds: dict[str, float] = {}
    tc, sc = config.training, config.summariser
    check_output_path(Path(tc.output_dir), "directory", what="training.output_dir")
    if tc.checkpoint_dir:
        check_output_path(Path(tc.checkpoint_dir), "directory", what="training.checkpoint_dir")

    # 1-2. data, tokenizer, lengths: every data error surfaces here, before a model is loaded
    data_path = _resolve_input(config.data.path)
    schema = _resolve_input(config.data.schema_file) if config.data.schema_file else None
    train_pairs = read_summary_pairs(data_path, split=config.data.train_split, schema=schema)
    dev_pairs = read_summary_pairs(data_path, split=config.data.dev_split, schema=schema)
    if config.evaluation.dev_limit:
        dev_pairs = dev_pairs[: config.evaluation.dev_limit]
    ref = resolve_model(sc.model, progress=progress)
    try:
        model_config = AutoConfig.from_pretrained(ref.location)
        tokenizer = AutoTokenizer.from_pretrained(ref.location)
    except (OSError, ValueError) as error:
        raise offline_error(ref, error) from None
    backend = _backend(sc, model_config, sc.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if backend == "causal" and sc.prompt.use_chat_template and not tokenizer.chat_template:
        raise ModelUnavailableError(
            f"model '{sc.model}' has no chat template, so its training pairs cannot be formatted as chats.",
            fix="use an instruct/chat model, or set summariser.prompt.use_chat_template: false.",
        )
    top = config.lora.top_layers if config.lora else None
    if top and (backend != "causal" or top > getattr(model_config, "num_hidden_layers", 0)):
        raise ConfigError(
            f"lora.top_layers={top} needs a causal LM with at least {top} layers; this is a {backend} model"
            f" with {getattr(model_config, 'num_hidden_layers', '?')}.",
            fix="lower lora.top_layers, or set it to null to put adapters on every layer.",
        )
    device = "cuda" if sc.device in ("auto", "cuda") or sc.device.startswith("cuda:") else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        if sc.device != "auto":
            raise ConfigError(
                f"device '{sc.device}' requested but CUDA is not available.", fix="set device: cpu."
            )
        device = "cpu"
    window = _model_window(model_config, tokenizer)
    features, truncated = tokenise_pairs(train_pairs, tokenizer, backend, sc.prompt, tc, window)
    dev_features = None
    if (backend == "seq2seq" and config.evaluation.during) or (
        backend == "causal" and config.evaluation.dev_loss
    ):
        dev_features, _ = tokenise_pairs(dev_pairs, tokenizer, backend, sc.prompt, tc, window)

    # 3. checkpoints: refuse another config's before spending anything on this one
    output = Path(tc.output_dir).expanduser()
    checkpoint_dir = (
        Path(tc.checkpoint_dir).expanduser()
        if tc.checkpoint_dir
        else output.with_name(output.name + ".checkpoints")
    )
    resume = _prepare_checkpoints(config, checkpoint_dir)
    seconds["prepare_s"] = round(time.perf_counter() - started, 1)

    # 4. the base model on dev, with the same summariser settings
    dev_before = None
    if config.evaluation.before:
        dev_before = score_on_dev(sc, dev_pairs, progress=progress)
        seconds["dev_before_s"] = dev_before.seconds

    # 5. train
    set_seed(tc.seed)
    model = _load_model(ref.location, backend, config.lora)
    bf16 = tc.precision == "bf16" or (
        tc.precision == "auto" and device == "cuda" and torch.cuda.is_bf16_supported()
    )
    generation_config = generation_config_for(sc.generation, model, tokenizer)
    args = Seq2SeqTrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=tc.epochs,
        max_steps=tc.max_steps or -1,
        learning_rate=tc.learning_rate,
        per_device_train_batch_size=tc.batch_size,
        per_device_eval_batch_size=sc.batch_size if isinstance(sc.batch_size, int) else 4,
        gradient_accumulation_steps=tc.gradient_accumulation_steps,
        warmup_steps=tc.warmup_ratio,  # transformers 5: a float below 1 is a ratio of all steps
        weight_decay=tc.weight_decay,
        lr_scheduler_type=tc.lr_scheduler,
        seed=tc.seed,
        data_seed=tc.seed,
        bf16=bf16,
        use_cpu=device == "cpu",
        save_strategy="steps",
        save_steps=tc.save_steps,
        save_total_limit=tc.save_total_limit,
        logging_strategy="steps",
        logging_steps=tc.logging_steps,
        eval_strategy="epoch" if backend == "seq2seq" and dev_features is not None else "no",
        predict_with_generate=backend == "seq2seq",
        generation_config=generation_config if backend == "seq2seq" else None,
        report_to="none",
        disable_tqdm=not progress,
        dataloader_num_workers=0,
        remove_unused_columns=False,
    )

    class WriteFingerprint(TrainerCallback):
        """Stamp every checkpoint with the training settings that wrote it (checked on resume); count steps."""

        steps_run = 0

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.steps_run += 1

        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            path = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if path.is_dir():
                (path / CHECKPOINT_MARKER).write_text(_marker_payload(config), encoding="utf-8")

    common: dict[str, Any] = {
        "model": model,
        "args": args,
        "train_dataset": datasets.Dataset.from_dict(features),
        "data_collator": DataCollatorForSeq2Seq(
            tokenizer, model=model if backend == "seq2seq" else None, label_pad_token_id=IGNORE_INDEX
        ),
        "processing_class": tokenizer,
        "callbacks": [stamp := WriteFingerprint()],
    }
    if backend == "seq2seq":
        trainer = Seq2SeqTrainer(
            **common,
            eval_dataset=datasets.Dataset.from_dict(dev_features) if dev_features else None,
            compute_metrics=_rouge_metrics(tokenizer) if dev_features else None,
        )
    else:
        trainer = _answer_only_trainer()(**common)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    dev_loss = None
    if backend == "causal" and dev_features is not None:
        loss_started = time.perf_counter()
        dev_loss = {"before": round(answer_loss(model, dev_features), 4)}  # fresh LoRA adds nothing yet
        seconds["dev_loss_s"] = round(time.perf_counter() - loss_started, 1)
    train_started = time.perf_counter()
    trainer.train(resume_from_checkpoint=resume)
    seconds["train_s"] = round(time.perf_counter() - train_started, 1)
    if dev_loss is not None:
        loss_started = time.perf_counter()
        dev_loss["after"] = round(answer_loss(model, dev_features), 4)
        seconds["dev_loss_s"] += round(time.perf_counter() - loss_started, 1)
    log_history = trainer.state.log_history
    steps = trainer.state.global_step
    losses = [entry["loss"] for entry in log_history if "loss" in entry]
    during = [
        {k: v for k, v in entry.items() if k.startswith("eval_rouge") or k in ("epoch", "step")}
        for entry in log_history
        if "eval_rouge1" in entry
    ]

    # 6. save: a plain model (LoRA merged), its tokenizer, generation settings and summariser config
    save_started = time.perf_counter()
    final = model.merge_and_unload() if config.lora else model
    final.generation_config = generation_config
    staging = output.with_name(f".{output.name}.saving")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    final.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    saved_summariser = validate(
        SummariserConfig,
        {
            **sc.model_dump(mode="json"),
            "name": config.name,
            "model": str(output.resolve()),
            "backend": backend,
        },
        where="the trained summariser",
    )
    (staging / SUMMARISER_FILE).write_text(
        f"# Written by stancekit.train_summariser ({config.name}): the settings this model was trained and "
        "scored with.\n" + yaml.safe_dump(saved_summariser.model_dump(mode="json"), sort_keys=False),
        encoding="utf-8",
    )
    del trainer, model, final
    gc.collect()
    if output.exists():
        shutil.rmtree(output)
    staging.rename(output)
    seconds["save_s"] = round(time.perf_counter() - save_started, 1)

    # 7. the saved directory on dev
    dev_after = None
    if config.evaluation.after:
        dev_after = score_on_dev(saved_summariser, dev_pairs, progress=progress)
        seconds["dev_after_s"] = dev_after.seconds
    difference = None
    if dev_before and dev_after:
        difference = {
            key: {
                k: round(v, 4)
                for k, v in paired_bootstrap(dev_after.per_sample[key], dev_before.per_sample[key]).items()
            }
            for key in ("rouge1", "rouge2", "rougeLsum")
        }
    seconds["total_s"] = round(time.perf_counter() - started, 1)
    result = TrainSummariserResult(
        output_dir=str(output),
        backend=backend,
        format="lora-merged" if config.lora else "full",
        steps=steps,
        steps_run=stamp.steps_run,
        resumed_from=resume,
        final_loss=losses[-1] if losses else None,
        n={"train": len(train_pairs), "dev": len(dev_pairs)},
        truncated_articles=truncated,
        trainable_parameters=trainable,
        total_parameters=total,
        dev_before=dev_before,
        dev_after=dev_after,
        dev_during=during,
        dev_loss=dev_loss,
        difference=difference,
        seconds=seconds,
        peak_rss_mb=round(peak_rss_mb(), 1),
    )
    meta = {
        "result": result.model_dump(mode="json"),
        "config": config.model_dump(mode="json"),
        "training_fingerprint": config.training_fingerprint(),
        "data": {"path": config.data.path, "sha256": hashlib.sha256(data_path.read_bytes()).hexdigest()},
        "dev_ids": [p.id for p in dev_pairs],
        "log_history": log_history,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
        "machine": machine(),
    }
    (output / "training.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (output / "README.md").write_text(summariser_model_card(config, result, sc.model), encoding="utf-8")
    if not tc.keep_checkpoints:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
    return result
