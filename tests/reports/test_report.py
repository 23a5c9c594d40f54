"""`stancekit report DIR`: the report's numbers against the tables read independently (duckdb), its
citations resolve, its validation status, and bad run directories."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from stancekit.corpus.rundir import read_run
from stancekit.errors import InputError
from stancekit.reports import build_report, write_report
from tests.reports.pages import Page
from tests.rundir import build_run_dir
from tests.test_cli import assert_clean_failure, run_cli


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_run_dir(tmp_path_factory.mktemp("run") / "run")


def _sql(run_dir: Path, query: str) -> list[tuple]:
    statements = f"read_parquet('{run_dir}/statements.parquet/*.parquet')"
    return duckdb.sql(query.replace("STATEMENTS", statements)).fetchall()


def test_reader_loads_the_parts_as_one_table(run_dir: Path) -> None:
    tables = read_run(run_dir)
    (n,) = _sql(run_dir, "select count(*) from STATEMENTS")[0]
    assert len(tables.statements) == n > 0
    first = tables.statements.iloc[0]
    assert isinstance(first["scores"], dict) and isinstance(first["labels"], list)
    assert tables.failed == [{"id": "doc-empty", "reason": "empty document"}]


def test_report_counts_match_an_independent_query(run_dir: Path) -> None:
    report = build_report(run_dir)
    expected = dict(
        _sql(run_dir, "select l, count(*) from (select unnest(labels) l from STATEMENTS) group by l")
    )
    assert {k: v for k, v in report.label_counts.items() if v} == expected
    speakers = _sql(
        run_dir,
        "select speaker.name, count(*) n from STATEMENTS where speaker is not null group by 1 order by n desc, 1",
    )
    assert [(s["name"], s["statements"]) for s in report.speakers] == speakers[: len(report.speakers)]
    for label, top in report.top_statements.items():
        scores = [s["score"] for s in top]
        assert scores == sorted(scores, reverse=True)
        assert all(label in s["labels"] for s in top)
    assert report.timeline is not None and sum(p["total"] for p in report.timeline) == sum(expected.values())


def test_report_files_and_citations(run_dir: Path) -> None:
    written = write_report(run_dir)
    names = {p.name for p in written}
    assert {"report.html", "report.md", "label_counts.png", "speakers.png", "label_mix.png"} <= names
    for png in (p for p in written if p.suffix == ".png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(run_dir.glob(".*.tmp"))  # atomic writes leave no temporaries
    page = Page((run_dir / "report.html").read_text())
    report = build_report(run_dir)
    assert {a["data-label"] for a in page.with_class("legend-item")} == set(report.labels)
    links = page.anchors("citation")
    # every summary sentence cites at least one statement here, and every link lands on a cited statement
    assert len(links) >= sum(len(d["sentences"]) for d in report.summaries) > 0
    assert {href.lstrip("#") for href in links} <= page.ids
    cited_text = {c["text"] for d in report.summaries for c in d["cited"]}
    assert cited_text <= set(read_run(run_dir).statements["text"])
    assert "validation-status" in page.ids and "Unvalidated" in "".join(page.text)
    markdown = (run_dir / "report.md").read_text()
    assert "**Unvalidated.**" in markdown and "![statements by label](label_counts.png)" in markdown


def test_report_states_validation(run_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    scores = {"point": 0.8, "low": 0.6, "high": 0.9}
    validation = {
        "n": 40,
        "gold": "gold.jsonl",
        "confidence": 0.95,
        "labels": {"commitment": {"precision": scores, "recall": scores, "f1": scores, "support": 12}},
    }
    (copy / "validation.json").write_text(json.dumps(validation))
    write_report(copy)
    html = (copy / "report.html").read_text()
    assert "Validated" in html and "0.80 [0.60, 0.90]" in html and "unvalidated" in html
    assert "Unvalidated." not in html
    assert "0.80 [0.60, 0.90]" in (copy / "report.md").read_text()


def test_report_without_dates_or_summaries(tmp_path: Path) -> None:
    run_dir = build_run_dir(tmp_path / "run", dates=False, summaries=False)
    names = {p.name for p in write_report(run_dir)}
    assert "label_mix.png" not in names
    html = (run_dir / "report.html").read_text()
    assert "no timeline" in html and "no summaries" in html


def test_bad_run_directories(tmp_path: Path, run_dir: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        build_report(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"lacks documents\.parquet and statements\.parquet"):
        build_report(tmp_path / "empty")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        build_report(tmp_path / "file")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "documents.parquet").write_text("not parquet")
    (broken / "statements.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="cannot be read as parquet"):
        build_report(broken)
    (tmp_path / "bad-validation").mkdir()
    for name in ("documents.parquet", "statements.parquet"):
        (tmp_path / "bad-validation" / name).symlink_to(run_dir / name)
    (tmp_path / "bad-validation" / "validation.json").write_text("{")
    with pytest.raises(InputError, match=r"validation\.json"):
        build_report(tmp_path / "bad-validation")


def test_cli_report(tmp_path: Path, run_dir: Path) -> None:
    assert_clean_failure(run_cli("report", str(tmp_path / "missing")), "does not exist", "Fix:")
    (tmp_path / "empty").mkdir()
    assert_clean_failure(run_cli("report", str(tmp_path / "empty")), "not a corpus run directory")
    result = run_cli("report", str(run_dir))
    assert result.returncode == 0, result.stderr.decode()
    assert "report.html" in result.stderr.decode()


def test_statements_as_one_file_and_an_empty_run(tmp_path: Path, run_dir: Path) -> None:
    import shutil

    import pyarrow.parquet as pq

    single = tmp_path / "single"
    single.mkdir()
    shutil.copy(run_dir / "documents.parquet", single / "documents.parquet")
    pq.write_table(pq.read_table(run_dir / "statements.parquet"), single / "statements.parquet")
    assert build_report(single).label_counts == build_report(run_dir).label_counts

    from tests.rundir import write_tables

    empty = write_tables(tmp_path / "empty", [{"id": "d0", "date": None, "summary": None}], [[]], {})
    write_report(empty)
    html = (empty / "report.html").read_text()
    assert "0 statements" in html and "No statement names its speaker" in html
