"""Meta-evaluation against human judgements, and the rouge2_support metric module."""

from __future__ import annotations

import pytest

from stancekit.errors import InputError
from stancekit.evaluation.meta import best_threshold, meta_evaluate


def test_a_metric_that_ranks_every_factual_summary_first_has_auc_one():
    human = [1.0, 1.0, 1.0, 0.5, 0.0, 0.0]
    scores = [0.9, 0.8, 0.7, 0.4, 0.2, 0.1]
    result = meta_evaluate(scores, human, threshold=best_threshold(scores, human))
    assert result.roc_auc.value == pytest.approx(1.0)
    assert result.balanced_accuracy.value == pytest.approx(1.0)
    assert result.kendall_tau.value > 0.8
    assert result.n == 6 and result.n_factual == 3


def test_an_inverted_metric_has_auc_zero_and_negative_tau():
    human = [1.0, 1.0, 0.0, 0.0, 0.5]
    scores = [0.1, 0.2, 0.9, 0.8, 0.5]
    result = meta_evaluate(scores, human, threshold=0.5)
    assert result.roc_auc.value == pytest.approx(0.0)
    assert result.kendall_tau.value < 0
    assert result.roc_auc.low <= result.roc_auc.value <= result.roc_auc.high


def test_one_class_only_or_misaligned_is_refused():
    with pytest.raises(InputError, match="both fully factual and erroneous"):
        meta_evaluate([0.1, 0.2], [1.0, 1.0], threshold=0.5)
    with pytest.raises(InputError, match="3 metric scores but 2 human"):
        meta_evaluate([0.1, 0.2, 0.3], [1.0, 0.0], threshold=0.5)


def test_rouge2_support_is_a_shipped_metric():
    from stancekit.metrics import load_metric

    out = load_metric("rouge2_support").compute(
        predictions=["Kenya will send two ships.", "Mars declared war."],
        sources=["Talks ended. Kenya will send two ships next month.", "Talks ended. Kenya will send ships."],
    )
    assert out["scores"][0] == pytest.approx(1.0)
    assert out["scores"][1] < out["scores"][0]
    assert out["sentences"][0][0]["support"] == [{"start": 13, "end": 50}]
    assert out["rouge2_support"] == pytest.approx(sum(out["scores"]) / 2)


# ------------------------------------------------------------------ meta_evaluation as a harness task kind

_SOURCE = "Talks ended in Geneva on Monday. Kenya will send two ships next month. Oman pledged aircraft."
_JUDGED = [
    # (summary, human factuality, origin): supported summaries copy the source, erroneous ones invent
    ("Kenya will send two ships next month.", 1.0, "a"),
    ("Talks ended in Geneva on Monday.", 1.0, "a"),
    ("Oman pledged aircraft. Talks ended in Geneva.", 1.0, "b"),
    ("Mars declared war on Venus.", 0.0, "a"),
    ("Kenya will send two ships. France sank them at dawn.", 0.5, "b"),
    ("Brazil sold forty tanks to Chile.", 0.0, "b"),
]


def _meta_task(tmp_path, metric="rouge2_support", **extra):
    import json

    from tests.harness import write_task

    data = tmp_path / "judged.jsonl"
    rows = [
        {"id": f"s{i}", "article": _SOURCE, "summary": s, "factuality": h, "origin": g}
        for i, (s, h, g) in enumerate(_JUDGED)
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    config = {
        "kind": "meta_evaluation",
        "dataset": {
            "path": str(data),
            "columns": {
                "id": "id",
                "input": "article",
                "reference": None,
                "human": "factuality",
                "group": "origin",
            },
        },
        "system": {"type": "predictions", "path": str(data), "output_column": "summary"},
        "metrics": [metric],
        "meta": {"groups": {"a": "A", "b": "B"}},
        "bootstrap": {"n_resamples": 200},
        **extra,
    }
    return write_task(tmp_path, "judged", config)


def test_a_meta_evaluation_task_reports_agreement_pooled_and_per_group(tmp_path):
    from tests.harness import run

    results = run(_meta_task(tmp_path), tmp_path / "run")
    m = results.metrics
    assert m["roc_auc"].value == pytest.approx(1.0)  # copies score 1, inventions near 0
    assert m["roc_auc"].n == 6 and m["roc_auc_a"].n == 3 and m["roc_auc_b"].n == 3
    assert {"balanced_accuracy", "kendall_tau", "kendall_tau_b", "rouge2_support"} <= set(m)
    assert m["kendall_tau"].low <= m["kendall_tau"].value <= m["kendall_tau"].high
    assert "(A, rouge2_support)" in m["roc_auc_a"].label
    assert results.details["meta_evaluation"]["threshold"] == pytest.approx(0.325)
    assert results.details["meta_evaluation"]["groups"]["B"] == {"key": "b", "n": 3, "n_factual": 1}


def test_the_heuristic_is_judged_by_its_flag_count_under_both_names(tmp_path):
    from tests.harness import run

    new = run(_meta_task(tmp_path, "unsupported_content"), tmp_path / "new")
    old = run(_meta_task(tmp_path, "faithfulness"), tmp_path / "old")
    assert new.metrics["roc_auc"].value == pytest.approx(old.metrics["roc_auc"].value)
    assert "flag_free_rate" in new.metrics and "faithfulness" in old.metrics
    assert new.details["meta_evaluation"]["support_score"] == "-unsupported_flags"


def test_a_meta_evaluation_needs_human_scores_and_a_support_metric(tmp_path):
    from stancekit.errors import ConfigError
    from stancekit.evaluation import load_task

    path = _meta_task(tmp_path)
    with pytest.raises(ConfigError, match=r"columns\.human"):
        load_task(path, ["dataset.columns.human=null"])
    with pytest.raises(ConfigError, match="no per-summary support score"):
        load_task(_meta_task(tmp_path, "abstractiveness"))


def test_a_human_score_outside_zero_one_is_refused_with_its_line(tmp_path):
    from tests.harness import run

    path = _meta_task(tmp_path)
    data = tmp_path / "judged.jsonl"
    lines = data.read_text().splitlines()
    lines[2] = lines[2].replace('"factuality": 1.0', '"factuality": "yes"')
    data.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="human score") as error:
        run(path, tmp_path / "bad")
    assert "judged.jsonl:3" in str(error.value)


def test_texts_that_may_not_be_copied_stay_out_of_the_evidence_details(tmp_path):
    import json

    from tests.harness import run

    path = _meta_task(tmp_path, log_samples={"output_text": False, "reference_text": False})
    run(path, tmp_path / "private")
    lines = (tmp_path / "private" / "predictions.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    assert "output" not in record and "Kenya" not in lines[0]
    assert record["details"]["support_sentences"][0]["support"]  # offsets and scores stay
