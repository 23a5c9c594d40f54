"""Labelled samples for a task: local JSONL / JSON / CSV files or line-aligned text files, loaded with ``datasets``.

A task's ``dataset:`` section names the file(s), maps its columns to ``id`` / ``input`` / ``reference``, and may
filter rows (``where:``) and keep the first ``limit``. Every sample keeps its row position and a printable
location (``file:line``), so every later error can point at the line that caused it. Nothing is dropped
silently: a missing column, an empty text, a duplicate id or an empty file is an error.

Example:
    >>> from stancekit.evaluation.task import DatasetConfig
    >>> data = load_eval_dataset(
    ...     DatasetConfig(path="../shared/eval/xsum-validation-1000/validation.jsonl",
    ...                   columns={"input": "document", "reference": "summary"}, limit=5),
    ...     kind="summarisation")  # doctest: +SKIP
    >>> len(data.samples), data.samples[0].where  # doctest: +SKIP
    (5, '../shared/eval/xsum-validation-1000/validation.jsonl:1')
"""

from __future__ import annotations

import contextlib
import difflib
import glob
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stancekit.config import PACKAGE_DIR
from stancekit.errors import InputError

if TYPE_CHECKING:
    import datasets

    from stancekit.evaluation.task import DatasetConfig

REPO_ROOT = PACKAGE_DIR.parents[1]
PATH_FIX = (
    "check the path; relative paths are read from the working directory, else from the repository root."
)


@dataclass(frozen=True)
class Sample:
    """One item: ``reference`` is a summary (str), the gold label set (tuple of str), or None where the task
    has no references (reference-free metrics only)."""

    id: str
    position: int  # row index in the source file, before filtering: line-aligned predictions use it
    input: str | None
    reference: str | tuple[str, ...] | None
    where: str  # "file:line" (or "file: record N") for messages
    human: float | None = None  # meta-evaluation: the human judgement of the output (1.0 = fully factual)
    group: str | None = None  # meta-evaluation: the origin reported apart (e.g. cnndm, bbc)


@dataclass(frozen=True)
class DataFile:
    role: str  # "data", "inputs", "references", "predictions"
    path: str  # as written in the config: results must not depend on the machine
    sha256: str


@dataclass
class EvalDataset:
    """The samples of a task, the files they came from (with sha256) and, if the data fixes it, the label set."""

    samples: list[Sample]
    n_rows: int  # rows in the source file(s) before `where` and `limit`
    files: list[DataFile]
    labels: list[str] | None = None
    all_ids: frozenset[str] = frozenset()  # ids of every row, before `where` and `limit`
    notes: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # rows left out on purpose, with the reason

    def ids_sha256(self) -> str:
        """sha256 over the sample ids in order: two runs on the same samples share it."""
        return hashlib.sha256("\n".join(s.id for s in self.samples).encode()).hexdigest()


def resolve_data_path(ref: str | Path) -> Path:
    """A data path as written in a config: relative to the working directory if it exists there, else to the
    repository root (so ``configs/eval`` files work from any directory of the checkout)."""
    path = Path(ref).expanduser()
    if path.exists() or path.is_absolute():
        return path
    in_repo = REPO_ROOT / path
    return in_repo if in_repo.exists() else path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def existing_file(ref: str, what: str) -> Path:
    path = resolve_data_path(ref)
    if not path.exists():
        raise InputError(f"{what} not found.", where=ref, fix=PATH_FIX)
    if not path.is_file():
        raise InputError(f"{what} is not a file.", where=ref, fix=PATH_FIX)
    return path


