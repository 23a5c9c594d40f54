"""Classifiers: decision rules, the three implementations, batching and long inputs, training, scoring.

Encoder tests run a tiny random BERT (conftest.tiny_bert); only the ``slow`` test loads the shipped model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from stancekit.config import validate
from stancekit.errors import ConfigError, InputError
from stancekit.evaluation.classification import (
    PLOVER_SCORED_LABELS,
    evaluate_on_plover,
    load_plover,
    score_label_sets,
)
from stancekit.statements.classifiers import build_classifier, classify, load_classifier
from stancekit.statements.classifiers.base import Classification, choose_thresholds, decide
from stancekit.statements.classifiers.config import (
    ClassifierConfig,
    LexiconSettings,
    ZeroShotSettings,
    load_classifier_config,
)
from stancekit.statements.classifiers.encoder import WindowedEncoder
from stancekit.statements.classifiers.fine_tuned import FineTunedClassifier
from stancekit.statements.classifiers.lexicon import LexiconClassifier
from stancekit.statements.classifiers.zero_shot import ZeroShotClassifier
from stancekit.statements.statement import Statement
from stancekit.statements.taxonomy import load_taxonomy
from stancekit.training.classifier import train_classifier

LONG = " ".join(["The envoy urged both sides to return to the talks and warned of more fighting."] * 30)


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy("diplomatic-v1")


@pytest.fixture(scope="module")
def lexicon():
    return load_classifier("lexicon")


# ------------------------------------------------------------------------------------------ decisions


def test_choose_thresholds_separates_the_classes() -> None:
    scores = np.array([[0.1, 0.9], [0.2, 0.8], [0.7, 0.3], [0.8, 0.2]])
    gold = np.array([[0, 1], [0, 1], [1, 0], [1, 0]])
    thresholds = choose_thresholds(scores, gold)
    assert 0.2 < thresholds[0] <= 0.7 and 0.3 < thresholds[1] <= 0.8
    assert np.array_equal((scores >= thresholds).astype(int), gold)


def test_decide_gives_fallback_alone_and_caps_labels() -> None:
    labels = ["a", "b", "c"]
    scores = np.array([[0.9, 0.8, 0.7], [0.1, 0.2, 0.3]])
    thresholds = np.array([0.5, 0.5, 0.5])
    (first, first_scores), (second, _) = decide(scores, labels, thresholds, "other", np.array([0.1, 0.7]))
    assert first == ["a", "b", "c"] and second == ["other"]
    assert first_scores == {"a": 0.9, "b": 0.8, "c": 0.7, "other": 0.1}
    (capped, _), _ = decide(scores, labels, thresholds, "other", np.zeros(2), max_labels=2)
    assert capped == ["a", "b"]
    # the cap keeps the largest margins over each label's own threshold, not the largest raw scores
    (by_margin, _), _ = decide(scores, labels, np.array([0.85, 0.5, 0.1]), "other", np.zeros(2), max_labels=1)
    assert by_margin == ["c"]


# ------------------------------------------------------------------------------------------ configs


def test_shipped_classifier_configs_validate() -> None:
    for name in ("diplomatic-v1-minilm", "zero-shot", "lexicon", "tiny-test"):
        config = load_classifier_config(name)
        assert config.name == name
    fine = load_classifier_config(
        "diplomatic-v1-minilm", ["training.learning_rate=1e-4", "training.lora=null"]
    )
    assert fine.training is not None and fine.training.learning_rate == 1e-4 and fine.training.lora is None


def test_invalid_classifier_configs() -> None:
    with pytest.raises(ConfigError, match="needs `weights:`"):
        validate(ClassifierConfig, {"name": "x", "kind": "fine_tuned"})
    with pytest.raises(ConfigError, match="did you mean 'learning_rate'"):
        load_classifier_config("diplomatic-v1-minilm", ["training.learnig_rate=1e-4"])
    with pytest.raises(ConfigError, match="did you mean 'zero-shot'"):
        load_classifier_config("zeroshot")
    with pytest.raises(ConfigError, match="does not score"):
        LexiconClassifier(load_taxonomy("diplomatic-v1"), LexiconSettings(cues={"threats": ["will strike"]}))


# ------------------------------------------------------------------------------------------ lexicon + input


def test_lexicon_cues_negation_and_other_senses(lexicon) -> None:
    results = lexicon.predict(
        [
            "The council strongly condemned the attack and called on both sides to show restraint.",
            "The council did not condemn the attack.",
            "Doctors said the former senator remained on life support.",
            "The delegations met for four hours on Monday.",
            "Our hearts go out to the families, the minister said.",
        ]
    )
    assert results[0].labels == ["condemnation", "call_to_action"]
    assert results[1].labels == ["other"]
    assert results[2].labels == ["other"]
    assert results[3].labels == ["other"] and results[3].scores["other"] == 1.0
    assert results[4].labels == ["condolence"]
    assert all(set(r.scores) == set(lexicon.taxonomy.names) for r in results)


def test_classify_accepts_str_texts_and_statements(lexicon) -> None:
    text = "The envoy urged both sides to return to the talks."
    one = classify(text, classifier=lexicon)
    assert len(one) == 1 and isinstance(one[0], Classification) and one[0].labels == ["call_to_action"]
    statement = Statement(text=text, start=0, end=len(text))
    assert classify([statement, text], classifier=lexicon)[0] == one[0]
    assert classify([], classifier=lexicon) == []
    assert classify(text, classifier="lexicon")[0].labels == ["call_to_action"]


@pytest.mark.parametrize("bad", ["", "   \n", ["fine text", ""], [None]])
def test_empty_or_non_text_input_is_an_input_error(lexicon, bad) -> None:
    with pytest.raises(InputError):
        lexicon.predict(bad)


# ------------------------------------------------------------------------------------------ encoders


def test_windowed_encoder_sorts_batches_and_splits_long_texts(tiny_bert: Path) -> None:
    import torch
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    encoder = WindowedEncoder(tokenizer, max_length=32, stride=8, batch_size=2, device="cpu")
    texts = ["Short one.", LONG, "A statement of middling length about the talks.", "Tiny."]
    windows, owners = encoder.windows(texts)
    assert max(len(w) for w in windows) <= 32
    assert owners.count(1) > 1 and sorted(set(owners)) == [0, 1, 2, 3]
    batches = encoder.batches(windows)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(windows)))
    lengths = [len(windows[i]) for i in flat]
    assert lengths == sorted(lengths)  # sorted by length, so each batch pads only to its own longest
    for batch in batches:
        assert len(batch) <= 2
        shortest, longest = min(len(windows[i]) for i in batch), max(len(windows[i]) for i in batch)
        assert longest - shortest <= max(4, shortest // 10)  # a length bucket: little padding per row
    widths = []
    pooled, counts = encoder.run(
        texts,
        lambda batch: (
            widths.append(batch["input_ids"].shape[1]),
            torch.ones(batch["input_ids"].shape[0], 3),
        )[1],
    )
    assert widths == [max(len(windows[i]) for i in batch) for batch in batches]
    assert pooled.shape == (4, 3) and counts[1] == owners.count(1) and counts[0] == 1


@pytest.fixture(scope="module")
def tiny_classifier_dirs(tiny_bert: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny BERT trained briefly, once in full and once with LoRA (scores are meaningless)."""
    out = {}
    for fmt, extra in {
        "full": ["training.lora=null"],
        "lora": ["training.lora.r=2", "training.lora.alpha=4", "training.lora.target_modules=[query,value]"],
    }.items():
        directory = tmp_path_factory.mktemp(f"tiny-{fmt}") / "classifier"
        config = load_classifier_config(
            "tiny-test",
            [
                f"training.base_model={tiny_bert}",
                f"training.output_dir={directory}",
                f"weights={directory}",
                *extra,
            ],
        )
        result = train_classifier(config, progress=False)
        assert result.format == fmt
        out[fmt] = directory
    return out


