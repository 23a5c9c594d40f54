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
from typer.core import TyperGroup

from stancekit.errors import StancekitError

app = typer.Typer(
    name="stancekit",
    help="Summarise diplomatic and news text and classify its statements by speech act.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
stdout = Console()
stderr = Console(stderr=True, soft_wrap=True)  # never re-wrap error messages


class SummaryFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


class AnalysisFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


class AnalyseFormat(str, Enum):
    """analyse's formats: classify's, plus a static HTML page of the document."""

    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


class SummaryMode(str, Enum):
    plain = "plain"
    stance = "stance"


ModeOption = Annotated[
    SummaryMode,
    typer.Option("--mode", help="stance: the prompt carries the key statements, which are listed too."),
]


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
    mode: ModeOption = SummaryMode.plain,
) -> None:
    """Summarise a document abstractively (default: the embedded Qwen pack, offline)."""
    from stancekit.summarise.summariser import Summariser
    from stancekit.text import language_warning, read_document

    text = read_document(path)
    if (warning := language_warning(text)) is not None:  # also in the result's metadata (--format json)
        stderr.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False)
    generation = {"max_new_tokens": max_new_tokens} if max_new_tokens is not None else {}
    summariser = Summariser(config, model=model, overrides=overrides, **generation)
    if mode is SummaryMode.stance:
        from stancekit.summarise.stance import stance_summary

        result = stance_summary(text, summariser=summariser)
    else:
        result = summariser.summarise_one(text)
    if output_format is SummaryFormat.json:
        stdout.print_json(json.dumps({"source": path, **result.model_dump(mode="json")}))
    elif mode is SummaryMode.stance:
        print(str(result))
    elif output_format is SummaryFormat.markdown:
        print(result.to_markdown(), end="")
    else:  # "[3]" after a sentence: source sentence 3 supports it; "(?)": below the support threshold
        print(result.cited())


@app.command()
def classify(
    path: Annotated[
        str, typer.Argument(help="Text file with one statement per line, or - for standard input.")
    ],
    classifier: Annotated[
        str | None, typer.Option("--classifier", "-c", help="Classifier config name or YAML path.")
    ] = None,
    output_format: Annotated[AnalysisFormat, typer.Option("--format", "-f")] = AnalysisFormat.table,
) -> None:
    """Classify statements (one per line) by speech act."""
    from stancekit.statements.classifiers import load_classifier
    from stancekit.text import read_document

    lines = [line.strip() for line in read_document(path).splitlines() if line.strip()]
    model = load_classifier(classifier or "diplomatic-v1-minilm")
    results = model.predict(lines)
    if output_format is AnalysisFormat.json:
        rows = [{"statement": t, **r.model_dump(mode="json")} for t, r in zip(lines, results, strict=True)]
        stdout.print_json(json.dumps({"classifier": model.name, "results": rows}))
        return
    from rich.table import Table

    table = Table(title=f"{len(lines)} statements, classifier {model.name}", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("labels")
    table.add_column("statement")
    for i, (text, result) in enumerate(zip(lines, results, strict=True), 1):
        table.add_row(str(i), _labels_cell(result.labels, result.scores), text)
    if output_format is AnalysisFormat.markdown:
        for i, (text, result) in enumerate(zip(lines, results, strict=True), 1):
            print(f"{i}. **{', '.join(result.labels)}**: {text}")
        return
    stdout.print(table)


def _labels_cell(labels: list[str], scores: dict[str, float]) -> str:
    return "\n".join(f"{label} ({scores.get(label, 0.0):.2f})" for label in labels)


@app.command()
def analyse(
    path: Annotated[str, typer.Argument(help="Text file to analyse, or - for standard input.")],
    output_format: Annotated[AnalyseFormat, typer.Option("--format", "-f")] = AnalyseFormat.table,
    summary: Annotated[
        bool, typer.Option("--summary/--no-summary", help="Also summarise the document.")
    ] = True,
    config: ConfigOption = None,
    classifier: Annotated[
        str | None, typer.Option("--classifier", help="Classifier config name or path.")
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to this file (atomically).")
    ] = None,
    mode: ModeOption = SummaryMode.plain,
) -> None:
    """Split a document into statements with speakers, label each by speech act, and summarise it."""
    from stancekit.analyse import analyse as run_analysis
    from stancekit.io import check_output_path, write_atomic
    from stancekit.text import read_document

    text = read_document(path)
    if output:
        check_output_path(output, "file", what="--output")  # before any model loads
    analysis = run_analysis(text, summary=summary, summariser=config, classifier=classifier, mode=mode.value)
    for warning in analysis.warnings:
        stderr.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False)
    if output_format is AnalyseFormat.json:
        rendered = analysis.to_json()
    elif output_format is AnalyseFormat.markdown:
        rendered = analysis.to_markdown()
    elif output_format is AnalyseFormat.html:
        from stancekit.reports import render_analysis_html

        rendered = render_analysis_html(analysis, text)
    else:
        rendered = None
    if output:
        write_atomic(output, rendered if rendered is not None else analysis.to_markdown())
        stderr.print(f"wrote {output}")
        return
    if rendered is not None:
        print(rendered)
        return
    _print_analysis_table(analysis)


