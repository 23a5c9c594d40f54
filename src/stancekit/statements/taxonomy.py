"""Label sets (taxonomies) for statement classification, defined in YAML under ``configs/taxonomy/``.

A taxonomy is data: labels with a definition, invented examples and "not this" notes, boundary rules, and the
fallback label given when nothing else applies. A researcher defines another label set by writing another
YAML file; the loader, the classifiers and training read only the validated :class:`Taxonomy`.

Example:
    >>> from stancekit.taxonomy import load_taxonomy
    >>> taxonomy = load_taxonomy("diplomatic-v1")
    >>> taxonomy.fallback, taxonomy.substantive[:2]
    ('other', ['commitment', 'condolence'])
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from pydantic import Field, model_validator

from stancekit.config import StrictModel, load_config
from stancekit.errors import InputError

_LABEL_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class LabelDefinition(StrictModel):
    """One label: what a statement with it does, invented examples, and what it is not."""

    name: str = Field(description="snake_case label name, e.g. 'call_to_action'.")
    definition: str = Field(min_length=1)
    examples: list[str] = Field(default_factory=list, description="Invented sentences that carry the label.")
    not_this: list[str] = Field(default_factory=list, description="Near misses and the label they get.")

    @model_validator(mode="after")
    def _check_name(self) -> LabelDefinition:
        if not _LABEL_NAME.match(self.name):
            raise ValueError(f"label name {self.name!r} must be snake_case (a-z, 0-9, _)")
        return self


class Taxonomy(StrictModel):
    """A multi-label label set. ``fallback`` is assigned alone, when no other label applies."""

    name: str
    version: int = 1
    description: str = ""
    fallback: str = Field(description="The label for statements that carry none of the others, e.g. 'other'.")
    labels: list[LabelDefinition] = Field(min_length=2)
    boundary_rules: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_labels(self) -> Taxonomy:
        names = [label.name for label in self.labels]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate label names: {', '.join(duplicates)}")
        if self.fallback not in names:
            raise ValueError(f"fallback {self.fallback!r} is not one of the labels ({', '.join(names)})")
        return self

    @property
    def names(self) -> list[str]:
        """All label names in config order, the fallback included."""
        return [label.name for label in self.labels]

    @property
    def substantive(self) -> list[str]:
        """The labels a classifier scores: every label but the fallback, in config order."""
        return [label.name for label in self.labels if label.name != self.fallback]

    def label(self, name: str) -> LabelDefinition:
        for label in self.labels:
            if label.name == name:
                return label
        raise InputError(f"unknown label {name!r} in taxonomy {self.name!r}.", fix=self.suggestion(name))

    def suggestion(self, name: str) -> str:
        """A 'did you mean' hint naming the closest label, and the full list."""
        close = difflib.get_close_matches(name, self.names, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"{hint}Labels of {self.name}: {', '.join(self.names)}."

    def check_labels(self, labels: list[str], *, where: str | None = None) -> None:
        """Raise :class:`InputError` unless ``labels`` is a non-empty, duplicate-free set of known labels
        with the fallback only alone."""
        if not labels:
            raise InputError("a statement has no labels.", where=where, fix=f"use [{self.fallback!r}].")
        for name in labels:
            if name not in self.names:
                raise InputError(
                    f"label {name!r} is not in taxonomy {self.name!r}.",
                    where=where,
                    fix=self.suggestion(name),
                )
        if len(set(labels)) != len(labels):
            raise InputError(f"duplicate labels in {labels}.", where=where, fix="list each label once.")
        if self.fallback in labels and len(labels) > 1:
            raise InputError(
                f"{self.fallback!r} appears together with other labels {labels}.",
                where=where,
                fix=f"{self.fallback!r} stands alone: drop it, or drop the other labels.",
            )


def load_taxonomy(name_or_path: str | Path) -> Taxonomy:
    """Load a shipped taxonomy by name (``diplomatic-v1``) or any YAML file by path."""
    return load_config(Taxonomy, name_or_path, "taxonomy")