def read_lines(path: Path, ref: str) -> list[str]:
    """The lines of a UTF-8 text file, split on "\\n" only (``str.splitlines`` would also split at \\x0b,
    \\x85 and \\u2028 inside a line and shift a line-aligned file); a final newline ends the last line."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"is not valid UTF-8 (byte {error.start}).", where=ref) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


@contextlib.contextmanager
def _quiet_datasets() -> Iterator[None]:
    import datasets

    was_enabled = not datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was_enabled:
            datasets.enable_progress_bars()


def _first_bad_json_line(path: Path) -> tuple[int, str] | None:
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            return number, f"not valid JSON: {error.msg} (column {error.colno})"
        if not isinstance(record, dict):
            return number, f"expected a JSON object, got {type(record).__name__}"
    return None


def _load_table(path: Path, ref: str, fmt: str) -> datasets.Dataset:
    """Rows of a JSONL / JSON / CSV file through ``datasets`` (local files only, nothing is fetched)."""
    import datasets

    builder = "csv" if fmt == "csv" else "json"
    try:
        with _quiet_datasets():
            return datasets.load_dataset(builder, data_files=str(path), split="train")
    except Exception as error:  # datasets wraps parser errors in several exception types
        if fmt == "jsonl":
            bad = _first_bad_json_line(path)
            if bad is not None:
                raise InputError(
                    bad[1], where=f"{ref}:{bad[0]}", fix="write one JSON object per line."
                ) from None
        cause = error.__cause__ or error
        raise InputError(
            f"cannot read it as {fmt}: {type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}",
            where=ref,
            fix=f"check that the file is {fmt}, or set dataset.format.",
        ) from None


def _jsonl_line_numbers(path: Path) -> list[int]:
    """Line number of each non-blank line: datasets skips blank lines, so row i is the i-th of these."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return [n for n, line in enumerate(text.split("\n"), 1) if line.strip()]


