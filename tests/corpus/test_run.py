"""Corpus runs in-process: inputs, the tables' schema, failed documents, resume refusals, the CLI's errors."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from stancekit.corpus import run, tables
from stancekit.corpus.analyser import DocumentAnalyser, language_warning
from stancekit.corpus.inputs import load_corpus
from stancekit.errors import ConfigError, InputError
from tests.corpus.conftest import SUBSTANTIVE, make_documents, write_jsonl


def run_corpus(source, out, classifier, **kwargs):
    kwargs.setdefault("summary", False)
    kwargs.setdefault("workers", 1)
    kwargs.setdefault("progress", False)
    return run.run_corpus(source, out, classifier=str(classifier), **kwargs)


@pytest.fixture
def no_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any model is loaded: the checks under test must come first."""

    def refuse(self, settings):
        raise AssertionError("a model was loaded before the input was checked")

    monkeypatch.setattr(DocumentAnalyser, "__init__", refuse)


def test_tables_schema_and_content(corpus_file: Path, tiny_classifier: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = run_corpus(
        corpus_file,
        out,
        tiny_classifier,
        id_column="id",
        text_column="body",
        date_column="date",
        shard_size=5,
    )
    assert done.complete and done.manifest["counts"]["shards"] == 3
    docs = pd.read_parquet(out / "documents.parquet")
    statements = pd.read_parquet(out / "statements.parquet")
    source = [json.loads(line) for line in corpus_file.read_text().splitlines()]
    assert docs["id"].tolist() == [r["id"] for r in source]  # input order, nothing lost or doubled
    assert docs["date"].tolist() == [r["date"] for r in source]
    assert docs["summary"].isna().all() and docs["summary_sentences"].isna().all()
    assert list(docs.columns) == [f.name for f in tables.DOCUMENTS_SCHEMA]
    assert list(statements.columns) == [f.name for f in tables.STATEMENTS_SCHEMA]
    assert pq.read_schema(next((out / "statements.parquet").glob("*.parquet"))) == tables.STATEMENTS_SCHEMA
    by_id = {r["id"]: r["body"] for r in source}
    for row in statements.itertuples():
        assert by_id[row.document_id][row.start : row.end] == row.text  # offsets index the source
        assert set(row.labels) <= set(dict(row.scores))
    assert (statements.groupby("document_id").size() == docs.set_index("id")["n_statements"]).all()
    speakers = {s["name"] for s in statements["speaker"].dropna()}
    assert "Maria Lopez" in speakers
    assert statements["labels"].map(tuple).nunique() > 1  # the tiny classifier's labels do vary
    timings = docs["timings"].iloc[0]
    assert set(timings) == {"segment", "classify", "summarise", "total"} and timings["total"] > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["input"]["sha256"] and manifest["input"]["n_rows"] == 12
    assert manifest["configs"]["classifier"]["sha256"] and manifest["configs"]["summariser"] is None
    assert {m["role"] for m in manifest["models"]} >= {"classifier encoder", "segmenter"}
    assert all(m.get("sha256") for m in manifest["models"] if m["source"] == "local")
    assert manifest["versions"]["torch"] and manifest["failed"] == []
    assert sorted(manifest["shards"]) == ["00000", "00001", "00002"]
    assert not (out / tables.STAGING).exists()


def test_duckdb_reads_the_parts_as_one_table(
    corpus_file: Path, tiny_classifier: Path, tmp_path: Path
) -> None:
    duckdb = pytest.importorskip("duckdb")
    out = tmp_path / "run"
    run_corpus(corpus_file, out, tiny_classifier, id_column="id", text_column="body", shard_size=4)
    db = duckdb.connect()
    n = db.execute(f"select count(*) from read_parquet('{out}/statements.parquet/*.parquet')").fetchall()[0][
        0
    ]
    assert n == len(pd.read_parquet(out / "statements.parquet")) > 0
    speaker = db.execute(
        f"select speaker.name, count(*) from read_parquet('{out}/statements.parquet/*.parquet') "
        "where speaker is not null group by 1 order by 2 desc limit 1"
    ).fetchall()[0]
    assert speaker[1] >= 1


def test_failed_documents_are_listed_and_skipped(tiny_classifier: Path, tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("The council condemned the attack and called for calm.", encoding="utf-8")
    (folder / "b.txt").write_text("   \n", encoding="utf-8")
    (folder / "c.txt").write_bytes(b"caf\xe9 au lait, said the minister.")
    (folder / "d.txt").write_text("Officials expressed condolences to the families.", encoding="utf-8")
    out = tmp_path / "run"
    done = run_corpus(folder, out, tiny_classifier, shard_size=2)
    failed = done.manifest["failed"]
    assert [f["id"] for f in failed] == ["b", "c"]
    assert "empty" in failed[0]["reason"] and "UTF-8" in failed[1]["reason"]
    assert pd.read_parquet(out / "documents.parquet")["id"].tolist() == ["a", "d"]
    assert done.manifest["counts"]["documents"] == 2 and done.manifest["counts"]["failed"] == 2


def test_inputs_jsonl_csv_parquet_glob_and_saved_dataset_agree(tmp_path: Path) -> None:
    import datasets

    rows = make_documents(5)
    write_jsonl(tmp_path / "c.jsonl", rows)
    frame = pd.DataFrame(rows)
    frame.to_csv(tmp_path / "c.csv", index=False)
    frame.to_parquet(tmp_path / "c.parquet")
    datasets.Dataset.from_pandas(frame).save_to_disk(str(tmp_path / "saved"))
    (tmp_path / "txt").mkdir()
    for r in rows:
        (tmp_path / "txt" / f"{r['id']}.txt").write_text(r["body"], encoding="utf-8")
    loaded = [
        load_corpus(tmp_path / name, id_column="id", text_column="body", date_column="date")
        for name in ("c.jsonl", "c.csv", "c.parquet", "saved")
    ]
    loaded.append(load_corpus(f"{tmp_path}/txt/*.txt"))
    loaded.append(load_corpus(tmp_path / "txt"))
    for corpus in loaded:
        assert corpus.ids == [r["id"] for r in rows]
        assert corpus.texts == [r["body"] for r in rows]
    assert loaded[0].dates == [r["date"] for r in rows]
    assert load_corpus(tmp_path / "c.jsonl", text_column="body").ids == ["0", "1", "2", "3", "4"]


def test_bad_inputs_are_refused_before_any_model_loads(
    corpus_file: Path, tiny_classifier: Path, tmp_path: Path, no_models: None
) -> None:
    with pytest.raises(InputError, match=r"(?s)no column 'text'.*columns are: id, date, body"):
        run_corpus(corpus_file, tmp_path / "a", tiny_classifier)
    with pytest.raises(InputError, match=r"no column 'when'"):
        run_corpus(corpus_file, tmp_path / "a", tiny_classifier, text_column="body", date_column="when")
    duplicated = write_jsonl(tmp_path / "dup.jsonl", [*make_documents(3), make_documents(1)[0]])
    with pytest.raises(InputError, match=r"(?s)ids occur more than once.*'doc-000'"):
        run_corpus(duplicated, tmp_path / "a", tiny_classifier, id_column="id", text_column="body")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": 1, "body": "ok"}\n{not json\n', encoding="utf-8")
    with pytest.raises(InputError, match="cannot be read as JSON"):
        run_corpus(broken, tmp_path / "a", tiny_classifier, text_column="body")
    with pytest.raises(InputError, match="not found"):
        run_corpus(tmp_path / "missing.jsonl", tmp_path / "a", tiny_classifier)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(InputError, match="is an existing file"):
        run_corpus(corpus_file, a_file, tiny_classifier, text_column="body")
    if Path("/proc/self").is_dir():  # nothing can be created in /proc, even by root
        with pytest.raises(InputError, match="cannot be written"):
            run_corpus(corpus_file, "/proc/stancekit-corpus-run", tiny_classifier, text_column="body")
    with pytest.raises(ConfigError, match="names neither"):
        run_corpus(
            corpus_file, tmp_path / "a", tiny_classifier, text_column="body", overrides=["batch_size=3"]
        )


def test_unreadable_file_is_refused(
    corpus_file: Path, tiny_classifier: Path, tmp_path: Path, no_models
) -> None:
    unreadable = tmp_path / "unreadable.jsonl"
    if os.geteuid() == 0:  # root reads any file whatever its mode; reading /proc/self/mem at 0 fails
        unreadable.symlink_to("/proc/self/mem")
    else:
        unreadable.write_text(corpus_file.read_text())
        unreadable.chmod(0)
    with pytest.raises(InputError, match="cannot read the file"):
        run_corpus(unreadable, tmp_path / "a", tiny_classifier, text_column="body")


def test_ray_address_that_does_not_answer_is_refused(
    corpus_file: Path, tiny_classifier: Path, tmp_path: Path, no_models
) -> None:
    pytest.importorskip("ray")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(InputError, match="does not answer"):
        run_corpus(
            corpus_file,
            tmp_path / "a",
            tiny_classifier,
            text_column="body",
            engine="ray",
            address=f"127.0.0.1:{port}",
        )


def test_a_manifest_from_another_input_or_config_is_refused(
    corpus_file: Path, tiny_classifier: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    first = run_corpus(corpus_file, out, tiny_classifier, id_column="id", text_column="body", limit=4)
    again = run_corpus(corpus_file, out, tiny_classifier, id_column="id", text_column="body", limit=4)
    assert again.shards_run == 0 and again.manifest["counts"] == first.manifest["counts"]  # nothing redone
    with pytest.raises(InputError, match=r"(?s)classifier.batch_size: 16 in the manifest, 3 now"):
        run_corpus(
            corpus_file,
            out,
            tiny_classifier,
            id_column="id",
            text_column="body",
            limit=4,
            overrides=["classifier.batch_size=3"],
        )
    other = write_jsonl(tmp_path / "other.jsonl", make_documents(12, seed=1))
    with pytest.raises(InputError, match=r"input.sha256"):
        run_corpus(other, out, tiny_classifier, id_column="id", text_column="body", limit=4)
    with pytest.raises(InputError, match=r"input.limit: 4 in the manifest, 5 now"):
        run_corpus(corpus_file, out, tiny_classifier, id_column="id", text_column="body", limit=5)


def test_analyse_corpus_returns_a_dataset_dict(
    corpus_file: Path, tiny_classifier: Path, tmp_path: Path
) -> None:
    from stancekit import analyse_corpus

    result = analyse_corpus(
        corpus_file, text_column="body", summary=False, classifier=str(tiny_classifier), workers=1
    )
    assert set(result) == {"documents", "statements"}
    assert result["documents"]["id"] == [str(i) for i in range(12)]  # no id column: rows numbered
    first = result["statements"][0]
    assert set(first["scores"]) == {*SUBSTANTIVE, "other"}


def test_analyse_corpus_takes_run_corpus_keywords_but_the_shard_size() -> None:
    import inspect

    from stancekit import analyse_corpus

    analyse = inspect.signature(analyse_corpus).parameters
    runs = inspect.signature(run.run_corpus).parameters
    assert list(analyse) == [name for name in runs if name != "shard_size"]
    assert analyse["output_dir"].default is None and analyse["progress"].default is False
    assert all(
        analyse[n].default == runs[n].default
        for n in analyse
        if n not in ("source", "output_dir", "progress")
    )
    with pytest.raises(TypeError, match="shard_size"):
        analyse_corpus("unused.jsonl", shard_size=2)
    with pytest.raises(TypeError, match="text_colum"):
        analyse_corpus("unused.jsonl", text_colum="body")


def test_summaries_with_a_tiny_summariser(
    corpus_file: Path, tiny_classifier: Path, tiny_seq2seq: Path, tmp_path: Path
) -> None:
    config = tmp_path / "tiny-summariser.yaml"
    config.write_text(
        f"name: tiny\nmodel: {tiny_seq2seq}\ngeneration:\n  max_new_tokens: 6\n", encoding="utf-8"
    )
    out = tmp_path / "run"
    run_corpus(
        corpus_file, out, tiny_classifier, text_column="body", summary=True, summariser=str(config), limit=3
    )
    docs = pd.read_parquet(out / "documents.parquet")
    assert docs["summary"].notna().all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["configs"]["summariser"]["config"]["model"] == str(tiny_seq2seq)
    for sentences in docs["summary_sentences"]:
        for sentence in sentences if sentences is not None else []:
            assert sentence["consistency"] is None or 0 <= sentence["consistency"] <= 1


def test_language_warning() -> None:
    english = " ".join(make_documents(3)[i]["body"] for i in range(3))
    assert language_warning(english) is None
    german = (
        "Die Außenminister trafen sich am Dienstag und sagten ihre Unterstützung für die Gespräche zu. "
        "Der Gesandte warnte, dass sich die Gruppe in den Grenzgebieten neu formieren könnte. "
        "Der Rat verurteilte den Angriff und rief zur Ruhe auf."
    )
    assert "mostly not English" in language_warning(german)


def test_cli_runs_and_reports_bad_input(corpus_file: Path, tiny_classifier: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from stancekit.cli import app

    runner = CliRunner()
    out = tmp_path / "run"
    args = ["corpus", str(corpus_file), "-o", str(out), "--no-summary", "--classifier", str(tiny_classifier)]
    bad = runner.invoke(app, [*args, "--text-column", "nope"])
    # CliRunner calls the app, not main(): stancekit's error arrives as the exception main() turns into exit 2
    assert isinstance(bad.exception, InputError) and "no column 'nope'" in str(bad.exception)
    good = runner.invoke(
        app, [*args, "--text-column", "body", "--workers", "1", "--no-progress", "--limit", "3"]
    )
    assert good.exit_code == 0, good.output
    assert len(pd.read_parquet(out / "documents.parquet")) == 3
