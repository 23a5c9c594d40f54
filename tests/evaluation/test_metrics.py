"""The shipped evaluate metrics: offline loading, and each metric against hand-computed cases."""

from __future__ import annotations

import math
import os
import socket

# Before evaluate is imported anywhere: the metrics must work with the hub switched off.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import numpy as np
import pytest
from sklearn.metrics import f1_score, multilabel_confusion_matrix, precision_recall_fscore_support

from stancekit.errors import ConfigError, InputError
from stancekit.evaluation.metrics import METRICS, load_metric, metric_path
from stancekit.evaluation.metrics._rouge_tokenize import RougeTokenizer, perl_porter_stem, rouge155_stem
from stancekit.evaluation.metrics._text import split_sentences, words


@pytest.fixture(scope="module")
def rouge():
    return load_metric("rouge")


@pytest.fixture(scope="module")
def abstractiveness():
    return load_metric("abstractiveness")


@pytest.fixture(scope="module")
def faithfulness():
    return load_metric("faithfulness")


@pytest.fixture(scope="module")
def classification():
    return load_metric("multilabel_classification")


# --- registry and offline loading ---------------------------------------------------------------------


def test_every_registered_metric_has_a_module() -> None:
    for name in METRICS:
        assert metric_path(name).is_file(), name


def test_unknown_metric_suggests_the_closest_name() -> None:
    with pytest.raises(ConfigError, match="did you mean 'rouge'"):
        load_metric("rogue")
    with pytest.raises(ConfigError, match="Known metrics"):
        metric_path("bleurt")


def test_metric_names_accept_dashes() -> None:
    assert metric_path("multilabel-classification") == metric_path("multilabel_classification")