def _check_column(name: str | None, columns: list[str], key: str, ref: str) -> None:
    if name is not None and name not in columns:
        close = difflib.get_close_matches(name, columns, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise InputError(
            f"has no column '{name}' (dataset.columns.{key}).",
            where=ref,
            fix=f"{hint}Its columns: {', '.join(columns)}.",
        )


def load_eval_dataset(config: DatasetConfig, kind: str, *, limit: int | None = None) -> EvalDataset:
    """Load, map, filter and validate a task's samples.

    Args:
        config: the task's validated ``dataset:`` section.
        kind: ``"summarisation"`` (references are non-empty strings) or ``"classification"`` (references are
            a label or a list of labels).
        limit: keep the first ``limit`` samples after filtering (overrides ``config.limit``).
    """
    limit = limit if limit is not None else config.limit
    fmt = config.resolved_format
    files: list[DataFile] = []
    labels: list[str] | None = None
    notes: list[str] = []
    if fmt == "text":
        assert config.references is not None
        rows, locations, files = _text_rows(config.references, config.inputs)
        columns = {"id": None, "input": "input" if config.inputs else None, "reference": "reference"}
        source_ref = config.references
    elif fmt == "documents":
        assert config.path is not None
        rows, locations, files = _document_rows(config.path)
        columns = {"id": "id", "input": "input", "reference": None}
        source_ref = config.path
    elif fmt == "plover":
        from stancekit.evaluation.classification import PLOVER_SCORED_LABELS, load_plover

        assert config.path is not None
        path = existing_file(config.path, "PLOVER file")
        rows = load_plover(path)
        notes = _disambiguate_ids(rows, config.path)
        locations = [f"{config.path}: record {row['id']}" for row in rows]
        files = [DataFile("data", config.path, file_sha256(path))]
        columns = {"id": "id", "input": "text", "reference": "label"}
        labels = list(PLOVER_SCORED_LABELS)
        source_ref = config.path
    else:
        assert config.path is not None
        path = existing_file(config.path, "data file")
        table = _load_table(path, config.path, fmt)
        for key in ("id", "input", "reference", "human", "group"):
            _check_column(getattr(config.columns, key), table.column_names, key, config.path)
        for name in config.where:
            _check_column(name, table.column_names, "where", config.path)
        rows = table.to_list()
        if fmt == "jsonl":
            numbers = _jsonl_line_numbers(path)
            locations = [
                f"{config.path}:{numbers[i]}" if i < len(numbers) else config.path for i in range(len(rows))
            ]
        else:
            unit = "row" if fmt == "csv" else "record"
            locations = [f"{config.path}: {unit} {i + 1}" for i in range(len(rows))]
        files = [DataFile("data", config.path, file_sha256(path))]
        columns = config.columns.model_dump()
        source_ref = config.path
    if not rows:
        raise InputError(
            "the dataset is empty: no rows.", where=source_ref, fix="point the task at a file with data."
        )
    samples = []
    skipped: list[dict[str, str]] = []
    seen: dict[str, str] = {}
    for position, (row, where) in enumerate(zip(rows, locations, strict=True)):
        if any(row.get(key) != value for key, value in config.where.items()):
            continue
        text = row.get(columns["input"]) if columns["input"] else None
        if config.skip_empty_inputs and isinstance(text, str) and not text.strip():
            skipped.append(
                {"id": str(row.get(columns["id"]) or position + 1), "where": where, "reason": "empty input"}
            )
            continue
        sample = _sample(row, position, where, columns, kind)
        if sample.id in seen:
            raise InputError(
                f"id {sample.id!r} appears twice (first at {seen[sample.id]}).",
                where=where,
                fix="give every sample a unique id, or set dataset.columns.id: null to number the rows.",
            )
        seen[sample.id] = where
        samples.append(sample)
        if limit is not None and len(samples) >= limit:
            break
    if not samples:
        raise InputError(
            f"no rows are left after filtering with where: {dict(config.where)}.",
            where=source_ref,
            fix="check the dataset.where values against the data.",
        )
    id_column = columns["id"]
    all_ids = frozenset(str(row.get(id_column)) if id_column else str(i + 1) for i, row in enumerate(rows))
    if skipped:
        shown = ", ".join(f"id {s['id']} ({s['where']})" for s in skipped[:5])
        notes.append(
            f"skipped {len(skipped)} sample(s) with an empty input (dataset.skip_empty_inputs): {shown}."
        )
    return EvalDataset(samples, len(rows), files, labels, all_ids, notes, skipped)


def _disambiguate_ids(rows: list[dict[str, Any]], ref: str) -> list[str]:
    """PLOVER's gold standard gives two different sentences the same id: number the repeats (``id#2``),
    in file order, and say so in the results rather than drop or merge a sentence."""
    seen: dict[str, int] = {}
    notes = []
    for row in rows:
        count = seen.get(row["id"], 0) + 1
        seen[row["id"]] = count
        if count > 1:
            notes.append(
                f"{ref}: id {row['id']!r} is used by {count} records; record {count} is scored as '{row['id']}#{count}'."
            )
            row["id"] = f"{row['id']}#{count}"
    return notes


def _document_rows(ref: str) -> tuple[list[dict[str, Any]], list[str], list[DataFile]]:
    """One sample per text file: ``ref`` is a file, a folder (its ``*.txt``) or a glob; the id is the stem."""
    path = resolve_data_path(ref)
    if path.is_dir():
        paths = sorted(path.glob("*.txt"))
    elif path.is_file():
        paths = [path]
    else:
        matches = (glob.glob(ref) or glob.glob(str(REPO_ROOT / ref))) if any(c in ref for c in "*?[") else []
        paths = sorted(Path(p) for p in matches if Path(p).is_file())
        if not paths:
            raise InputError("no document found.", where=ref, fix=f"{PATH_FIX} A glob must match files.")
    rows, locations, files = [], [], []
    for doc in paths:
        # as written in the config (results must not depend on the machine)
        shown = str(Path(ref) / doc.name) if path.is_dir() else ref if doc == path else str(doc)
        try:
            text = doc.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InputError(f"is not valid UTF-8 (byte {error.start}).", where=shown) from None
        rows.append({"id": doc.stem, "input": text})
        locations.append(shown)
        files.append(DataFile("inputs", shown, file_sha256(doc)))
    return rows, locations, files


def _text_rows(references: str, inputs: str | None) -> tuple[list[dict[str, Any]], list[str], list[DataFile]]:
    ref_path = existing_file(references, "references file")
    ref_lines = read_lines(ref_path, references)
    files = [DataFile("references", references, file_sha256(ref_path))]
    rows: list[dict[str, Any]] = [{"reference": line} for line in ref_lines]
    if inputs is not None:
        in_path = existing_file(inputs, "inputs file")
        in_lines = read_lines(in_path, inputs)
        if len(in_lines) != len(ref_lines):
            shorter, n = (
                (inputs, len(in_lines)) if len(in_lines) < len(ref_lines) else (references, len(ref_lines))
            )
            raise InputError(
                f"line-aligned files differ in length: {inputs} has {len(in_lines)} lines and {references} has "
                f"{len(ref_lines)}; {shorter} ends after line {n}.",
                where=shorter,
                fix="line-aligned files must have one line per sample, the same number of lines each.",
            )
        for row, line in zip(rows, in_lines, strict=True):
            row["input"] = line
        files.append(DataFile("inputs", inputs, file_sha256(in_path)))
    locations = [f"{references}:{i + 1}" for i in range(len(rows))]
    return rows, locations, files


def _judged_sample(
    row: dict[str, Any], sample_id: str, position: int, text: str | None, where: str, columns: dict[str, Any]
) -> Sample:
    """A meta-evaluation sample: the source, and the human score (a number in [0, 1]) of the output."""
    human_column, group_column = columns.get("human"), columns.get("group")
    human = row.get(human_column) if human_column else None
    if isinstance(human, bool) or not isinstance(human, int | float) or not 0.0 <= float(human) <= 1.0:
        raise InputError(
            f"the human score (column '{human_column}') must be a number in [0, 1], got {human!r}.",
            where=where,
            fix="every judged sample needs its human score (1.0 = fully factual).",
        )
    group = row.get(group_column) if group_column else None
    return Sample(sample_id, position, text, None, where, float(human), None if group is None else str(group))


def _sample(
    row: dict[str, Any], position: int, where: str, columns: dict[str, str | None], kind: str
) -> Sample:
    id_column, input_column, reference_column = columns["id"], columns["input"], columns["reference"]
    raw_id = row.get(id_column) if id_column else position + 1
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        raise InputError(
            f"column '{id_column}' (the id) is empty.", where=where, fix="give every sample an id."
        )
    text = None
    if input_column is not None:
        text = row.get(input_column)
        if not isinstance(text, str) or not text.strip():
            raise InputError(
                f"the input (column '{input_column}') is empty or not text: {text!r}.",
                where=where,
                fix="every sample needs its input text: fix or remove the row, or set "
                "dataset.skip_empty_inputs: true to leave empty ones out (they are listed in the results).",
            )
    if kind == "meta_evaluation":
        return _judged_sample(row, str(raw_id), position, text, where, columns)
    if reference_column is None:  # reference-free scoring (e.g. format: documents)
        return Sample(str(raw_id), position, text, None, where)
    reference = row.get(reference_column)
    if kind == "classification":
        gold = [reference] if isinstance(reference, str) else reference
        if not isinstance(gold, list) or not gold or not all(isinstance(x, str) and x.strip() for x in gold):
            raise InputError(
                f"the gold labels (column '{reference_column}') must be a label or a non-empty list of labels, "
                f"got {reference!r}.",
                where=where,
                fix='write e.g. "threat" or ["threat", "condemnation"].',
            )
        return Sample(str(raw_id), position, text, tuple(gold), where)
    if not isinstance(reference, str) or not reference.strip():
        raise InputError(
            f"the reference (column '{reference_column}') is empty or not text: {reference!r}.",
            where=where,
            fix="every sample needs a reference summary.",
        )
    return Sample(str(raw_id), position, text, reference, where)