def _print_analysis_table(analysis) -> None:
    from rich.panel import Panel
    from rich.table import Table

    if analysis.summary is not None:
        title = "summary" + (" (stance mode)" if analysis.summary_mode == "stance" else "")
        stdout.print(Panel(analysis.summary.summary, title=title, subtitle=analysis.summary.model))
    table = Table(title=f"{len(analysis.statements)} statements", show_lines=True, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("speaker", ratio=2)
    table.add_column("labels", ratio=2)
    table.add_column("target", ratio=2)
    table.add_column("statement", ratio=6)
    for i, s in enumerate(analysis.statements, 1):
        speaker = (
            "—"
            if s.speaker is None
            else s.speaker.name + (f"\n[dim]{s.speaker.role}[/]" if s.speaker.role else "")
        )
        target = escape(s.target.text) if s.target else "—"
        table.add_row(str(i), speaker, _labels_cell(s.labels, s.scores), target, escape(s.text))
    stdout.print(table)


@app.command("report")
def report_command(
    run_dir: Annotated[
        str, typer.Argument(help="A corpus run directory (the --output-dir of `stancekit corpus`).")
    ],
) -> None:
    """Write DIR/report.html, DIR/report.md and PNG plots from a corpus run's tables."""
    from stancekit.reports import write_report

    written = write_report(run_dir)
    stderr.print(f"wrote {', '.join(str(path) for path in written)}")


# --------------------------------------------------------------------------------------------- evaluation


class CompareMethod(str, Enum):
    bootstrap = "bootstrap"
    permutation = "permutation"


@app.command("evaluate")
def evaluate_command(
    config: Annotated[str, typer.Argument(help="Task config: configs/eval/NAME.yaml, or a shipped NAME.")],
    limit: Annotated[int | None, typer.Option(help="Evaluate the first N samples only.")] = None,
    output_dir: Annotated[
        str | None, typer.Option("--output-dir", "-o", help="Run directory (default runs/eval/NAME).")
    ] = None,
    overrides: OverrideOption = None,
    resume: Annotated[
        bool, typer.Option("--resume/--no-resume", help="Continue an interrupted run in the same directory.")
    ] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Evaluate a summariser or classifier on a task; writes results.json, predictions.jsonl, report.md, plots."""
    from stancekit.evaluation import evaluate_task, load_task
    from stancekit.evaluation.runner import default_output_dir

    task, path = load_task(config, overrides, limit=limit)
    out = output_dir or str(default_output_dir(task))
    if task.description:
        stderr.print(escape(task.description), highlight=False)
    results = evaluate_task(task, out, config_path=path, resume=resume, progress=progress)
    _print_metrics(results)
    stderr.print(f"wrote {out}/results.json, predictions.jsonl, report.md")


def _print_metrics(results) -> None:
    from rich.table import Table

    from stancekit.evaluation.report import format_interval

    table = Table(title=f"{results.task.name}: {results.system.name}, n = {results.data.n}")
    table.add_column("metric")
    table.add_column("value [95% interval]", justify="right")
    table.add_column("n", justify="right")
    for key, metric in results.metrics.items():
        table.add_row(key, format_interval(metric, key), str(metric.n))
    stdout.print(table)
    for key, check in results.published.items():
        verdict = "within" if check.within else "[bold red]OUTSIDE[/]"
        stdout.print(
            f"{key}: {check.ours:.4f} vs published {check.value:.4f} (tolerance {check.tolerance}): {verdict}"
        )


@app.command("compare")
def compare_command(
    run_a: Annotated[str, typer.Argument(help="Run directory A (with results.json and predictions.jsonl).")],
    run_b: Annotated[str, typer.Argument(help="Run directory B, scored on the same samples.")],
    method: Annotated[
        CompareMethod, typer.Option(help="How the p-value is computed.")
    ] = CompareMethod.bootstrap,
    resamples: Annotated[
        int | None, typer.Option(help="Resamples (default 1,000; permutation 10,000).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Resampling seed.")] = 0,
    per_label: Annotated[bool, typer.Option("--per-label", help="Also compare per-label scores.")] = False,
    intersect: Annotated[
        bool, typer.Option("--intersect", help="Compare on the samples both runs scored.")
    ] = False,
    output_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of markdown.")] = False,
    output: Annotated[
        str | None, typer.Option("--output", help="Also write the markdown (atomically).")
    ] = None,
) -> None:
    """Paired test per metric between two runs: A - B, its bootstrap interval and p-value."""
    from stancekit.evaluation import compare_runs
    from stancekit.io import check_output_path, write_atomic

    if output:
        check_output_path(output, "file", what="--output")
    comparison = compare_runs(
        run_a,
        run_b,
        method=method.value,
        n_resamples=resamples,
        seed=seed,
        per_label=per_label,
        intersect=intersect,
    )
    rendered = comparison.to_json() if output_json else comparison.to_markdown()
    print(rendered)
    if output:
        write_atomic(output, rendered)


@app.command("reproduce")
def reproduce_command(
    configs: Annotated[
        list[str] | None, typer.Argument(help="Task configs (default: every one with committed results).")
    ] = None,
    results_dir: Annotated[str, typer.Option(help="Where the committed results are.")] = "results",
    output_dir: Annotated[str, typer.Option(help="Where the re-runs are written.")] = "runs/reproduce",
    include_all: Annotated[
        bool, typer.Option("--all", help="Also re-run configs marked slow (reproduce.by_default: false).")
    ] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Re-run committed results and fail (exit 1) if any metric moved outside its stated tolerance."""
    from rich.table import Table

    from stancekit.evaluation.reproduce import reproduce

    reports = reproduce(
        configs, results_dir=results_dir, output_root=output_dir, include_all=include_all, progress=progress
    )
    for report in reports:
        status = "[green]reproduced[/]" if report.ok else "[bold red]FAILED[/]"
        failures = report.failures
        table = Table(title=f"{report.name} ({report.config}): {len(report.checks)} numbers")
        for column in ("metric", "committed", "re-run", "difference", "tolerance"):
            table.add_column(column, justify="left" if column == "metric" else "right")
        for check in failures or report.checks[:6]:
            diff = "missing" if check.difference is None else f"{check.difference:+.2e}"
            committed = "missing" if check.committed is None else f"{check.committed:.6f}"
            reproduced = "missing" if check.reproduced is None else f"{check.reproduced:.6f}"
            table.add_row(check.key, committed, reproduced, diff, f"{check.tolerance:g}")
        stdout.print(table)
        for problem in report.problems:
            stdout.print(f"[red]-[/] {escape(problem)}")
        stdout.print(f"{report.name}: {status} ({len(failures)} of {len(report.checks)} outside tolerance)")
    if not all(report.ok for report in reports):
        raise typer.Exit(1)


INTERRUPTED = (
    "interrupted: outputs are only written when a command finishes, so nothing half-done was left; "
    "run the same command again (evaluate and corpus runs resume where they stopped)."
)


# --------------------------------------------------------------------------------------------- corpus


class _CorpusGroup(TyperGroup):
    """``stancekit corpus INPUT ...`` runs the corpus; ``sample`` and ``validate`` are its other commands."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


corpus_app = typer.Typer(
    cls=_CorpusGroup,
    no_args_is_help=True,
    help="Analyse a corpus into documents/statements tables (Parquet); sample and validate its labels.",
)
app.add_typer(corpus_app, name="corpus")


class CorpusEngine(str, Enum):
    local = "local"
    ray = "ray"


@corpus_app.command("run")
def corpus_run(
    source: Annotated[
        str,
        typer.Argument(help="JSONL/CSV/Parquet file, folder or glob of .txt files, or a save_to_disk dir."),
    ],
    output_dir: Annotated[
        str, typer.Option("--output-dir", "-o", help="Run directory (resumed if unfinished).")
    ],
    id_column: Annotated[
        str | None, typer.Option(help="Column of unique ids (unset: rows are numbered).")
    ] = None,
    text_column: Annotated[str, typer.Option(help="Column of the documents' text.")] = "text",
    date_column: Annotated[str | None, typer.Option(help="Column of the documents' dates.")] = None,
    summary: Annotated[
        bool, typer.Option("--summary/--no-summary", help="Also summarise each document.")
    ] = True,
    limit: Annotated[int | None, typer.Option(help="Analyse the first N documents only.")] = None,
    config: ConfigOption = None,
    classifier: Annotated[
        str | None, typer.Option("--classifier", help="Classifier config name or path.")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="summariser.KEY=VALUE or classifier.KEY=VALUE, e.g. classifier.batch_size=64."
        ),
    ] = None,
    engine: Annotated[
        CorpusEngine, typer.Option(help="local worker processes, or Ray Data.")
    ] = CorpusEngine.local,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes / Ray actors (default: from cores and memory).")
    ] = None,
    address: Annotated[
        str | None, typer.Option(help="Ray cluster address (--engine ray; unset: local).")
    ] = None,
    shard_size: Annotated[int, typer.Option(help="Documents per shard: the unit written and resumed.")] = 32,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Analyse every document (statements, speakers, labels, summary) into DIR/documents.parquet,
    DIR/statements.parquet and DIR/manifest.json. Run the same command again to continue an interrupted run."""
    from stancekit.corpus.run import CorpusInterrupted, run_corpus

    try:
        run = run_corpus(
            source,
            output_dir,
            id_column=id_column,
            text_column=text_column,
            date_column=date_column,
            summary=summary,
            limit=limit,
            summariser=config,
            classifier=classifier,
            overrides=overrides,
            engine=engine.value,
            workers=workers,
            address=address,
            shard_size=shard_size,
            progress=progress,
        )
    except CorpusInterrupted as interrupted:
        stderr.print(str(interrupted), highlight=False)
        raise typer.Exit(130) from None
    counts = run.manifest["counts"]
    rate = (
        f"; {run.documents_run / run.seconds:.2f} docs/s this run"
        if run.documents_run and run.seconds
        else ""
    )
    stderr.print(
        f"wrote {counts['documents']:,} documents, {counts['statements']:,} statements "
        f"({counts['failed']} failed, listed in manifest.json) to {output_dir} in {run.seconds:.1f} s{rate}",
        highlight=False,
    )


@corpus_app.command("sample")
def corpus_sample(
    run_dir: Annotated[str, typer.Argument(help="A corpus run directory.")],
    n: Annotated[int, typer.Option("--n", help="Statements to sample, stratified by predicted label.")] = 200,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Where the sample is written (JSONL and CSV).")
    ] = None,
    show_predictions: Annotated[
        bool, typer.Option("--show-predictions/--hide-predictions", help="Include the predicted labels.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 0,
) -> None:
    """Export a label-stratified sample of a run's statements for annotation."""
    from stancekit.corpus.validation import sample_for_annotation

    _print_result(sample_for_annotation(run_dir, n, output, show_predictions, seed))


@corpus_app.command("validate")
def corpus_validate(
    run_dir: Annotated[str, typer.Argument(help="A corpus run directory.")],
    gold: Annotated[str, typer.Argument(help="The annotated sample with gold labels.")],
    output_config: Annotated[
        str | None,
        typer.Option("--output-config", help="Write recalibrated thresholds as a classifier config."),
    ] = None,
) -> None:
    """Score a run's labels against gold labels: per-label precision, recall and F1 with intervals."""
    from stancekit.corpus.validation import validate_against_gold

    _print_result(validate_against_gold(run_dir, gold, output_config=output_config))


def _print_result(result) -> None:
    if result is None:
        return
    if hasattr(result, "to_markdown"):
        print(result.to_markdown())
    elif hasattr(result, "model_dump_json"):
        print(result.model_dump_json(indent=2))
    else:
        print(result)


def main() -> None:
    """Entry point: run the app, mapping stancekit's errors to exit status 2 without a traceback.

    Usage errors are click's (exit 2 with its usage message); everything stancekit raises on purpose is a
    StancekitError whose message already says what was wrong and how to fix it.
    """
    try:
        app()
    except StancekitError as error:
        stderr.print("[bold red]error:[/]", escape(str(error)), highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        stderr.print(INTERRUPTED, highlight=False)
        sys.exit(130)
    except SystemExit as exit_:
        if exit_.code == 130:  # typer turns Ctrl-C inside a command into a silent exit 130
            stderr.print(INTERRUPTED, highlight=False)
        raise


if __name__ == "__main__":
    main()
