"""Summary pairs into training features: the inference prompt, the reference as the answer, labels on the answer only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stancekit.errors import ConfigError, InputError
from stancekit.summarise.config import PromptSettings
from stancekit.summarise.data import SummaryPair
from stancekit.summarise.prompt import build_prompt as summariser_prompt
from stancekit.training.summariser_config import (
    IGNORE_INDEX,
    REPO_ROOT,
    TrainingSettings,
)


def _resolve_input(ref: str) -> Path:
    """A data path: as given when it exists (relative to the working directory), else under the repository."""
    path = Path(ref).expanduser()
    return path if path.exists() or path.is_absolute() else REPO_ROOT / path


def build_prompt(tokenizer: Any, prompt: PromptSettings, document: str) -> str:
    """The causal model's input for ``document``: the same text ``Summariser`` builds at inference."""
    return summariser_prompt(tokenizer, prompt, document, backend="causal")


def build_answer(tokenizer: Any, prompt: PromptSettings, document: str, summary: str) -> str:
    """The text that follows the prompt when the assistant answers ``summary``, up to its end-of-turn token.

    Taken from the chat template itself (the full chat minus the prompt), so each template's end-of-turn
    marker is learnt; anything the template adds after the end-of-sequence token is dropped, since
    generation stops there.
    """
    eos = tokenizer.eos_token or ""
    if prompt.use_chat_template:
        prompt_text = build_prompt(tokenizer, prompt, document)
        messages = ([{"role": "system", "content": prompt.system}] if prompt.system else []) + [
            {"role": "user", "content": prompt.user.format(document=document)},
            {"role": "assistant", "content": summary},
        ]
        full = tokenizer.apply_chat_template(messages, tokenize=False)
        if full.startswith(prompt_text) and summary in full[len(prompt_text) :]:
            answer = full[len(prompt_text) :]
            if eos and eos in answer:
                return answer[: answer.rindex(eos) + len(eos)]
            return answer + eos
    return summary + eos


def _truncate(tokenizer: Any, text: str, max_tokens: int) -> tuple[str, bool]:
    """``text`` cut after its first ``max_tokens`` tokens (at a token boundary), and whether it was cut."""
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=tokenizer.is_fast)
    ids = encoding["input_ids"]
    if len(ids) <= max_tokens:
        return text, False
    if tokenizer.is_fast:
        return text[: encoding["offset_mapping"][max_tokens - 1][1]], True
    return tokenizer.decode(ids[:max_tokens]), True


def _model_window(model_config: Any, tokenizer: Any) -> int | None:
    window = getattr(model_config, "max_position_embeddings", None)
    model_max = getattr(tokenizer, "model_max_length", None)
    if model_max and model_max < 1_000_000:
        window = min(window, model_max) if window else model_max
    return window


def _too_long(rows: list[tuple[SummaryPair, int]], limit: int, what: str, fix: str) -> InputError:
    shown = ", ".join(f"{p.where} ({p.id}, {n} tokens)" for p, n in rows[:10])
    more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    return InputError(
        f"{len(rows)} reference summar{'y is' if len(rows) == 1 else 'ies are'} longer than {what} "
        f"({limit} tokens): {shown}{more}. Training would cut them, teaching the model to stop mid-sentence.",
        fix=fix,
    )


def tokenise_pairs(
    pairs: list[SummaryPair],
    tokenizer: Any,
    backend: str,
    prompt: PromptSettings,
    settings: TrainingSettings,
    window: int | None,
) -> tuple[dict[str, list[list[int]]], int]:
    """Model inputs and labels for ``pairs``, and how many articles were cut to ``max_source_tokens``.

    seq2seq: ``input_ids`` of ``prefix + article``, ``labels`` of the summary (``text_target=``).
    causal: ``input_ids`` of prompt + answer; ``labels`` equal them on the answer and are -100 on the prompt.
    Raises :class:`InputError` (before any training) when a reference is longer than the limits.
    """
    limit = min(settings.max_target_tokens, window) if window else settings.max_target_tokens
    limit_name = (
        "training.max_target_tokens"
        if limit == settings.max_target_tokens
        else f"the model's window ({window} tokens)"
    )
    fix = (
        "shorten those summaries, or raise training.max_target_tokens"
        + (f" (at most the model's window, {window})" if window else "")
        + "."
    )
    if window and backend == "seq2seq" and settings.max_source_tokens > window:
        raise ConfigError(
            f"training.max_source_tokens ({settings.max_source_tokens}) is larger than the model's window "
            f"({window} tokens).",
            fix=f"set training.max_source_tokens to at most {window}.",
        )
    documents, truncated = [], 0
    for pair in pairs:
        text, cut = _truncate(tokenizer, pair.article, settings.max_source_tokens)
        documents.append(text)
        truncated += cut
    if backend == "seq2seq":
        summaries = [p.summary for p in pairs]
        target_lengths = [len(ids) for ids in tokenizer(text_target=summaries)["input_ids"]]
        over = [(p, n) for p, n in zip(pairs, target_lengths, strict=True) if n > limit]
        if over:
            raise _too_long(over, limit, limit_name, fix)
        encoded = tokenizer(
            [prompt.prefix + d for d in documents],
            text_target=summaries,
            max_length=settings.max_source_tokens,
            truncation=True,
        )
        return {k: encoded[k] for k in ("input_ids", "attention_mask", "labels")}, truncated
    features: dict[str, list[list[int]]] = {"input_ids": [], "attention_mask": [], "labels": []}
    over, over_window = [], []
    for pair, document in zip(pairs, documents, strict=True):
        prompt_ids = tokenizer(build_prompt(tokenizer, prompt, document), add_special_tokens=False)[
            "input_ids"
        ]
        answer_ids = tokenizer(
            build_answer(tokenizer, prompt, document, pair.summary), add_special_tokens=False
        )["input_ids"]
        if len(answer_ids) > limit:
            over.append((pair, len(answer_ids)))
        elif window and len(prompt_ids) + len(answer_ids) > window:
            over_window.append((pair, len(prompt_ids) + len(answer_ids)))
        features["input_ids"].append(prompt_ids + answer_ids)
        features["attention_mask"].append([1] * (len(prompt_ids) + len(answer_ids)))
        features["labels"].append([IGNORE_INDEX] * len(prompt_ids) + answer_ids)
    if over:
        raise _too_long(over, limit, limit_name, fix)
    if over_window:
        raise _too_long(
            over_window,
            window or 0,
            "the model's window together with their prompts",
            "lower training.max_source_tokens so prompt and answer fit the window.",
        )
    return features, truncated
