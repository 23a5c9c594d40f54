"""The corpus run directory's format: its file names, the tables' Arrow schemas, shards written through staging
and atomic renames, and the readers of the tables and the manifest (the one home for both).

``documents.parquet`` and ``statements.parquet`` are directories of parts, one per shard
(``part-00000.parquet``, ...), which pandas, pyarrow, DuckDB and Polars read as one table. A part is written
in ``.staging/``, synced, and renamed into place, so a part either is complete or does not exist.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from stancekit.errors import InputError

DOCUMENTS = "documents.parquet"
STATEMENTS = "statements.parquet"
MANIFEST = "manifest.json"
STAGING = ".staging"

SPAN = pa.struct([("start", pa.int64()), ("end", pa.int64())])
SUMMARY_SENTENCE = pa.struct(
    [
        ("text", pa.string()),
        ("consistency", pa.float64()),
        ("flagged", pa.bool_()),
        ("support", pa.list_(SPAN)),
    ]
)
TIMINGS = pa.struct(
    [
        ("segment", pa.float64()),
        ("classify", pa.float64()),
        ("summarise", pa.float64()),
        ("total", pa.float64()),
    ]
)
DOCUMENTS_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("date", pa.string()),
        ("summary", pa.string()),
        ("summary_sentences", pa.list_(SUMMARY_SENTENCE)),
        ("n_statements", pa.int64()),
        ("language_warning", pa.string()),
        ("timings", TIMINGS),
    ]
)
STATEMENTS_SCHEMA = pa.schema(
    [
        ("document_id", pa.string()),
        ("index", pa.int64()),
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("text", pa.string()),
        ("kind", pa.string()),
        ("speaker", pa.struct([("name", pa.string()), ("role", pa.string())])),
        ("target", pa.struct([("start", pa.int64()), ("end", pa.int64()), ("text", pa.string())])),
        ("labels", pa.list_(pa.string())),
        ("scores", pa.map_(pa.string(), pa.float64())),
    ]
)


SCHEMAS = {DOCUMENTS: DOCUMENTS_SCHEMA, STATEMENTS: STATEMENTS_SCHEMA}
# Columns a table may lack and still be read (as nulls): tables written by other tools or older versions.
OPTIONAL_COLUMNS = {
    DOCUMENTS: ("date", "summary_sentences", "n_statements", "language_warning", "timings"),
    STATEMENTS: ("kind", "speaker", "target"),
}
REQUIRED_COLUMNS = {
    name: tuple(c for c in schema.names if c not in OPTIONAL_COLUMNS[name])
    for name, schema in SCHEMAS.items()
}


def part_name(shard: int) -> str:
    return f"part-{shard:05d}.parquet"


def shard_tables(rows: list[dict[str, Any]], dates: dict[int, str | None]) -> tuple[pa.Table, pa.Table]:
    """The documents and statements of one shard from the analyser's rows (failed ones left out)."""
    documents: list[dict[str, Any]] = []
    statements: list[dict[str, Any]] = []
    for row in sorted(rows, key=lambda r: r["position"]):
        if row["failed"] is not None:
            continue
        record = json.loads(row["record"])
        documents.append(
            {
                "id": row["id"],
                "date": dates.get(row["position"]),
                "summary": record["summary"],
                "summary_sentences": record["summary_sentences"],
                "n_statements": len(record["statements"]),
                "language_warning": record["language_warning"],
                "timings": record["timings"],
            }
        )
        for statement in record["statements"]:
            statements.append(
                {"document_id": row["id"], **statement, "scores": list(statement["scores"].items())}
            )
    return (
        pa.Table.from_pylist(documents, schema=DOCUMENTS_SCHEMA),
        pa.Table.from_pylist(statements, schema=STATEMENTS_SCHEMA),
    )


def _write_synced(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path)
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def write_shard(out: Path, shard: int, documents: pa.Table, statements: pa.Table) -> None:
    """Write one shard's parts via the staging directory; each appears in place by an atomic rename."""
    staging = out / STAGING
    staging.mkdir(parents=True, exist_ok=True)
    name = part_name(shard)
    for directory, table in ((STATEMENTS, statements), (DOCUMENTS, documents)):
        target_dir = out / directory
        target_dir.mkdir(parents=True, exist_ok=True)
        staged = staging / f"{directory}-{name}"
        _write_synced(table, staged)
        os.replace(staged, target_dir / name)
    _sync_dir(out / STATEMENTS)
    _sync_dir(out / DOCUMENTS)


def _sync_dir(directory: Path) -> None:
    """Make the renames durable before the manifest says the shard is done."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_unrecorded_parts(out: Path, done: set[int]) -> None:
    """Delete parts the manifest does not list (a run killed between a rename and its manifest update) and
    anything left in staging: those shards are analysed again, so nothing is counted twice."""
    for directory in (DOCUMENTS, STATEMENTS):
        for part in (out / directory).glob("part-*.parquet"):
            try:
                shard = int(part.stem.removeprefix("part-"))
            except ValueError:
                continue
            if shard not in done:
                part.unlink()
    staging = out / STAGING
    if staging.is_dir():
        for leftover in staging.iterdir():
            leftover.unlink()


def read_table(out: Path, name: str) -> pa.Table:
    """One of the run's tables (a file, or a directory of parts in shard = input order) as a single Arrow
    table in its schema; optional columns it lacks read as nulls. Unreadable parts, or parts without a
    required column, raise :class:`InputError`."""
    schema = SCHEMAS[name]
    path = Path(out) / name
    parts = [path] if path.is_file() else sorted(path.glob("part-*.parquet"))
    if not parts:
        return schema.empty_table()
    return pa.concat_tables([_read_part(part, name, schema) for part in parts])


def _read_part(part: Path, name: str, schema: pa.Schema) -> pa.Table:
    try:
        columns = pq.read_schema(part).names
        table = pq.read_table(part, schema=schema)
    except (OSError, pa.ArrowException) as error:
        raise InputError(
            f"cannot be read as parquet: {error}",
            where=str(part),
            fix="rerun the corpus command so it rewrites the table.",
        ) from None
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in columns]
    if missing:
        raise InputError(
            f"lacks the columns {missing} (it has {columns}).",
            where=str(part),
            fix="rerun the corpus command with this version of stancekit.",
        )
    return table


def read_manifest(out: Path, *, fix: str = "rerun the corpus command.") -> dict[str, Any] | None:
    """``manifest.json`` as a dict, or None when the directory has none; one that cannot be read, or is not
    a JSON object, raises :class:`InputError` with ``fix``."""
    path = Path(out) / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read the run's manifest: {error}.", where=str(path), fix=fix) from None
    if not isinstance(manifest, dict):
        raise InputError("is not a stancekit corpus manifest.", where=str(path), fix=fix)
    return manifest
