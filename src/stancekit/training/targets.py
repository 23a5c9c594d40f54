"""Training the target ranker (:mod:`stancekit.statements.target_ranker`) on the natural set's gold targets.

Recipe (:func:`train_target_ranker`): segment every article of the train and dev splits, match each labelled
statement with a gold target to the segmenter's statement at the same offsets, and score every candidate span
of it with its features, given the gold labels. A candidate is positive when its offsets are exactly the gold
target's. For each ``C`` of the config a logistic regression is fitted on train; the one whose top candidate
per statement matches the gold on dev most often (exact, then overlapping) is kept and saved, with the rules'
figures on the same statements beside it, to ``output_dir/ranker.json``.

Exact match is the objective on purpose: trained to overlap the gold, the model learns to pick the longest
phrase of the statement, which overlaps almost anything (in a trial, 88% overlapping, 8% exact).

Example:
    >>> from stancekit.training.targets import load_target_ranker_config, train_target_ranker
    >>> train_target_ranker(load_target_ranker_config("target-ranker-v1"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, Field

from stancekit.config import StrictModel, load_config
from stancekit.errors import InputError
from stancekit.io import check_output_path, write_atomic
from stancekit.statements.classifiers.config import resolve_path
from stancekit.statements.target_ranker import RANKER_FILE, candidates, overlaps
from stancekit.training.environment import library_versions


class TargetRankerTraining(StrictModel):
    natural_dir: str = Field(default="data/natural", description="the natural set: <split>.jsonl per split")
    articles: str = "data/summaries/summaries.jsonl"
    train_split: str = "train"
    dev_split: str = "dev"
    output_dir: str
    c_grid: list[float] = Field(default_factory=lambda: [0.03, 0.1, 0.3, 1.0], min_length=1)


class TargetRankerConfig(StrictModel):
    name: str
    training: TargetRankerTraining


def load_target_ranker_config(ref: str | Path, overrides: list[str] | None = None) -> TargetRankerConfig:
    """A target-ranker config by path or shipped name (``configs/targets/<name>.yaml``)."""
    return load_config(TargetRankerConfig, ref, "targets", overrides)


class _Example(NamedTuple):
    gold: tuple[int, int]
    rule: tuple[int, int] | None
    candidates: list[tuple[tuple[int, int], list[str]]]  # document offsets, features


class Match(BaseModel):
    exact: float
    partial: float
    n: int


class TargetRankerResult(BaseModel):
    output_dir: str
    n: dict[str, int]
    c: float
    dev_by_c: dict[str, Match]
    dev_ranker: Match
    dev_rules: Match
    features: int
    seconds: float


def _examples(split: str, tc: TargetRankerTraining, articles: dict[str, dict[str, Any]]) -> list[_Example]:
    from stancekit.statements.data import read_natural_rows
    from stancekit.statements.segment import parse

    rows = read_natural_rows(resolve_path(tc.natural_dir) / f"{split}.jsonl", articles=articles)
    by_article: dict[str, list[Any]] = {}
    for row in rows:
        if row.target is not None and row.labels != ["other"]:
            by_article.setdefault(row.article_id, []).append(row)
    examples = []
    for article_id, gold_rows in by_article.items():
        parsed = {(p.statement.start, p.statement.end): p for p in parse(articles[article_id]["article"])}
        for row in gold_rows:
            found = parsed.get((row.start, row.end))
            if found is None:
                continue  # the segmenter cut this sentence elsewhere: no candidates to rank
            rule, scored = candidates(found.tokens, row.labels, found.speaker_span())
            shift = found.offset
            moved = (rule[0] + shift, rule[1] + shift) if rule is not None else None
            shifted = [((span[0] + shift, span[1] + shift), features) for span, features in scored]
            examples.append(_Example((row.target.start, row.target.end), moved, shifted))
    return examples


def _match(chosen: list[tuple[int, int] | None], examples: list[_Example]) -> Match:
    n = len(examples)
    exact = sum(c == e.gold for c, e in zip(chosen, examples, strict=True))
    partial = sum(overlaps(c, e.gold) for c, e in zip(chosen, examples, strict=True))
    return Match(exact=round(exact / max(n, 1), 4), partial=round(partial / max(n, 1), 4), n=n)


def train_target_ranker(config: TargetRankerConfig, *, log: Any = print) -> TargetRankerResult:
    """Train the ranker described by ``config`` and save it (see the module docstring)."""
    import numpy as np
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    tc = config.training
    output = resolve_path(tc.output_dir)
    check_output_path(output, "directory", what="training.output_dir")
    from stancekit.statements.data import load_articles

    articles = load_articles(resolve_path(tc.articles))
    train, dev = _examples(tc.train_split, tc, articles), _examples(tc.dev_split, tc, articles)
    if not train or not dev:
        raise InputError(
            f"no labelled statements with a gold target in the {tc.train_split!r} or {tc.dev_split!r} split "
            f"of {tc.natural_dir}.",
            fix="check training.natural_dir and the split names.",
        )
    log(f"statements: train {len(train)}, dev {len(dev)}")

    def rows(examples: list[_Example]) -> tuple[list[dict[str, int]], list[int], list[int]]:
        x, y, group = [], [], []
        for k, example in enumerate(examples):
            for span, features in example.candidates:
                x.append(dict.fromkeys(features, 1))
                y.append(int(span == example.gold))
                group.append(k)
        return x, y, group

    x_train, y_train, _ = rows(train)
    x_dev, _, dev_group = rows(dev)
    vectoriser = DictVectorizer()
    a_train = vectoriser.fit_transform(x_train)
    a_dev = vectoriser.transform(x_dev)

    dev_spans = [span for example in dev for span, _ in example.candidates]

    def top(scores: Any) -> list[tuple[int, int] | None]:
        best: dict[int, tuple[float, tuple[int, int]]] = {}
        for score, k, span in zip(scores, dev_group, dev_spans, strict=True):
            if k not in best or score > best[k][0]:
                best[k] = (float(score), span)
        return [best[k][1] if k in best else e.rule for k, e in enumerate(dev)]

    by_c: dict[str, Match] = {}
    chosen: tuple[tuple[float, float], float, Any] | None = None
    for c in tc.c_grid:
        model = LogisticRegression(C=c, max_iter=5000).fit(a_train, np.asarray(y_train))
        match = _match(top(model.decision_function(a_dev)), dev)
        by_c[str(c)] = match
        log(f"C={c}: dev exact {match.exact:.3f}, partial {match.partial:.3f} (n {match.n})")
        if chosen is None or (match.exact, match.partial) > chosen[0]:
            chosen = ((match.exact, match.partial), c, model)
    assert chosen is not None
    _, c, model = chosen
    rules_dev = _match([e.rule for e in dev], dev)
    names = vectoriser.get_feature_names_out()
    weights = {
        str(f): round(float(w), 6) for f, w in zip(names, model.coef_[0], strict=True) if abs(w) > 1e-6
    }
    n = {"train_statements": len(train), "dev_statements": len(dev), "train_candidates": len(y_train)}
    meta = {
        "name": config.name,
        "kind": "logistic regression over candidate-span features (stancekit.statements.target_ranker)",
        "intercept": float(model.intercept_[0]),
        "weights": dict(sorted(weights.items())),
        "C": c,
        "n": n,
        "dev_by_c": {k: v.model_dump() for k, v in by_c.items()},
        "dev_ranker": by_c[str(c)].model_dump(),
        "dev_rules": rules_dev.model_dump(),
        "config": config.model_dump(mode="json"),
        "config_fingerprint": config.fingerprint(),
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
    }
    write_atomic(output / RANKER_FILE, json.dumps(meta, indent=1) + "\n")
    return TargetRankerResult(
        output_dir=str(output),
        n=n,
        c=c,
        dev_by_c=by_c,
        dev_ranker=by_c[str(c)],
        dev_rules=rules_dev,
        features=len(weights),
        seconds=round(time.perf_counter() - started, 1),
    )
