"""Statement classification: one interface, three implementations, one config format.

Every classifier scores each substantive label of its taxonomy, keeps the labels whose score reaches that
label's decision threshold, and assigns the taxonomy's fallback label (``other``) alone when none does.

- :class:`FineTunedClassifier`: MiniLM fine-tuned with a multi-label head (``stancekit.training``); the
  shipped one is LoRA adapters plus the head, loaded over the embedded MiniLM.
- :class:`ZeroShotClassifier`: cosine similarity between the statement and each label's definition and
  examples (mean-pooled MiniLM embeddings), as a softmax over all labels; thresholds chosen on the dev split
  of our statements.
- :class:`LexiconClassifier`: cue words and phrases from a YAML config, with negation and other-sense rules.

Encoder classifiers predict in length-sorted batches, each padded only to its own longest text. A text
longer than the encoder window (256 tokens for MiniLM) is split into overlapping windows whose scores are
max-pooled; ``Classification.windows`` says how many windows a text needed.

Example:
    >>> from stancekit import classify
    >>> result = classify("The president offered his deepest condolences to the victims' families.")
    >>> result[0].labels  # doctest: +SKIP
    ['condolence']
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stancekit.errors import ConfigError
from stancekit.statements.classifiers.base import (
    Classification,
    Classifier,
    choose_thresholds,
    decide,
    label_matrix,
    texts_of,
)
from stancekit.statements.classifiers.config import (
    DEFAULT_CLASSIFIER,
    ClassifierConfig,
    LexiconSettings,
    LoraSettings,
    TrainConfig,
    ZeroShotSettings,
    load_classifier_config,
    resolve_path,
)
from stancekit.statements.classifiers.encoder import WindowedEncoder, encoder_window, quiet_transformers
from stancekit.statements.classifiers.fine_tuned import FineTunedClassifier, resolve_weights
from stancekit.statements.classifiers.lexicon import LexiconClassifier
from stancekit.statements.classifiers.zero_shot import ZeroShotClassifier
from stancekit.statements.statement import Statement
from stancekit.statements.taxonomy import load_taxonomy


def build_classifier(config: ClassifierConfig) -> Classifier:
    """Instantiate the classifier a validated config describes (with its ``thresholds:`` when given)."""
    classifier = _build(config)
    if config.thresholds is not None:
        missing = [label for label in classifier.labels if label not in config.thresholds]
        extra = [label for label in config.thresholds if label not in classifier.labels]
        if missing or extra:
            raise ConfigError(
                f"classifier {config.name!r}: `thresholds:` must give exactly the labels {classifier.labels} "
                f"(missing {missing}, unknown {extra}).",
                fix="give one threshold per substantive label (the fallback label has none).",
            )
        classifier.thresholds = np.asarray([config.thresholds[label] for label in classifier.labels])
    return classifier


def _build(config: ClassifierConfig) -> Classifier:
    common = {"batch_size": config.batch_size, "max_length": config.max_length, "stride": config.stride}
    if config.kind == "fine_tuned":
        assert config.weights is not None
        classifier = FineTunedClassifier(
            resolve_weights(config.weights),
            device=config.device,
            dtype=config.dtype,
            name=config.name,
            **common,
        )
        expected = load_taxonomy(config.taxonomy)
        if classifier.taxonomy.substantive != expected.substantive:
            raise ConfigError(
                f"classifier {config.name!r} was trained on labels {classifier.taxonomy.substantive}, "
                f"but the config names taxonomy {expected.name!r} with {expected.substantive}.",
                fix="point `taxonomy:` at the taxonomy it was trained on, or retrain.",
            )
        return classifier
    taxonomy = load_taxonomy(config.taxonomy)
    if config.kind == "zero_shot":
        assert config.zero_shot is not None
        return ZeroShotClassifier(
            taxonomy, config.zero_shot, device=config.device, name=config.name, **common
        )
    assert config.lexicon is not None
    return LexiconClassifier(taxonomy, config.lexicon, name=config.name)


def load_classifier(config_or_name: ClassifierConfig | str | Path = DEFAULT_CLASSIFIER) -> Classifier:
    """A classifier from a config object, a shipped config name (``diplomatic-v1-minilm``, ``zero-shot``,
    ``lexicon``) or a YAML path.

    Example:
        >>> lexicon = load_classifier("lexicon")
        >>> lexicon.predict(["The council condemned the attack."])[0].labels
        ['condemnation']
    """
    if isinstance(config_or_name, ClassifierConfig):
        return build_classifier(config_or_name)
    return _load_cached(str(config_or_name))


@functools.lru_cache(maxsize=4)
def _load_cached(ref: str) -> Classifier:
    return build_classifier(load_classifier_config(ref))


def classify(
    statements_or_texts: str | Statement | Sequence[str | Statement],
    *,
    classifier: Classifier | str | None = None,
) -> list[Classification]:
    """Classify statements (a str, a list of str, or a list of :class:`Statement`) into taxonomy labels.

    Uses the shipped fine-tuned classifier unless ``classifier`` (an instance or a config name) is given.
    Returns one :class:`Classification` per statement, in order. An empty statement raises InputError.

    Example:
        >>> classify(["The envoy urged both sides to return to the talks."])[0].labels  # doctest: +SKIP
        ['call_to_action']
    """
    texts = texts_of(statements_or_texts)
    if classifier is None or isinstance(classifier, (str, Path)):
        classifier = load_classifier(classifier or DEFAULT_CLASSIFIER)
    return classifier.predict(texts)


__all__ = [
    "DEFAULT_CLASSIFIER",
    "Classification",
    "Classifier",
    "ClassifierConfig",
    "FineTunedClassifier",
    "LexiconClassifier",
    "LexiconSettings",
    "LoraSettings",
    "TrainConfig",
    "WindowedEncoder",
    "ZeroShotClassifier",
    "ZeroShotSettings",
    "build_classifier",
    "choose_thresholds",
    "classify",
    "decide",
    "encoder_window",
    "label_matrix",
    "load_classifier",
    "load_classifier_config",
    "quiet_transformers",
    "resolve_path",
    "resolve_weights",
]
