"""The evaluation harness on tiny local data: configs, runs, resume, bad input, compare and reproduce.

Everything here uses saved predictions, baselines or a counting test system, plus ROUGE (and MiniLM once), so
the file runs in well under a minute.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import ClassVar, Literal

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import numpy as np
import pytest
import yaml

from stancekit.errors import ConfigError, InputError
from stancekit.evaluation import (
    METRIC_SCORERS,
    SYSTEMS,
    MetricError,
    Prediction,
    System,
    SystemSpec,
    compare_runs,
    load_results,
    load_task,
    read_records,
    register_system,
)
from stancekit.evaluation.metrics import METRIC_ALIASES, METRICS
from stancekit.evaluation.report import README_END, README_START, results_table, update_readme
from stancekit.evaluation.reproduce import reproduce
from stancekit.evaluation.results import JOURNAL_FILE, SCHEMA_VERSION
from stancekit.evaluation.scoring import RougeScorer, macro_f1
from tests.harness import run, write_task

DOCUMENTS = [
    "The ministers met in Rome on Tuesday. They agreed to share intelligence on the group.",
    "Heavy rain flooded the valley overnight. Rescue teams evacuated two villages by boat.",
    "The council condemned the attack on the convoy. It called for an inquiry.",
    "Talks between the two sides resumed in Geneva. Both delegations described them as constructive.",
    "The central bank raised interest rates by half a point. Inflation reached six percent in May.",
    "A new bridge opened across the river on Sunday. It cuts the journey to the city by an hour.",
]
REFERENCES = [
    "Ministers agreed in Rome to share intelligence.",
    "Floods forced the evacuation of two villages.",
    "The council condemned a convoy attack and called for an inquiry.",
    "Constructive talks resumed in Geneva.",
    "The central bank raised rates as inflation hit six percent.",
    "A bridge opened, cutting an hour from the journey to the city.",
]


# --------------------------------------------------------------------------------------------- fixtures


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def summaries(tmp_path: Path) -> dict[str, Path]:
    """Line-aligned references, inputs and two systems' saved outputs (one good, one poor)."""
    return {
        "references": write_lines(tmp_path / "gold.txt", REFERENCES),
        "inputs": write_lines(tmp_path / "docs.txt", DOCUMENTS),
        "good": write_lines(
            tmp_path / "good.txt", REFERENCES[:3] + [d.split(". ")[0] for d in DOCUMENTS[3:]]
        ),
        "poor": write_lines(tmp_path / "poor.txt", ["Nothing happened today."] * len(REFERENCES)),
        "jsonl": write_jsonl(
            tmp_path / "data.jsonl",
            [
                {"doc_id": f"d{i}", "document": d, "summary": r}
                for i, (d, r) in enumerate(zip(DOCUMENTS, REFERENCES, strict=True))
            ],
        ),
    }


def saved_task(tmp_path: Path, name: str, files: dict[str, Path], outputs: str, **extra) -> Path:
    config = {
        "kind": "summarisation",
        "dataset": {"format": "text", "references": str(files["references"]), "inputs": str(files["inputs"])},
        "system": {"type": "predictions", "path": str(files[outputs]), "format": "text"},
        "metrics": ["rouge"],
        "bootstrap": {"n_resamples": 200},
        **extra,
    }
    return write_task(tmp_path, name, config)


# --------------------------------------------------------------------------------------------- configs


def test_every_metric_module_has_a_scorer_and_back() -> None:
    # An old name (an alias) has a scorer, so committed results reproduce, but no module of its own.
    assert set(METRIC_SCORERS) == set(METRICS) | set(METRIC_ALIASES)
    assert all(target in METRICS for target in METRIC_ALIASES.values())


def test_shipped_eval_configs_validate() -> None:
    from stancekit.config import config_root

    paths = sorted((config_root() / "eval").glob("*.yaml"))
    assert {p.stem for p in paths} >= {
        "xsum-official-lead",
        "xsum-official-ptgen",
        "xsum-lead1",
        "plover-lexicon",
    }
    for path in paths:
        task, _ = load_task(path)
        assert task.name == path.stem
        task.system.check()  # the summariser / classifier config or predictions file it names exists