@pytest.mark.parametrize("name", METRICS)
def test_metrics_load_and_compute_without_network(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    metric = load_metric(name)
    if name == "rouge":
        out = metric.compute(predictions=["a b"], references=["a b"])
        assert out["rouge1"] == 1.0
    elif name == "multilabel_classification":
        assert metric.compute(predictions=[["x"]], references=[["x"]], labels=["x"])["accuracy"] == 1.0
    elif name == "semantic_similarity":
        out = metric.compute(predictions=["Troops left."], references=["Troops left."])
        assert out["semantic_similarity"] == pytest.approx(1.0, abs=1e-5)
    else:
        assert metric.compute(predictions=["Troops left."], sources=["Troops left the town."])


# --- text helpers -------------------------------------------------------------------------------------


def test_split_sentences_handles_abbreviations_and_newlines() -> None:
    text = "Mr. Smith met the U.S. envoy on Jan. 5. They agreed! Talks ended.\nA new line"
    assert split_sentences(text) == [
        "Mr. Smith met the U.S. envoy on Jan. 5.",
        "They agreed!",
        "Talks ended.",
        "A new line",
    ]


def test_split_sentences_leaves_lowercased_tokenised_text_whole() -> None:
    # XSum's official files: one lower-cased summary per line must stay one sentence.
    assert split_sentences("the un said . `` we will act . ''") == ["the un said . `` we will act . ''"]


def test_words_lowercases_and_drops_punctuation() -> None:
    assert words("The U.N.'s 5,000-strong force.") == ["the", "u", "n", "s", "5", "000", "strong", "force"]


# --- rouge --------------------------------------------------------------------------------------------


def test_rouge_matches_hand_computed_scores(rouge) -> None:
    # Unigrams: the x2, cat, on, mat shared = 5 of 6; bigrams: the-cat, on-the, the-mat = 3 of 5;
    # LCS "the cat on the mat" = 5 of 6.
    out = rouge.compute(predictions=["the cat sat on the mat"], references=["the cat lay on the mat"])
    assert out["rouge1"] == pytest.approx(5 / 6)
    assert out["rouge2"] == pytest.approx(3 / 5)
    assert out["rougeL"] == pytest.approx(5 / 6)
    assert out["rougeLsum"] == pytest.approx(5 / 6)


def test_rouge_precision_and_recall_combine_as_f1(rouge) -> None:
    out = rouge.compute(predictions=["the cat sat"], references=["the cat sat down"])
    assert out["rouge1"] == pytest.approx(2 * 1.0 * 0.75 / 1.75)


def test_rouge_l_and_lsum_differ_on_reordered_sentences(rouge) -> None:
    # As one sequence the LCS covers one sentence (3 of 6 tokens); summary-level ROUGE-L takes the union
    # LCS per reference sentence and covers both.
    out = rouge.compute(
        predictions=["Dogs ran fast. The cat sat."], references=["The cat sat. Dogs ran fast."]
    )
    assert out["rouge1"] == pytest.approx(1.0)
    assert out["rougeL"] == pytest.approx(0.5)
    assert out["rougeLsum"] == pytest.approx(1.0)
    # Without sentence splitting (and no newlines) Lsum falls back to one sentence, equal to L.
    flat = rouge.compute(
        predictions=["Dogs ran fast. The cat sat."],
        references=["The cat sat. Dogs ran fast."],
        split_sentences=False,
    )
    assert flat["rougeLsum"] == pytest.approx(0.5)


def test_rouge_stemming_is_on_by_default_and_configurable(rouge) -> None:
    kwargs = {
        "predictions": ["ministers agreed"],
        "references": ["minister agrees"],
        "rouge_types": ["rouge1"],
    }
    assert rouge.compute(**kwargs)["rouge1"] == pytest.approx(1.0)
    assert rouge.compute(**kwargs, use_stemmer=False)["rouge1"] == pytest.approx(0.0)


def test_rouge155_stemmer_uses_wordnet_exceptions(rouge) -> None:
    kwargs = {"predictions": ["he said"], "references": ["they say"], "rouge_types": ["rouge1"]}
    assert rouge.compute(**kwargs)["rouge1"] == pytest.approx(0.0)  # porter: "said" stays "said"
    assert rouge.compute(**kwargs, stemmer="rouge155")["rouge1"] == pytest.approx(0.5)  # "said" -> "say"


def test_rouge_per_sample_scores_and_bounds(rouge) -> None:
    predictions = ["the cat sat", "", "completely different words"]
    references = ["the cat sat", "something", "the cat sat"]
    out = rouge.compute(predictions=predictions, references=references, use_aggregator=False)
    assert set(out) == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
    assert out["rouge1"] == pytest.approx([1.0, 0.0, 0.0])
    mean = rouge.compute(predictions=predictions, references=references)
    assert mean["rouge1"] == pytest.approx(1 / 3)
    assert all(0.0 <= v <= 1.0 for v in mean.values())


def test_rouge_takes_the_best_of_several_references(rouge) -> None:
    out = rouge.compute(predictions=["the cat sat"], references=[["a dog ran", "the cat sat"]])
    assert out["rouge1"] == pytest.approx(1.0)


def test_rouge_rejects_an_unknown_stemmer(rouge) -> None:
    with pytest.raises(ValueError, match="stemmer"):
        rouge.compute(predictions=["a"], references=["a"], stemmer="snowball")


def test_rouge_tokenizer_drops_tokenised_quotes_and_punctuation() -> None:
    assert RougeTokenizer(None).tokenize("`` we 'll go , '' he said .") == ["we", "ll", "go", "he", "said"]


def test_perl_porter_port_reproduces_rouge155_quirks() -> None:
    # ROUGE-1.5.5.pl's stemmer strips -ent after -ement fails; NLTK's Porter keeps "agreement".
    assert perl_porter_stem("agreement") == "agreem"
    assert perl_porter_stem("yesterday") == "yesterdai"
    assert perl_porter_stem("hopping") == "hop"
    assert perl_porter_stem("relational") == "relat"
    assert rouge155_stem("children") == "child"
    assert rouge155_stem("were") == "be"


# --- abstractiveness ----------------------------------------------------------------------------------


def test_copied_summary_has_no_novel_ngrams(abstractiveness) -> None:
    source = "The ministers met in Rome. They agreed to send more troops to the region next year."
    out = abstractiveness.compute(predictions=["They agreed to send more troops."], sources=[source])
    for n in (1, 2, 3, 4):
        assert out[f"novel_{n}gram_rate"] == 0.0
    assert out["copy_rate"] == 1.0
    assert out["summary_length"] == 6
    assert out["compression_ratio"] == pytest.approx(16 / 6)


def test_novel_ngram_rates_hand_computed(abstractiveness) -> None:
    out = abstractiveness.compute(
        predictions=["the dog sat on the mat"], sources=["the cat sat on the mat"], use_aggregator=False
    )
    # novel: unigram "dog"; bigrams the-dog, dog-sat; trigrams the-dog-sat, dog-sat-on; 4-grams two of three.
    assert out["novel_1gram_rate"] == pytest.approx([1 / 6])
    assert out["novel_2gram_rate"] == pytest.approx([2 / 5])
    assert out["novel_3gram_rate"] == pytest.approx([2 / 4])
    assert out["novel_4gram_rate"] == pytest.approx([2 / 3])
    assert out["copy_rate"] == pytest.approx([0.5])
    assert out["compression_ratio"] == pytest.approx([1.0])


def test_fully_novel_summary_and_short_summaries(abstractiveness) -> None:
    out = abstractiveness.compute(
        predictions=["Storms hit coastal towns.", "Talks."],
        sources=["The ministers met in Rome.", "Talks ended."],
        use_aggregator=False,
    )
    assert out["novel_1gram_rate"] == pytest.approx([1.0, 0.0])
    assert math.isnan(out["novel_2gram_rate"][1])  # one word has no bigram
    mean = abstractiveness.compute(
        predictions=["Storms hit coastal towns.", "Talks."],
        sources=["The ministers met in Rome.", "Talks ended."],
    )
    assert mean["novel_2gram_rate"] == pytest.approx(1.0)  # the undefined sample is skipped, not zero


# --- faithfulness -------------------------------------------------------------------------------------

SOURCE = (
    "Foreign ministers of the coalition met in Kuwait on Tuesday. They pledged 5000 troops and 2.5 million "
    "dollars for reconstruction. The envoy, John Allen, said three cities had been retaken."
)


def test_faithfulness_flags_numbers_absent_from_the_source(faithfulness) -> None:
    out = faithfulness.compute(
        predictions=["The coalition pledged 5,000 troops, 2.50 million dollars and 40 tanks for 3 cities."],
        sources=[SOURCE],
    )
    # 5,000 == 5000, 2.50 == 2.5, "three" supports 3; only 40 is invented.
    assert out["unsupported_numbers"] == [["40"]]
    assert out["unsupported_number_rate"] == pytest.approx(1 / 4)
    assert out["flagged"] == [True]


def test_faithfulness_flags_entities_absent_from_the_source(faithfulness) -> None:
    out = faithfulness.compute(
        predictions=["Ministers met in Kuwait and Baghdad, the envoy John Allen and Barack Obama said."],
        sources=[SOURCE],
    )
    # "Ministers" opens the sentence (not checked); Kuwait and John Allen are in the source.
    assert out["unsupported_entities"] == [["Baghdad", "Barack Obama"]]
    assert out["unsupported_entity_rate"] == pytest.approx(2 / 4)


def test_faithfulness_flags_unsupported_sentences(faithfulness) -> None:
    prediction = "They pledged 5000 troops for reconstruction. Storms flooded farms across Spain."
    out = faithfulness.compute(predictions=[prediction], sources=[SOURCE])
    assert out["unsupported_sentences"] == [["Storms flooded farms across Spain."]]
    assert out["unsupported_sentence_rate"] == pytest.approx(1 / 2)
    relaxed = faithfulness.compute(predictions=[prediction], sources=[SOURCE], sentence_threshold=0.0)
    assert relaxed["unsupported_sentences"] == [[]]


def test_faithfulness_of_a_copied_summary_and_aggregates(faithfulness) -> None:
    copied = "The envoy, John Allen, said three cities had been retaken."
    out = faithfulness.compute(
        predictions=[copied, "Paris sent 300 jets to Madrid."], sources=[SOURCE, SOURCE]
    )
    assert out["flagged"] == [False, True]
    assert out["faithfulness"] == pytest.approx(0.5)
    assert out["unsupported_numbers"][0] == [] and out["unsupported_entities"][0] == []
    assert out["unsupported_numbers"][1] == ["300"]
    assert out["unsupported_entities"][1] == ["Madrid"]  # "Paris" opens its sentence


# --- multilabel classification ------------------------------------------------------------------------

PREDICTIONS = [["a"], ["a", "b"], [], ["c"]]
REFERENCES = [["a"], ["b"], ["c"], ["c"]]
LABELS = ["a", "b", "c"]


def test_classification_hand_computed(classification) -> None:
    out = classification.compute(predictions=PREDICTIONS, references=REFERENCES, labels=LABELS)
    assert out["accuracy"] == pytest.approx(0.5)  # items 0 and 3 match exactly
    assert out["per_label"]["a"] == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(2 / 3),
        "support": 1,
    }
    assert out["per_label"]["c"]["recall"] == 0.5
    assert out["macro_f1"] == pytest.approx(7 / 9)
    assert out["micro_f1"] == pytest.approx(0.75)
    assert out["confusion_matrices"]["a"] == [[2, 1], [0, 1]]
    assert out["n_items"] == 4
    assert "ece" not in out


