"""Train a fine-tuned statement classifier from its config; a thin shell over stancekit.training.classifier.

    python scripts/train_classifier.py --config configs/classifier/diplomatic-v1-minilm.yaml \
        [training.learning_rate=1e-4 training.seeds=[13,14] ...]

Several processes (DDP; on CPU over gloo). On a machine without GPUs, accelerate starts several processes only
with --multi_gpu (plain `--num_processes 2` runs one):

    accelerate launch --multi_gpu --num_processes 2 scripts/train_classifier.py --config ...

Dotted overrides change any config key. Prints dev/test macro-F1 and where the classifier was written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from stancekit.errors import StancekitError
from stancekit.statements.classifiers.config import load_classifier_config
from stancekit.training.classifier import train_classifier
from stancekit.training.head_refit import refit_head

app = typer.Typer(add_completion=False)


@app.command()
def main(
    config: Annotated[Path, typer.Option("--config", help="classifier config YAML (or a shipped name)")],
    overrides: Annotated[
        list[str] | None, typer.Argument(help="dotted overrides, e.g. training.epochs=3")
    ] = None,
    progress: Annotated[bool, typer.Option(help="show the Trainer's progress bar")] = True,
) -> None:
    console = Console()
    if "ACCELERATE_USE_CPU" in os.environ and "WORLD_SIZE" not in os.environ:
        console.print(
            "[dim]note: accelerate launch started one process; without GPUs it starts several only with "
            "--multi_gpu (they then train on CPU over gloo).[/dim]"
        )
    try:
        cfg = load_classifier_config(config, overrides)
        if cfg.training is not None and cfg.training.refit_head is not None:
            record = refit_head(cfg)
            console.print_json(data=record)
            return
        result = train_classifier(cfg, progress=progress)
    except StancekitError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        console.print(
            "interrupted: the classifier is written only when training finishes, so nothing half-trained was "
            "left; run the same command again to train from the start.",
            highlight=False,
        )
        raise typer.Exit(130) from None
    if os.environ.get("RANK", "0") != "0":
        return  # every process has the result; rank 0 reports it
    table = Table(title=f"{cfg.name} ({result.format}, seed {result.seed})")
    table.add_column("label")
    table.add_column("dev F1", justify="right")
    table.add_column("test F1", justify="right")
    for label in result.dev.labels:
        test = f"{result.test.per_label[label].f1:.3f}" if result.test else "-"
        table.add_row(label, f"{result.dev.per_label[label].f1:.3f}", test)
    table.add_row(
        "macro-F1", f"{result.dev.macro_f1:.3f}", f"{result.test.macro_f1:.3f}" if result.test else "-"
    )
    console.print(table)
    for run in result.runs:
        console.print(f"seed {run.seed}: dev macro-F1 {run.dev_macro_f1:.3f}, {run.train_seconds:.0f} s")
    console.print(f"processes: {os.environ.get('WORLD_SIZE', '1')}")
    console.print(f"wrote {result.output_dir} ({result.weights_bytes / 1e6:.2f} MB of safetensors)")


if __name__ == "__main__":
    app()