def test_committed_results_come_from_the_configs_as_they_are() -> None:
    # A config edited after its run (or a new spec field that changes the fingerprint) makes `stancekit
    # reproduce` refuse the committed results; catch it here, without running anything.
    from stancekit.config import config_root

    results_dir = config_root().parent / "results"
    runs = sorted(results_dir.glob("*/results.json"))
    assert runs, "no committed results"
    stale = []
    for path in runs:
        committed = load_results(path)
        task, _ = load_task(config_root() / "eval" / f"{path.parent.name}.yaml")
        if committed.task.config_sha256 != task.fingerprint():
            stale.append(path.parent.name)
    assert not stale, f"re-run and commit: {stale}"


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"metrcs": ["rouge"]}, "did you mean 'metrics'"),
        ({"metrics": ["rogue"]}, "did you mean 'rouge'"),
        ({"metrics": [{"name": "rouge", "args": {"stemer": "porter"}}]}, "did you mean 'stemmer'"),
        ({"system": {"type": "predictons", "path": "x.txt"}}, "did you mean 'predictions'"),
        ({"system": {"type": "lead", "kk": 2}}, "did you mean 'k'"),
        ({"dataset": {"format": "text", "references": "g.txt", "colums": {}}}, "did you mean 'columns'"),
        ({"metrics": ["multilabel_classification"]}, "scores classification"),
        (
            {"metrics": ["abstractiveness"], "dataset": {"format": "text", "references": "g.txt"}},
            "source documents",
        ),
        ({"reproduce": {"per_metric": {"rouge_1": 0.1}}}, "did you mean 'rouge1'"),
        ({"metrics": ["rouge", "rouge"]}, "listed twice"),
    ],
)
def test_config_errors_suggest_the_fix(
    tmp_path: Path, summaries: dict[str, Path], change: dict, needle: str
) -> None:
    config = yaml.safe_load(saved_task(tmp_path, "t", summaries, "good").read_text())
    config.update(change)
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(")):
        load_task(write_task(tmp_path, "bad", config))


def test_unknown_eval_config_name_suggests_the_closest() -> None:
    with pytest.raises(ConfigError, match="did you mean 'xsum-lead1'"):
        load_task("xsum-leed1")


# --------------------------------------------------------------------------------------------- runs


def test_saved_predictions_run_writes_the_result_contract(tmp_path: Path, summaries: dict[str, Path]) -> None:
    config = saved_task(tmp_path, "good", summaries, "good", seed=7)
    out = tmp_path / "run"
    results = run(config, out)
    assert {p.name for p in out.iterdir()} == {
        "results.json",
        "predictions.jsonl",
        "report.md",
        "score_distributions.png",
    }
    stored = load_results(out)
    assert stored.schema_version == SCHEMA_VERSION
    assert stored.seed == 7 and stored.bootstrap.seed == 7 and stored.bootstrap.n_resamples == 200
    assert set(stored.metrics) == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
    for metric in stored.metrics.values():
        assert metric.n == len(REFERENCES)
        assert metric.low <= metric.value <= metric.high
    refs_sha = hashlib.sha256(summaries["references"].read_bytes()).hexdigest()
    assert {(f.role, f.sha256) for f in stored.data.files} >= {("references", refs_sha)}
    assert stored.system.models[0]["sha256"] == hashlib.sha256(summaries["good"].read_bytes()).hexdigest()
    assert stored.task.config_sha256 == load_task(config)[0].fingerprint()
    assert stored.task.config["system"]["type"] == "predictions"
    versions = stored.environment["versions"]
    assert all(versions[p] for p in ("stancekit", "torch", "transformers", "datasets"))
    assert "git_commit" in stored.environment and "predict_s" in stored.timings
    # the first three outputs are the references themselves: per-sample ROUGE-1 of 1.0
    records = read_records(out / "predictions.jsonl")
    assert [r["id"] for r in records] == ["1", "2", "3", "4", "5", "6"]
    assert [r["scores"]["rouge1"] for r in records[:3]] == [1.0, 1.0, 1.0]
    assert records[0]["output"] == REFERENCES[0] and records[0]["reference"] == REFERENCES[0]
    assert results.metrics["rouge1"].value == pytest.approx(np.mean([r["scores"]["rouge1"] for r in records]))
    report = (out / "report.md").read_text()
    assert "ROUGE-Lsum" in report and "sentence-level" in report and "score_distributions.png" in report


def test_log_samples_off_keeps_no_text(tmp_path: Path, summaries: dict[str, Path]) -> None:
    config = saved_task(
        tmp_path, "t", summaries, "good", log_samples={"output_text": False, "reference_text": False}
    )
    run(config, tmp_path / "run")
    text = (tmp_path / "run" / "predictions.jsonl").read_text()
    assert REFERENCES[0] not in text and "reference_sha256" in text


def test_baselines_on_jsonl_with_column_mapping(tmp_path: Path, summaries: dict[str, Path]) -> None:
    base = {
        "kind": "summarisation",
        "dataset": {
            "path": str(summaries["jsonl"]),
            "columns": {"id": "doc_id", "input": "document", "reference": "summary"},
            "limit": 4,
        },
        "metrics": ["rouge", "abstractiveness", "faithfulness"],
        "bootstrap": {"n_resamples": 100},
    }
    lead = run(write_task(tmp_path, "lead", {**base, "system": {"type": "lead", "k": 1}}), tmp_path / "lead")
    records = read_records(tmp_path / "lead" / "predictions.jsonl")
    assert [r["id"] for r in records] == ["d0", "d1", "d2", "d3"]
    assert records[0]["output"] == "The ministers met in Rome on Tuesday."
    assert lead.metrics["novel_1gram_rate"].value == 0.0 and lead.metrics["faithfulness"].value == 1.0
    assert lead.data.n == 4 and lead.data.n_rows == 6
    textrank = run(
        write_task(tmp_path, "tr", {**base, "system": {"type": "textrank", "k": 1}}), tmp_path / "tr"
    )
    assert textrank.system.identifier == "textrank-1" and textrank.metrics["rouge1"].n == 4


def test_rouge2_support_runs_in_the_harness_with_evidence(tmp_path: Path, summaries: dict[str, Path]) -> None:
    task = {
        "kind": "summarisation",
        "dataset": {
            "path": str(summaries["jsonl"]),
            "columns": {"id": "doc_id", "input": "document", "reference": "summary"},
            "limit": 3,
        },
        "metrics": ["rouge2_support"],
        "system": {"type": "lead", "k": 1},
        "bootstrap": {"n_resamples": 100},
    }
    lead = run(write_task(tmp_path, "support", task), tmp_path / "support")
    # a lead sentence is copied from its source: fully supported, nothing below threshold
    assert lead.metrics["rouge2_support"].value == pytest.approx(1.0)
    assert lead.metrics["unsupported_sentence_rate"].value == 0.0
    record = read_records(tmp_path / "support" / "predictions.jsonl")[0]
    evidence = record["details"]["support_sentences"][0]
    assert evidence["score"] == pytest.approx(1.0) and evidence["support"][0]["start"] == 0


# --------------------------------------------------------------------------------------------- resume

CALLS: list[list[str]] = []
INTERRUPT_AFTER: dict[str, int | None] = {"batches": None}


class EchoSystem(System):
    """Summarises with the first sentence, two samples per batch; can be told to die mid-run."""

    identifier = "echo"
    batch_size = 2

    def predict(self, samples):
        if INTERRUPT_AFTER["batches"] is not None and len(CALLS) >= INTERRUPT_AFTER["batches"]:
            raise KeyboardInterrupt
        CALLS.append([s.id for s in samples])
        return [Prediction((s.input or "").split(". ")[0]) for s in samples]


if "test_echo" not in SYSTEMS:

    @register_system("test_echo")
    class EchoSpec(SystemSpec):
        type: Literal["test_echo"] = "test_echo"
        kind: ClassVar[str | None] = "summarisation"

        def build(self, dataset):
            return EchoSystem()


def echo_task(tmp_path: Path, summaries: dict[str, Path]) -> Path:
    return saved_task(tmp_path, "echo", summaries, "good", system={"type": "test_echo"})


def test_interrupted_run_resumes_where_it_stopped(tmp_path: Path, summaries: dict[str, Path]) -> None:
    CALLS.clear()
    config, out = echo_task(tmp_path, summaries), tmp_path / "run"
    INTERRUPT_AFTER["batches"] = 2
    try:
        with pytest.raises(KeyboardInterrupt):
            run(config, out)
    finally:
        INTERRUPT_AFTER["batches"] = None
    journal = out / JOURNAL_FILE
    assert not (out / "results.json").exists()
    assert len(journal.read_text().splitlines()) == 1 + 4  # header + two batches
    with journal.open("a") as handle:
        handle.write('{"id": "5", "outp')  # a write cut off by the interruption
    results = run(config, out)
    assert CALLS == [["1", "2"], ["3", "4"], ["5", "6"]]  # only the rest was predicted
    assert results.timings["samples_resumed"] == 4 and results.timings["samples_predicted"] == 2
    assert not journal.exists() and (out / "results.json").is_file()
    assert len(read_records(out / "predictions.jsonl")) == 6


def test_journal_of_another_system_is_refused_and_no_resume_discards_it(
    tmp_path: Path, summaries: dict[str, Path]
) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / JOURNAL_FILE).write_text('{"journal_key": "something else"}\n{"id": "1", "output": "x"}\n')
    config = echo_task(tmp_path, summaries)
    with pytest.raises(InputError, match="different system"):
        run(config, out)
    CALLS.clear()
    run(config, out, resume=False)
    assert sum(len(c) for c in CALLS) == 6


