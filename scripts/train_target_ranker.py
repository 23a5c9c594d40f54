"""Train the target ranker from its config; a thin shell over stancekit.training.targets.

    python scripts/train_target_ranker.py --config configs/targets/target-ranker-v1.yaml [training.c_grid=[0.3]]

Dotted overrides change any config key. Prints each C's dev match and where the weights were written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from stancekit.errors import StancekitError
from stancekit.training.targets import load_target_ranker_config, train_target_ranker

app = typer.Typer(add_completion=False)


@app.command()
def main(
    config: Annotated[Path, typer.Option("--config", help="target-ranker config YAML (or a shipped name)")],
    overrides: Annotated[
        list[str] | None, typer.Argument(help="dotted overrides, e.g. training.c_grid=[0.3]")
    ] = None,
) -> None:
    console = Console()
    try:
        cfg = load_target_ranker_config(config, overrides)
        result = train_target_ranker(cfg, log=lambda line: console.print(line, highlight=False))
    except StancekitError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    console.print(result.model_dump_json(indent=2))


if __name__ == "__main__":
    app()
