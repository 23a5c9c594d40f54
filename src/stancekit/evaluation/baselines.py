"""The majority-class baseline every classifier must beat."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from stancekit.errors import InputError

# Function words carry no topic: two sentences sharing "the" and "of" are not similar.


class MajorityClassifier:
    """Predicts the most frequent label set of its training data for every text (ties: the sorted-first set)."""

    def __init__(self, labels: Sequence[str]) -> None:
        if not labels:
            raise InputError("the majority baseline needs a non-empty label set to predict.")
        self.labels = list(labels)

    @classmethod
    def from_label_sets(cls, label_sets: Sequence[Sequence[str]]) -> MajorityClassifier:
        counts = Counter(tuple(sorted(labels)) for labels in label_sets if labels)
        if not counts:
            raise InputError("the majority baseline got no labelled training items.")
        top = max(counts.values())
        return cls(list(min(labels for labels, count in counts.items() if count == top)))

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        return [list(self.labels) for _ in texts]