# --------------------------------------------------------------------------------------------- bad input


def test_missing_data_file_is_named(tmp_path: Path, summaries: dict[str, Path]) -> None:
    config = yaml.safe_load(saved_task(tmp_path, "t", summaries, "good").read_text())
    config["dataset"]["references"] = str(tmp_path / "nope.txt")
    with pytest.raises(InputError, match=r"nope\.txt"):
        run(write_task(tmp_path, "t", config), tmp_path / "run")
    assert not (tmp_path / "run" / "results.json").exists()


def test_empty_dataset_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    config = {
        "kind": "summarisation",
        "dataset": {"path": str(tmp_path / "empty.jsonl")},
        "system": {"type": "lead"},
        "metrics": ["rouge"],
    }
    with pytest.raises(InputError, match="empty"):
        run(write_task(tmp_path, "t", config), tmp_path / "run")


def test_short_predictions_file_names_file_and_line(tmp_path: Path, summaries: dict[str, Path]) -> None:
    write_lines(summaries["good"], REFERENCES[:4])
    with pytest.raises(InputError, match=r"good.txt:5.*4 lines but the dataset has 6 rows"):
        run(saved_task(tmp_path, "t", summaries, "good"), tmp_path / "run")


def test_line_aligned_inputs_of_another_length(tmp_path: Path, summaries: dict[str, Path]) -> None:
    write_lines(summaries["inputs"], DOCUMENTS[:5])
    with pytest.raises(InputError, match=r"docs.txt has 5 lines"):
        run(saved_task(tmp_path, "t", summaries, "good"), tmp_path / "run")


