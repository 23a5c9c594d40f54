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
from typing import Any, Literal, overload

from pydantic import BaseModel, Field, model_validator

from stancekit.config import StrictModel, load_config, validate
from stancekit.errors import ConfigError, InputError, ModelUnavailableError
from stancekit.loading import ModelRef, offline_error, resolve_model
from stancekit.text import check_text, copy_rate, sentence_spans

DEFAULT_CONFIG = "embedded-qwen"
TRAINED_CONFIG = "stancekit-summariser.yaml"


# --------------------------------------------------------------------------------------------- configuration
class GenerationSettings(StrictModel):
    """Arguments of ``model.generate``; all of them are recorded in the output metadata."""

    max_new_tokens: int = Field(96, ge=1)
    min_new_tokens: int = Field(0, ge=0)
    num_beams: int = Field(1, ge=1)
    do_sample: bool = False
    temperature: float | None = Field(None, gt=0)
    top_p: float | None = Field(None, gt=0, le=1)
    length_penalty: float = 1.0
    repetition_penalty: float = Field(1.0, gt=0)
    no_repeat_ngram_size: int = Field(0, ge=0)
    early_stopping: bool = False


class PromptSettings(StrictModel):
    """How a document becomes model input.

    Encoder-decoder models read ``prefix + document`` (T5 wants ``"summarize: "``). Causal LMs read a chat with
    an optional ``system`` message and ``user`` (which must contain ``{document}``); ``reduce_user`` is used for
    the final pass over joined chunk summaries (defaults to ``user``).
    """

    prefix: str = ""
    system: str | None = None
    user: str = "Summarise the news article below in two sentences, in your own words.\n\n{document}"
    reduce_user: str | None = None
    use_chat_template: bool = True

    @model_validator(mode="after")
    def _has_placeholder(self) -> PromptSettings:
        for name in ("user", "reduce_user"):
            value = getattr(self, name)
            if value is not None and "{document}" not in value:
                raise ValueError(f"prompt.{name} must contain the placeholder {{document}}")
        return self


class ChunkingSettings(StrictModel):
    """Input budget for one generation call; longer documents are chunked on sentence boundaries."""

    max_input_tokens: int | None = Field(
        None, ge=16, description="Document tokens per call; None: the model's window less prompt and output."
    )
    max_rounds: int = Field(3, ge=1, description="Reduce rounds before giving up on fitting the budget.")


class CopyGuardSettings(StrictModel):
    """Keeps the output abstractive: forbid copying long token runs from the source, and measure copying."""

    block_ngram_tokens: int = Field(
        0, ge=0, description="Ban any source n-gram of this many tokens in the output (0 disables)."
    )
    max_copy_rate: float = Field(
        0.6, ge=0, le=1, description="Flag summaries whose word-trigram copy rate exceeds this."
    )


class SummariserConfig(StrictModel):
    """A summariser: the model, how to prompt it, and how to generate."""

    name: str = "custom"
    model: str
    backend: Literal["auto", "seq2seq", "causal"] = "auto"
    device: str = Field("cpu", description="'cpu', 'cuda', 'cuda:N' or 'auto' (CUDA when present).")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    batch_size: int = Field(4, ge=1)
    seed: int = 0
    prompt: PromptSettings = PromptSettings()
    generation: GenerationSettings = GenerationSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    copy_guard: CopyGuardSettings = CopyGuardSettings()


def load_summariser_config(
    ref: str | Path | SummariserConfig | None = None, overrides: list[str] | None = None
) -> SummariserConfig:
    """A config from a path, a shipped name (``configs/summariser/<name>.yaml``) or an object."""
    if isinstance(ref, SummariserConfig):
        return ref
    return load_config(SummariserConfig, ref or DEFAULT_CONFIG, "summariser", overrides)


# ----------------------------------------------------------------------------------------------- results
class Chunk(BaseModel):
    """One map step of a long document: its character span in the input and its partial summary."""

    start: int
    end: int
    tokens: int
    summary: str


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


def _select_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"device '{name}' requested but CUDA is not available.", fix="set device: cpu or auto."
        )
    return name


def _select_dtype(name: str, device: str) -> Any:
    import torch

    if name == "auto":
        # bf16 matmuls are slow on CPUs without AVX512-BF16/AMX: compute in fp32 there.
        return torch.float32 if device == "cpu" else torch.bfloat16
    return getattr(torch, name)


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, offset = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((offset, offset + len(line)))
        offset += len(line) + 1
    return spans


_MODEL_CACHE: dict[tuple[str, str, str], tuple[Any, Any, str]] = {}


