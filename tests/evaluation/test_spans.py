"""Target scoring: the rule alone is given the gold labels, end to end the predicted ones."""

from __future__ import annotations

from stancekit.evaluation.spans import SpanPrediction, score_spans
from stancekit.statements.data import NaturalRow
from stancekit.statements.statement import Statement, Target

ARTICLE = "The council condemned the attack."
GOLD_TARGET = Target(start=22, end=32, text="the attack")


def _gold() -> list[NaturalRow]:
    return [
        NaturalRow(
            id="a-s0",
            article_id="a",
            split="dev",
            index=0,
            start=0,
            end=len(ARTICLE),
            kind="sentence",
            text=ARTICLE,
            labels=["condemnation"],
            speaker=None,
            target=GOLD_TARGET,
        )
    ]


def _score(predicted_labels: list[str]):
    statement = Statement(text=ARTICLE, start=0, end=len(ARTICLE))
    seen: list[list[str]] = []

    def target_for(labels: list[str]) -> Target | None:
        seen.append(list(labels))
        return GOLD_TARGET if labels == ["condemnation"] else Target(start=4, end=11, text="council")

    def predict(article: str) -> list[SpanPrediction]:
        return [SpanPrediction(statement, predicted_labels, target_for)]

    return score_spans(_gold(), predict, {"a": ARTICLE}), seen


def test_a_classifier_miss_costs_the_end_to_end_figure_not_the_rule() -> None:
    scores, seen = _score(["other"])
    assert scores.target_rule_exact.value == 1.0 and scores.target_rule_partial.value == 1.0
    assert scores.target_exact.value == 0.0 and scores.target_partial.value == 0.0
    assert seen == [
        ["condemnation"]
    ]  # the fallback shows no target: the rule is asked for the gold labels only


def test_end_to_end_asks_the_rule_for_the_predicted_labels() -> None:
    scores, seen = _score(["call_to_action"])
    assert scores.target_rule_exact.value == 1.0
    assert scores.target_exact.value == 0.0
    assert ["call_to_action"] in seen
