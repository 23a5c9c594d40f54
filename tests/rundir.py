"""A small corpus run directory in the run-table contract, built from real statement analysis.

Statements come from ``analyse_statements`` with the lexicon classifier (no model to load); each summary is
two of the document's sentences reworded, and its support spans come from ``summarise.grounding``, so the
citations are real. The statements table is written as a directory of two parts, as the corpus runner does.
"""

from __future__ import annotations

import json
from pathlib import Path

from stancekit.corpus.tables import DOCUMENTS as DOCUMENTS_TABLE
from stancekit.corpus.tables import MANIFEST, STATEMENTS, STATEMENTS_SCHEMA

DOCUMENTS = {
    "doc-a": (
        "2025-01-14",
        "The foreign ministers met on Tuesday and condemned the attack on the convoy. "
        '"We will send two ships next month," said John Godfrey, the acting envoy. '
        "The council urged both sides to show restraint. "
        "Officials expressed condolences to the families of the victims.",
        "The ministers condemned the attack on the convoy. Godfrey said two ships will be sent next month.",
    ),
    "doc-b": (
        "2025-02-03",
        "The government denied the report and said the ceasefire was holding. "
        '"The group could regroup in the border areas," warned Halima Warsame, the deputy secretary-general. '
        "Relief agencies said they would deliver food and medicine next week. "
        "The minister condemned the shelling of the hospital.",
        "Warsame warned the group could regroup in the border areas. Agencies will deliver food next week.",
    ),
    "doc-c": (
        "2025-03-21",
        "The envoy called on all parties to return to the talks. "
        '"We support the mediation effort," said Maria Lopez, the foreign minister. '
        "The ministers pledged to fund the patrol for three years. "
        "The weather in the capital was mild.",
        "Lopez said they support the mediation effort. The ministers pledged to fund the patrol.",
    ),
}


def build_run_dir(
    directory: Path, *, dates: bool = True, summaries: bool = True, classifier: str = "lexicon"
) -> Path:
    """Write ``documents.parquet``, ``statements.parquet/part-*.parquet`` and ``manifest.json`` under
    ``directory`` (created) and return it."""
    from stancekit.statements.analysed import analyse_statements
    from stancekit.statements.classifiers import load_classifier
    from stancekit.summarise.grounding import rouge2_support

    model = load_classifier(classifier)
    directory.mkdir(parents=True, exist_ok=True)
    documents, parts = [], []
    for doc_id, (date, text, summary) in DOCUMENTS.items():
        statements = analyse_statements(text, classifier=model)
        sentences = None
        if summaries:
            support = rouge2_support(summary, text)
            sentences = [
                {
                    "text": s.text,
                    "consistency": s.score,
                    "flagged": s.score < 0.5,
                    "support": [{"start": span.start, "end": span.end} for span in s.support],
                }
                for s in support.sentences
            ]
        documents.append(
            {
                "id": doc_id,
                "date": date if dates else None,
                "summary": summary if summaries else None,
                "summary_sentences": sentences,
                "n_statements": len(statements),
                "language_warning": None,
                "timings": {"statements_s": 0.01, "summary_s": 0.0},
            }
        )
        parts.append(
            [
                {
                    "document_id": doc_id,
                    "index": i,
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                    "kind": s.kind,
                    "speaker": s.speaker.model_dump() if s.speaker else None,
                    "target": None,
                    "labels": s.labels,
                    "scores": list(s.scores.items()),
                }
                for i, s in enumerate(statements)
            ]
        )
    manifest = {
        "counts": {"documents": len(documents) + 1, "statements": sum(map(len, parts)), "failed": 1},
        "failed": [{"id": "doc-empty", "reason": "empty document"}],
        "models": {"classifier": model.name},
    }
    # two shards: the first document, then the rest
    return write_tables(directory, documents, [parts[0], [r for p in parts[1:] for r in p]], manifest)


def write_tables(directory: Path, documents: list[dict], shards: list[list[dict]], manifest: dict) -> Path:
    """Write rows in the run-table contract: the documents, one statements part per shard, the manifest."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    # documents as given, so some lack the optional columns; statements in the runner's own schema
    pq.write_table(pa.Table.from_pylist(documents), directory / DOCUMENTS_TABLE)
    statements_dir = directory / STATEMENTS
    statements_dir.mkdir(exist_ok=True)
    for n, rows in enumerate(shards):
        pq.write_table(
            pa.Table.from_pylist(rows, schema=STATEMENTS_SCHEMA), statements_dir / f"part-{n}.parquet"
        )
    (directory / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return directory


# The label each synthetic statement's gold has when its score reaches this cut (the model's threshold is
# 0.5), so the run over-predicts each label in a known way.
GOLD_CUTS = {"commitment": 0.7, "condemnation": 0.6, "call_to_action": 0.8}


def build_synthetic_run(directory: Path, n: int = 400, seed: int = 0) -> tuple[Path, dict[str, list[str]]]:
    """A run of ``n`` synthetic statements over the diplomatic-v1 labels with continuous scores (predicted:
    score >= 0.5) and the gold labels a perfect annotator would give (score >= GOLD_CUTS, else ``other``).
    Returns the directory and ``{statement id: gold labels}``."""
    import numpy as np

    from stancekit.statements.taxonomy import load_taxonomy

    taxonomy = load_taxonomy("diplomatic-v1")
    rng = np.random.default_rng(seed)
    rows, gold, documents = [], {}, []
    for i in range(n):
        doc = f"d{i // 10}"
        if i % 10 == 0:
            documents.append({"id": doc, "date": f"2025-{1 + (i // 10) % 12:02d}-01", "summary": None})
        # skewed scores: most statements score low on most labels, a few labels are rare
        scores = {label: float(rng.random() ** (2 + 2 * j)) for j, label in enumerate(taxonomy.substantive)}
        predicted = [label for label, s in scores.items() if s >= 0.5] or [taxonomy.fallback]
        truth = [label for label, s in scores.items() if s >= GOLD_CUTS.get(label, 0.5)] or [
            taxonomy.fallback
        ]
        scores[taxonomy.fallback] = 1 - max(scores.values())
        rows.append(
            {
                "document_id": doc,
                "index": i % 10,
                "start": 0,
                "end": 1,
                "text": f"statement {i}",
                "kind": "sentence",
                "speaker": {"name": f"speaker {i % 7}", "role": None},
                "target": None,
                "labels": predicted,
                "scores": list(scores.items()),
            }
        )
        gold[f"{doc}#{i % 10}"] = truth
    manifest = {"counts": {"documents": len(documents), "statements": n}, "models": {"classifier": "lexicon"}}
    half = n // 2
    return write_tables(directory, documents, [rows[:half], rows[half:]], manifest), gold
