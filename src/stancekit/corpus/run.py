"""A corpus run: check everything, plan shards, analyse the ones not done yet, record each in the manifest.

The manifest (``DIR/manifest.json``, rewritten atomically after every shard) is the run's single source of
truth: a shard is done exactly when the manifest lists it. Running the same command again, after any
interruption (Ctrl-C, ``kill -9`` of the whole process group), drops parts the manifest does not list and
analyses the remaining shards, so no document is lost or counted twice. A manifest written by another
input, config or shard size is refused with what differs.
"""

from __future__ import annotations

import hashlib
import json
import platform
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from stancekit.corpus.analyser import ModelSettings
from stancekit.corpus.inputs import CorpusInput, empty_reason, load_corpus
from stancekit.corpus.tables import (
    DOCUMENTS,
    MANIFEST,
    STAGING,
    STATEMENTS,
    read_manifest,
    remove_unrecorded_parts,
    shard_tables,
    write_shard,
)
from stancekit.errors import ConfigError, InputError
from stancekit.io import check_output_path, write_atomic

SCHEMA_VERSION = "1"
DEFAULT_SHARD_SIZE = 32
Engine = Literal["local", "ray"]


class CorpusInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: the finished shards are kept and recorded; the message says how many."""


@dataclass
class CorpusRun:
    """What a finished (or interrupted) run did."""

    output_dir: Path
    manifest: dict[str, Any]
    shards_run: int = 0
    documents_run: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return bool(self.manifest.get("complete"))


# --------------------------------------------------------------------------------------------- configs


def split_overrides(overrides: list[str] | None) -> tuple[list[str], list[str]]:
    """``--set summariser.KEY=V`` / ``--set classifier.KEY=V`` into the two configs' override lists."""
    summariser, classifier = [], []
    for item in overrides or []:
        head, dot, rest = item.partition(".")
        if head in ("summariser", "summarizer") and dot:
            summariser.append(rest)
        elif head == "classifier" and dot:
            classifier.append(rest)
        else:
            raise ConfigError(
                f"override {item!r} names neither the summariser nor the classifier.",
                where="--set",
                fix="prefix the key: --set summariser.generation.num_beams=2 or --set classifier.batch_size=64.",
            )
    return summariser, classifier


def resolve_settings(
    *,
    summary: bool,
    summariser: Any = None,
    classifier: Any = None,
    overrides: list[str] | None = None,
) -> ModelSettings:
    from stancekit.statements.classifiers.config import (
        DEFAULT_CLASSIFIER,
        ClassifierConfig,
        load_classifier_config,
    )
    from stancekit.summarise.config import load_summariser_config

    summariser_overrides, classifier_overrides = split_overrides(overrides)
    if isinstance(classifier, ClassifierConfig):
        classifier_config = classifier
        if classifier_overrides:
            raise ConfigError("--set classifier.* needs a config name or path, not a config object.")
    else:
        classifier_config = load_classifier_config(
            classifier or DEFAULT_CLASSIFIER, classifier_overrides or None
        )
    summariser_config = load_summariser_config(summariser, summariser_overrides or None) if summary else None
    return ModelSettings(classifier=classifier_config, summariser=summariser_config)


def _sha256_dir(path: Path, limit_bytes: int = 2 * 2**30) -> str | None:
    """sha256 over a model directory's files (names and bytes); None when larger than ``limit_bytes``."""
    files = sorted(p for p in path.rglob("*") if p.is_file())
    if sum(p.stat().st_size for p in files) > limit_bytes:
        return None
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.relative_to(path)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def _model_entry(role: str, ref: str) -> dict[str, Any]:
    from stancekit.models.embedded import EMBEDDED_PREFIX, PACKS, GgufPack

    entry: dict[str, Any] = {"role": role, "model": ref}
    if ref.startswith(EMBEDDED_PREFIX):
        pack = PACKS.get(ref.removeprefix(EMBEDDED_PREFIX))
        entry["source"] = "embedded"
        if isinstance(pack, GgufPack):
            entry["sha256"] = pack.sha256
        elif pack is not None:
            entry["version"] = getattr(pack, "version", None)
    elif Path(ref).expanduser().is_dir():
        entry["source"] = "local"
        entry["sha256"] = _sha256_dir(Path(ref).expanduser())
    else:
        entry["source"] = "hub"
    return entry


