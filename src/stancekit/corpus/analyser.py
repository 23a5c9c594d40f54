"""The per-batch function both engines run: models load once per worker, then batch after batch goes through.

A batch is a table of documents (``position``, ``id``, ``date``, ``text``); the result is one row per
document with its analysis as JSON (``record``) or why it failed (``failed``). Flat columns travel through
process pools and Ray Data alike; the writer turns them into the typed tables.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stancekit.errors import StancekitError
from stancekit.statements.analysed import labelled_target
from stancekit.text import language_warning

if TYPE_CHECKING:
    import pyarrow as pa

    from stancekit.statements.classifiers.config import ClassifierConfig
    from stancekit.summarise.config import SummariserConfig


@dataclass(frozen=True)
class ModelSettings:
    """What a worker loads: picklable, so it travels to worker processes and Ray actors."""

    classifier: ClassifierConfig
    summariser: SummariserConfig | None
    torch_threads: int | None = None


OUTPUT_COLUMNS = ("position", "id", "failed", "record")


def _summary_sentences(result: Any, source: str) -> list[dict[str, Any]] | None:
    """Summary sentences with consistency, flag and support spans: the summariser's own grounding when it
    has one, else the model-free ROUGE-2 support of ``stancekit.summarise.grounding``."""
    if result.sentences:  # empty when the summariser's grounding scorer is `none`
        return [
            {
                "text": s.text,
                "consistency": float(s.consistency),
                "flagged": s.flagged,
                "support": [{"start": p.start, "end": p.end} for p in s.support],
            }
            for s in result.sentences
        ]
    if not result.summary.strip():
        return None
    from stancekit.summarise.grounding import rouge2_support

    try:
        grounded = rouge2_support(result.summary, source)
    except StancekitError:
        return None  # a summary with no words has nothing to ground
    return [
        {
            "text": s.text,
            "consistency": float(s.score),
            "flagged": None,
            "support": [{"start": p.start, "end": p.end} for p in s.support],
        }
        for s in grounded.sentences
    ]


class DocumentAnalyser:
    """Segments, classifies and (optionally) summarises batches of documents; loads its models once."""

    def __init__(self, settings: ModelSettings) -> None:
        if settings.torch_threads:
            import torch

            torch.set_num_threads(settings.torch_threads)
        from transformers.utils import logging as transformers_logging

        from stancekit.statements.classifiers import build_classifier
        from stancekit.statements.segment import Segmenter

        # one "Loading weights" bar per worker would garble the run's own progress bar
        transformers_logging.disable_progress_bar()

        self.segmenter = Segmenter()
        self.segmenter.nlp  # noqa: B018  (load spaCy now, not inside the first timed batch)
        self.classifier = build_classifier(settings.classifier)
        self.summariser = None
        if settings.summariser is not None:
            from stancekit.summarise.summariser import Summariser

            self.summariser = Summariser(settings.summariser, progress=False)

    def __call__(self, batch: pa.Table | dict[str, list[Any]]) -> pa.Table:
        import pyarrow as pa

        columns = batch if isinstance(batch, dict) else batch.to_pydict()
        rows = self.analyse(columns["position"], columns["id"], columns["text"])
        return pa.table(
            {name: [row[name] for row in rows] for name in OUTPUT_COLUMNS},
            schema=pa.schema(
                [
                    ("position", pa.int64()),
                    ("id", pa.string()),
                    ("failed", pa.string()),
                    ("record", pa.string()),
                ]
            ),
        )

    def analyse(self, positions: list[int], ids: list[str], texts: list[str]) -> list[dict[str, Any]]:
        """One output row per document, in input order."""
        rows: list[dict[str, Any]] = []
        work: list[tuple[int, list[Any], float]] = []  # (row index, statements, segment seconds)
        for position, doc_id, text in zip(positions, ids, texts, strict=True):
            started = time.perf_counter()
            try:
                statements = self.segmenter.parse(text)  # kept parsed: the target depends on the labels
            except StancekitError as error:
                rows.append(
                    {"position": int(position), "id": doc_id, "failed": error.problem, "record": None}
                )
                continue
            rows.append({"position": int(position), "id": doc_id, "failed": None, "record": None})
            work.append((len(rows) - 1, statements, time.perf_counter() - started))

        # One classifier call for the whole batch: length-sorted batches over all its statements.
        all_statements = [p.statement for _, statements, _ in work for p in statements]
        started = time.perf_counter()
        classifications = self.classifier.predict([s.text for s in all_statements]) if all_statements else []
        classify_s = time.perf_counter() - started
        per_statement = classify_s / len(all_statements) if all_statements else 0.0

        summaries: list[Any] = [None] * len(work)
        summarise_s = [0.0] * len(work)
        if self.summariser is not None and work:
            sources = [texts[index] for index, _, _ in work]
            started = time.perf_counter()
            summaries = self.summariser.summarise_many(sources)
            elapsed = time.perf_counter() - started
            generated = [r.timings.get("generate_s", 0.0) for r in summaries]
            total = sum(generated) or 1.0
            summarise_s = [elapsed * g / total for g in generated]  # batch time shared by generation time

        cursor = 0
        for k, (index, statements, segment_s) in enumerate(work):
            text = texts[index]
            found = classifications[cursor : cursor + len(statements)]
            cursor += len(statements)
            summary = summaries[k]
            record = {
                "summary": None if summary is None else summary.summary,
                "summary_sentences": None if summary is None else _summary_sentences(summary, text),
                "language_warning": language_warning(text),
                "timings": {
                    "segment": segment_s,
                    "classify": per_statement * len(statements),  # batch time shared by statement count
                    "summarise": summarise_s[k],
                },
                "statements": [
                    _statement_row(i, s, c) for i, (s, c) in enumerate(zip(statements, found, strict=True))
                ],
            }
            timings = record["timings"]
            timings["total"] = timings["segment"] + timings["classify"] + timings["summarise"]
            rows[index]["record"] = json.dumps(record, ensure_ascii=False)
        return rows


def _statement_row(index: int, parsed: Any, classification: Any) -> dict[str, Any]:
    statement = parsed.statement
    speaker = statement.speaker
    target = labelled_target(parsed, classification.labels)  # as analyse shows it
    return {
        "index": index,
        "start": statement.start,
        "end": statement.end,
        "text": statement.text,
        "kind": statement.kind,
        "speaker": None if speaker is None else {"name": speaker.name, "role": speaker.role},
        "target": None
        if target is None
        else {"start": int(target.start), "end": int(target.end), "text": str(target.text)},
        "labels": list(classification.labels),
        "scores": {k: float(v) for k, v in classification.scores.items()},
    }
