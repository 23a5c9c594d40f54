"""Reading a corpus with ``datasets``: JSONL, CSV, Parquet, a folder or glob of ``.txt`` files, or a
``save_to_disk`` directory; every check that can fail runs here, before any model loads.

A row whose text is empty, not a string or not valid UTF-8 is not an error: it is recorded (``failed``) and
skipped, so one bad document never stops a run over thousands.
"""

from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from stancekit.errors import InputError

TABLE_FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
SUPPORTED = (
    "JSONL, CSV or Parquet files, a folder or glob of .txt files, or a datasets.save_to_disk directory"
)
# save_to_disk writes these; a folder holding one is a saved dataset, not a folder of text files
_SAVED_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")


@dataclass
class CorpusInput:
    """The documents of a corpus in input order, with what identifies the input for resuming."""

    source: str
    kind: str
    ids: list[str]
    texts: list[str | None]
    dates: list[str | None] | None
    sha256: str
    n_rows: int
    columns: list[str]
    id_column: str | None
    text_column: str
    date_column: str | None
    # position -> why the document cannot be analysed (decided at load time)
    failed: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)


def _sha256_files(files: list[Path], root: Path | None = None) -> str:
    digest = hashlib.sha256()
    for file in files:
        name = str(file.relative_to(root)) if root is not None else file.name
        digest.update(name.encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def _readable(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as error:
        raise InputError(
            f"cannot read the file: {error.strerror}.",
            where=str(path),
            fix="check that it exists and that you may read it (permissions).",
        ) from None


def _decode(data: bytes) -> tuple[str | None, str | None]:
    """(text, None) or (None, why it is not usable text)."""
    if b"\x00" in data[:8192]:
        return None, "looks like a binary file (it contains NUL bytes)"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, f"not valid UTF-8 (byte {error.start})"
    return text, None


def _text_files(files: list[Path], source: str, root: Path | None) -> CorpusInput:
    if not files:
        raise InputError("matches no .txt files.", where=source, fix=f"pass {SUPPORTED}.")
    ids, texts, failed = [], [], {}
    for position, file in enumerate(files):
        _readable(file)
        text, problem = _decode(file.read_bytes())
        ids.append(file.stem)
        texts.append(text)
        if problem:
            failed[position] = problem
    duplicates = _duplicates(ids)
    if duplicates:
        raise InputError(
            f"two .txt files share a name (the name is the id): {', '.join(duplicates[:5])}.",
            where=source,
            fix="rename them, or analyse the folders one by one.",
        )
    return CorpusInput(
        source=source,
        kind="text files",
        ids=ids,
        texts=texts,
        dates=None,
        sha256=_sha256_files(files, root),
        n_rows=len(files),
        columns=["id", "text"],
        id_column="id",
        text_column="text",
        date_column=None,
        failed=failed,
    )


def _duplicates(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    repeated: dict[str, None] = {}
    for value in ids:
        if value in seen:
            repeated[value] = None
        seen.add(value)
    return list(repeated)


def _load_table(path: Path) -> Any:
    import datasets

    datasets.disable_progress_bars()
    builder = TABLE_FORMATS[path.suffix.lower()]
    _readable(path)
    try:
        return datasets.load_dataset(builder, data_files=str(path), split="train")
    except Exception as error:  # datasets wraps parse errors in many types; all mean the same to a user
        cause = error.__cause__ or error
        raise InputError(
            f"cannot be read as {builder.upper()}: {type(cause).__name__}: {str(cause)[:300]}",
            where=str(path),
            fix=f"check the file's format (one JSON object per line for JSONL); supported: {SUPPORTED}.",
        ) from None


def _load_saved(path: Path) -> Any:
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except Exception as error:
        raise InputError(
            f"cannot be loaded with datasets.load_from_disk: {type(error).__name__}: {str(error)[:300]}",
            where=str(path),
            fix="pass a directory written by Dataset.save_to_disk.",
        ) from None
    if isinstance(loaded, datasets.DatasetDict):
        if len(loaded) != 1:
            raise InputError(
                f"is a DatasetDict with splits {', '.join(loaded)}; a corpus is one table.",
                where=str(path),
                fix="save one split (dataset_dict['train'].save_to_disk(...)) and pass that directory.",
            )
        loaded = next(iter(loaded.values()))
    return loaded


def _as_date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None and value.time() == datetime.min.time():
        return value.date().isoformat()  # pyarrow reads "2024-01-31" in JSON as a midnight timestamp
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _from_table(
    table: Any,
    *,
    source: str,
    kind: str,
    sha256: str,
    id_column: str | None,
    text_column: str,
    date_column: str | None,
) -> CorpusInput:
    columns = list(table.column_names)
    for option, column in (
        ("--text-column", text_column),
        ("--id-column", id_column),
        ("--date-column", date_column),
    ):
        if column is not None and column not in columns:
            raise InputError(
                f"has no column {column!r} ({option}).",
                where=source,
                fix=f"the columns are: {', '.join(columns)}; pass one of them as {option}.",
            )
    texts_raw = table[text_column]
    if id_column is None:
        ids = [str(i) for i in range(len(texts_raw))]  # no id column: rows are numbered
    else:
        raw_ids = table[id_column]
        missing = [i for i, v in enumerate(raw_ids) if v is None or str(v) == ""]
        if missing:
            raise InputError(
                f"{len(missing)} rows have no id in column {id_column!r} (first: row {missing[0]}).",
                where=source,
                fix="give every row an id, or leave --id-column unset to number the rows.",
            )
        ids = [str(v) for v in raw_ids]
        duplicates = _duplicates(ids)
        if duplicates:
            raise InputError(
                f"{len(duplicates)} ids occur more than once in column {id_column!r}: "
                f"{', '.join(map(repr, duplicates[:5]))}{' ...' if len(duplicates) > 5 else ''}.",
                where=source,
                fix="make the ids unique, or leave --id-column unset to number the rows.",
            )
    texts: list[str | None] = []
    failed: dict[int, str] = {}
    for position, value in enumerate(texts_raw):
        if isinstance(value, bytes | bytearray):
            value, problem = _decode(bytes(value))
            if problem:
                failed[position] = problem
        elif value is not None and not isinstance(value, str):
            failed[position] = f"the text is a {type(value).__name__}, not a string"
            value = None
        texts.append(value)
    dates = [_as_date(v) for v in table[date_column]] if date_column is not None else None
    return CorpusInput(
        source=source,
        kind=kind,
        ids=ids,
        texts=texts,
        dates=dates,
        sha256=sha256,
        n_rows=len(ids),
        columns=columns,
        id_column=id_column,
        text_column=text_column,
        date_column=date_column,
        failed=failed,
    )


def load_corpus(
    source: str | os.PathLike[str],
    *,
    id_column: str | None = None,
    text_column: str = "text",
    date_column: str | None = None,
) -> CorpusInput:
    """Load a corpus and check its columns and ids; raises :class:`InputError` on anything unusable.

    ``source`` is a JSONL/CSV/Parquet file, a folder of ``.txt`` files or a glob of them (the id is the file
    name without ``.txt``), or a directory written by ``datasets.Dataset.save_to_disk``.
    """
    text = str(source)
    path = Path(text).expanduser()
    if any(c in text for c in "*?[") and not path.exists():
        files = sorted(Path(p) for p in glob.glob(os.path.expanduser(text), recursive=True))
        files = [f for f in files if f.is_file() and f.suffix.lower() == ".txt"]
        return _text_files(files, text, None)
    if not path.exists():
        raise InputError("not found.", where=text, fix=f"check the path; pass {SUPPORTED}.")
    columns = {"id_column": id_column, "text_column": text_column, "date_column": date_column}
    if path.is_dir():
        if any((path / marker).is_file() for marker in _SAVED_MARKERS):
            files = sorted(p for p in path.rglob("*") if p.is_file())
            table = _load_saved(path)
            return _from_table(
                table, source=text, kind="saved dataset", sha256=_sha256_files(files, path), **columns
            )
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".txt")
        return _text_files(files, text, path)
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return _text_files([path], text, path.parent)
    if suffix not in TABLE_FORMATS:
        raise InputError(
            f"has an unsupported file type {suffix or '(none)'!r}.", where=text, fix=f"pass {SUPPORTED}."
        )
    _readable(path)
    sha256 = _sha256_files([path])
    table = _load_table(path)
    return _from_table(table, source=text, kind=TABLE_FORMATS[suffix], sha256=sha256, **columns)


def empty_reason(text: str | None) -> str | None:
    """Why a loaded text cannot be analysed (empty), or None."""
    if text is None:
        return "the text is missing (null)"
    if not text.strip():
        return "the text is empty or only whitespace"
    return None