def test_jsonl_predictions_with_unknown_id_name_the_line(tmp_path: Path, summaries: dict[str, Path]) -> None:
    rows = [{"id": str(i), "output": r} for i, r in enumerate(REFERENCES, 1)]
    rows[2]["id"] = "99"
    summaries["saved"] = write_jsonl(tmp_path / "saved.jsonl", rows)
    config = saved_task(
        tmp_path, "t", summaries, "saved", system={"type": "predictions", "path": str(summaries["saved"])}
    )
    with pytest.raises(InputError, match=r"saved.jsonl:3.*'99' is not in the dataset"):
        run(config, tmp_path / "run")
    del rows[2]
    write_jsonl(summaries["saved"], rows)
    with pytest.raises(InputError, match=r"no prediction for 1 of the 6 samples.*'3'"):
        run(config, tmp_path / "run")


def test_malformed_jsonl_data_names_the_line(tmp_path: Path, summaries: dict[str, Path]) -> None:
    lines = summaries["jsonl"].read_text().splitlines()
    lines[3] = lines[3][:-5]
    summaries["jsonl"].write_text("\n".join(lines) + "\n")
    config = {
        "kind": "summarisation",
        "dataset": {
            "path": str(summaries["jsonl"]),
            "columns": {"id": "doc_id", "input": "document", "reference": "summary"},
        },
        "system": {"type": "lead"},
        "metrics": ["rouge"],
    }
    with pytest.raises(InputError, match=r"data.jsonl:4"):
        run(write_task(tmp_path, "t", config), tmp_path / "run")


