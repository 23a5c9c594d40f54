"""Targets ranked: a logistic model picks the target among the statement's candidate spans.

The rules of :mod:`stancekit.statements.targets` take one argument per trigger; where the guidelines name
another one (the subject of "X is a gamble", the danger rather than the observer), they miss. The ranker sees
every candidate, the phrase :func:`~stancekit.statements.targets.find_target` would cut around each noun,
pronoun, verb or adjective of the statement, and scores it with a logistic model over parse features
(:func:`candidate_features`): its dependency relation and its head's, the speech-act family of the word it
hangs off, entity type, length, position, whether it overlaps the speaker or is the rule's own answer, each
also conjoined with the statement's labels. The highest-scoring candidate is the target.

Weights are trained on the natural set's train split (gold labels and targets) by
``scripts/train_target_ranker.py``, with C chosen on its dev split, and ship as
``weights/<name>/ranker.json``. With no labels, or no candidate, the rule's answer stands.

Example:
    >>> from stancekit.statements.target_ranker import load_target_ranker
    >>> load_target_ranker().choose(tokens, ["condemnation"])  # doctest: +SKIP
    (12, 26)
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from stancekit.config import WEIGHTS_DIR
from stancekit.errors import InputError
from stancekit.statements import targets as rules

if TYPE_CHECKING:
    from spacy.tokens import Token

DEFAULT_RANKER = "target-ranker-v1"
RANKER_FILE = "ranker.json"
# Heads whose phrase can name whom or what a statement is about.
_HEAD_POS = frozenset({"NOUN", "PROPN", "PRON", "NUM", "VERB", "ADJ", "X", "SYM"})

Span = tuple[int, int]


def candidate_spans(tokens: Sequence[Token]) -> dict[Span, tuple[Token, list[Token]]]:
    """Each candidate's character span (into the tokens' doc), with its head token and its tokens."""
    tokens = rules.without_dateline(tokens)
    inside = {t.i for t in tokens}
    found: dict[Span, tuple[Token, list[Token]]] = {}
    for token in tokens:
        if token.pos_ in _HEAD_POS:
            run = rules._phrase(token, inside)
            if run:
                found.setdefault((run[0].idx, run[-1].idx + len(run[-1].text)), (token, run))
    return found


def _family(token: Token) -> str:
    return next((act for act, stems in rules._FAMILIES.items() if token.lower_.startswith(stems)), "none")


def overlaps(a: Span | None, b: Span) -> bool:
    """Whether span ``a`` (None: no span) shares a character with ``b``."""
    return a is not None and a[0] < b[1] and b[0] < a[1]


def candidate_features(
    head: Token,
    run: Sequence[Token],
    tokens: Sequence[Token],
    labels: Sequence[str],
    rule: Span | None,
    speaker: Span | None,
) -> list[str]:
    """The candidate's features: parse facts about it, each also conjoined with each of the labels."""
    span = (run[0].idx, run[-1].idx + len(run[-1].text))
    parent = head.head
    root = next((t.i for t in tokens if t.dep_ == "ROOT"), head.i)
    order = [t.i for t in tokens]
    position = order.index(head.i) if head.i in order else 0
    first = run[0].lower_ if run[0].pos_ in ("DET", "PRON") else run[0].pos_
    by_rule = "exact" if rule == span else ("over" if overlaps(rule, span) else "no")
    base = [
        f"dep={head.dep_}",
        f"pos={head.pos_}",
        f"hdep={parent.dep_}",
        f"hpos={parent.pos_}",
        f"dep2={head.dep_}/{parent.dep_}",
        f"ent={head.ent_type_}",
        f"prep={parent.lower_ if head.dep_ == 'pobj' else '-'}",
        f"hfam={_family(parent)}",
        f"hhfam={_family(parent.head)}",
        f"trig={rules._is_trigger(parent)}",
        f"htrig={rules._is_trigger(parent.head)}",
        f"len={min(len(run), 8)}",
        f"first={first}",
        f"rule={by_rule}",
        f"spk={'over' if overlaps(speaker, span) else 'no'}",
        f"pos_rel={'before' if head.i < root else 'after'}",
        f"rank={min(position * 5 // max(len(tokens), 1), 4)}",
        f"usable={rules._usable(head)}",
        f"quote={sum(t.is_quote for t in tokens if t.i < head.i) % 2}",
    ]
    return base + [f"{label}|{feature}" for label in labels for feature in base]


def candidates(
    tokens: Sequence[Token], labels: Sequence[str], speaker: Span | None = None
) -> tuple[Span | None, list[tuple[Span, list[str]]]]:
    """The rules' answer for ``labels``, and every candidate span with its features (none when no label is a
    speech act). What the ranker scores and what it is trained on."""
    rule = rules.find_target(tokens, labels)
    acts = [label for label in labels if label in rules._FAMILIES]
    if not acts:
        return rule, []
    return rule, [
        (span, candidate_features(head, run, tokens, acts, rule, speaker))
        for span, (head, run) in candidate_spans(tokens).items()
    ]


class TargetRanker:
    """A linear scorer over :func:`candidate_features`; :meth:`choose` returns the best candidate's span."""

    def __init__(self, weights: dict[str, float], intercept: float = 0.0, name: str = "custom") -> None:
        self.weights = weights
        self.intercept = intercept
        self.name = name

    @classmethod
    def from_file(cls, path: str | Path) -> TargetRanker:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            weights = {str(k): float(v) for k, v in data["weights"].items()}
            intercept = float(data.get("intercept", 0.0))
        except FileNotFoundError:
            raise InputError(
                f"no target ranker at {path}.",
                fix="train one with scripts/train_target_ranker.py, or pass the name of a shipped ranker.",
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise InputError(
                f"{path} is not a target ranker file ({error}).",
                fix="retrain it with scripts/train_target_ranker.py.",
            ) from None
        return cls(weights, intercept, name=str(data.get("name", path.parent.name)))

    def score(self, features: Sequence[str]) -> float:
        return self.intercept + math.fsum(self.weights.get(f, 0.0) for f in features)

    def choose(
        self, tokens: Sequence[Token], labels: Sequence[str], speaker: Span | None = None
    ) -> Span | None:
        """The target's character span (into the tokens' doc) for the statement's labels, or None.

        ``speaker``: where the speaker's name is, in the same offsets (a candidate overlapping it is rarely
        the target)."""
        rule, found = candidates(tokens, labels, speaker)
        if not found:
            return rule
        scored = [(self.score(features), span == rule, span) for span, features in found]
        return max(scored, key=lambda item: (item[0], item[1], -item[2][0]))[2]


@functools.lru_cache(maxsize=4)
def load_target_ranker(ref: str = DEFAULT_RANKER) -> TargetRanker:
    """A ranker by shipped name (``weights/<name>/ranker.json``) or by a path to its directory or file."""
    path = Path(ref)
    if not path.exists():
        path = WEIGHTS_DIR / ref
    if path.is_dir():
        path = path / RANKER_FILE
    return TargetRanker.from_file(path)
