"""Speaker accuracy, null precision and target span match on a split of the natural set.

    python scripts/evaluate_spans.py --split test --output results/natural-test-spans/spans.json

A thin shell over stancekit.evaluation.spans: segments each article of the split, classifies its statements with
the shipped classifier, and scores against data/natural/<split>.jsonl. The target finder (the shipped ranker, or
--targets rules for the rules alone) is scored twice: end to end (given the predicted labels, shown only for speech
acts, as analyse does) and alone (given the gold labels; the target_rule_* fields).
--mismatches writes every statement whose speaker or either target differs from the gold, for error analysis.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated

import typer

from stancekit.evaluation.spans import SpanPrediction, normalise_name, score_spans
from stancekit.io import write_atomic
from stancekit.statements.analysed import resolve_classifier
from stancekit.statements.data import NATURAL_DIR, load_articles, read_natural_rows
from stancekit.statements.segment import parse

app = typer.Typer(add_completion=False)


@app.command()
def main(
    split: Annotated[str, typer.Option(help="train, dev or test")] = "test",
    classifier: Annotated[str, typer.Option(help="classifier config name or YAML")] = "diplomatic-v1-minilm",
    targets: Annotated[
        str, typer.Option(help="ranked (the shipped ranker, as analyse shows) or rules (the rules alone)")
    ] = "ranked",
    output: Annotated[Path | None, typer.Option(help="results JSON to write")] = None,
    mismatches: Annotated[
        Path | None, typer.Option(help="JSONL of statements that differ from the gold")
    ] = None,
) -> None:
    if targets not in ("ranked", "rules"):
        raise typer.BadParameter(f"--targets must be ranked or rules, not {targets!r}.")
    ranked = targets == "ranked"
    gold = read_natural_rows(NATURAL_DIR / f"{split}.jsonl")
    articles = {k: v["article"] for k, v in load_articles().items()}
    model = resolve_classifier(classifier)
    cache: dict[str, list[SpanPrediction]] = {}

    def predict(article: str) -> list[SpanPrediction]:
        # analyse_statements, taken apart: the target rule is kept so it can be given the gold labels too
        parsed = parse(article)
        found = model.predict([p.statement for p in parsed]) if parsed else []
        result = [
            SpanPrediction(p.statement, c.labels, functools.partial(p.target, ranked=ranked))
            for p, c in zip(parsed, found, strict=True)
        ]
        cache[article] = result
        return result

    scores = score_spans(gold, predict, articles)
    payload = {
        "command": f"python scripts/evaluate_spans.py --split {split} --classifier {classifier} --targets {targets}",
        "targets": targets,
        "classifier": model.name,
        "name_rule": normalise_name.__doc__,
        **scores.model_dump(),
    }
    text = json.dumps(payload, indent=2) + "\n"
    print(text)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(output, text)
    if mismatches is not None:
        lines = []
        for row in gold:
            found = {(p.statement.start, p.statement.end): p for p in cache[articles[row.article_id]]}.get(
                (row.start, row.end)
            )
            speaker = found.statement.speaker if found else None
            shown = found is not None and found.labels != ["other"]
            target = found.target_for(found.labels) if found and shown else None
            rule = found.target_for(row.labels) if found and row.labels != ["other"] else None
            gold_name = normalise_name(row.speaker.name) if row.speaker else None
            name = normalise_name(speaker.name) if speaker else None
            gold_span = (row.target.start, row.target.end) if row.target else None
            span = (target.start, target.end) if target else None
            rule_span = (rule.start, rule.end) if rule else None
            if gold_name != name or (
                row.labels != ["other"] and (gold_span != span or gold_span != rule_span)
            ):
                lines.append(
                    json.dumps(
                        {
                            "id": row.id,
                            "labels": row.labels,
                            "predicted_labels": found.labels if found else None,
                            "gold_speaker": row.speaker.name if row.speaker else None,
                            "speaker": speaker.name if speaker else None,
                            "gold_target": row.target.text if row.target else None,
                            "target": target.text if target else None,
                            "rule_target": rule.text if rule else None,
                            "text": row.text,
                        },
                        ensure_ascii=False,
                    )
                )
        mismatches.parent.mkdir(parents=True, exist_ok=True)
        mismatches.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    app()
