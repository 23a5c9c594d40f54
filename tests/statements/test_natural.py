"""The natural-prior set's loader: every malformed label, speaker or target fails with file:line and a fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stancekit.errors import InputError
from stancekit.statements.data import NATURAL_DIR, load_natural, read_natural_rows

ARTICLE = "Talks began in Oslo. The ministers condemned the attack on the convoy."
ARTICLES = {"d-001": {"id": "d-001", "article": ARTICLE, "split": "dev"}}
STATEMENT_START = ARTICLE.index("The ministers")
TARGET_START = ARTICLE.index("the attack")
TARGET_END = ARTICLE.index(".", TARGET_START)
GOOD = {
    "id": "d-001-s001",
    "article_id": "d-001",
    "split": "dev",
    "index": 1,
    "start": STATEMENT_START,
    "end": len(ARTICLE),
    "kind": "sentence",
    "text": ARTICLE[STATEMENT_START:],
    "labels": ["condemnation"],
    "speaker": {"name": "the ministers", "role": None},
    "target": {"start": TARGET_START, "end": TARGET_END, "text": ARTICLE[TARGET_START:TARGET_END]},
    "hard_case": None,
}
FIRST = {
    **GOOD,
    "id": "d-001-s000",
    "index": 0,
    "start": 0,
    "end": 20,
    "text": ARTICLE[:20],
    "labels": ["other"],
    "speaker": None,
    "target": None,
}


def write(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "dev.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def load(path: Path):
    return read_natural_rows(path, articles=ARTICLES, schema=NATURAL_DIR / "schema.json")


def test_good_rows_load_with_speaker_and_target(tmp_path) -> None:
    rows = load(write(tmp_path, [FIRST, GOOD]))
    assert [r.id for r in rows] == ["d-001-s000", "d-001-s001"]
    assert rows[1].speaker.name == "the ministers" and rows[1].speaker.role is None
    assert rows[1].target.text == "the attack on the convoy"
    assert rows[0].target is None


def test_dataset_of_a_split(tmp_path) -> None:
    write(tmp_path, [FIRST, GOOD])
    dataset = load_natural("dev", directory=tmp_path, articles=ARTICLES)
    assert dataset.num_rows == 2 and list(dataset["labels"]) == [["other"], ["condemnation"]]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": 0}, "not the row's text"),
        ({"end": len(ARTICLE) + 5}, "outside the article"),
        ({"labels": ["condemnaton"]}, "did you mean 'condemnation'"),
        ({"labels": ["other", "support"]}, "stands alone"),
        ({"target": {"start": 0, "end": 5, "text": "Talks"}}, "outside its statement"),
        ({"target": {"start": TARGET_START, "end": TARGET_END, "text": "the raid"}}, "not the target text"),
        ({"speaker": "the ministers"}, "field speaker"),
        ({"speaker": {"name": "the ministers"}}, "field speaker"),
        ({"split": "test"}, "splits follow the article"),
        ({"article_id": "d-009", "id": "d-009-s001"}, "not in the articles file"),
        ({"colour": "red"}, "Additional properties"),
    ],
)
def test_malformed_row_names_file_line_and_fix(tmp_path, change, message) -> None:
    path = write(tmp_path, [FIRST, {**GOOD, **change}])
    with pytest.raises(InputError) as caught:
        load(path)
    text = str(caught.value)
    assert f"{path}:2:" in text and message in text
    assert f"{path}:1:" not in text  # the good line is not blamed


def test_other_with_a_target_and_duplicate_ids(tmp_path) -> None:
    other_with_target = {**GOOD, "labels": ["other"]}
    path = write(tmp_path, [FIRST, other_with_target, FIRST])
    with pytest.raises(InputError) as caught:
        load(path)
    text = str(caught.value)
    assert f"{path}:2: a 'other' statement has no target" in text
    assert f"{path}:3: duplicate id 'd-001-s000'" in text
