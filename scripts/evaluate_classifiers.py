"""Score the fine-tuned, zero-shot and lexicon classifiers side by side (our test split and PLOVER).

    python scripts/evaluate_classifiers.py [--classifier diplomatic-v1-minilm --classifier zero-shot ...]
        [--output runs/eval/classifiers.json]

PLOVER (../shared/eval/plover-gsr) is evaluation only: nothing is trained or tuned on it. The zero-shot
baseline calibrates its thresholds on our dev split when it loads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from stancekit.classify_eval import compare_classifiers, comparison_markdown
from stancekit.errors import StancekitError

app = typer.Typer(add_completion=False)
DEFAULT_CLASSIFIERS = ["diplomatic-v1-minilm", "zero-shot", "lexicon"]
DEFAULT_PLOVER = (
    Path(__file__).resolve().parents[2] / "shared" / "eval" / "plover-gsr" / "PLOVER_GSR_CAMEO.txt"
)


@app.command()
def main(
    classifier: Annotated[
        list[str], typer.Option(help="classifier config names or paths")
    ] = DEFAULT_CLASSIFIERS,
    data: Annotated[Path, typer.Option()] = Path("data/statements/statements.jsonl"),
    split: Annotated[str, typer.Option()] = "test",
    plover: Annotated[Path, typer.Option(help="PLOVER_GSR_CAMEO.txt; skipped if missing")] = DEFAULT_PLOVER,
    output: Annotated[Path | None, typer.Option(help="also write the full scores as JSON")] = None,
) -> None:
    try:
        reports = compare_classifiers(classifier, data, plover if plover.is_file() else None, split)
    except StancekitError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if not plover.is_file():
        typer.echo(f"(PLOVER not found at {plover}: scored our {split} split only)", err=True)
    typer.echo(comparison_markdown(reports))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps([r.model_dump() for r in reports], indent=2) + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}")


if __name__ == "__main__":
    app()
