"""Train the factual-consistency scorer from its config; a thin shell over stancekit.training.consistency.

    python scripts/train_consistency.py --config configs/consistency/consistency-minilm-v1.yaml \
        [training.epochs=2 training.learning_rate=3e-4 ...]

Dotted overrides change any config key. Prints each epoch's dev ROC-AUC and where the weights were written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from stancekit.errors import StancekitError
from stancekit.training.consistency import load_consistency_config, train_consistency

app = typer.Typer(add_completion=False)


@app.command()
def main(
    config: Annotated[Path, typer.Option("--config", help="consistency config YAML (or a shipped name)")],
    overrides: Annotated[
        list[str] | None, typer.Argument(help="dotted overrides, e.g. training.epochs=2")
    ] = None,
) -> None:
    console = Console()
    try:
        cfg = load_consistency_config(config, overrides)
        result = train_consistency(cfg, log=lambda line: console.print(line, highlight=False))
    except StancekitError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    console.print(result.model_dump_json(indent=2))


if __name__ == "__main__":
    app()