@pytest.mark.parametrize("fmt", ["full", "lora"])
def test_trained_classifier_directory_is_complete(tiny_classifier_dirs, taxonomy, fmt: str) -> None:
    directory = tiny_classifier_dirs[fmt]
    weights = "model.safetensors" if fmt == "full" else "adapter_model.safetensors"
    assert (directory / weights).is_file()
    assert not list(directory.glob("*.bin"))
    assert json.loads((directory / "label_map.json").read_text())["labels"] == taxonomy.substantive
    thresholds = json.loads((directory / "thresholds.json").read_text())
    assert set(thresholds) == set(taxonomy.substantive)
    training = json.loads((directory / "training.json").read_text())
    assert training["format"] == fmt and training["metrics"]["test"]["n"] > 200
    card = (directory / "README.md").read_text()
    for section in ("## Data", "## Scores", "## How to load", "macro-F1"):
        assert section in card


@pytest.mark.parametrize("fmt", ["full", "lora"])
def test_fine_tuned_predictions_batched_equal_one_at_a_time(tiny_classifier_dirs, fmt: str) -> None:
    classifier = FineTunedClassifier(tiny_classifier_dirs[fmt], batch_size=3, max_length=32, stride=8)
    texts = ["The envoy urged calm.", LONG, "Ministers will meet again next week in Lima.", "Condolences."]
    batched = classifier.predict(texts)
    single = [classifier.predict(t)[0] for t in texts]
    for a, b in zip(batched, single, strict=True):
        assert a.labels == b.labels
        for label, score in a.scores.items():
            assert score == pytest.approx(b.scores[label], abs=1e-4)
    assert batched[1].windows > 1 and batched[0].windows == 1
    for result in batched:
        assert set(result.scores) == set(classifier.taxonomy.names)
        assert result.labels == ["other"] or "other" not in result.labels


