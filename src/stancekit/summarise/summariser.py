"""Abstractive summarisation with encoder-decoder models or chat/instruct causal LMs.

One interface, two backends, chosen from the model's config: ``config.is_encoder_decoder`` selects
``AutoModelForSeq2SeqLM`` (BART, T5, Pegasus, LED), anything else ``AutoModelForCausalLM`` prompted through the
tokenizer's chat template. transformers 5 has no summarization pipeline and no longer reads generation defaults
from the model config, so every generation setting comes from the YAML config and is recorded with the output.

Documents longer than the model's input budget are summarised map-reduce: split on sentence boundaries into
chunks that fit, summarise each, then summarise the joined chunk summaries.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from pydantic import BaseModel, Field

from stancekit.config import validate
from stancekit.errors import ConfigError, InputError, ModelUnavailableError
from stancekit.models.device import choose_dtype, select_device
from stancekit.models.reference import resolve_model
from stancekit.summarise.backends import load_generator
from stancekit.summarise.chunking import Chunk, line_spans, pack_spans
from stancekit.summarise.cited import GroundedSentence, cited_text, ground, repair
from stancekit.summarise.config import TRAINED_CONFIG, SummariserConfig, load_summariser_config
from stancekit.summarise.copy_guard import SourceNgramBlocker, WordStarts
from stancekit.summarise.prompt import build_prompt
from stancekit.text import check_texts, copy_rate, language_warning, sentence_spans


class SummaryResult(BaseModel):
    """A summary with everything needed to reproduce and judge it."""

    summary: str
    model: str
    model_source: str
    backend: str
    config: str
    config_fingerprint: str
    generation: dict[str, Any]
    prompt: dict[str, Any]
    input_tokens: int
    output_tokens: int
    chunks: list[Chunk] = Field(default_factory=list, description="Empty when the document fit in one pass.")
    reduce_rounds: int = 0
    copy_rate: float = Field(description="Share of summary word trigrams found in the source.")
    copy_flagged: bool
    timings: dict[str, float]
    warnings: list[str] = Field(default_factory=list, description="E.g. the document is mostly not English.")
    sentences: list[GroundedSentence] = Field(
        default_factory=list, description="Each summary sentence with its consistency, support and flag."
    )
    grounding: dict[str, Any] = Field(
        default_factory=dict, description="Scorer, threshold, repair and what it did (counts)."
    )

    def cited(self) -> str:
        """The summary with "[3]" after each sentence, pointing at source sentence 3; "(?)" marks flagged."""
        return cited_text(self.sentences) if self.sentences else self.summary

    def to_markdown(self) -> str:
        """The cited summary, then the flagged sentences and how they were repaired."""
        lines = [self.cited(), ""]
        flagged = [s for s in self.sentences if s.flagged]
        if self.grounding:
            g = self.grounding
            lines.append(
                f"_Grounding: {g['scorer']} (threshold {g['threshold']}); {g['flagged']} of {g['sentences']} "
                f"sentences below it; repair {g['repair']}: {g['dropped']} dropped, {g['regenerated']} "
                "regenerated._"
            )
        for s in flagged:
            lines.append(f"- (?) {s.text} (consistency {s.consistency:.2f})")
        return "\n".join(lines).rstrip() + "\n"

    numerics: dict[str, Any] = Field(
        default_factory=dict, description="Device, dtype and why (the measured rates), batch size."
    )


# ------------------------------------------------------------------------------------------------ batching
MAX_PADDING = 0.25  # auto batches: no row is padded beyond this share of the batch's longest prompt
# Rows per generate call in auto mode. Greedy decoding streams the weights once per step for the whole batch,
# so docs/s grows with rows until per-row work dominates: on an AMX Xeon (issue 12) bf16 batch 16 took 1.33 s/doc
# against 2.39 at batch 4; benchmarks/summarise.py compares auto with fixed batches on the machine at hand.
# The CUDA cap is a guess, not measured.
AUTO_ROWS = {"cpu": 16, "cuda": 32}
MEMORY_SHARE = 0.25  # of the available memory, for activations and KV cache of one batch
MEMORY_CAP = 1.5e9  # bytes: keeps the whole process near 3 GB on a big machine too


def available_memory(device: str) -> float:
    """Bytes free for one batch: CUDA's free memory, or MemAvailable from /proc/meminfo (8 GB if unknown)."""
    if device.startswith("cuda"):
        import torch

        return float(torch.cuda.mem_get_info(torch.device(device))[0])
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return 8e9


