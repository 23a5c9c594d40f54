"""Validation on the user's corpus: the stratified annotation sample, scoring against gold (checked against
sklearn's weighted metrics), gold-file errors with file:line, recalibrated thresholds as a classifier config,
and the report citing the validation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from stancekit.corpus.rundir import read_run
from stancekit.corpus.validation import sample_for_annotation, validate_against_gold
from stancekit.errors import InputError
from stancekit.statements.classifiers import build_classifier
from stancekit.statements.classifiers.config import load_classifier_config
from tests.rundir import GOLD_CUTS, build_synthetic_run


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    return build_synthetic_run(tmp_path_factory.mktemp("synthetic") / "run")


def annotate(sample: Path, gold: dict[str, list[str]], out: Path) -> Path:
    """The sample as an annotator returns it: every row's gold_labels filled in."""
    lines = []
    for line in sample.read_text().splitlines():
        row = json.loads(line)
        row["gold_labels"] = ";".join(gold[row["id"]])
        lines.append(json.dumps(row))
    out.write_text("\n".join(lines) + "\n")
    return out


def test_sample_is_stratified_and_hides_predictions(synthetic, tmp_path: Path) -> None:
    run_dir, _ = synthetic
    result = sample_for_annotation(run_dir, n=80, output=tmp_path / "sample.jsonl", seed=1)
    rows = [json.loads(line) for line in (tmp_path / "sample.jsonl").read_text().splitlines()]
    with (tmp_path / "sample.csv").open() as handle:
        csv_rows = list(csv.DictReader(handle))
    assert result["n"] == len(rows) == len(csv_rows) == 80
    assert [r["id"] for r in rows] == [r["id"] for r in csv_rows]
    assert len({r["id"] for r in rows}) == 80
    assert all("predicted_labels" not in r for r in rows) and all(r["gold_labels"] == "" for r in rows)
    strata = result["strata"]
    # equal shares: a stratum is sampled whole, or at least as much as any larger one is
    fair = 80 / len(strata)
    for label, s in strata.items():
        assert s["sampled"] == s["population"] or s["sampled"] >= int(fair)
        weights = [r["weight"] for r in rows if r["stratum"] == label]
        assert sum(weights) == pytest.approx(s["population"] if s["sampled"] else 0)
    population = read_run(run_dir).statements
    rarest = min(strata, key=lambda label: strata[label]["population"])
    share_in_sample = strata[rarest]["sampled"] / 80
    assert share_in_sample > strata[rarest]["population"] / len(population)  # rare labels over-represented


def test_sample_seeds_and_predictions(synthetic, tmp_path: Path) -> None:
    run_dir, _ = synthetic
    a = sample_for_annotation(run_dir, n=30, output=tmp_path / "a", seed=0)
    b = sample_for_annotation(run_dir, n=30, output=tmp_path / "b", seed=0)
    c = sample_for_annotation(run_dir, n=30, output=tmp_path / "c", seed=5, show_predictions=True)
    assert (tmp_path / "a.jsonl").read_text() == (tmp_path / "b.jsonl").read_text()
    assert (tmp_path / "a.jsonl").read_text() != (tmp_path / "c.jsonl").read_text()
    assert a["strata"] == b["strata"]
    rows = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
    labels = {
        f"{d}#{i}": ls for d, i, ls in read_run(run_dir).statements[["document_id", "index", "labels"]].values
    }
    assert all(r["predicted_labels"].split(";") == labels[r["id"]] for r in rows) and c["n"] == 30
    with pytest.raises(InputError, match="positive"):
        sample_for_annotation(run_dir, n=0, output=tmp_path / "d")


def test_validation_matches_sklearn_weighted_metrics(synthetic, tmp_path: Path) -> None:
    run_dir, gold = synthetic
    sample_for_annotation(run_dir, n=120, output=tmp_path / "s", seed=2)
    gold_file = annotate(tmp_path / "s.jsonl", gold, tmp_path / "gold.jsonl")
    result = validate_against_gold(run_dir, gold_file, n_resamples=200)
    assert json.loads((run_dir / "validation.json").read_text()) == json.loads(json.dumps(result))
    rows = [json.loads(line) for line in gold_file.read_text().splitlines()]
    predicted = {
        f"{d}#{i}": ls for d, i, ls in read_run(run_dir).statements[["document_id", "index", "labels"]].values
    }
    weights = np.array([r["weight"] for r in rows])
    assert result["n"] == 120 and result["weighted"]
    for label in GOLD_CUTS:
        y = np.array([label in gold[r["id"]] for r in rows])
        p = np.array([label in predicted[r["id"]] for r in rows])
        scores = result["labels"][label]
        assert scores["precision"]["point"] == pytest.approx(precision_score(y, p, sample_weight=weights))
        assert scores["recall"]["point"] == pytest.approx(recall_score(y, p, sample_weight=weights))
        assert scores["f1"]["point"] == pytest.approx(f1_score(y, p, sample_weight=weights))
        for metric in ("precision", "recall", "f1"):
            assert scores[metric]["low"] <= scores[metric]["point"] <= scores[metric]["high"]
        # the run over-predicts (threshold 0.5 below the gold cut): recall is perfect, precision is not
        assert scores["recall"]["point"] == pytest.approx(1.0) and scores["precision"]["point"] < 1
    assert result["recalibrated"] is None


