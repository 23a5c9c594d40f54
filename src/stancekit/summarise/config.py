"""The summariser config: model, backend, prompt, generation, chunking and copy guard settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from stancekit.config import StrictModel, load_config

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
    prompt_lookup_tokens: int = Field(
        10,
        ge=0,
        description="Prompt lookup decoding: propose up to this many tokens by matching the last few generated "
        "tokens against the prompt, and verify them in one forward pass. Greedy output is unchanged in fp32 (a "
        "proposal is kept only as far as the model would have chosen it; in bf16 a multi-token pass rounds "
        "differently, so near-ties can part). Used for a causal model, greedy, when one document is summarised "
        "on its own (transformers' assisted generation takes one row); 0 turns it off.",
    )


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
    keep_facts: bool = Field(
        False,
        description="Never ban a name, number or quantity word (nor what follows a number): reword around facts.",
    )


class GroundingSettings(StrictModel):
    """Every summary sentence is scored against the source and cited; one below ``threshold`` is repaired.

    ``scorer``: ``rouge2_support`` (the model-free floor), a consistency scorer's weights
    (``consistency-minilm-v1``, :mod:`stancekit.summarise.consistency`), or ``none`` (no grounding).
    ``repair``: ``flag`` keeps the sentence and marks it, ``drop`` removes it (unless it is the only one),
    ``regenerate`` summarises its supporting source sentences again and keeps the new sentence if it scores
    better. What was done is recorded in ``SummaryResult.grounding``.
    """

    scorer: str = "rouge2_support"
    threshold: float = Field(0.325, ge=0, le=1, description="a sentence scoring below this is flagged")
    repair: Literal["flag", "drop", "regenerate"] = "flag"
    max_citations: int = Field(2, ge=1, description="source sentences cited per summary sentence")


class SummariserConfig(StrictModel):
    """A summariser: the model, how to prompt it, and how to generate."""

    name: str = "custom"
    model: str
    backend: Literal["auto", "seq2seq", "causal"] = "auto"
    device: str = Field("cpu", description="'cpu', 'cuda', 'cuda:N' or 'auto' (CUDA when present).")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    batch_size: Annotated[int, Field(ge=1)] | Literal["auto"] = Field(
        "auto",
        description="Documents per generate call; 'auto': as many as the measured row cap and the memory "
        "budget for prompt tokens allow, in length buckets.",
    )
    seed: int = 0
    prompt: PromptSettings = PromptSettings()
    generation: GenerationSettings = GenerationSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    copy_guard: CopyGuardSettings = CopyGuardSettings()
    grounding: GroundingSettings = GroundingSettings()


def load_summariser_config(
    ref: str | Path | SummariserConfig | None = None, overrides: list[str] | None = None
) -> SummariserConfig:
    """A config from a path, a shipped name (``configs/summariser/<name>.yaml``) or an object."""
    if isinstance(ref, SummariserConfig):
        return ref
    return load_config(SummariserConfig, ref or DEFAULT_CONFIG, "summariser", overrides)


# ----------------------------------------------------------------------------------------------- results