def test_fine_tuned_taxonomy_mismatch_is_a_config_error(tiny_classifier_dirs, tmp_path: Path) -> None:
    (tmp_path / "tax.yaml").write_text(
        "name: pb\nfallback: none\nlabels:\n  - {name: praise, definition: P.}\n  - {name: none, definition: N.}\n"
    )
    config = ClassifierConfig(
        name="x",
        kind="fine_tuned",
        weights=str(tiny_classifier_dirs["full"]),
        taxonomy=str(tmp_path / "tax.yaml"),
    )
    with pytest.raises(ConfigError, match="was trained on labels"):
        build_classifier(config)


def test_missing_weights_say_how_to_train(tmp_path: Path) -> None:
    from stancekit.errors import ModelUnavailableError

    with pytest.raises(ModelUnavailableError, match=r"train_classifier\.py"):
        build_classifier(ClassifierConfig(name="x", kind="fine_tuned", weights=str(tmp_path / "none")))


def test_zero_shot_calibrates_on_dev(tiny_bert: Path, taxonomy) -> None:
    classifier = ZeroShotClassifier(
        taxonomy, ZeroShotSettings(encoder=str(tiny_bert)), max_length=32, stride=8, batch_size=16
    )
    assert classifier.calibration["split"] == "dev" and classifier.calibration["n"] > 200
    assert classifier.thresholds.shape == (7,)
    results = classifier.predict(["The envoy urged calm.", LONG])
    assert results[1].windows > 1
    for result in results:
        assert result.labels == ["other"] or "other" not in result.labels
        assert sum(result.scores.values()) == pytest.approx(1.0, abs=1e-4)  # softmax over all labels
    fixed = ZeroShotClassifier(
        taxonomy,
        ZeroShotSettings(
            encoder=str(tiny_bert), calibration_data=None, thresholds=dict.fromkeys(taxonomy.substantive, 2.0)
        ),
        max_length=32,
        stride=8,
    )
    assert fixed.predict("The envoy urged calm.")[0].labels == ["other"]  # no softmax share reaches 2.0


# ------------------------------------------------------------------------------------------ scoring


def test_score_label_sets() -> None:
    scores = score_label_sets(
        [["a"], ["b"], ["a", "b"], ["c"]], [["a"], ["a"], ["a", "b"], ["x"]], ["a", "b", "c"]
    )
    assert scores.per_label["a"].precision == pytest.approx(2 / 3) and scores.per_label["a"].recall == 1.0
    assert scores.per_label["b"].recall == 0.5 and scores.per_label["c"].f1 == 0.0
    assert scores.macro_f1 == pytest.approx((0.8 + 2 / 3 + 0.0) / 3)
    assert scores.exact_match == 0.5
    with pytest.raises(InputError, match="not among the scored labels"):
        score_label_sets([["z"]], [["a"]], ["a"])


