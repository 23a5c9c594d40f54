"""The ``stancekit`` command line: a thin shell over the library.

Every command turns a :class:`~stancekit.errors.StancekitError` into a message on stderr and exit status 2,
with no traceback; output files are written atomically, so a failed run never leaves a half-written file.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from stancekit.errors import StancekitError

app = typer.Typer(
    name="stancekit",
    help="Summarise diplomatic and news text and classify its statements by speech act.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
stdout = Console()
stderr = Console(stderr=True)


class SummaryFormat(str, Enum):
    text = "text"
    json = "json"


ConfigOption = Annotated[
    str | None, typer.Option("--config", "-c", help="Config name (configs/<kind>/NAME.yaml) or YAML path.")
]
ModelOption = Annotated[
    str | None, typer.Option("--model", "-m", help="Hub name, local directory or embedded:<pack>.")
]
OverrideOption = Annotated[
    list[str] | None, typer.Option("--set", help="Dotted config override, e.g. --set generation.num_beams=4.")
]


@app.command()
def summarise(
    path: Annotated[str, typer.Argument(help="Text file to summarise, or - for standard input.")],
    config: ConfigOption = None,
    model: ModelOption = None,
    max_new_tokens: Annotated[int | None, typer.Option(help="Override generation.max_new_tokens.")] = None,
    output_format: Annotated[SummaryFormat, typer.Option("--format", "-f")] = SummaryFormat.text,
    overrides: OverrideOption = None,
) -> None:
    """Summarise a document abstractively (default: the embedded Qwen pack, offline)."""
    from stancekit.summarise import Summariser
    from stancekit.text import read_document

    text = read_document(path)
    generation = {"max_new_tokens": max_new_tokens} if max_new_tokens is not None else {}
    result = Summariser(config, model=model, overrides=overrides, **generation).summarise_one(text)
    if output_format is SummaryFormat.json:
        stdout.print_json(json.dumps({"source": path, **result.model_dump(mode="json")}))
    else:
        print(result.summary)


def main() -> None:
    """Entry point: run the app, mapping stancekit's errors to exit status 2 without a traceback."""
    try:
        app(standalone_mode=False)
    except StancekitError as error:
        stderr.print("[bold red]error:[/]", escape(str(error)), highlight=False)
        sys.exit(2)
    except typer.Abort:
        stderr.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        stderr.print("interrupted")
        sys.exit(130)
    except Exception as error:  # click's usage errors
        import click

        if isinstance(error, click.exceptions.ClickException):
            error.show()
            sys.exit(error.exit_code)
        if isinstance(error, click.exceptions.Exit):
            sys.exit(error.exit_code)
        raise


if __name__ == "__main__":
    main()
