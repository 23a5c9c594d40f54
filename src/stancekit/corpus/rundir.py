"""Reading a corpus run directory: ``documents.parquet``, ``statements.parquet`` (a file or a directory of
parts read as one table) and ``manifest.json``; the one reader that the report and validation share. The files
are read by :mod:`stancekit.corpus.tables`, which holds their format; this module makes pandas frames of them.

Nested columns come back as Python objects: ``speaker`` and ``target`` as dicts (or None), ``labels`` as lists,
``scores`` as a ``{label: score}`` dict (parquet stores it as a map, which pyarrow returns as pairs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stancekit.corpus.tables import DOCUMENTS, STATEMENTS, read_manifest, read_table
from stancekit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

VALIDATION = "validation.json"


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
    documents = _frame(path, DOCUMENTS)
    statements = _frame(path, STATEMENTS)
    statements["scores"] = [_as_dict(s) for s in statements["scores"]]
    statements["labels"] = [list(labels) if labels is not None else [] for labels in statements["labels"]]
    statements["document_id"] = statements["document_id"].astype(str)
    documents["id"] = documents["id"].astype(str)
    statements = statements.sort_values(["document_id", "index"], kind="stable").reset_index(drop=True)
    manifest = read_manifest(path, fix="restore it, or rerun the corpus command.")
    return RunTables(path, documents, statements, manifest or {})


def _frame(path: Path, name: str) -> pd.DataFrame:
    import pandas as pd

    table = read_table(path, name)
    # to_pylist keeps nested values as plain lists and dicts (to_pandas would give numpy arrays of them)
    return pd.DataFrame(table.to_pylist(), columns=table.column_names)


def _as_dict(scores: Any) -> dict[str, float]:
    if scores is None:
        return {}
    if isinstance(scores, dict):
        return {str(k): float(v) for k, v in scores.items()}
    return {str(k): float(v) for k, v in scores}  # a parquet map arrives as (key, value) pairs
