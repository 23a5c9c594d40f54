"""The factual-consistency scorer: training pairs, features, a tiny training run, the scorer and its metric."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stancekit.errors import InputError
from stancekit.summarise.consistency import ConsistencyScorer, select_evidence, source_sentences
from stancekit.summarise.data import read_summary_pairs
from stancekit.training.consistency import ConsistencyConfig, train_consistency
from stancekit.training.consistency_data import build_pairs

DATA = Path(__file__).resolve().parents[2] / "data" / "summaries" / "summaries.jsonl"


def test_pairs_hold_both_labels_and_their_corruptions_differ_from_the_claims():
    articles = read_summary_pairs(DATA, split="train")[:12]
    pairs = build_pairs(articles, top_k=2, seed=1)
    kinds = {p.kind for p in pairs}
    assert {p.label for p in pairs} == {0, 1}
    assert {"reference", "source", "other_article", "removed_sentence"} <= kinds
    assert kinds & {"entity_swap", "number_swap", "negation", "modality", "addition"}
    assert all(p.evidence and p.hypothesis for p in pairs)
    # the same seed builds the same pairs (the config names a reproducible run)
    assert [p.hypothesis for p in build_pairs(articles, top_k=2, seed=1)] == [p.hypothesis for p in pairs]


def test_evidence_is_the_best_matching_source_sentences_in_source_order():
    source = "Talks ended in Geneva. Kenya will send two ships. Oman pledged aircraft. Rain fell."
    spans = source_sentences(source)
    chosen = select_evidence("Kenya will send ships and Oman aircraft.", source, spans, 2)
    assert [source[s:e] for s, e in chosen] == ["Kenya will send two ships.", "Oman pledged aircraft."]


def test_glued_and_overlong_source_sentences_are_split():
    glued = "He was vilified by the community.Dr Venter has not. Then " + " ".join(["word"] * 130) + "."
    pieces = [glued[s:e] for s, e in source_sentences(glued)]
    assert pieces[:2] == ["He was vilified by the community.", "Dr Venter has not."]
    assert all(len(p.split()) <= 60 for p in pieces)
    assert "".join(pieces).replace(" ", "") == glued.replace(" ", "")  # nothing is dropped


@pytest.fixture(scope="module")
def tiny_scorer_dir(tiny_bert: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    keep = [r for r in rows if r["split"] == "train"][:4] + [r for r in rows if r["split"] == "dev"][:2]
    root = tmp_path_factory.mktemp("consistency")
    data = root / "pairs.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in keep), encoding="utf-8")
    config = ConsistencyConfig.model_validate(
        {
            "name": "tiny",
            "scoring": {"top_k": 2, "rouge_weight": 0.25, "aggregation": "mean", "threshold": 0.4},
            "training": {
                "data": str(data),
                "base_model": str(tiny_bert),
                "output_dir": str(root / "scorer"),
                "c_grid": [0.1, 1.0],
            },
        }
    )
    result = train_consistency(config, log=lambda line: None)
    assert result.c in (0.1, 1.0) and set(result.dev_roc_auc_by_c) == {"0.1", "1.0"}
    assert 0.0 <= result.dev_roc_auc <= 1.0 and result.n["train_pairs"] > 20
    # trained on lexical features, a copy outranks an invented sentence even with a random encoder
    assert result.dev_roc_auc > 0.6
    return Path(result.output_dir)


def test_a_trained_scorer_loads_with_its_settings_and_scores_every_sentence(tiny_scorer_dir: Path):
    scorer = ConsistencyScorer(tiny_scorer_dir, device="cpu")
    assert (scorer.top_k, scorer.rouge_weight, scorer.threshold) == (2, 0.25, 0.4)
    source = "Talks ended in Geneva on Monday. " * 40 + "Kenya will send two ships to the patrol."
    summary = "Kenya will send two ships. Talks ended."
    [result] = scorer.score([summary], [source])
    assert [s.text for s in result.sentences] == ["Kenya will send two ships.", "Talks ended."]
    assert all(0.0 <= s.score <= 1.0 for s in result.sentences)
    assert result.score == pytest.approx(sum(s.score for s in result.sentences) / 2)
    # a long source is read sentence by sentence: the evidence is found at its very end
    best = result.sentences[0].support[0]
    assert source[best.start : best.end] == "Kenya will send two ships to the patrol."
    assert len(source) > 1000


def test_the_rouge_weight_mixes_in_the_floor(tiny_scorer_dir: Path):
    source, summary = "Kenya will send two ships.", "Kenya will send two ships."
    only_floor = ConsistencyScorer(tiny_scorer_dir, rouge_weight=1.0, device="cpu").score([summary], [source])
    assert only_floor[0].score == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("summaries", "sources"),
    [([""], ["a source."]), ([3], ["a source."]), (["a summary."], ["one.", "two."]), ("text", ["x"])],
)
def test_bad_input_is_refused_before_scoring(tiny_scorer_dir: Path, summaries, sources):
    scorer = ConsistencyScorer(tiny_scorer_dir, device="cpu")
    with pytest.raises(InputError):
        scorer.score(summaries, sources)


def test_the_metric_module_returns_scores_and_sentences(tiny_scorer_dir: Path):
    from stancekit.metrics import load_metric

    out = load_metric("factual_consistency").compute(
        predictions=["Kenya will send two ships."],
        sources=["Talks ended. Kenya will send two ships next month."],
        weights=str(tiny_scorer_dir),
    )
    assert len(out["scores"]) == 1 and 0.0 <= out["scores"][0] <= 1.0
    assert out["sentences"][0][0]["support"][0] == {"start": 13, "end": 50}
    assert out["threshold"] == 0.4


def test_features_see_unsupported_names_numbers_and_negation():
    from stancekit.summarise.consistency import FEATURES, pair_features

    evidence = ["Kenya will send two ships to Djibouti on 5 May."]
    copy = dict(zip(FEATURES, pair_features("Kenya will send two ships.", evidence, [0.9], 0.9), strict=True))
    swapped = dict(
        zip(FEATURES, pair_features("Ships from Oman will number 7.", evidence, [0.8], 0.8), strict=True)
    )
    negated = dict(
        zip(FEATURES, pair_features("Kenya will not send ships.", evidence, [0.9], 0.9), strict=True)
    )
    assert copy["name_support"] == copy["number_support"] == copy["rouge2_precision"] == 1.0
    assert swapped["name_support"] == 0.0 and swapped["number_support"] == 0.0
    assert negated["negation_mismatch"] == 1.0 and copy["negation_mismatch"] == 0.0


def test_a_missing_scorer_says_how_to_train_one(tmp_path: Path):
    from stancekit.errors import ModelUnavailableError

    with pytest.raises(ModelUnavailableError, match="train_consistency"):
        ConsistencyScorer(tmp_path / "nothing")