def test_recalibrated_thresholds_become_a_working_config(synthetic, tmp_path: Path) -> None:
    run_dir, gold = synthetic
    sample_for_annotation(run_dir, n=200, output=tmp_path / "s", seed=3)
    gold_file = annotate(tmp_path / "s.jsonl", gold, tmp_path / "gold.jsonl")
    config_path = tmp_path / "lexicon-corpus.yaml"
    result = validate_against_gold(run_dir, gold_file, output_config=config_path, n_resamples=100)
    recalibrated = result["recalibrated"]
    for label, cut in GOLD_CUTS.items():
        assert label not in recalibrated["kept"]
        # F1-maximising on the sample lands between the sampled scores around the true cut
        assert abs(recalibrated["thresholds"][label] - cut) < 0.1
        assert recalibrated["f1_on_sample"][label] > result["labels"][label]["f1"]["point"]
    # labels the run already gets right keep the lexicon's threshold
    assert set(recalibrated["kept"]) == set(recalibrated["thresholds"]) - set(GOLD_CUTS)
    assert all(recalibrated["thresholds"][label] == 0.5 for label in recalibrated["kept"])
    config = load_classifier_config(config_path)
    assert config.thresholds == recalibrated["thresholds"] and config.kind == "lexicon"
    assert build_classifier(config).threshold_map() == recalibrated["thresholds"]
    assert "recalibrated on 200 annotated statements" in config_path.read_text()


def test_gold_errors_name_file_and_line(synthetic, tmp_path: Path) -> None:
    run_dir, _ = synthetic
    sample_for_annotation(run_dir, n=5, output=tmp_path / "s")
    first = json.loads((tmp_path / "s.jsonl").read_text().splitlines()[0])
    lines = [
        json.dumps({**first, "gold_labels": "commitment"}),
        "{not json",
        json.dumps({"id": "nope#1", "gold_labels": "commitment"}),
        json.dumps({**first, "id": first["id"], "gold_labels": "praise"}),
        json.dumps([1, 2]),
        json.dumps({**first, "gold_labels": "support"}),
    ]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as error:
        validate_against_gold(run_dir, gold)
    message = str(error.value)
    for needle in (
        f"{gold}:2: not valid JSON",
        f"{gold}:3: unknown id 'nope#1'",
        f"{gold}:4: unknown labels ['praise']",
        f"{gold}:5: a line must be a JSON object",
        f"{gold}:6: id {first['id']!r} repeats line 1",
    ):
        assert needle in message, message
    bad_csv = tmp_path / "gold.csv"
    bad_csv.write_text("id,labels\nx,commitment\n")
    with pytest.raises(InputError, match=r"gold\.csv:1: the header needs `id` and `gold_labels`"):
        validate_against_gold(run_dir, bad_csv)
    empty = tmp_path / "empty.jsonl"
    empty.write_text(json.dumps({**first, "gold_labels": ""}) + "\n")
    with pytest.raises(InputError, match="no annotated statements"):
        validate_against_gold(run_dir, empty)


def test_csv_gold_and_the_report_cites_the_validation(synthetic, tmp_path: Path) -> None:
    import shutil

    from stancekit.reports import write_report

    source, gold = synthetic
    run_dir = tmp_path / "run"
    shutil.copytree(source, run_dir, ignore=shutil.ignore_patterns("validation.json"))
    sample_for_annotation(run_dir, n=60, output=tmp_path / "s", seed=4)
    with (tmp_path / "s.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["gold_labels"] = ";".join(gold[row["id"]])
    with (tmp_path / "gold.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = validate_against_gold(run_dir, tmp_path / "gold.csv", n_resamples=100)
    write_report(run_dir)
    html = (run_dir / "report.html").read_text()
    f1 = result["labels"]["commitment"]["f1"]
    assert "Validated" in html and f"{f1['point']:.2f} [{f1['low']:.2f}, {f1['high']:.2f}]" in html
