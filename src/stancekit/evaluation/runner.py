"""Running a task: load the samples, predict (resumably), score, and write the run directory atomically.

A run directory holds ``results.json``, ``predictions.jsonl``, ``report.md`` and plots. While predicting, every
batch is appended to ``predictions.partial.jsonl`` (the journal) and flushed to disk, so an interrupted run
started again with the same task resumes after the last saved batch. The final files are written into a
staging directory and moved into place, ``results.json`` last: a run directory either has a complete result
or none.

Example:
    >>> from stancekit.evaluation import evaluate_task, load_task
    >>> task, path = load_task("xsum-lead3", limit=20)  # doctest: +SKIP
    >>> results = evaluate_task(task, "runs/eval/lead3-smoke", config_path=path)  # doctest: +SKIP
    >>> results.metrics["rouge1"].n  # doctest: +SKIP
    20
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from stancekit.errors import InputError, StancekitError
from stancekit.evaluation.dataset import EvalDataset, Sample, load_eval_dataset
from stancekit.evaluation.results import (
    JOURNAL_FILE,
    PREDICTIONS_FILE,
    REPORT_FILE,
    RESULTS_FILE,
    SCHEMA_VERSION,
    BootstrapInfo,
    DataFileInfo,
    DataInfo,
    MetricValue,
    PublishedCheck,
    RunResults,
    SystemInfo,
    TaskInfo,
    environment,
)
from stancekit.evaluation.scoring import (
    Estimate,
    MetricError,
    MetricOutcome,
    ScoringBatch,
    ScoringContext,
    check_aggregates,
    metric_scorer,
)
from stancekit.evaluation.systems import Prediction, System, build_system
from stancekit.evaluation.task import TaskConfig, display_path
from stancekit.io import check_output_path

DEFAULT_RUNS_DIR = Path("runs") / "eval"


def default_output_dir(task: TaskConfig) -> Path:
    return DEFAULT_RUNS_DIR / task.name


def text_sha256(value: str | list[str] | tuple[str, ...] | None) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(list(value), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def evaluate_task(
    task: TaskConfig,
    output_dir: str | Path | None = None,
    *,
    config_path: str | Path | None = None,
    resume: bool = True,
    progress: bool = True,
) -> RunResults:
    """Run ``task`` and write its run directory (default ``runs/eval/<task name>``); return the results.

    Args:
        task: a validated task (:func:`stancekit.evaluation.load_task`).
        output_dir: the run directory; an unfinished run of the same task there is resumed.
        config_path: recorded in results.json and the report (how to re-run it).
        resume: False discards the journal of an unfinished run and predicts everything again.
        progress: show a progress bar on stderr.
    """
    started = time.perf_counter()
    out = Path(output_dir) if output_dir is not None else default_output_dir(task)
    check_output_path(out, "directory", what="--output-dir")  # before any data loads or prediction runs
    if config_path is not None:
        config_path = display_path(Path(config_path))
    system_key = task.system.check()  # fails fast on a missing config or predictions file
    dataset = load_eval_dataset(task.dataset, task.kind)
    journal = out / JOURNAL_FILE
    journal_key = _journal_key(task, dataset, system_key)
    if not resume:
        journal.unlink(missing_ok=True)
    done = _read_journal(journal, journal_key)
    resumed = sum(1 for s in dataset.samples if s.id in done)

    load_started = time.perf_counter()
    system = build_system(task.system, dataset, task.output_kind)
    load_s = time.perf_counter() - load_started
    todo = [s for s in dataset.samples if s.id not in done]
    predict_started = time.perf_counter()
    if todo:
        _predict(system, todo, done, journal, journal_key, task, progress=progress)
    predict_s = time.perf_counter() - predict_started

    score_started = time.perf_counter()
    labels = _label_set(task, dataset, system)
    records = _records(task, dataset, done)
    context = ScoringContext(task.output_kind, labels, system.probabilities)
    outcomes = score_records(task, records, context, progress=progress)
    results = _results(task, dataset, system, outcomes, records, labels, config_path)
    score_s = time.perf_counter() - score_started
    results.timings = {
        "load_s": round(load_s, 3),
        "predict_s": round(predict_s, 3),
        "per_sample_s": round(predict_s / len(todo), 4) if todo else None,
        "score_s": round(score_s, 3),
        "total_s": round(time.perf_counter() - started, 3),
        "samples_predicted": len(todo),
        "samples_resumed": resumed,
    }
    if resumed:
        results.notes.append(f"resumed: {resumed} predictions came from an interrupted run's journal.")
    _write_run(out, task, results, records)
    journal.unlink(missing_ok=True)
    return results


# --------------------------------------------------------------------------------------------- predicting


def _journal_key(task: TaskConfig, dataset: EvalDataset, system_key: str) -> str:
    """What determines the predictions: the system and the data, not the metrics or the limit."""
    parts = {
        "system": system_key,
        "files": [f.sha256 for f in dataset.files],
        "dataset": task.dataset.model_dump(mode="json", exclude={"limit", "labels"}),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _read_journal(journal: Path, key: str) -> dict[str, Prediction]:
    """Predictions saved by an unfinished run of the same system on the same data."""
    if not journal.is_file():
        return {}
    text = journal.read_text(encoding="utf-8")
    if "\n" not in text:  # empty, or killed while writing its header: nothing was predicted yet
        journal.unlink()
        return {}
    lines = text.split("\n")
    try:
        header = json.loads(lines[0])
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("journal_key") != key:
        raise InputError(
            "holds predictions from an unfinished run of a different system, data or config.",
            where=str(journal),
            fix="finish that run with its own config, delete this file (or pass --no-resume) to start afresh, "
            "or choose another --output-dir.",
        )
    done: dict[str, Prediction] = {}
    kept = [lines[0]]
    content = [(i, line) for i, line in enumerate(lines[1:], 2) if line.strip()]
    for position, (number, line) in enumerate(content):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            if position == len(content) - 1:
                break  # the last write was cut off by the interruption: predict that batch again
            raise InputError("a journal line is not valid JSON.", where=f"{journal}:{number}") from None
        if not isinstance(entry, dict) or "id" not in entry or "output" not in entry:
            raise InputError("a journal line lacks 'id' or 'output'.", where=f"{journal}:{number}")
        done[str(entry["id"])] = Prediction(
            entry["output"], entry.get("label_scores"), entry.get("meta") or {}
        )
        kept.append(line)
    _write_text_atomic(journal, "\n".join(kept) + "\n")  # drop a cut-off line before appending again
    return done


def _check_output(output: Any, kind: str, system: System, sample: Sample) -> None:
    ok = (
        isinstance(output, str)
        if kind == "summarisation"
        else isinstance(output, list) and all(isinstance(x, str) for x in output)
    )
    if not ok:
        expected = "a string" if kind == "summarisation" else "a list of labels"
        raise InputError(
            f"system {system.identifier} returned {output!r} for sample {sample.id!r}; expected {expected}.",
            where=sample.where,
        )


def _predict(
    system: System,
    todo: list[Sample],
    done: dict[str, Prediction],
    journal: Path,
    key: str,
    task: TaskConfig,
    *,
    progress: bool,
) -> None:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    journal.parent.mkdir(parents=True, exist_ok=True)
    new_journal = not journal.is_file()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with (
        journal.open("a", encoding="utf-8") as handle,
        Progress(*columns, console=Console(stderr=True), disable=not progress) as bar,
    ):
        if new_journal:
            header = {"journal_key": key, "task": task.name, "started": _now()}
            handle.write(json.dumps(header) + "\n")
            handle.flush()
        bar_task = bar.add_task(f"{task.name}: {system.identifier}", total=len(todo))
        for start in range(0, len(todo), system.batch_size):
            batch = todo[start : start + system.batch_size]
            predictions = system.predict(batch)
            if len(predictions) != len(batch):
                raise InputError(
                    f"system {system.identifier} returned {len(predictions)} predictions for {len(batch)} samples."
                )
            for sample, prediction in zip(batch, predictions, strict=True):
                _check_output(prediction.output, task.output_kind, system, sample)
                entry = {
                    "id": sample.id,
                    "output": prediction.output,
                    "label_scores": prediction.label_scores,
                    "meta": prediction.meta,
                }
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
                done[sample.id] = prediction
            handle.flush()
            os.fsync(handle.fileno())  # a batch on disk is a batch never predicted again
            bar.advance(bar_task, len(batch))


# --------------------------------------------------------------------------------------------- scoring


def _label_set(task: TaskConfig, dataset: EvalDataset, system: System) -> list[str] | None:
    if task.kind != "classification":
        return None
    if task.dataset.labels:
        return list(task.dataset.labels)
    if dataset.labels:
        return list(dataset.labels)
    if system.label_set:
        return list(system.label_set)
    return sorted({label for s in dataset.samples for label in s.reference})


def _records(task: TaskConfig, dataset: EvalDataset, done: dict[str, Prediction]) -> list[dict[str, Any]]:
    records = []
    for sample in dataset.samples:
        prediction = done[sample.id]
        reference = (
            sample.reference
            if sample.reference is None or isinstance(sample.reference, str)
            else list(sample.reference)
        )
        record: dict[str, Any] = {
            "id": sample.id,
            "where": sample.where,
            "input": sample.input,
            "output": prediction.output,
            "reference": reference,
            "output_sha256": text_sha256(prediction.output),
            "reference_sha256": text_sha256(reference),
            "scores": {},
        }
        if prediction.label_scores is not None:
            record["label_scores"] = prediction.label_scores
        if prediction.meta:
            record["meta"] = prediction.meta
        records.append(record)
    return records


def _numeric(
    value: Any, metric: str, key: str, record: dict[str, Any], may_be_undefined: bool
) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if value is None or (isinstance(value, float) and value != value):
        if may_be_undefined:
            return None
    elif isinstance(value, int | float) and abs(value) != float("inf"):
        return float(value)
    raise MetricError(
        f"metric '{metric}' gave a non-numeric value for '{key}': {value!r} (sample {record['id']!r}).",
        where=record["where"],
        fix="check the sample's output and reference; a metric must give a number for every sample.",
    )


def score_records(
    task: TaskConfig, records: list[dict[str, Any]], context: ScoringContext, *, progress: bool = False
) -> list[MetricOutcome]:
    """Run every metric of ``task`` over ``records`` (adding per-sample scores to them) and collect outcomes."""
    from rich.console import Console

    console = Console(stderr=True, quiet=not progress)
    batch = ScoringBatch(
        ids=[r["id"] for r in records],
        wheres=[r["where"] for r in records],
        outputs=[r["output"] for r in records],
        references=[r["reference"] for r in records],
        sources=[r.get("input") for r in records],
        label_scores=[r.get("label_scores") for r in records],
    )
    outcomes = []
    for spec in task.metrics:
        scorer = metric_scorer(spec.name)
        args = task.metric_args(spec)
        started = time.perf_counter()
        try:
            with console.status(f"scoring {spec.name} on {len(records):,} samples"):
                per_sample, aggregates = scorer.score(args, batch, context)
        except StancekitError:
            raise
        except Exception as error:
            raise MetricError(
                f"metric '{spec.name}' could not run: {type(error).__name__}: {error}",
                fix="check its args in the task config and that its model (if any) is installed.",
            ) from error
        for key, values in per_sample.items():
            if len(values) != len(records):
                raise MetricError(
                    f"metric '{spec.name}' gave {len(values)} '{key}' scores for {len(records)} samples."
                )
            if key in scorer.detail_keys:  # structured per-sample output, kept beside the scores
                for record, value in zip(records, values, strict=True):
                    record.setdefault("details", {})[key] = value
                continue
            undefined_ok = key in scorer.may_be_undefined
            for record, value in zip(records, values, strict=True):
                record["scores"][key] = _numeric(value, spec.name, key, record, undefined_ok)
        outcome = scorer.outcome(args, records, context)
        check_aggregates(scorer, outcome, aggregates)
        outcomes.append(outcome)
        console.print(f"scored {spec.name} ({time.perf_counter() - started:.1f} s)", highlight=False)
    return outcomes


def _metric_value(estimate: Estimate, task: TaskConfig) -> MetricValue:
    from stancekit.evaluation.statistics import bootstrap_ci

    point, low, high = bootstrap_ci(
        estimate.statistic(),
        n=None if estimate.fn is None else estimate.n,
        n_resamples=task.bootstrap.n_resamples,
        confidence=task.bootstrap.confidence,
        seed=task.seed,
    )
    for name, value in (("value", point), ("low", low), ("high", high)):
        if value != value or abs(value) == float("inf"):
            raise MetricError(
                f"metric '{estimate.metric}' gave a non-finite {name} for {estimate.key}: {value}."
            )
    return MetricValue(
        value=point,
        low=low,
        high=high,
        n=estimate.n,
        metric=estimate.metric,
        label=estimate.label,
        higher_is_better=estimate.higher_is_better,
    )


def _results(
    task: TaskConfig,
    dataset: EvalDataset,
    system: System,
    outcomes: list[MetricOutcome],
    records: list[dict[str, Any]],
    labels: list[str] | None,
    config_path: str | Path | None,
) -> RunResults:
    metrics: dict[str, MetricValue] = {}
    per_label: dict[str, dict[str, MetricValue]] = {}
    classification: dict[str, Any] | None = None
    not_computed: dict[str, str] = {}
    notes: list[str] = list(dataset.notes)
    details: dict[str, Any] = {}
    for spec, outcome in zip(task.metrics, outcomes, strict=True):
        for estimate in outcome.estimates:
            value = _metric_value(estimate, task)
            if estimate.section == ("metrics",):
                metrics[estimate.name] = value
            else:
                per_label.setdefault(estimate.section[1], {})[estimate.name] = value
        not_computed.update(outcome.not_computed)
        notes.extend(outcome.notes)
        if task.kind == "meta_evaluation":
            agreement, meta_details = _agreement(task, spec, dataset, records)
            metrics.update(agreement)
            details["meta_evaluation"] = meta_details
        if outcome.extra and task.kind == "classification":
            classification = {**(classification or {}), **outcome.extra}
        elif outcome.extra:
            details[metric_scorer(spec.name).name] = outcome.extra
    empty = sum(1 for r in records if isinstance(r["output"], str) and not r["output"].strip())
    if empty:
        notes.append(f"{empty} of {len(records)} outputs are empty (scored as they are).")
    values = {key: m.value for key, m in metrics.items()}
    for label, stats in per_label.items():
        values.update({f"per_label.{label}.{stat}": m.value for stat, m in stats.items()})
    published = {}
    for key, figure in task.reproduce.published.items():
        ours = values.get(key)
        difference = None if ours is None else ours - figure.value
        published[key] = PublishedCheck(
            value=figure.value,
            tolerance=figure.tolerance,
            source=figure.source,
            ours=ours,
            difference=difference,
            within=difference is not None and abs(difference) <= figure.tolerance,
        )
    return RunResults(
        schema_version=SCHEMA_VERSION,
        task=TaskInfo(
            name=task.name,
            kind=task.kind,
            config_path=str(config_path) if config_path is not None else None,
            config=task.model_dump(mode="json"),
            config_sha256=task.fingerprint(),
        ),
        system=SystemInfo(
            type=task.system.type,
            name=task.system.display_name(),
            identifier=system.identifier,
            probabilities=system.probabilities,
            models=system.models(),
        ),
        data=DataInfo(
            files=[DataFileInfo(role=f.role, path=f.path, sha256=f.sha256) for f in dataset.files],
            n=len(dataset.samples),
            n_rows=dataset.n_rows,
            limit=task.dataset.limit,
            ids_sha256=dataset.ids_sha256(),
            labels=labels,
            skipped=dataset.skipped,
        ),
        metrics=metrics,
        per_label=per_label,
        classification=classification,
        details=details,
        not_computed=not_computed,
        notes=notes,
        published=published,
        seed=task.seed,
        bootstrap=BootstrapInfo(
            n_resamples=task.bootstrap.n_resamples, confidence=task.bootstrap.confidence, seed=task.seed
        ),
        environment=environment(),
        timings={},
        created_at=_now(),
    )


def _agreement(
    task: TaskConfig, spec: Any, dataset: EvalDataset, records: list[dict[str, Any]]
) -> tuple[dict[str, MetricValue], dict[str, Any]]:
    """A meta_evaluation's figures: the metric's agreement with the human scores, pooled and per group, each
    with a stratified bootstrap interval (:mod:`stancekit.evaluation.meta`)."""
    from stancekit.evaluation.meta import AGREEMENT_STATISTICS, meta_evaluate

    assert task.meta is not None
    scorer = metric_scorer(spec.name)
    assert scorer.support is not None
    key, sign = scorer.support
    args = task.metric_args(spec)
    threshold = task.meta.threshold if task.meta.threshold is not None else scorer.support_threshold(args)
    samples = {s.id: s for s in dataset.samples}
    scores = [sign * r["scores"][key] for r in records]
    human = [samples[r["id"]].human for r in records]
    groups = [samples[r["id"]].group for r in records]
    names = {None: "pooled"} | {g: task.meta.groups.get(g, g) for g in groups if g is not None}
    metrics: dict[str, MetricValue] = {}
    tables = {}
    for group in [None, *sorted({g for g in groups if g is not None})]:
        idx = [i for i, g in enumerate(groups) if group is None or g == group]
        result = meta_evaluate(
            [scores[i] for i in idx],
            [human[i] for i in idx],
            threshold=threshold,
            group=names[group],
            seed=task.seed,
            factual_at=task.meta.factual_at,
            n_resamples=task.bootstrap.n_resamples,
        )
        tables[names[group]] = {"key": group, "n": result.n, "n_factual": result.n_factual}
        for stat, label in AGREEMENT_STATISTICS.items():
            figure = getattr(result, stat)
            name = stat if group is None else f"{stat}_{group}"
            metrics[name] = MetricValue(
                value=figure.value,
                low=figure.low,
                high=figure.high,
                n=result.n,
                metric=scorer.name,
                label=f"{label} ({names[group]}, {scorer.name})",
                higher_is_better=True,
            )
    details = {
        "metric": scorer.name,
        "support_score": key if sign > 0 else f"-{key}",
        "threshold": threshold,
        "factual_at": task.meta.factual_at,
        "bootstrap": "stratified: factual and erroneous summaries resampled apart",
        "groups": tables,
    }
    return metrics, details


# --------------------------------------------------------------------------------------------- writing


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _write_text_atomic(path: Path, text: str) -> None:
    from stancekit.io import write_atomic

    write_atomic(path, text)


def prediction_lines(task: TaskConfig, records: list[dict[str, Any]]) -> str:
    """predictions.jsonl: texts only where the task's log_samples allows (labels are always kept)."""
    lines = []
    keep_output = task.kind == "classification" or task.log_samples.output_text
    keep_reference = task.kind == "classification" or task.log_samples.reference_text
    for record in records:
        line: dict[str, Any] = {"id": record["id"]}
        if keep_output:
            line["output"] = record["output"]
        if keep_reference:
            line["reference"] = record["reference"]
        line["output_sha256"] = record["output_sha256"]
        line["reference_sha256"] = record["reference_sha256"]
        line["scores"] = record["scores"]
        for optional in ("label_scores", "meta", "details"):
            if optional in record:
                value = record[optional]
                # evidence details quote the output's sentences: they follow the output's log setting
                line[optional] = value if keep_output or optional != "details" else _without_text(value)
        lines.append(json.dumps(line, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def _without_text(value: Any) -> Any:
    """``value`` with every ``text`` key left out, at any depth (offsets and scores stay)."""
    if isinstance(value, dict):
        return {k: _without_text(v) for k, v in value.items() if k != "text"}
    if isinstance(value, list):
        return [_without_text(v) for v in value]
    return value


@contextmanager
def _staging(out: Path) -> Iterator[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".staging-*"):  # left by a run killed while writing; its journal was kept
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_run(out: Path, task: TaskConfig, results: RunResults, records: list[dict[str, Any]]) -> None:
    from stancekit.evaluation.report import render_report, write_plots

    with _staging(out) as staging:
        (staging / PREDICTIONS_FILE).write_text(prediction_lines(task, records), encoding="utf-8")
        plots = write_plots(results, records, staging)
        (staging / REPORT_FILE).write_text(render_report(results, plots), encoding="utf-8")
        (staging / RESULTS_FILE).write_text(results.model_dump_json(indent=2) + "\n", encoding="utf-8")
        for name in [PREDICTIONS_FILE, *plots, REPORT_FILE, RESULTS_FILE]:
            with (staging / name).open("rb") as handle:
                os.fsync(handle.fileno())
        # No results.json while the others are replaced: a reader sees the old run complete or no result.
        (out / RESULTS_FILE).unlink(missing_ok=True)
        for name in [PREDICTIONS_FILE, *plots, REPORT_FILE, RESULTS_FILE]:
            os.replace(staging / name, out / name)