def test_plover_mapping_and_scoring(shared_dir: Path, lexicon) -> None:
    path = shared_dir / "eval" / "plover-gsr" / "PLOVER_GSR_CAMEO.txt"
    items = load_plover(path)
    assert len(items) == 322 and not any(i["event"] == "DOCUMENT" for i in items)
    assert {i["label"] for i in items} == set(PLOVER_SCORED_LABELS)
    assert sum(i["label"] == "commitment" for i in items) == 40  # AGREE
    assert sum(i["label"] == "other" for i in items) == 322 - 40 - 29 - 16 - 34 - 12
    scores = evaluate_on_plover(lexicon, path)
    assert scores.n == 322 and list(scores.per_label) == list(PLOVER_SCORED_LABELS)


# ------------------------------------------------------------------------------------------ shipped model


@pytest.mark.slow
def test_shipped_classifier_on_clear_cases() -> None:
    classifier = load_classifier("diplomatic-v1-minilm")
    cases = {
        "The prime minister offered her deepest condolences to the families of those killed in the blast.": "condolence",
        "The envoy called on both sides to return to the negotiating table without delay.": "call_to_action",
        "Germany will send two field hospitals and 50 million euros in aid, the foreign minister said.": "commitment",
        "The council strongly condemned the attack on the aid convoy.": "condemnation",
        "The delegations met for four hours at the foreign ministry on Monday.": "other",
        "Any ship entering the exclusion zone will be seized and its crew arrested, the navy warned.": "threat",
    }
    results = classify(list(cases), classifier=classifier)
    for (text, label), result in zip(cases.items(), results, strict=True):
        assert label in result.labels, (text, result)
    long = classify(LONG, classifier=classifier)[0]  # about 500 tokens: split into windows, no crash
    assert long.windows > 1 and "call_to_action" in long.labels


def test_package_level_classify_works_after_the_module_is_imported() -> None:
    import stancekit.classify  # binds the package attribute to the module

    import stancekit

    result = stancekit.classify("The council condemned the attack.", classifier="lexicon")
    assert result[0].labels == ["condemnation"]


def test_another_label_set_trains_without_code_changes(tiny_bert: Path, tmp_path: Path) -> None:
    (tmp_path / "praise-blame.yaml").write_text(
        "name: praise-blame\nfallback: neither\nlabels:\n"
        "  - {name: praise, definition: The speaker praises someone., examples: [The mayor praised the crews.]}\n"
        "  - {name: blame, definition: The speaker blames someone., examples: [The mayor blamed the council.]}\n"
        "  - {name: neither, definition: Neither praise nor blame.}\n"
    )
    rows = []
    for i in range(30):
        labels = [["praise"], ["blame"], ["neither"], ["praise", "blame"]][i % 4]
        split = ["train", "train", "dev", "test"][i % 4] if i > 3 else ["train", "dev", "test", "train"][i]
        rows.append(
            {
                "id": f"p-{i:04d}",
                "text": f"Statement {i} about the {' and '.join(labels)}.",
                "labels": labels,
                "split": split,
            }
        )
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "schema.json").write_text(
        (Path(__file__).parents[2] / "data/statements/schema.json").read_text()
    )
    config = validate(
        ClassifierConfig,
        {
            "name": "praise-blame",
            "kind": "fine_tuned",
            "taxonomy": str(tmp_path / "praise-blame.yaml"),
            "weights": str(tmp_path / "model"),
            "max_length": 32,
            "stride": 8,
            "training": {
                "data": str(tmp_path / "data.jsonl"),
                "base_model": str(tiny_bert),
                "output_dir": str(tmp_path / "model"),
                "epochs": 1,
                "max_length": 32,
            },
        },
    )
    result = train_classifier(config, progress=False)
    assert set(result.thresholds) == {"praise", "blame"}
    assert result.dev.labels == ["praise", "blame", "neither"]
    predictions = build_classifier(config).predict(["The mayor praised the crews."])
    assert set(predictions[0].scores) == {"praise", "blame", "neither"}


