"""Running a transformers encoder over statements: length-sorted batches, long texts split into windows."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch


class WindowedEncoder:
    """Runs a transformers model over texts in length-sorted batches, splitting texts beyond the window.

    ``forward(batch) -> Tensor (windows x k)`` gives one row per window; rows are max-pooled per text
    (``pool="max"``) or averaged (``pool="mean"``).
    """

    def __init__(self, tokenizer: Any, *, max_length: int, stride: int, batch_size: int, device: str) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.stride = stride
        self.batch_size = batch_size
        self.device = device

    def windows(self, texts: Sequence[str]) -> tuple[list[list[int]], list[int]]:
        """Token-id windows of ``texts`` (each within ``max_length``, specials included) and their owners."""
        encoded = self.tokenizer(
            list(texts),
            truncation=True,
            max_length=self.max_length,
            stride=self.stride,
            return_overflowing_tokens=True,
            padding=False,
        )
        owners = encoded.get("overflow_to_sample_mapping")
        if owners is None:  # slow tokenizers cannot split; their truncation is the best they offer
            owners = list(range(len(texts)))
        return [list(ids) for ids in encoded["input_ids"]], [int(o) for o in owners]

    def batches(self, windows: list[list[int]]) -> list[list[int]]:
        """Window indices in length buckets: sorted by length, and a batch closes when it is full or the
        next window is longer than the batch's shortest by more than max(4 tokens, 10%), so padding stays
        a few tokens per row (on a CPU the cost is the padded tokens, not the number of batches)."""
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        batches: list[list[int]] = []
        for i in order:
            if batches and len(batches[-1]) < self.batch_size:
                shortest = len(windows[batches[-1][0]])
                if len(windows[i]) - shortest <= max(4, shortest // 10):
                    batches[-1].append(i)
                    continue
            batches.append([i])
        return batches

    def run(
        self,
        texts: Sequence[str],
        forward: Callable[[dict[str, torch.Tensor]], torch.Tensor],
        *,
        pool: str = "max",
    ) -> tuple[np.ndarray, list[int]]:
        import torch

        windows, owners = self.windows(texts)
        rows: list[np.ndarray | None] = [None] * len(windows)
        pad_id = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for batch in self.batches(windows):
                width = max(len(windows[i]) for i in batch)
                ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    ids[row, : len(windows[i])] = torch.tensor(windows[i])
                    mask[row, : len(windows[i])] = 1
                inputs = {"input_ids": ids.to(self.device), "attention_mask": mask.to(self.device)}
                out = forward(inputs).float().cpu().numpy()
                for row, i in enumerate(batch):
                    rows[i] = out[row]
        width = rows[0].shape[0]  # type: ignore[union-attr]
        pooled = np.full((len(texts), width), -np.inf if pool == "max" else 0.0)
        counts = [0] * len(texts)
        for owner, row in zip(owners, rows, strict=True):
            counts[owner] += 1
            pooled[owner] = np.maximum(pooled[owner], row) if pool == "max" else pooled[owner] + row
        if pool == "mean":
            pooled /= np.asarray(counts, dtype=float)[:, None]
        return pooled, counts


def encoder_window(model: Any, tokenizer: Any, requested: int) -> int:
    """The window to use: ``requested``, capped by the model's position embeddings and the tokenizer's limit,
    so a config asking for more than a model can take never crashes it."""
    config = getattr(model, "config", None)
    positions = getattr(config, "max_position_embeddings", None) or requested
    if getattr(config, "model_type", "") in {"roberta", "xlm-roberta", "camembert"}:
        positions -= 2  # RoBERTa-style position ids start after the padding index
    limit = getattr(tokenizer, "model_max_length", None)
    limit = limit if isinstance(limit, int) and 0 < limit < 1_000_000 else requested
    return min(requested, positions, limit)


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' load reports and progress bars while loading (a new head is expected when a
    base encoder is loaded for classification; the report would only alarm users)."""
    from transformers.utils import logging as hf_logging

    previous = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            # peft 0.21 calls a transformers 5 method that is deprecated; nothing for a user to act on
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            yield
    finally:
        hf_logging.set_verbosity(previous)
        if bars:
            hf_logging.enable_progress_bar()


# --------------------------------------------------------------------------------------------- fine-tuned