def model_info(settings: ModelSettings) -> list[dict[str, Any]]:
    """Model ids and hashes from the configs alone: cheap, and checks that fine-tuned weights exist."""
    config = settings.classifier
    entries: list[dict[str, Any]] = []
    if config.kind == "fine_tuned" and config.weights:
        from stancekit.statements.classifiers.fine_tuned import resolve_weights

        weights = resolve_weights(config.weights)
        entry = {"role": "classifier weights", "model": config.weights, "source": "local"}
        entry["sha256"] = _sha256_dir(weights)
        training = weights / "training.json"
        if training.is_file():
            base = json.loads(training.read_text(encoding="utf-8")).get("base_model")
            if base:
                entries.append(_model_entry("classifier encoder", str(base)))
        entries.insert(0, entry)
    elif config.zero_shot is not None:
        entries.append(_model_entry("classifier encoder", config.zero_shot.encoder))
    if settings.summariser is not None:
        entries.append(_model_entry("summariser", settings.summariser.model))
    from stancekit.statements.segment import DEFAULT_SPACY_MODEL

    entries.append({"role": "segmenter", "model": DEFAULT_SPACY_MODEL, "source": "spacy"})
    return entries


def library_versions(engine: str) -> dict[str, str | None]:
    names = ["stancekit", "torch", "transformers", "datasets", "pyarrow", "spacy", "tokenizers"]
    if engine == "ray":
        names.append("ray")
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


# --------------------------------------------------------------------------------------------- manifest