def test_config_thresholds_replace_the_classifier_own() -> None:
    """`thresholds:` in a classifier config (as `stancekit corpus validate` writes) decide the labels."""
    config = load_classifier_config("lexicon")
    labels = build_classifier(config).labels
    text = "The ministers condemned the attack."
    assert "condemnation" in build_classifier(config).predict([text])[0].labels  # one cue: score 0.5
    strict = config.model_copy(update={"thresholds": dict.fromkeys(labels, 0.6)})
    assert build_classifier(strict).predict([text])[0].labels == ["other"]
    with pytest.raises(ConfigError, match=r"missing \['commitment'"):
        build_classifier(config.model_copy(update={"thresholds": {"praise": 0.5}}))


def test_fine_tuned_dtype_auto_follows_the_probe_and_is_recorded(tiny_classifier_dirs, monkeypatch) -> None:
    import stancekit.models.device as device

    texts = ["The envoy urged calm.", "Ministers will meet again next week in Lima."]
    exact = FineTunedClassifier(tiny_classifier_dirs["full"], max_length=32)
    assert exact.numerics["dtype"] == "float32" and exact.numerics["requested"] == "auto"
    probe = {"identity": {"cpu_flags": ["avx512_bf16"]}, "float32_gflops": 100.0, "bfloat16_gflops": 400.0}
    monkeypatch.setattr(device, "cpu_probe", lambda: probe)
    # a one-row rate that keeps the generator on fp32 (AVX512-BF16 without AMX) does not bind an encoder
    probe.update({"float32_m1_gflops": 20.0, "bfloat16_m1_gflops": 0.4})
    fast = FineTunedClassifier(tiny_classifier_dirs["full"], max_length=32)
    assert fast.numerics["dtype"] == "bfloat16" and "4.00x" in fast.numerics["reason"]
    assert "encoder: one-row rate not needed" in fast.numerics["reason"]
    assert str(next(fast.model.parameters()).dtype) == "torch.bfloat16"
    for a, b in zip(fast.predict(texts), exact.predict(texts), strict=True):
        for label, score in a.scores.items():
            assert score == pytest.approx(b.scores[label], abs=0.02)  # bf16 keeps ~3 significant digits


def _tiny_lora_base(tiny_bert: Path, labels: list[str]):
    import torch
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(0)
    return AutoModelForSequenceClassification.from_pretrained(
        tiny_bert, num_labels=len(labels), problem_type="multi_label_classification"
    )


def test_lora_merge_without_peft_gives_peft_merged_weights(tiny_classifier_dirs, tiny_bert, taxonomy) -> None:
    import torch
    from peft import PeftModel

    from stancekit.statements.classifiers.fine_tuned import merge_lora

    directory = tiny_classifier_dirs["lora"]
    ours = _tiny_lora_base(tiny_bert, taxonomy.substantive)
    assert merge_lora(ours, directory) is True
    theirs = PeftModel.from_pretrained(_tiny_lora_base(tiny_bert, taxonomy.substantive), directory)
    theirs = theirs.merge_and_unload().state_dict()
    assert ours.state_dict().keys() == theirs.keys()
    for key, value in ours.state_dict().items():
        assert torch.equal(value, theirs[key]), key  # the same arithmetic, so the same bits


def test_lora_merge_leaves_adapters_it_does_not_handle_to_peft(
    tiny_classifier_dirs, tiny_bert, taxonomy, tmp_path
):
    import shutil

    import torch

    from stancekit.statements.classifiers.fine_tuned import merge_lora

    directory = tmp_path / "dora"
    shutil.copytree(tiny_classifier_dirs["lora"], directory)
    config = json.loads((directory / "adapter_config.json").read_text())
    (directory / "adapter_config.json").write_text(json.dumps({**config, "use_dora": True}))
    model = _tiny_lora_base(tiny_bert, taxonomy.substantive)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert merge_lora(model, directory) is False
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
