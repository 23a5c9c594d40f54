"""Assign the fixed train/dev/test split of the statements dataset (deterministic for a seed).

    python scripts/split_statements.py [--data data/statements/statements.jsonl] [--seed 13]

Stratified by label combination; near-duplicates stay in one split (see stancekit.statements.data.assign_splits).
Re-running with the same seed on the same rows writes the same splits.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from stancekit.statements.data import (
    DEFAULT_STATEMENTS,
    assign_splits,
    read_statement_rows,
    write_statement_rows,
)

app = typer.Typer(add_completion=False)


@app.command()
def main(
    data: Annotated[Path, typer.Option(help="statements JSONL, rewritten in place")] = DEFAULT_STATEMENTS,
    taxonomy: Annotated[str, typer.Option(help="taxonomy name or path")] = "diplomatic-v1",
    seed: Annotated[int, typer.Option(help="seed of the shuffle within each label combination")] = 13,
    train: Annotated[float, typer.Option()] = 0.70,
    dev: Annotated[float, typer.Option()] = 0.15,
    test: Annotated[float, typer.Option()] = 0.15,
) -> None:
    rows = read_statement_rows(data, taxonomy)
    for row, split in zip(rows, assign_splits(rows, (train, dev, test), seed=seed), strict=True):
        row["split"] = split
    write_statement_rows(rows, data)
    counts = Counter(r["split"] for r in rows)
    typer.echo(
        f"{data}: " + ", ".join(f"{s} {counts[s]}" for s in ("train", "dev", "test")) + f" (seed {seed})"
    )


if __name__ == "__main__":
    app()