def test_classification_agrees_with_sklearn(classification) -> None:
    rng = np.random.default_rng(7)
    labels = ["commitment", "threat", "support", "other"]
    y_true = rng.random((60, 4)) < 0.35
    y_pred = rng.random((60, 4)) < 0.35

    def as_lists(row: np.ndarray) -> list[str]:
        return [labels[j] for j in np.flatnonzero(row)]

    out = classification.compute(
        predictions=[as_lists(r) for r in y_pred], references=[as_lists(r) for r in y_true], labels=labels
    )
    _, _, f, s = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    assert out["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro", zero_division=0))
    assert out["micro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="micro", zero_division=0))
    assert out["accuracy"] == pytest.approx(np.mean(np.all(y_true == y_pred, axis=1)))
    for j, label in enumerate(labels):
        assert out["per_label"][label]["f1"] == pytest.approx(f[j])
        assert out["per_label"][label]["support"] == s[j]
    assert [out["confusion_matrices"][label] for label in labels] == multilabel_confusion_matrix(
        y_true, y_pred
    ).tolist()


def test_classification_ece(classification) -> None:
    kwargs = {"predictions": [["a"], []], "references": [["a"], []], "labels": ["a", "b"]}
    perfect = classification.compute(**kwargs, scores=[[1.0, 0.0], [0.0, 0.0]])
    assert perfect["ece"] == pytest.approx(0.0)
    # Every decision at 0.95 while one of four is positive: |0.95 - 0.25| in a single bin.
    overconfident = classification.compute(**kwargs, scores=[[0.95, 0.95], [0.95, 0.95]])
    assert overconfident["ece"] == pytest.approx(0.7)
    # Two bins: {0.9, 0.9} with outcomes {1, 0} (gap 0.4) and {0.1, 0.1} with {0, 0} (gap 0.1).
    mixed = classification.compute(**kwargs, scores=[[0.9, 0.1], [0.1, 0.9]])
    assert mixed["ece"] == pytest.approx(0.5 * 0.4 + 0.5 * 0.1)


def test_classification_rejects_bad_input(classification) -> None:
    with pytest.raises(InputError, match="not in labels"):
        classification.compute(predictions=[["zzz"]], references=[["a"]], labels=["a"])
    with pytest.raises(InputError, match="label set"):
        classification.compute(predictions=[["a"]], references=[["a"]])
    with pytest.raises(InputError, match="shape"):
        classification.compute(predictions=[["a"]], references=[["a"]], labels=["a"], scores=[[0.5, 0.5]])