def test_bad_rows_are_errors_not_skipped(tmp_path: Path, summaries: dict[str, Path]) -> None:
    lines = list(REFERENCES)
    lines[4] = "   "
    write_lines(summaries["references"], lines)
    with pytest.raises(InputError, match=r"gold.txt:5.*reference"):
        run(saved_task(tmp_path, "t", summaries, "good"), tmp_path / "run")
    rows = [
        {"doc_id": "same", "document": d, "summary": r} for d, r in zip(DOCUMENTS, REFERENCES, strict=True)
    ]
    write_jsonl(summaries["jsonl"], rows)
    config = {
        "kind": "summarisation",
        "dataset": {
            "path": str(summaries["jsonl"]),
            "columns": {"id": "doc_id", "input": "documnt", "reference": "summary"},
        },
        "system": {"type": "lead"},
        "metrics": ["rouge"],
    }
    with pytest.raises(InputError, match="did you mean 'document'"):
        run(write_task(tmp_path, "t", config), tmp_path / "run")
    config["dataset"]["columns"]["input"] = "document"
    with pytest.raises(InputError, match=r"data.jsonl:2.*'same' appears twice"):
        run(write_task(tmp_path, "t", config), tmp_path / "run")


def test_non_numeric_metric_value_and_failing_metric(
    tmp_path: Path, summaries: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, out = saved_task(tmp_path, "t", summaries, "good"), tmp_path / "run"

    def returns_text(self, args, batch, context):
        scores = {k: [0.5] * len(batch.ids) for k in ("rouge1", "rouge2", "rougeL", "rougeLsum")}
        scores["rouge2"][2] = "n/a"
        return scores, {}

    monkeypatch.setattr(RougeScorer, "score", returns_text)
    with pytest.raises(MetricError, match=r"gold.txt:3.*non-numeric value for 'rouge2': 'n/a'"):
        run(config, out)

    def crashes(self, args, batch, context):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(RougeScorer, "score", crashes)
    with pytest.raises(MetricError, match="metric 'rouge' could not run: ZeroDivisionError: boom"):
        run(config, out)
    assert not (out / "results.json").exists() and not (out / "predictions.jsonl").exists()


def test_cli_bad_input_exits_2_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stancekit.cli", "evaluate", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "missing.yaml" in result.stderr


# --------------------------------------------------------------------------------------------- classification


def classification_files(tmp_path: Path) -> dict[str, Path]:
    gold = ["threat", "other", "support", "threat", "commitment", "other", "other", "support"] * 3
    texts = [f"Statement number {i}." for i in range(len(gold))]
    good = list(gold)
    good[1], good[4] = "threat", "other"
    poor = ["other"] * len(gold)
    rows = [{"id": f"s{i}", "text": t, "label": g} for i, (t, g) in enumerate(zip(texts, gold, strict=True))]

    def predictions(name: str, labels: list[str], probabilities: bool) -> Path:
        out = []
        for i, label in enumerate(labels):
            row: dict = {"id": f"s{i}", "output": [label] if label != "threat" else ["threat", "condolence"]}
            if probabilities:
                row["scores"] = {
                    lab: (0.9 if lab == label else 0.05)
                    for lab in ("commitment", "threat", "support", "other")
                }
            out.append(row)
        return write_jsonl(tmp_path / f"{name}.jsonl", out)

    return {
        "data": write_jsonl(tmp_path / "statements.jsonl", rows),
        "good": predictions("good", good, True),
        "poor": predictions("poor", poor, False),
    }


def classification_task(tmp_path: Path, files: dict[str, Path], system: str) -> Path:
    return write_task(
        tmp_path,
        f"cls-{system}",
        {
            "kind": "classification",
            "dataset": {
                "path": str(files["data"]),
                "columns": {"id": "id", "input": "text", "reference": "label"},
                "labels": ["commitment", "threat", "support", "other"],
            },
            "system": {
                "type": "predictions",
                "path": str(files[system]),
                "scores_column": "scores",
                "probabilities": system == "good",
            },
            "metrics": ["multilabel_classification"],
            "bootstrap": {"n_resamples": 200},
        },
    )


def test_classification_metrics_match_sklearn_and_the_classifier_scorer(tmp_path: Path) -> None:
    from sklearn.metrics import f1_score

    from stancekit.evaluation.classification import score_label_sets

    files = classification_files(tmp_path)
    out = tmp_path / "good"
    results = run(classification_task(tmp_path, files, "good"), out)
    records = read_records(out / "predictions.jsonl")
    labels = results.data.labels
    gold = [r["reference"] for r in records]
    predicted = [[x for x in r["output"] if x in labels] for r in records]
    y = np.array([[lab in g for lab in labels] for g in gold])
    p = np.array([[lab in q for lab in labels] for q in predicted])
    assert results.metrics["macro_f1"].value == pytest.approx(
        f1_score(y, p, average="macro", zero_division=0)
    )
    assert results.metrics["macro_f1"].value == pytest.approx(macro_f1(p, y))
    theirs = score_label_sets(gold, [r["output"] for r in records], labels)
    assert results.metrics["macro_f1"].value == pytest.approx(theirs.macro_f1)
    assert results.metrics["micro_f1"].value == pytest.approx(theirs.micro_f1)
    assert results.metrics["accuracy"].value == pytest.approx(theirs.exact_match)
    assert "ece" in results.metrics and 0 <= results.metrics["ece"].value <= 1
    assert results.per_label["threat"]["f1"].low <= results.per_label["threat"]["f1"].value
    assert results.classification["unscored_predictions"] == {"condolence": 7}
    assert any("condolence x7" in note for note in results.notes)
    assert {"confusion_matrix.png", "per_label_f1.png"} <= {p.name for p in out.iterdir()}
    poor = run(classification_task(tmp_path, files, "poor"), tmp_path / "poor")
    assert "ece" not in poor.metrics and "not probabilities" in poor.not_computed["ece"]


# --------------------------------------------------------------------------------------------- compare


def test_compare_two_saved_prediction_runs(tmp_path: Path, summaries: dict[str, Path]) -> None:
    run(saved_task(tmp_path, "good", summaries, "good"), tmp_path / "good")
    run(saved_task(tmp_path, "poor", summaries, "poor"), tmp_path / "poor")
    comparison = compare_runs(tmp_path / "good", tmp_path / "poor", n_resamples=500)
    rows = {row.key: row for row in comparison.rows}
    assert set(rows) == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
    assert rows["rouge1"].diff > 0.3 and rows["rouge1"].low > 0 and rows["rouge1"].p_value < 0.05
    assert rows["rouge1"].diff == pytest.approx(rows["rouge1"].a - rows["rouge1"].b)
    assert "| ROUGE-1 F1 (`rouge1`)" in comparison.to_markdown()
    same = compare_runs(tmp_path / "good", tmp_path / "good", n_resamples=200)
    assert all(row.diff == 0 and row.p_value == 1.0 for row in same.rows)


def test_compare_refuses_different_samples_unless_intersected(
    tmp_path: Path, summaries: dict[str, Path]
) -> None:
    run(saved_task(tmp_path, "good", summaries, "good"), tmp_path / "good")
    run(saved_task(tmp_path, "poor", summaries, "poor"), tmp_path / "poor", limit=4)
    with pytest.raises(InputError, match=r"different samples: id '5'"):
        compare_runs(tmp_path / "good", tmp_path / "poor")
    comparison = compare_runs(tmp_path / "good", tmp_path / "poor", intersect=True, n_resamples=200)
    assert comparison.n == 4 and "4 samples both runs scored" in comparison.notes[0]


def test_compare_rejects_non_numeric_scores_naming_the_line(
    tmp_path: Path, summaries: dict[str, Path]
) -> None:
    run(saved_task(tmp_path, "good", summaries, "good"), tmp_path / "good")
    run(saved_task(tmp_path, "poor", summaries, "poor"), tmp_path / "poor")
    path = tmp_path / "poor" / "predictions.jsonl"
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace('"rouge1": 0.0', '"rouge1": "zero"')
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"predictions.jsonl:2.*'rouge1' is not a finite number"):
        compare_runs(tmp_path / "good", tmp_path / "poor")