def build_prompt(
    tokenizer: Any, prompt: PromptSettings, document: str, *, backend: str, reduce: bool = False
) -> str:
    """The model input for ``document``: ``prefix + document`` for seq2seq, the chat prompt for causal LMs.

    Training (stancekit.train_summariser) builds its inputs with this too, so a fine-tuned model sees at
    inference exactly the prompt it was trained on.
    """
    if backend == "seq2seq":
        return prompt.prefix + document
    user = (prompt.reduce_user if reduce and prompt.reduce_user else prompt.user).format(document=document)
    if not prompt.use_chat_template:
        return "\n\n".join(p for p in (prompt.system, user) if p) + "\n\n"
    messages = ([{"role": "system", "content": prompt.system}] if prompt.system else []) + [
        {"role": "user", "content": user}
    ]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def release_models() -> None:
    """Drop the per-process model cache (e.g. before training, which needs the memory back)."""
    import gc

    _MODEL_CACHE.clear()
    gc.collect()


def _load(ref: ModelRef, backend: str, device: str, dtype: Any) -> tuple[Any, Any, str]:
    """Load (model, tokenizer, backend), once per process for the same model, device and dtype."""
    key = (ref.location, device, str(dtype))
    if key in _MODEL_CACHE:
        return _MODEL_CACHE[key]
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    try:
        model_config = AutoConfig.from_pretrained(ref.location)
        tokenizer = AutoTokenizer.from_pretrained(ref.location)
    except (OSError, ValueError) as error:
        raise offline_error(ref, error) from None
    if backend == "auto":
        backend = "seq2seq" if getattr(model_config, "is_encoder_decoder", False) else "causal"
    auto_class = AutoModelForSeq2SeqLM if backend == "seq2seq" else AutoModelForCausalLM
    try:
        model = auto_class.from_pretrained(ref.location, dtype=dtype)
    except ValueError as error:  # e.g. an encoder-only model: no generation head
        raise ModelUnavailableError(
            f"model '{ref.identifier}' ({type(model_config).__name__}) cannot generate text as a {backend} "
            f"model: {str(error).splitlines()[0]}",
            fix="use an encoder-decoder (BART, T5, Pegasus, LED) or a causal LM, or fix `backend:`.",
        ) from None
    except OSError as error:
        raise offline_error(ref, error) from None
    model.to(device).eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    _MODEL_CACHE[key] = (model, tokenizer, backend)
    return model, tokenizer, backend


class _WordStarts:
    """Which vocabulary entries start a word, and which entries are prefixes of which (built once per model).

    The copy guard only bans word-initial tokens and their word-initial prefixes: banning a mid-word piece
    (or letting the model spell the banned word from smaller pieces, " Ad" + "en") produced mangled names.
    """

    def __init__(self, tokenizer: Any) -> None:
        pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        self.pieces = pieces
        self.index = {piece: i for i, piece in enumerate(pieces) if piece is not None}
        self.starts = [
            piece is not None and (piece[:1] in ("Ġ", "▁", " ") or not piece[:1].isalnum())
            for piece in pieces
        ]

    def ban_list(self, token: int) -> list[int]:
        if token >= len(self.starts) or not self.starts[token]:
            return []
        piece = self.pieces[token]
        # the piece's own prefixes (" Ad" for " Aden") and the same word without its leading space ("Aden",
        # which glued it to the previous word: "andSyrian") are the ways around a ban
        bare = piece[1:] if piece[:1] in ("Ġ", "▁", " ") else ""
        variants = [piece[:k] for k in range(2, len(piece))] + [bare[:k] for k in range(2, len(bare) + 1)]
        return [token, *(i for i in map(self.index.get, variants) if i is not None)]


