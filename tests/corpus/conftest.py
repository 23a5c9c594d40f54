"""Corpus fixtures: synthetic news-like documents and a tiny zero-shot classifier over conftest's tiny BERT.

The classifier's scores are real floats from a random encoder (so score comparisons mean something) and its
thresholds sit near the softmax's 1/8, so labels vary between statements; what they say means nothing.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest
import yaml

from stancekit.statements.taxonomy import load_taxonomy
from tests.conftest import NEWS_SENTENCES

SUBSTANTIVE = load_taxonomy("diplomatic-v1").substantive

SENTENCES = [
    *NEWS_SENTENCES,
    '"We will not retreat from our commitments," Maria Lopez told reporters.',
    "According to the ministry, two ships will be sent to the strait.",
    "She added that the talks would resume in Geneva.",
    "Prices of grain rose sharply after the announcement.",
]


def make_documents(n: int, seed: int = 0) -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [
        {
            "id": f"doc-{i:03d}",
            "date": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "body": " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(2, 6))),
        }
        for i in range(n)
    ]


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_classifier(tiny_bert: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A zero-shot classifier config (YAML path) over the tiny random BERT, with fixed thresholds."""
    path = tmp_path_factory.mktemp("corpus-classifier") / "tiny-zero-shot.yaml"
    config = {
        "name": "tiny-zero-shot",
        "kind": "zero_shot",
        "taxonomy": "diplomatic-v1",
        "batch_size": 16,
        "max_length": 32,
        "stride": 8,
        "device": "cpu",
        "zero_shot": {
            "encoder": str(tiny_bert),
            "calibration_data": None,
            "thresholds": dict.fromkeys(SUBSTANTIVE, 0.1255),
        },
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture
def corpus_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "corpus.jsonl", make_documents(12))


def read_tables(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    docs = pd.read_parquet(out / "documents.parquet").drop(columns=["timings"])
    return docs, pd.read_parquet(out / "statements.parquet")


def assert_same_tables(out: Path, reference: Path) -> None:
    """Offsets, text, kinds, speakers, targets and labels exactly equal, scores within 1e-4, timings excluded."""
    docs, statements = read_tables(out)
    ref_docs, ref_statements = read_tables(reference)
    assert len(ref_docs) > 0 and len(ref_statements) > 0
    pd.testing.assert_frame_equal(docs, ref_docs)
    exact = ["document_id", "index", "start", "end", "text", "kind", "speaker", "target", "labels"]
    assert statements[exact].map(repr).equals(ref_statements[exact].map(repr))
    for ours, theirs in zip(statements["scores"], ref_statements["scores"], strict=True):
        ours, theirs = dict(ours), dict(theirs)
        assert ours.keys() == theirs.keys()
        assert all(abs(ours[k] - theirs[k]) <= 1e-4 for k in ours)