def test_compare_classification_runs_with_permutation(tmp_path: Path) -> None:
    files = classification_files(tmp_path)
    run(classification_task(tmp_path, files, "good"), tmp_path / "good")
    run(classification_task(tmp_path, files, "poor"), tmp_path / "poor")
    comparison = compare_runs(
        tmp_path / "good", tmp_path / "poor", method="permutation", n_resamples=300, per_label=True
    )
    rows = {row.key: row for row in comparison.rows}
    assert {"accuracy", "macro_f1", "micro_f1", "per_label.threat.f1"} <= set(rows)
    assert "ece" not in rows and any("ece" in note for note in comparison.notes)
    assert rows["macro_f1"].diff > 0 and rows["macro_f1"].p_value < 0.05


# --------------------------------------------------------------------------------------------- reproduce


def test_reproduce_passes_then_fails_outside_tolerance(tmp_path: Path, summaries: dict[str, Path]) -> None:
    config = saved_task(tmp_path, "repro", summaries, "good", reproduce={"tolerance": 1e-9})
    committed = tmp_path / "results"
    run(config, committed / "repro")
    reports = reproduce([str(config)], results_dir=committed, output_root=tmp_path / "rerun", progress=False)
    assert reports[0].ok and len(reports[0].checks) == 4
    path = committed / "repro" / "results.json"
    data = json.loads(path.read_text())
    data["metrics"]["rouge2"]["value"] += 0.01
    path.write_text(json.dumps(data))
    reports = reproduce([str(config)], results_dir=committed, output_root=tmp_path / "rerun", progress=False)
    assert not reports[0].ok and [c.key for c in reports[0].failures] == ["rouge2"]


