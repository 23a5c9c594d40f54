"""The statements dataset and its loader: schema, labels, splits, and errors that name file and line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from stancekit.dataset_stats import distinct_n, measure_statements, near_duplicate_pairs
from stancekit.errors import InputError
from stancekit.statements.data import (
    DEFAULT_STATEMENTS,
    assign_splits,
    load_statements,
    read_statement_rows,
    write_statement_rows,
)
from stancekit.statements.taxonomy import load_taxonomy

GOOD = {
    "id": "x-0001",
    "text": "The council condemned the attack.",
    "labels": ["condemnation"],
    "speaker": "The council",
}


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy("diplomatic-v1")


@pytest.fixture(scope="module")
def rows(taxonomy):
    return read_statement_rows(DEFAULT_STATEMENTS, taxonomy)


def write_lines(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "statements.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def row(**changes) -> str:
    return json.dumps({**GOOD, **changes})


def test_dataset_loads_every_line(rows, taxonomy) -> None:
    lines = [line for line in DEFAULT_STATEMENTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == len(lines) >= 1400
    assert len({r["id"] for r in rows}) == len(rows)
    dataset = load_statements(DEFAULT_STATEMENTS, taxonomy)
    assert dataset.num_rows == len(rows)
    assert set(dataset.column_names) >= {"id", "text", "labels", "speaker", "split", "hard_case"}


# Part h (hard cases of GUIDELINES.md 5.11-5.18) was added to train only, after the seeded split of parts a-c.
HARD_CASE_PART = "h-"


def seeded(rows):
    return [r for r in rows if not r["id"].startswith(HARD_CASE_PART)]


def test_hard_case_part_is_train_only_and_tagged(rows) -> None:
    part = [r for r in rows if r["id"].startswith(HARD_CASE_PART)]
    assert part and {r["split"] for r in part} == {"train"}
    tags = Counter(r["hard_case"] for r in part)
    assert set(tags) == {
        "reported-pledge", "completed-action", "negated-commitment", "question-hypothetical",
        "conditional-threat", "speech-verb-fact", "denial", "nested-quote",
    }  # fmt: skip
    assert min(tags.values()) >= 15


def test_split_filter_and_sizes(rows, taxonomy) -> None:
    counts = Counter(r["split"] for r in seeded(rows))
    assert abs(counts["train"] / len(seeded(rows)) - 0.70) < 0.01
    assert abs(counts["dev"] / len(seeded(rows)) - 0.15) < 0.01
    counts = Counter(r["split"] for r in rows)
    test = load_statements(DEFAULT_STATEMENTS, taxonomy, split="test")
    assert test.num_rows == counts["test"] and set(test["split"]) == {"test"}
    both = load_statements(DEFAULT_STATEMENTS, taxonomy, split=["train", "dev"])
    assert both.num_rows == counts["train"] + counts["dev"]
    with pytest.raises(InputError, match="unknown split 'validation'"):
        load_statements(DEFAULT_STATEMENTS, taxonomy, split="validation")


def test_splits_are_the_seeded_stratified_assignment(rows, taxonomy) -> None:
    # the file's split field is exactly what scripts/split_statements.py produces with seed 13
    rows = seeded(rows)
    assert assign_splits(rows, seed=13) == [r["split"] for r in rows]
    assert assign_splits(rows, seed=14) != [r["split"] for r in rows]
    for label in taxonomy.names:
        with_label = [r for r in rows if label in r["labels"]]
        test_share = sum(r["split"] == "test" for r in with_label) / len(with_label)
        assert 0.11 < test_share < 0.19, label


def test_dataset_conventions(rows) -> None:
    for r in rows:
        if r["speaker"] is not None:
            assert r["speaker"].lower() in r["text"].lower(), r["id"]
        assert r["labels"] == ["other"] or "other" not in r["labels"]


def test_splits_keep_near_duplicates_together() -> None:
    texts = [
        "The council condemned the attack on the convoy near the border on Sunday.",
        "The council condemned the attack on the convoy near the border on Monday.",
        "Relief agencies will deliver food next week.",
        "The envoy urged calm.",
    ]
    rows = [{"id": f"x-{i:04d}", "text": t, "labels": ["condemnation"]} for i, t in enumerate(texts)]
    for seed in range(5):
        splits = assign_splits(rows, seed=seed)
        assert splits[0] == splits[1]


def test_malformed_json_reports_file_and_line(tmp_path: Path, taxonomy) -> None:
    path = write_lines(tmp_path, [row(), '{"id": "x-0002", "text": "broken', row(id="x-0003")])
    with pytest.raises(InputError) as error:
        load_statements(path, taxonomy)
    assert f"{path}:2: malformed JSON" in str(error.value)
    assert "nothing was loaded" in str(error.value)


def test_unknown_label_names_the_nearest(tmp_path: Path, taxonomy) -> None:
    path = write_lines(tmp_path, [row(), row(id="x-0002", labels=["condemnations"])])
    with pytest.raises(
        InputError, match=r"statements.jsonl:2: label 'condemnations' .*did you mean 'condemnation'"
    ):
        load_statements(path, taxonomy)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (row(text="   "), "field text"),
        (json.dumps({"id": "x-0001", "labels": ["other"]}), "'text' is a required property"),
        (row(labels=[]), "field labels"),
        (row(labels=["other", "threat"]), "stands alone"),
        (row(colour="red"), "Additional properties"),
        (row(split="validation"), "field split"),
        ("[1, 2]", "is not of type 'object'"),
    ],
)
def test_schema_violations_are_reported(tmp_path: Path, taxonomy, bad: str, message: str) -> None:
    path = write_lines(tmp_path, [bad])
    with pytest.raises(InputError, match=message) as error:
        read_statement_rows(path, taxonomy)
    assert f"{path}:1" in str(error.value)


def test_every_bad_line_is_listed_and_none_dropped(tmp_path: Path, taxonomy) -> None:
    lines = [row(id=f"x-{i:04d}") for i in range(1, 5)]
    lines[1] = "not json"
    lines[3] = row(id="x-0001")  # duplicate id
    path = write_lines(tmp_path, lines)
    with pytest.raises(InputError) as error:
        read_statement_rows(path, taxonomy)
    message = str(error.value)
    assert "2 bad line(s)" in message and ":2:" in message and ":4: duplicate id 'x-0001'" in message


def test_blank_lines_and_missing_split(tmp_path: Path, taxonomy) -> None:
    path = write_lines(tmp_path, [row(), "", row(id="x-0002")])
    assert load_statements(path, taxonomy).num_rows == 2
    with pytest.raises(InputError, match="no split field"):
        load_statements(path, taxonomy, split="train")


def test_missing_and_non_utf8_files(tmp_path: Path, taxonomy) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_statements(tmp_path / "nope.jsonl", taxonomy)
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps({**GOOD, "text": "Caf\u00e9 talks"}, ensure_ascii=False).encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_statements(path, taxonomy)


def test_custom_taxonomy_data_loads_without_code_changes(tmp_path: Path) -> None:
    (tmp_path / "tax.yaml").write_text(
        "name: pb\nfallback: none\nlabels:\n"
        "  - {name: praise, definition: Praise.}\n  - {name: blame, definition: Blame.}\n"
        "  - {name: none, definition: Neither.}\n"
    )
    path = write_lines(tmp_path, [row(labels=["blame"]), row(id="x-0002", labels=["none"])])
    dataset = load_statements(path, str(tmp_path / "tax.yaml"))
    assert dataset["labels"] == [["blame"], ["none"]]
    with pytest.raises(InputError, match="did you mean 'praise'"):
        load_statements(write_lines(tmp_path, [row(labels=["praises"])]), str(tmp_path / "tax.yaml"))


def test_write_then_read_round_trip(tmp_path: Path, rows, taxonomy) -> None:
    path = tmp_path / "statements.jsonl"
    write_statement_rows(rows[:20], path)
    assert read_statement_rows(path, taxonomy, schema=DEFAULT_STATEMENTS.parent / "schema.json") == rows[:20]


def test_near_duplicates_and_distinct_n() -> None:
    texts = [
        "The council condemned the attack on the convoy near the border.",
        "The council condemned the attack on the convoy near the river.",
        "Relief agencies will deliver food and medicine next week.",
    ]
    pairs = near_duplicate_pairs(texts, threshold=0.5)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    assert near_duplicate_pairs(texts, threshold=0.9) == []
    assert distinct_n(["a b a b"], 1) == 0.5
    assert distinct_n(["a b c", "a b c"], 3) == 0.5


def test_measure_statements_counts(rows, taxonomy) -> None:
    stats = measure_statements(rows, taxonomy.names)
    assert stats["n"] == len(rows)
    assert sum(stats["n_per_split"].values()) == len(rows)
    assert stats["label_counts"]["all"]["other"] == sum(r["labels"] == ["other"] for r in rows)
    assert stats["speaker_not_in_text"] == 0
    assert 0 < stats["multi_label"]["all"] < 1


def test_dataset_card_figures_are_current(rows, taxonomy) -> None:
    # data/statements/README.md and stats.json are generated by scripts/dataset_card_stats.py
    stats = json.loads(json.dumps(measure_statements(rows, taxonomy.names)))
    recorded = json.loads((DEFAULT_STATEMENTS.parent / "stats.json").read_text(encoding="utf-8"))
    assert stats == recorded, "run: python scripts/dataset_card_stats.py"