class _SourceNgramBlocker:
    """LogitsProcessor that stops verbatim copying: it bans completing any source n-gram of ``n`` tokens.

    For each row it looks up the last ``n - 1`` generated tokens in a table of the source's (n-1)-grams and
    bans the word-initial tokens that followed them in the source, so a copied run must end at a word boundary.
    Cost: one dict lookup per row and step.
    """

    def __init__(
        self, sources: list[list[int]], n: int, prompt_length: int, num_beams: int, words: _WordStarts
    ) -> None:
        self.n = n
        self.prompt_length = prompt_length
        self.num_beams = num_beams
        self.tables: list[dict[tuple[int, ...], list[int]]] = []
        for ids in sources:
            table: dict[tuple[int, ...], set[int]] = {}
            for i in range(len(ids) - n + 1):
                table.setdefault(tuple(ids[i : i + n - 1]), set()).update(words.ban_list(ids[i + n - 1]))
            self.tables.append({k: sorted(v) for k, v in table.items() if v})

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        generated = input_ids[:, self.prompt_length :]
        if generated.shape[1] < self.n - 1:
            return scores
        tails = generated[:, -(self.n - 1) :].tolist()
        for row, tail in enumerate(tails):
            banned = self.tables[row // self.num_beams].get(tuple(tail))
            if banned:
                scores[row, banned] = float("-inf")
        return scores


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
        self.device = _select_device(cfg.device)
        self.ref = resolve_model(cfg.model, progress=progress)
        started = time.perf_counter()
        self.model, self.tokenizer, self.backend = _load(
            self.ref, cfg.backend, self.device, _select_dtype(cfg.dtype, self.device)
        )
        self.load_seconds = time.perf_counter() - started
        if self.backend == "causal" and cfg.prompt.use_chat_template and not self.tokenizer.chat_template:
            raise ModelUnavailableError(
                f"model '{cfg.model}' has no chat template, so the causal backend cannot build its prompt.",
                fix="use an instruct/chat model, or set prompt.use_chat_template: false to use the raw prompt.",
            )
        self.budget = self._input_budget()
        self._words: _WordStarts | None = None  # built on first use of the copy guard

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
        """Greedy packing of whole sentences (or, for joined summaries, whole lines) into chunks of at most
        ``budget`` tokens. A single sentence longer than the budget is cut at token boundaries.
        """
        chunks: list[tuple[int, int]] = []
        start = end = None
        used = 0
        units = _line_spans(text) if lines else sentence_spans(text)
        for s, e in units or [(0, len(text))]:
            n = self._count(text[s:e])
            if n > self.budget:
                if start is not None:
                    chunks.append((start, end))
                    start, used = None, 0
                chunks.extend(self._cut_long(text, s, e))
                continue
            if start is not None and used + n + 1 > self.budget:
                chunks.append((start, end))
                start, used = None, 0
            if start is None:
                start = s
            end, used = e, used + n + 1
        if start is not None:
            chunks.append((start, end))
        return chunks

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

    def _generate(self, jobs: list[_Job]) -> None:
        """Run ``jobs`` in length-sorted batches (no padding wasted on mixing short and long inputs)."""
        import torch
        from transformers import LogitsProcessorList

        torch.manual_seed(self.config.seed)
        generation_config = self._generation_config()
        guard_n = self.config.copy_guard.block_ngram_tokens
        ordered = sorted(jobs, key=lambda j: j.tokens, reverse=True)
        size = self.config.batch_size
        for i in range(0, len(ordered), size):
            batch = ordered[i : i + size]
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
                    self._words = _WordStarts(self.tokenizer)
                processors.append(
                    _SourceNgramBlocker(
                        sources,
                        guard_n,
                        prompt_length if self.backend == "causal" else 1,
                        generation_config.num_beams,
                        self._words,
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
        if isinstance(documents, str) or not isinstance(documents, Sequence):
            raise InputError(
                f"expected a list of documents, got {type(documents).__name__}.", fix="pass a list of str."
            )
        states = [_DocState(check_text(d, where=f"document {i}")) for i, d in enumerate(documents)]
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
        return [self._result(state, total) for state in states]

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
            timings={
                "load_s": round(self.load_seconds, 3),
                "generate_s": round(state.seconds, 3),
                "batch_total_s": round(total, 3),
                "tokens_per_s": round(state.output_tokens / state.seconds, 2) if state.seconds else 0.0,
            },
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


@overload
def summarise(
    text_or_texts: str,
    *,
    model: str | None = ...,
    config: str | Path | SummariserConfig | None = ...,
    **generation: Any,
) -> str: ...
@overload
def summarise(
    text_or_texts: Sequence[str],
    *,
    model: str | None = ...,
    config: str | Path | SummariserConfig | None = ...,
    **generation: Any,
) -> list[str]: ...
def summarise(
    text_or_texts: str | Sequence[str],
    *,
    model: str | None = None,
    config: str | Path | SummariserConfig | None = None,
    mode: Literal["plain", "stance"] = "plain",
    **generation: Any,
) -> Any:
    """Summarise a document (returns a str) or a list of documents (returns a list), abstractively.

    ``mode="stance"`` returns a :class:`stancekit.stance.StanceSummary` per document instead: the summary,
    generated so as to keep the source's commitments, condolences, threats and the rest with their speakers,
    plus those key statements with speakers and source offsets (``str()`` of it renders both).

    ``config`` is a shipped config name, a YAML path or a :class:`SummariserConfig` (default: the embedded
    Qwen pack, offline); ``model`` replaces the config's model (hub name, local path or ``embedded:<pack>``);
    keyword arguments override generation settings (``max_new_tokens=60``, ``num_beams=4``).

    >>> from stancekit import summarise
    >>> summarise("The foreign ministers met on Tuesday and pledged ...")  # doctest: +SKIP
    'Foreign ministers pledged ...'
    """
    if not isinstance(text_or_texts, str) and not isinstance(text_or_texts, Sequence):
        check_text(text_or_texts)
    # Cheap to build per call: the model and tokenizer are cached per process by _load.
    summariser = Summariser(config, model=model, **generation)
    if mode == "stance":
        from stancekit.stance import stance_summary  # statements flow into summaries only in this mode

        if isinstance(text_or_texts, str):
            return stance_summary(text_or_texts, summariser=summariser)
        return [stance_summary(check_text(t), summariser=summariser) for t in text_or_texts]
    if mode != "plain":
        raise ConfigError(f"unknown summary mode {mode!r}.", fix="use mode='plain' or mode='stance'.")
    return summariser(text_or_texts)