def _identity(
    corpus: CorpusInput, settings: ModelSettings, limit: int | None, shard_size: int
) -> dict[str, Any]:
    """Everything that decides the tables; a resumed run must match it exactly."""
    return {
        "input": {
            "sha256": corpus.sha256,
            "kind": corpus.kind,
            "id_column": corpus.id_column,
            "text_column": corpus.text_column,
            "date_column": corpus.date_column,
            "limit": limit,
        },
        "classifier": settings.classifier.model_dump(mode="json"),
        "summariser": None if settings.summariser is None else settings.summariser.model_dump(mode="json"),
        "shard_size": shard_size,
    }


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def differences(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    old, new = _flatten(recorded), _flatten(current)
    lines = []
    for key in sorted(set(old) | set(new)):
        if old.get(key, "(unset)") != new.get(key, "(unset)"):
            lines.append(
                f"{key}: {old.get(key, '(unset)')!r} in the manifest, {new.get(key, '(unset)')!r} now"
            )
    return lines


def _read_own_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest of an earlier run in ``out`` (None when there is none), refused unless a corpus run wrote it."""
    fix = "it is written atomically, so this is not an interrupted run: choose another --output-dir."
    manifest = read_manifest(out, fix=fix)
    if manifest is not None and "identity" not in manifest:
        raise InputError(
            "is not a stancekit corpus manifest.",
            where=str(out / MANIFEST),
            fix="choose another --output-dir.",
        )
    return manifest


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _refresh_counts(manifest: dict[str, Any]) -> None:
    shards = manifest["shards"].values()
    failed = [
        f
        for shard in sorted(manifest["shards"].values(), key=lambda s: s["rows"][0])
        for f in shard["failed"]
    ]
    manifest["failed"] = failed
    manifest["counts"] = {
        "input_rows": manifest["input"]["n_rows"],
        "selected": manifest["input"]["selected"],
        "documents": sum(s["documents"] for s in shards),
        "statements": sum(s["statements"] for s in shards),
        "failed": len(failed),
        "shards_done": len(manifest["shards"]),
        "shards": manifest["n_shards"],
    }
    manifest["complete"] = len(manifest["shards"]) == manifest["n_shards"]
    manifest["updated"] = _now()


def _write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    _refresh_counts(manifest)
    write_atomic(out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------------------------- running


def _progress(enabled: bool) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            elapsed = task.finished_time if task.finished else task.elapsed
            if not task.completed or not elapsed:
                return Text("-- docs/s")
            return Text(f"{task.completed / elapsed:.2f} docs/s")  # the run's mean: batches arrive in bursts

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )


def run_corpus(
    source: str | Path,
    output_dir: str | Path,
    *,
    id_column: str | None = None,
    text_column: str = "text",
    date_column: str | None = None,
    summary: bool = True,
    limit: int | None = None,
    summariser: Any = None,
    classifier: Any = None,
    overrides: list[str] | None = None,
    engine: Engine = "local",
    workers: int | None = None,
    address: str | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    progress: bool = True,
) -> CorpusRun:
    """Analyse every document of ``source`` into ``output_dir`` (see :func:`stancekit.corpus.analyse_corpus`)."""
    started = time.perf_counter()
    if engine not in ("local", "ray"):
        raise ConfigError(f"unknown engine {engine!r}.", where="--engine", fix="use local or ray.")
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}.", where="--workers")
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {limit}.", where="--limit")
    if shard_size < 1:
        raise ConfigError(f"the shard size must be at least 1, got {shard_size}.")
    out = check_output_path(output_dir, "directory", what="--output-dir")
    if engine == "ray":
        from stancekit.corpus.engines import check_ray_address, import_ray

        import_ray()
        check_ray_address(address)
    elif address is not None:
        raise ConfigError("--address is for the ray engine.", where="--address", fix="add --engine ray.")
    settings = resolve_settings(
        summary=summary, summariser=summariser, classifier=classifier, overrides=overrides
    )
    models = model_info(settings)
    corpus = load_corpus(source, id_column=id_column, text_column=text_column, date_column=date_column)
    selected = len(corpus) if limit is None else min(limit, len(corpus))
    identity = _identity(corpus, settings, limit, shard_size)

    manifest = _read_own_manifest(out)
    if manifest is not None:
        changed = differences(manifest["identity"], identity)
        if changed:
            raise InputError(
                "holds a run of another input or config; it differs in:\n  " + "\n  ".join(changed[:12]),
                where=str(out / MANIFEST),
                fix="run with that run's input and settings to continue it, or choose another --output-dir.",
            )
    else:
        if out.is_dir() and ((out / DOCUMENTS).exists() or (out / STATEMENTS).exists()):
            raise InputError(
                "holds corpus tables but no manifest.",
                where=str(out),
                fix="choose another --output-dir (or delete these tables).",
            )
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "created": _now(),
            "identity": identity,
            "input": {"source": str(source), "sha256": corpus.sha256, "kind": corpus.kind},
            "configs": {
                "classifier": {"config": identity["classifier"], "sha256": settings.classifier.fingerprint()},
                "summariser": None
                if settings.summariser is None
                else {"config": identity["summariser"], "sha256": settings.summariser.fingerprint()},
            },
            "shard_size": shard_size,
            "shards": {},
        }
    manifest["input"].update(
        {"source": str(source), "n_rows": corpus.n_rows, "selected": selected, "columns": corpus.columns}
    )
    manifest["models"] = models
    manifest["versions"] = library_versions(engine)
    n_shards = (selected + shard_size - 1) // shard_size
    manifest["n_shards"] = n_shards

    done = {int(k) for k in manifest["shards"]}
    out.mkdir(parents=True, exist_ok=True)
    # the manifest exists before any part does: a directory with tables and no manifest is not a run of ours
    _write_manifest(out, manifest)
    remove_unrecorded_parts(out, done)
    plan = _plan(corpus, selected, shard_size, done)
    todo = [shard for shard, batch in plan.items() if shard not in done]

    # A shard whose documents all failed at load time needs no model: record it now.
    batches = []
    for shard in todo:
        columns, failed = plan[shard]
        if columns["position"]:
            batches.append((shard, columns))
        else:
            _record(out, manifest, corpus, shard, shard_size, selected, [], failed)
    if progress and done:
        sys.stderr.write(f"resuming: {len(done)} of {n_shards} shards already done in {out}\n")

    n_workers, run_settings, rows_iter = _engine(
        engine, settings, batches, workers, address, summary, shard_size
    )
    manifest["engine"] = {"name": engine, "workers": n_workers, "address": address}
    _write_manifest(out, manifest)

    run = CorpusRun(output_dir=out, manifest=manifest)
    # Ctrl-C must stop the run even where the process inherited SIGINT ignored (a job started by a script)
    restore = None
    if threading.current_thread() is threading.main_thread():
        restore = signal.signal(signal.SIGINT, signal.default_int_handler)
    documents_todo = sum(len(c["position"]) + len(plan[s][1]) for s, c in batches)
    try:
        with _progress(progress) as bar:
            task = bar.add_task(
                f"corpus ({engine}, {n_workers} worker{'s' if n_workers != 1 else ''})", total=documents_todo
            )
            for shard, rows in rows_iter:
                _record(out, manifest, corpus, shard, shard_size, selected, rows, plan[shard][1])
                run.shards_run += 1
                run.documents_run += len(rows) + len(plan[shard][1])
                bar.advance(task, len(rows) + len(plan[shard][1]))
    except KeyboardInterrupt:
        rows_iter.close()
        raise CorpusInterrupted(
            f"interrupted: {len(manifest['shards'])} of {n_shards} shards are done and kept in {out}; "
            "run the same command again to continue."
        ) from None
    finally:
        rows_iter.close()
        _stop_engine(run_settings)
        if restore is not None:
            signal.signal(signal.SIGINT, restore)
    staging = out / STAGING
    if staging.is_dir() and not any(staging.iterdir()):
        staging.rmdir()
    run.seconds = time.perf_counter() - started
    return run


def _plan(
    corpus: CorpusInput, selected: int, shard_size: int, done: set[int]
) -> dict[int, tuple[dict[str, list[Any]], list[dict[str, str]]]]:
    """Each shard's documents to analyse, and those that failed at load time (empty, undecodable)."""
    plan = {}
    for shard, start in enumerate(range(0, selected, shard_size)):
        columns: dict[str, list[Any]] = {"position": [], "id": [], "text": []}
        failed = []
        for position in range(start, min(start + shard_size, selected)):
            text = corpus.texts[position]
            reason = corpus.failed.get(position) or empty_reason(text)
            if reason:
                failed.append({"id": corpus.ids[position], "reason": reason, "position": position})
                continue
            columns["position"].append(position)
            columns["id"].append(corpus.ids[position])
            columns["text"].append(text)
        plan[shard] = (columns, failed)
    return plan


def _record(
    out: Path,
    manifest: dict[str, Any],
    corpus: CorpusInput,
    shard: int,
    shard_size: int,
    selected: int,
    rows: list[dict[str, Any]],
    load_failed: list[dict[str, str]],
) -> None:
    """Write a finished shard's parts, then list it in the manifest: from then on it is done."""
    dates = {} if corpus.dates is None else {r["position"]: corpus.dates[r["position"]] for r in rows}
    documents, statements = shard_tables(rows, dates)
    write_shard(out, shard, documents, statements)
    failed = sorted(
        load_failed
        + [{"id": r["id"], "reason": r["failed"], "position": r["position"]} for r in rows if r["failed"]],
        key=lambda f: f["position"],
    )
    start = shard * shard_size
    manifest["shards"][f"{shard:05d}"] = {
        "rows": [start, min(start + shard_size, selected)],
        "documents": documents.num_rows,
        "statements": statements.num_rows,
        "failed": [{"id": f["id"], "reason": f["reason"]} for f in failed],
        "finished": _now(),
    }
    manifest["shards"] = dict(sorted(manifest["shards"].items()))
    _write_manifest(out, manifest)


def _engine(
    engine: Engine,
    settings: ModelSettings,
    batches: list[Any],
    workers: int | None,
    address: str | None,
    summary: bool,
    shard_size: int,
) -> tuple[int, dict[str, Any], Any]:
    from stancekit.corpus import engines

    if engine == "ray":
        ray, started = engines.start_ray(address)
        n = workers or engines.ray_workers(ray)
        run_settings = ModelSettings(settings.classifier, settings.summariser, torch_threads=1)
        return n, {"ray": ray, "started": started}, engines.run_ray(run_settings, batches, n, shard_size)
    n = workers or engines.default_workers(summary)
    threads = max(1, engines.available_cores() // n)
    run_settings = ModelSettings(settings.classifier, settings.summariser, torch_threads=threads)
    return n, {}, engines.run_local(run_settings, batches, n)


def _stop_engine(state: dict[str, Any]) -> None:
    if state.get("started"):
        state["ray"].shutdown()