def test_reproduce_checks_published_figures_and_config_changes(
    tmp_path: Path, summaries: dict[str, Path]
) -> None:
    published = {"rouge1": {"value": 0.0, "tolerance": 0.01, "source": "a paper"}}
    config = saved_task(tmp_path, "pub", summaries, "good", reproduce={"published": published})
    results = run(config, tmp_path / "results" / "pub")
    assert results.published["rouge1"].within is False
    reports = reproduce(
        [str(config)], results_dir=tmp_path / "results", output_root=tmp_path / "rerun", progress=False
    )
    assert not reports[0].ok and "published" in reports[0].problems[0]
    changed = yaml.safe_load(config.read_text())
    changed["seed"] = 5
    changed["reproduce"] = {}
    write_task(tmp_path, "pub", changed)
    reports = reproduce(
        [str(config)], results_dir=tmp_path / "results", output_root=tmp_path / "rerun", progress=False
    )
    assert any("config changed" in problem for problem in reports[0].problems)


def test_reproduce_without_committed_results_says_how(tmp_path: Path, summaries: dict[str, Path]) -> None:
    config = saved_task(tmp_path, "new", summaries, "good")
    with pytest.raises(InputError, match="no committed results"):
        reproduce(
            [str(config)], results_dir=tmp_path / "results", output_root=tmp_path / "rerun", progress=False
        )


# --------------------------------------------------------------------------------------------- tables


def test_results_table_and_readme_block(tmp_path: Path, summaries: dict[str, Path]) -> None:
    results_dir = tmp_path / "results"
    run(saved_task(tmp_path, "good", summaries, "good"), results_dir / "good")
    files = classification_files(tmp_path)
    run(classification_task(tmp_path, files, "good"), results_dir / "cls")
    table = results_table(results_dir)
    assert "**Summarisation**" in table and "**Statement classification**" in table
    assert f"[good]({results_dir.as_posix()}/good/report.md)" in table and "| 6 |" in table
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{README_START}\nold\n{README_END}\n\nafter\n")
    assert update_readme(readme, table) is True
    text = readme.read_text()
    assert "old" not in text and table in text and text.endswith("after\n")
    assert update_readme(readme, table) is False
    readme.write_text("no markers")
    with pytest.raises(InputError, match="results:start"):
        update_readme(readme, table)


def test_semantic_similarity_metric_module() -> None:
    from stancekit.evaluation.metrics import load_metric

    metric = load_metric("semantic_similarity")
    out = metric.compute(
        predictions=["The council condemned the attack.", "The council condemned the attack."],
        references=["The council condemned the attack.", "Heavy rain fell in the valley."],
        use_aggregator=False,
    )["semantic_similarity"]
    assert out[0] == pytest.approx(1.0, abs=1e-5) and out[1] < 0.5


def test_empty_inputs_fail_unless_skipped_and_listed(tmp_path: Path, summaries: dict[str, Path]) -> None:
    rows = [
        {"doc_id": f"d{i}", "document": d, "summary": r}
        for i, (d, r) in enumerate(zip(DOCUMENTS, REFERENCES, strict=True))
    ]
    rows[2]["document"] = ""
    write_jsonl(summaries["jsonl"], rows)
    config = {
        "kind": "summarisation",
        "dataset": {
            "path": str(summaries["jsonl"]),
            "columns": {"id": "doc_id", "input": "document", "reference": "summary"},
        },
        "system": {"type": "lead", "k": 1},
        "metrics": ["rouge"],
        "bootstrap": {"n_resamples": 100},
    }
    with pytest.raises(InputError, match=r"(?s)data.jsonl:3.*skip_empty_inputs"):
        run(write_task(tmp_path, "t", config), tmp_path / "run")
    config["dataset"]["skip_empty_inputs"] = True
    results = run(write_task(tmp_path, "t", config), tmp_path / "run")
    assert results.data.n == 5 and results.data.skipped == [
        {"id": "d2", "where": f"{summaries['jsonl']}:3", "reason": "empty input"}
    ]
    assert any("skipped 1 sample" in note for note in results.notes)


