"""The lexicon baseline: cue phrases per label, with negation and other-sense rules."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from stancekit.errors import ConfigError
from stancekit.statements.classifiers.base import Classifier
from stancekit.statements.classifiers.config import LexiconSettings
from stancekit.statements.taxonomy import Taxonomy

if TYPE_CHECKING:
    pass


_WORD = re.compile(r"[\w']+")


class LexiconClassifier(Classifier):
    """Cue phrases per label (regular expressions), applied after removing other-sense phrases.

    A cue preceded within ``negation_window`` words by a negation ("did not condemn", "no plans to send")
    does not count. A label's score is 1 - 0.5**hits, so one cue gives 0.5, the threshold.
    """

    def __init__(self, taxonomy: Taxonomy, settings: LexiconSettings, *, name: str = "lexicon") -> None:
        unknown = [label for label in settings.cues if label not in taxonomy.substantive]
        if unknown:
            raise ConfigError(
                f"lexicon cues for labels {unknown} that taxonomy {taxonomy.name!r} does not score.",
                fix=taxonomy.suggestion(unknown[0]),
            )
        self.taxonomy = taxonomy
        self.settings = settings
        self.name = name
        self.thresholds = np.full(len(self.labels), 0.5)
        try:
            self._cues = {
                label: [re.compile(rf"(?<!\w){p}(?!\w)", re.IGNORECASE) for p in settings.cues.get(label, [])]
                for label in self.labels
            }
            self._other = [re.compile(rf"(?<!\w){p}(?!\w)", re.IGNORECASE) for p in settings.other_senses]
        except re.error as error:
            raise ConfigError(f"lexicon pattern {error.pattern!r} is not a valid regex: {error}") from None
        self._negations = {n.lower() for n in settings.negations}

    def _negated(self, text: str, start: int) -> bool:
        before = _WORD.findall(text[:start].lower())[-self.settings.negation_window :]
        return any(word in self._negations or word.endswith("n't") for word in before)

    def hits(self, text: str) -> dict[str, list[str]]:
        """The cue matches per label that count (not negated, not in an other-sense phrase)."""
        for pattern in self._other:
            text = pattern.sub(lambda m: " " * len(m.group(0)), text)
        found: dict[str, list[str]] = {}
        for label, patterns in self._cues.items():
            for pattern in patterns:
                for match in pattern.finditer(text):
                    if self.settings.negation_window and self._negated(text, match.start()):
                        continue
                    found.setdefault(label, []).append(match.group(0))
        return found

    def score(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        scores = np.zeros((len(texts), len(self.labels)))
        for i, text in enumerate(texts):
            found = self.hits(text)
            for j, label in enumerate(self.labels):
                scores[i, j] = 1.0 - 0.5 ** len(found.get(label, []))
        return scores, (scores.max(axis=1) < 0.5).astype(float), [1] * len(texts)


# --------------------------------------------------------------------------------------------- loading
