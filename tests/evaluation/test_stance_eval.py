"""Stance preservation in the harness: reference-free document datasets, the metric, stance-mode summarisers.

The lexicon classifier stands in for the fine-tuned one (no model weights), so the labels are predictable
from cue words; statements are segmented by the embedded spaCy pipeline.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest
import yaml

from stancekit.errors import ConfigError
from stancekit.evaluation import load_task, read_records
from stancekit.evaluation.report import results_table
from tests.harness import run, write_task

ARTICLE = (
    "Oman's foreign minister pledged to fund the new coast guard station for five years. "
    "The talks took place in Muscat on Tuesday. "
    "The Indian navy chief condemned the attack on the tanker as an act of piracy."
)
KEEPS = "Oman's foreign minister pledged to fund the new coast guard station for five years."
DROPS = "The talks took place in Muscat on Tuesday."


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a-oman.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "b-other.txt").write_text(ARTICLE.replace("Oman", "Qatar"), encoding="utf-8")
    (folder / "notes.md").write_text("not a document", encoding="utf-8")
    return folder


def test_documents_dataset_with_saved_summaries_and_stance_preservation(
    tmp_path: Path, documents: Path
) -> None:
    predictions = tmp_path / "summaries.jsonl"
    predictions.write_text(
        json.dumps({"id": "a-oman", "output": KEEPS})
        + "\n"
        + json.dumps({"id": "b-other", "output": DROPS})
        + "\n"
    )
    config = {
        "kind": "summarisation",
        "dataset": {"format": "documents", "path": str(documents)},
        "system": {"type": "predictions", "path": str(predictions), "format": "jsonl"},
        "metrics": ["abstractiveness", {"name": "stance_preservation", "args": {"classifier": "lexicon"}}],
        "bootstrap": {"n_resamples": 100},
    }
    results = run(write_task(tmp_path, "docs", config), tmp_path / "run")
    assert results.data.n == 2 and [f.path.endswith(".txt") for f in results.data.files] == [True, True]
    records = {r["id"]: r for r in read_records(tmp_path / "run" / "predictions.jsonl")}
    assert records["a-oman"]["reference_sha256"] is None
    # Each article has two labelled statements (a commitment, a condemnation); the talks sentence is `other`.
    a, b = records["a-oman"], records["b-other"]
    assert (a["scores"]["stance_kept"], a["scores"]["stance_dropped"]) == (1.0, 1.0)
    assert (b["scores"]["stance_kept"], b["scores"]["stance_dropped"]) == (0.0, 2.0)
    kept = next(o for o in a["details"]["stance_outcomes"] if o["outcome"] == "kept")
    assert kept["labels"] == ["commitment"] and ARTICLE[kept["start"] : kept["end"]] == KEEPS
    assert results.metrics["stance_kept_rate"].value == pytest.approx(1 / 4)
    assert results.metrics["stance_dropped_rate"].value == pytest.approx(3 / 4)
    details = results.details["stance_preservation"]
    assert details["statements"] == 4
    assert details["by_label"]["commitment"] == {"kept": 1, "distorted": 0, "dropped": 1}
    report = (tmp_path / "run" / "report.md").read_text()
    assert "Stance preservation" in report and "| commitment | 1 | 0 | 1 |" in report
    table = results_table(tmp_path)
    assert "**Stance preservation**" in table and "| 2 / 4 | 0.250 [" in table


def test_reference_metric_on_documents_is_a_config_error(tmp_path: Path, documents: Path) -> None:
    config = {
        "kind": "summarisation",
        "dataset": {"format": "documents", "path": str(documents)},
        "system": {"type": "lead", "k": 1},
        "metrics": ["rouge"],
    }
    with pytest.raises(
        ConfigError, match="reference-free metrics: abstractiveness, factual_consistency, faithfulness"
    ):
        load_task(write_task(tmp_path, "bad", config))


def test_documents_glob_that_matches_nothing(tmp_path: Path) -> None:
    config = {
        "kind": "summarisation",
        "dataset": {"format": "documents", "path": str(tmp_path / "missing" / "*.txt")},
        "system": {"type": "lead", "k": 1},
        "metrics": ["abstractiveness"],
    }
    with pytest.raises(Exception, match="no document found"):
        run(write_task(tmp_path, "none", config), tmp_path / "run")


def test_stance_mode_summariser_system(tmp_path: Path, documents: Path, tiny_causal: Path) -> None:
    summariser = tmp_path / "tiny.yaml"
    summariser.write_text(
        yaml.safe_dump({"name": "tiny", "model": str(tiny_causal), "generation": {"max_new_tokens": 6}})
    )
    config = {
        "kind": "summarisation",
        "dataset": {"format": "documents", "path": str(documents / "a-oman.txt")},
        "system": {
            "type": "summariser",
            "config": str(summariser),
            "mode": "stance",
            "classifier": "lexicon",
        },
        "metrics": [{"name": "stance_preservation", "args": {"classifier": "lexicon"}}],
        "bootstrap": {"n_resamples": 100},
    }
    results = run(write_task(tmp_path, "stance", config), tmp_path / "run")
    assert results.system.identifier == "summariser:tiny:stance"
    assert results.system.models[0]["mode"] == "stance"
    (record,) = read_records(tmp_path / "run" / "predictions.jsonl")
    assert record["id"] == "a-oman" and record["meta"]["key_statements"] == 2
    # Random weights summarise nothing of substance: whatever they write, all four outcomes add up.
    scores = record["scores"]
    assert scores["stance_kept"] + scores["stance_distorted"] + scores["stance_dropped"] == 2


def test_stance_mode_with_an_unknown_classifier_fails_before_loading(tmp_path: Path, documents: Path) -> None:
    config = {
        "kind": "summarisation",
        "dataset": {"format": "documents", "path": str(documents)},
        "system": {"type": "summariser", "mode": "stance", "classifier": "lexicn"},
        "metrics": ["abstractiveness"],
    }
    with pytest.raises(ConfigError, match="lexicon"):
        run(write_task(tmp_path, "bad", config), tmp_path / "run")