def test_cli_evaluate_compare_and_reproduce(tmp_path: Path, summaries: dict[str, Path]) -> None:
    from typer.testing import CliRunner

    from stancekit.cli import app

    cli = CliRunner()
    good, poor = (
        saved_task(tmp_path, "good", summaries, "good"),
        saved_task(tmp_path, "poor", summaries, "poor"),
    )
    results = tmp_path / "results"
    for config in (good, poor):
        out = cli.invoke(app, ["evaluate", str(config), "-o", str(results / config.stem), "--no-progress"])
        assert out.exit_code == 0, out.output
        assert "rougeLsum" in out.output
    out = cli.invoke(app, ["compare", str(results / "good"), str(results / "poor"), "--resamples", "200"])
    assert out.exit_code == 0 and "| ROUGE-1 F1 (`rouge1`)" in out.output
    args = [
        "reproduce",
        str(good),
        "--results-dir",
        str(results),
        "--output-dir",
        str(tmp_path / "re"),
        "--no-progress",
    ]
    assert cli.invoke(app, args).exit_code == 0
    data = json.loads((results / "good" / "results.json").read_text())
    data["metrics"]["rouge1"]["value"] = 0.5
    (results / "good" / "results.json").write_text(json.dumps(data))
    out = cli.invoke(app, args)
    assert out.exit_code == 1 and "FAILED" in out.output and "rouge1" in out.output


def test_summariser_system_runs_a_summariser_config(
    tmp_path: Path, summaries: dict[str, Path], tiny_seq2seq
) -> None:
    summariser = tmp_path / "tiny-summariser.yaml"
    summariser.write_text(
        yaml.safe_dump(
            {"name": "tiny", "model": str(tiny_seq2seq), "batch_size": 2, "generation": {"max_new_tokens": 8}}
        )
    )
    config = saved_task(
        tmp_path, "tiny", summaries, "good", system={"type": "summariser", "config": str(summariser)}
    )
    results = run(config, tmp_path / "run", limit=3)
    assert results.system.identifier == "summariser:tiny" and results.data.n == 3
    assert results.system.models[0]["model"] == str(tiny_seq2seq)
    records = read_records(tmp_path / "run" / "predictions.jsonl")
    assert all("output_tokens" in r["meta"] for r in records)


def test_plover_format_and_a_classifier_config(tmp_path: Path) -> None:
    records = [
        {"id": "DOC", "event": "DOCUMENT", "comment": "no text"},
        {"id": "A-1", "event": "DISAPPROVE", "text": "The minister condemned the attack on the embassy."},
        {"id": "A-2", "event": "DEMAND", "text": "The council urged both sides to return to talks."},
        {"id": "A-2", "event": "PROTEST", "text": "Thousands marched in the capital on Friday."},
    ]
    path = tmp_path / "plover.json"
    path.write_text(json.dumps(records))
    config = {
        "kind": "classification",
        "dataset": {"format": "plover", "path": str(path)},
        "system": {"type": "lexicon"},
        "metrics": ["multilabel_classification"],
        "bootstrap": {"n_resamples": 100},
    }
    results = run(write_task(tmp_path, "plover", config), tmp_path / "run")
    stored = read_records(tmp_path / "run" / "predictions.jsonl")
    assert [(r["id"], r["reference"]) for r in stored] == [
        ("A-1", ["condemnation"]),
        ("A-2", ["call_to_action"]),
        ("A-2#2", ["other"]),
    ]
    assert results.data.labels == [
        "commitment",
        "threat",
        "condemnation",
        "call_to_action",
        "support",
        "other",
    ]
    assert results.system.identifier == "classifier:lexicon" and "ece" in results.not_computed
    assert any("'A-2' is used by 2 records" in note for note in results.notes)