def batch_plan(model: Any, device: str, dtype: str) -> dict[str, Any]:
    """The auto batch: a row cap, and a prompt-token budget from memory. One prompt token in a batch costs
    its MLP activations (gate, up and their product, 3 x intermediate), a few hidden-size buffers, and its
    KV cache across the layers, all in the compute dtype."""
    cfg = getattr(model, "config", None)
    hidden = getattr(cfg, "hidden_size", None) or getattr(cfg, "d_model", 1024)
    intermediate = getattr(cfg, "intermediate_size", None) or 4 * hidden
    layers = getattr(cfg, "num_hidden_layers", None) or getattr(cfg, "num_layers", 12)
    heads = getattr(cfg, "num_attention_heads", None) or 16
    kv_heads = getattr(cfg, "num_key_value_heads", None) or heads
    head_dim = getattr(cfg, "head_dim", None) or hidden // heads
    width = 2 if dtype in ("bfloat16", "float16") else 4
    per_token = width * (3 * intermediate + 6 * hidden + 2 * layers * kv_heads * head_dim)
    free = available_memory(device)
    budget_bytes = min(MEMORY_SHARE * free, MEMORY_CAP)
    return {
        "rows": AUTO_ROWS.get(device.split(":")[0], 8),
        "tokens": max(int(budget_bytes // per_token), 512),
        "bytes_per_token": per_token,
        "available_bytes": int(free),
        "max_padding": MAX_PADDING,
    }


# ------------------------------------------------------------------------------------------------ backend
@dataclass
class _Job:
    """One generation call's input: a document, a chunk of one, or joined chunk summaries."""

    doc: int
    text: str
    reduce: bool = False
    final: bool = False  # its output is the document's summary (not a chunk's)
    tokens: int = 0
    chunk: Chunk | None = None
    output: str = ""
    output_tokens: int = 0
    seconds: float = 0.0


@dataclass
class _DocState:
    text: str
    jobs: list[_Job] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    rounds: int = 0
    result: str | None = None
    seconds: float = 0.0
    output_tokens: int = 0


class Summariser:
    """A loaded summariser for repeated use: load once, call many.

    >>> from stancekit import Summariser
    >>> summariser = Summariser()  # the embedded default, offline  # doctest: +SKIP
    >>> summariser("The ministers met on Tuesday ...")  # doctest: +SKIP
    'Coalition ministers ...'
    """

    def __init__(
        self,
        config: str | Path | SummariserConfig | None = None,
        *,
        model: str | None = None,
        overrides: list[str] | None = None,
        progress: bool = True,
        **generation: Any,
    ) -> None:
        if config is None and model is not None and (Path(model) / TRAINED_CONFIG).is_file():
            config = Path(model) / TRAINED_CONFIG  # a model saved by train_summariser carries its settings
        cfg = load_summariser_config(config, overrides)
        update: dict[str, Any] = {}
        if model is not None:
            update["model"] = model
        if generation:
            update["generation"] = {**cfg.generation.model_dump(), **generation}
        if update:
            cfg = validate(SummariserConfig, {**cfg.model_dump(), **update}, where="summarise() arguments")
        self.config = cfg
        self.device = select_device(cfg.device)
        self.ref = resolve_model(cfg.model, progress=progress)
        started = time.perf_counter()
        self.dtype = choose_dtype(cfg.dtype, self.device)
        self.model, self.tokenizer, self.backend = load_generator(
            self.ref, cfg.backend, self.device, self.dtype.torch_dtype
        )
        self.load_seconds = time.perf_counter() - started
        if self.backend == "causal" and cfg.prompt.use_chat_template and not self.tokenizer.chat_template:
            raise ModelUnavailableError(
                f"model '{cfg.model}' has no chat template, so the causal backend cannot build its prompt.",
                fix="use an instruct/chat model, or set prompt.use_chat_template: false to use the raw prompt.",
            )
        self.budget = self._input_budget()
        self.batch_plan = batch_plan(self.model, self.device, self.dtype.dtype)
        self.numerics = {
            **self.dtype.metadata(),
            "batch_size": cfg.batch_size,
            **({"batch_plan": self.batch_plan} if cfg.batch_size == "auto" else {}),
        }
        self._words: WordStarts | None = None  # built on first use of the copy guard

    # -- prompt construction
    def _prompt(self, document: str, reduce: bool) -> str:
        return build_prompt(self.tokenizer, self.config.prompt, document, backend=self.backend, reduce=reduce)

    def _count(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _input_budget(self) -> int:
        """Tokens of document text one call can take."""
        configured = self.config.chunking.max_input_tokens
        window = getattr(self.model.config, "max_position_embeddings", None) or 0
        model_max = self.tokenizer.model_max_length
        if model_max and model_max < 1_000_000:
            window = min(window, model_max) if window else model_max
        overhead = self._count(self._prompt("", reduce=False)) + 8
        if self.backend == "causal":
            overhead += self.config.generation.max_new_tokens  # prompt and answer share the window
        natural = (window or 1024) - overhead
        budget = min(configured, natural) if configured else natural
        if budget < 16:
            raise ConfigError(
                f"the prompt and max_new_tokens leave only {budget} tokens of the model's window for the document.",
                fix="shorten the prompt or lower generation.max_new_tokens.",
            )
        return budget

    # -- chunking
    def _chunk(self, text: str, *, lines: bool = False) -> list[tuple[int, int]]:
        """Whole sentences (or, for joined summaries, whole lines) packed into chunks of at most ``budget``
        tokens; a single sentence longer than the budget is cut at token boundaries."""
        units = (line_spans(text) if lines else sentence_spans(text)) or [(0, len(text))]
        return pack_spans(
            units,
            lambda s, e: self._count(text[s:e]),
            self.budget,
            cut=lambda s, e: self._cut_long(text, s, e),
        )

    def _cut_long(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        encoding = self.tokenizer(text[start:end], add_special_tokens=False, return_offsets_mapping=True)
        offsets = encoding["offset_mapping"]
        pieces = []
        for i in range(0, len(offsets), self.budget):
            window = offsets[i : i + self.budget]
            pieces.append((start + window[0][0], start + window[-1][1]))
        return pieces

    # -- generation
    def _generation_config(self) -> Any:
        from transformers import GenerationConfig

        settings = self.config.generation.model_dump()
        settings.pop("prompt_lookup_tokens")  # set per generation pass, in _generate
        if not settings["do_sample"]:
            settings.pop("temperature")
            settings.pop("top_p")
        eos = getattr(self.model.generation_config, "eos_token_id", None) or self.tokenizer.eos_token_id
        return GenerationConfig(
            **{k: v for k, v in settings.items() if v is not None},
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=eos,
            decoder_start_token_id=getattr(self.model.generation_config, "decoder_start_token_id", None),
        )

    def _prompt_lookup(self, jobs: int) -> int | None:
        """Prompt lookup tokens for a generation pass over ``jobs`` inputs, or None where it does not apply. A
        summary reuses the source's names and phrases, so proposals from the prompt are often accepted: one
        forward pass then yields several tokens, and decoding one document is memory-bound, so that pass costs
        about what one token does. Only a pass over a single input uses it (one document summarised on its own,
        or the reduce step of one long document), so a document's summary in a batch run never depends on
        whether its length bucket happened to hold it alone."""
        settings = self.config.generation
        greedy = settings.num_beams == 1 and not settings.do_sample
        if jobs == 1 and greedy and self.backend == "causal" and settings.prompt_lookup_tokens:
            return settings.prompt_lookup_tokens
        return None

    def _batches(self, jobs: list[_Job]) -> list[list[_Job]]:
        """Length-sorted batches (longest first). A fixed ``batch_size`` cuts them every N jobs; ``auto`` fills
        a batch up to the row cap and the prompt-token budget (``numerics.batch_rows_max``, ``batch_tokens``),
        and closes it early where the next job is much shorter than the batch's longest, so no row is more
        than a quarter padding (length bucketing)."""
        ordered = sorted(jobs, key=lambda j: j.tokens, reverse=True)
        size = self.config.batch_size
        if size != "auto":
            return [ordered[i : i + size] for i in range(0, len(ordered), size)]
        rows, budget = self.batch_plan["rows"], self.batch_plan["tokens"]
        batches: list[list[_Job]] = []
        for job in ordered:
            if batches:
                batch = batches[-1]
                longest = batch[0].tokens  # the batch's first job is its longest
                fits = len(batch) < rows and longest * (len(batch) + 1) <= budget
                if fits and job.tokens >= (1 - MAX_PADDING) * longest:
                    batch.append(job)
                    continue
            batches.append([job])
        return batches

    def _generate(self, jobs: list[_Job]) -> None:
        """Run ``jobs`` in length-sorted batches (no padding wasted on mixing short and long inputs)."""
        import torch
        from transformers import LogitsProcessorList

        torch.manual_seed(self.config.seed)
        generation_config = self._generation_config()
        guard_n = self.config.copy_guard.block_ngram_tokens
        generation_config.prompt_lookup_num_tokens = self._prompt_lookup(len(jobs))
        for batch in self._batches(jobs):
            prompts = [self._prompt(job.text, job.reduce) for job in batch]
            padding_side = "left" if self.backend == "causal" else "right"
            encoded = self.tokenizer(
                prompts,
                return_tensors="pt",
                padding=True,
                padding_side=padding_side,
                add_special_tokens=self.backend == "seq2seq",
            ).to(self.device)
            prompt_length = encoded["input_ids"].shape[1]
            processors = LogitsProcessorList()
            if guard_n:
                sources = [self.tokenizer(j.text, add_special_tokens=False)["input_ids"] for j in batch]
                if self._words is None:
                    self._words = WordStarts(self.tokenizer)
                processors.append(
                    SourceNgramBlocker(
                        sources,
                        guard_n,
                        prompt_length if self.backend == "causal" else 1,
                        generation_config.num_beams,
                        self._words,
                        keep_facts=self.config.copy_guard.keep_facts,
                    )
                )
            started = time.perf_counter()
            with torch.inference_mode():
                output = self.model.generate(
                    **encoded, generation_config=generation_config, logits_processor=processors
                )
            seconds = time.perf_counter() - started
            # causal output repeats the prompt; seq2seq output starts with the decoder start token
            new_tokens = output[:, prompt_length:] if self.backend == "causal" else output[:, 1:]
            for job, ids in zip(batch, new_tokens, strict=True):
                ids = (
                    ids[ids != self.tokenizer.pad_token_id]
                    if self.tokenizer.pad_token_id is not None
                    else ids
                )
                job.output = self.tokenizer.decode(ids, skip_special_tokens=True).strip()
                job.output_tokens = int(ids.numel())
                job.seconds = seconds / len(batch)

    def summarise_many(self, documents: Sequence[str]) -> list[SummaryResult]:
        """Summarise ``documents`` with metadata; all documents' chunks are batched together."""
        states = [_DocState(text) for text in check_texts(documents, where="summarise_many()")]
        started = time.perf_counter()
        pending = [(i, state.text, False) for i, state in enumerate(states)]
        while pending:  # one pass per map-reduce level; most documents finish in the first
            jobs: list[_Job] = []
            for i, text, is_reduce in pending:
                state = states[i]
                tokens = self._count(text)
                if tokens <= self.budget:
                    jobs.append(_Job(i, text, reduce=is_reduce, final=True, tokens=tokens))
                    continue
                state.rounds += 1
                if state.rounds > self.config.chunking.max_rounds:
                    raise InputError(
                        f"document {i} did not fit the model's input budget after "
                        f"{self.config.chunking.max_rounds} map-reduce rounds.",
                        fix="raise chunking.max_rounds or chunking.max_input_tokens.",
                    )
                for s, e in self._chunk(text, lines=is_reduce):
                    job = _Job(i, text[s:e], tokens=self._count(text[s:e]))
                    if not is_reduce:  # chunk offsets are reported for the original document only
                        job.chunk = Chunk(start=s, end=e, tokens=job.tokens, summary="")
                        state.chunks.append(job.chunk)
                    jobs.append(job)
            self._generate(jobs)
            partial: dict[int, list[str]] = {}
            for job in jobs:
                state = states[job.doc]
                state.seconds += job.seconds
                state.output_tokens += job.output_tokens
                if job.chunk is not None:
                    job.chunk.summary = job.output
                if job.final:
                    state.result = job.output
                else:
                    partial.setdefault(job.doc, []).append(job.output)
            pending = [(i, "\n".join(o for o in outputs if o), True) for i, outputs in partial.items()]
        total = time.perf_counter() - started
        return [self._grounded(self._result(state, total), state.text) for state in states]

    def _grounded(self, result: SummaryResult, source: str) -> SummaryResult:
        """The post-generation step: cite and score every sentence, repair the flagged ones
        (:mod:`stancekit.summarise.cited`)."""
        settings = self.config.grounding
        if settings.scorer == "none" or not result.summary.strip():
            return result
        started = time.perf_counter()
        sentences, record = repair(
            ground(result.summary, source, settings), source, settings, self._regenerate
        )
        record["seconds"] = round(time.perf_counter() - started, 3)
        summary = " ".join(s.text for s in sentences) if record["dropped"] or record["regenerated"] else None
        return result.model_copy(
            update={"sentences": sentences, "grounding": record, **({"summary": summary} if summary else {})}
        )

    def _regenerate(self, evidence: list[str]) -> list[str]:
        """Summaries of each flagged sentence's cited source sentences (generated like any document)."""
        jobs = [_Job(i, text, final=True, tokens=self._count(text)) for i, text in enumerate(evidence)]
        self._generate(jobs)
        return [job.output for job in jobs]

    def _result(self, state: _DocState, total: float) -> SummaryResult:
        summary = state.result or ""
        rate = copy_rate(summary, state.text)
        cfg = self.config
        return SummaryResult(
            summary=summary,
            model=cfg.model,
            model_source=self.ref.source,
            backend=self.backend,
            config=cfg.name,
            config_fingerprint=cfg.fingerprint(),
            generation=cfg.generation.model_dump(),
            prompt=cfg.prompt.model_dump(),
            input_tokens=self._count(state.text),
            output_tokens=state.output_tokens,
            chunks=state.chunks,
            reduce_rounds=state.rounds,
            copy_rate=round(rate, 4),
            copy_flagged=rate > cfg.copy_guard.max_copy_rate,
            numerics=self.numerics,
            timings={
                "load_s": round(self.load_seconds, 3),
                "generate_s": round(state.seconds, 3),
                "batch_total_s": round(total, 3),
                "tokens_per_s": round(state.output_tokens / state.seconds, 2) if state.seconds else 0.0,
            },
            warnings=[w for w in [language_warning(state.text)] if w],
        )

    def with_prompt(self, **prompt: Any) -> Summariser:
        """A summariser sharing this one's loaded model, with some prompt settings replaced."""
        data = self.config.model_dump()
        data["prompt"] = {**data["prompt"], **prompt}
        return Summariser(validate(SummariserConfig, data, where="prompt override"), progress=False)

    def summarise_one(self, document: str) -> SummaryResult:
        return self.summarise_many([document])[0]

    @overload
    def __call__(self, documents: str) -> str: ...
    @overload
    def __call__(self, documents: Sequence[str]) -> list[str]: ...
    def __call__(self, documents: str | Sequence[str]) -> str | list[str]:
        if isinstance(documents, str):
            return self.summarise_one(documents).summary
        return [r.summary for r in self.summarise_many(documents)]
