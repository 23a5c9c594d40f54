"""Reading a corpus run directory: ``documents.parquet``, ``statements.parquet`` (a file or a directory of
parts read as one table) and ``manifest.json``; the one reader that the report and validation share.

Nested columns come back as Python objects: ``speaker`` and ``target`` as dicts (or None), ``labels`` as lists,
``scores`` as a ``{label: score}`` dict (parquet stores it as a map, which pyarrow returns as pairs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stancekit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

DOCUMENTS = "documents.parquet"
STATEMENTS = "statements.parquet"
MANIFEST = "manifest.json"
VALIDATION = "validation.json"

DOCUMENT_COLUMNS = ("id", "summary")
STATEMENT_COLUMNS = ("document_id", "index", "start", "end", "text", "labels", "scores")


@dataclass
class RunTables:
    """The tables of one run directory, loaded."""

    directory: Path
    documents: pd.DataFrame
    statements: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[dict[str, Any]]:
        """Documents the run skipped, each ``{id, reason}`` (from the manifest; empty when it has none)."""
        failed = self.manifest.get("failed") or []
        return [f for f in failed if isinstance(f, dict)]

    def labels(self) -> list[str]:
        """Every label of the run: the keys of the score maps, in first-seen order, then any label only assigned."""
        seen: dict[str, None] = {}
        for scores in self.statements["scores"]:
            seen.update(dict.fromkeys(scores))
        for labels in self.statements["labels"]:
            seen.update(dict.fromkeys(labels))
        return list(seen)

    def model_ids(self) -> dict[str, Any]:
        """The manifest's model ids, whatever their key (``models`` or ``model_ids``); empty when absent."""
        models = self.manifest.get("models", self.manifest.get("model_ids", {}))
        return models if isinstance(models, dict) else {"models": models}


def check_run_dir(directory: str | Path) -> Path:
    """``directory`` as a Path if it holds a run's two tables; else an :class:`InputError` saying what lacks."""
    path = Path(directory).expanduser()
    if not path.exists():
        raise InputError(
            "does not exist.",
            where=f"run directory {path}",
            fix="pass the --output-dir of a finished `stancekit corpus` run.",
        )
    if not path.is_dir():
        raise InputError(
            "is a file, not a run directory.",
            where=f"run directory {path}",
            fix="pass the directory that `stancekit corpus --output-dir` wrote.",
        )
    missing = [name for name in (DOCUMENTS, STATEMENTS) if not (path / name).exists()]
    if missing:
        raise InputError(
            f"is not a corpus run directory: it lacks {' and '.join(missing)}.",
            where=f"run directory {path}",
            fix="run `stancekit corpus INPUT --output-dir DIR` first, or pass that DIR.",
        )
    return path


def read_run(directory: str | Path) -> RunTables:
    """Load a run directory's tables (see the module docstring); bad or incomplete ones raise InputError."""
    path = check_run_dir(directory)
    documents = _read_table(path / DOCUMENTS, DOCUMENT_COLUMNS)
    statements = _read_table(path / STATEMENTS, STATEMENT_COLUMNS)
    statements["scores"] = [_as_dict(s) for s in statements["scores"]]
    statements["labels"] = [list(labels) if labels is not None else [] for labels in statements["labels"]]
    for column in ("speaker", "target"):
        if column not in statements:
            statements[column] = None
    statements["document_id"] = statements["document_id"].astype(str)
    documents["id"] = documents["id"].astype(str)
    if "date" not in documents:
        documents["date"] = None
    if "summary_sentences" not in documents:
        documents["summary_sentences"] = None
    statements = statements.sort_values(["document_id", "index"], kind="stable").reset_index(drop=True)
    return RunTables(path, documents, statements, read_manifest(path))


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest as a dict; a run without one reads as empty (only counts, failures and models are used)."""
    path = directory / MANIFEST
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(
            f"cannot be read: {error}", where=str(path), fix="restore it, or rerun the corpus command."
        ) from None
    return manifest if isinstance(manifest, dict) else {}


def _read_table(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        raise InputError(
            f"cannot be read as parquet: {error}",
            where=str(path),
            fix="rerun the corpus command so it rewrites the table.",
        ) from None
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise InputError(
            f"lacks the columns {missing} (it has {table.column_names}).",
            where=str(path),
            fix="rerun the corpus command with this version of stancekit.",
        )
    import pandas as pd

    # to_pylist keeps nested values as plain lists and dicts (to_pandas would give numpy arrays of them)
    return pd.DataFrame(table.to_pylist(), columns=table.column_names)


def _as_dict(scores: Any) -> dict[str, float]:
    if scores is None:
        return {}
    if isinstance(scores, dict):
        return {str(k): float(v) for k, v in scores.items()}
    return {str(k): float(v) for k, v in scores}  # a parquet map arrives as (key, value) pairs
