"""Loading a generator (seq2seq or causal LM) with transformers, once per process."""

from __future__ import annotations

from typing import Any

from stancekit.errors import ModelUnavailableError
from stancekit.models.reference import ModelRef, offline_error

MODEL_CACHE: dict[tuple[str, str, str], tuple[Any, Any, str]] = {}


def release_models() -> None:
    """Drop the per-process model cache (e.g. before training, which needs the memory back)."""
    import gc

    MODEL_CACHE.clear()
    gc.collect()


def load_generator(ref: ModelRef, backend: str, device: str, dtype: Any) -> tuple[Any, Any, str]:
    """Load (model, tokenizer, backend), once per process for the same model, device and dtype."""
    key = (ref.location, device, str(dtype))
    if key in MODEL_CACHE:
        return MODEL_CACHE[key]
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
    MODEL_CACHE[key] = (model, tokenizer, backend)
    return model, tokenizer, backend
