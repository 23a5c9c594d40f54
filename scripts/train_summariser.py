"""Fine-tune a summariser from its training config; a thin shell over stancekit.training.classifier.summariser.

    python scripts/train_summariser.py --config configs/summariser/train-embedded-qwen-lora.yaml \
        [training.learning_rate=1e-4 training.max_steps=20 summariser.model=/path/to/model ...]

Dotted overrides change any config key. Prints dev ROUGE before and after, and where the model was written;
the saved directory loads with ``Summariser("<dir>/stancekit-summariser.yaml")`` or ``summarise(model="<dir>")``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

# A script's folder comes first on sys.path, and scripts/evaluate.py would then shadow the `evaluate` package
# that stancekit's metrics load by path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from stancekit.errors import StancekitError  # noqa: E402
from stancekit.training.summariser import train_summariser  # noqa: E402
from stancekit.training.summariser_config import load_train_config  # noqa: E402

app = typer.Typer(add_completion=False)


@app.command()
def main(
    config: Annotated[Path, typer.Option("--config", help="training config YAML (or a shipped name)")],
    overrides: Annotated[
        list[str] | None, typer.Argument(help="dotted overrides, e.g. training.max_steps=20")
    ] = None,
    progress: Annotated[bool, typer.Option(help="show progress bars")] = True,
) -> None:
    console = Console()
    try:
        cfg = load_train_config(config, overrides)
        result = train_summariser(cfg, progress=progress)
    except StancekitError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    table = Table(title=f"{cfg.name}: dev ROUGE (n={result.n['dev']})")
    for column in ("model", "ROUGE-1", "ROUGE-2", "ROUGE-Lsum", "words", "seconds"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for label, scores in (("base", result.dev_before), ("fine-tuned", result.dev_after)):
        if scores is not None:
            table.add_row(
                label,
                f"{scores.rouge1:.4f}",
                f"{scores.rouge2:.4f}",
                f"{scores.rougeLsum:.4f}",
                f"{scores.mean_words:.1f}",
                f"{scores.seconds:.0f}",
            )
    console.print(table)
    for key, d in (result.difference or {}).items():
        console.print(
            f"{key} after - before: {d['diff']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}], p={d['p_value']:.3f}"
        )
    console.print(
        f"{result.steps} steps, final loss {result.final_loss}, {result.seconds}, "
        f"peak RSS {result.peak_rss_mb:.0f} MB"
    )
    console.print(f"wrote {result.output_dir}")


if __name__ == "__main__":
    app()
