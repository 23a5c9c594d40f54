"""Segment the team's articles into statements for annotation, one JSONL file per split.

    python scripts/segment_for_annotation.py --output-dir DIR [--summaries data/summaries/summaries.jsonl]

Each row is a statement as `stancekit.segment` cuts it, with offsets into its article, and no label,
speaker or target: annotators fill those in, unprimed by the model's guesses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from stancekit.io import write_atomic
from stancekit.statements.segment import segment

app = typer.Typer(add_completion=False)


@app.command()
def main(
    output_dir: Annotated[Path, typer.Option(help="where train/dev/test.jsonl are written")],
    summaries: Annotated[Path, typer.Option(help="article/summary JSONL")] = Path(
        "data/summaries/summaries.jsonl"
    ),
) -> None:
    by_split: dict[str, list[str]] = {}
    for line in summaries.read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        for index, statement in enumerate(segment(article["article"])):
            row = {
                "id": f"{article['id']}-s{index:03d}",
                "article_id": article["id"],
                "split": article["split"],
                "index": index,
                "start": statement.start,
                "end": statement.end,
                "kind": statement.kind,
                "text": statement.text,
            }
            by_split.setdefault(article["split"], []).append(json.dumps(row, ensure_ascii=False))
    output_dir.mkdir(parents=True, exist_ok=True)
    for split, rows in sorted(by_split.items()):
        write_atomic(output_dir / f"{split}.jsonl", "\n".join(rows) + "\n")
        typer.echo(f"{split}: {len(rows)} statements")


if __name__ == "__main__":
    app()
