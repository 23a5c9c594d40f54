"""The corpus tables: their Arrow schemas, and shards written through staging and atomic renames.

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

DOCUMENTS = "documents.parquet"
STATEMENTS = "statements.parquet"
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
    """One of the run's tables as a single Arrow table, parts in shard (= input) order."""
    schema = DOCUMENTS_SCHEMA if name == DOCUMENTS else STATEMENTS_SCHEMA
    parts = sorted((Path(out) / name).glob("part-*.parquet"))
    if not parts:
        return schema.empty_table()
    return pa.concat_tables([pq.read_table(p, schema=schema) for p in parts])
