"""Speaker accuracy, null precision and target span match on a split of the natural set.

    python scripts/evaluate_spans.py --split test --output results/natural-test-spans/spans.json

A thin shell over stancekit.evaluation.spans: segments each article of the split, classifies its statements with
the shipped classifier (targets are shown only for speech acts), and scores against data/natural/<split>.jsonl.
--mismatches writes every statement whose speaker or target differs from the gold, for error analysis.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from stancekit.evaluation.spans import normalise_name, score_spans
from stancekit.io import write_atomic
from stancekit.statements.analysed import analyse_statements, resolve_classifier
from stancekit.statements.data import NATURAL_DIR, load_articles, read_natural_rows

app = typer.Typer(add_completion=False)


@app.command()
def main(
    split: Annotated[str, typer.Option(help="train, dev or test")] = "test",
    classifier: Annotated[str, typer.Option(help="classifier config name or YAML")] = "diplomatic-v1-minilm",
    output: Annotated[Path | None, typer.Option(help="results JSON to write")] = None,
    mismatches: Annotated[
        Path | None, typer.Option(help="JSONL of statements that differ from the gold")
    ] = None,
) -> None:
    gold = read_natural_rows(NATURAL_DIR / f"{split}.jsonl")
    articles = {k: v["article"] for k, v in load_articles().items()}
    model = resolve_classifier(classifier)
    cache: dict[str, list] = {}

    def predict(article: str) -> list:
        result = [(s, s.labels) for s in analyse_statements(article, classifier=model)]
        cache[article] = result
        return result

    scores = score_spans(gold, predict, articles)
    payload = {
        "command": f"python scripts/evaluate_spans.py --split {split} --classifier {classifier}",
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
            found = {(s.start, s.end): s for s, _ in cache[articles[row.article_id]]}.get(
                (row.start, row.end)
            )
            speaker = found.speaker if found else None
            target = found.target if found else None
            gold_name = normalise_name(row.speaker.name) if row.speaker else None
            name = normalise_name(speaker.name) if speaker else None
            gold_span = (row.target.start, row.target.end) if row.target else None
            span = (target.start, target.end) if target else None
            if gold_name != name or (row.labels != ["other"] and gold_span != span):
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
                            "text": row.text,
                        },
                        ensure_ascii=False,
                    )
                )
        mismatches.parent.mkdir(parents=True, exist_ok=True)
        mismatches.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    app()
