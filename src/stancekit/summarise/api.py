"""``summarise()``: the one-call entry, plain or stance mode, over one text or a list."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, overload

from stancekit.errors import ConfigError
from stancekit.summarise.config import SummariserConfig
from stancekit.summarise.summariser import Summariser
from stancekit.text import check_text, check_texts


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

    ``mode="stance"`` returns a :class:`stancekit.summarise.stance.StanceSummary` per document instead: the summary,
    generated so as to keep the source's commitments, condolences, threats and the rest with their speakers,
    plus those key statements with speakers and source offsets (``str()`` of it renders both).

    ``config`` is a shipped config name, a YAML path or a :class:`SummariserConfig` (default: the embedded
    Qwen pack, offline); ``model`` replaces the config's model (hub name, local path or ``embedded:<pack>``);
    keyword arguments override generation settings (``max_new_tokens=60``, ``num_beams=4``).

    >>> from stancekit import summarise
    >>> summarise("The foreign ministers met on Tuesday and pledged ...")  # doctest: +SKIP
    'Foreign ministers pledged ...'
    """
    # Every input is checked before the generator loads (tens of seconds) or any document is summarised.
    if isinstance(text_or_texts, str):
        check_text(text_or_texts, where="summarise()")
    else:
        text_or_texts = check_texts(text_or_texts, where="summarise()")
    if mode not in ("plain", "stance"):
        raise ConfigError(f"unknown summary mode {mode!r}.", fix="use mode='plain' or mode='stance'.")
    # Cheap to build per call: the model and tokenizer are cached per process by load_generator.
    summariser = Summariser(config, model=model, **generation)
    if mode == "stance":
        from stancekit.summarise.stance import stance_summary  # statements flow into summaries only here

        if isinstance(text_or_texts, str):
            return stance_summary(text_or_texts, summariser=summariser)
        return [stance_summary(t, summariser=summariser) for t in text_or_texts]
    if mode != "plain":
        raise ConfigError(f"unknown summary mode {mode!r}.", fix="use mode='plain' or mode='stance'.")
    return summariser(text_or_texts)
