"""Labelled statement data: JSONL validated line by line, loaded into a ``datasets.Dataset``.

Every line is checked against the JSON Schema (``data/statements/schema.json``) and every label against the
taxonomy. A bad line is reported as ``file:line`` with the fix; no row is ever dropped silently: a file loads
completely or not at all.

Example:
    >>> from stancekit.data import load_statements
    >>> train = load_statements("data/statements/statements.jsonl", "diplomatic-v1", split="train")
    >>> train[0]["labels"]  # doctest: +SKIP
    ['other']
"""

from __future__ import annotations

import difflib
import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from stancekit.config import PACKAGE_DIR
from stancekit.dataset_stats import SPLITS, near_duplicate_clusters
from stancekit.errors import InputError
from stancekit.statements.statement import Speaker, Target
from stancekit.statements.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    import datasets

REPO_SCHEMA = PACKAGE_DIR.parents[1] / "data" / "statements" / "schema.json"
DEFAULT_STATEMENTS = PACKAGE_DIR.parents[1] / "data" / "statements" / "statements.jsonl"
# Shown in full, then summarised: a file with hundreds of bad lines needs the first few, not all.
MAX_REPORTED_ERRORS = 20
COLUMNS = ("id", "text", "labels", "speaker", "topic", "region", "hard_case", "split")


def schema_path(data_path: Path) -> Path:
    """The schema for ``data_path``: ``schema.json`` beside it, else the repository's statements schema."""
    for candidate in (data_path.parent / "schema.json", REPO_SCHEMA):
        if candidate.is_file():
            return candidate
    raise InputError(
        f"no schema.json beside {data_path} and no repository schema at {REPO_SCHEMA}.",
        fix="pass schema= to load_statements, or put schema.json next to the data file.",
    )


def schema_validator(schema_file: Path) -> Any:
    """A jsonschema validator for the JSON Schema in ``schema_file`` (the schema itself is checked first)."""
    import jsonschema

    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _field_problem(problem: Any) -> str:
    field = ".".join(str(p) for p in problem.path) or "(record)"
    return f"field {field}: {problem.message}"


def read_jsonl(
    path: Path, validator: Any, describe: Callable[[Any], str] = _field_problem
) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, str]]]:
    """Parse every non-blank line of a JSONL file and check it against ``validator``.

    Returns the (line number, row) pairs that passed and (line number, ``file:line`` message) for each that did not,
    so a loader can report all bad lines at once instead of stopping (or silently skipping) at the first.
    ``describe`` words the first schema violation of a line.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise InputError(f"not UTF-8 text ({error.reason} at byte {error.start}).", where=str(path)) from None
    rows: list[tuple[int, dict[str, Any]]] = []
    errors: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            errors.append((number, f"{path}:{number}: malformed JSON: {error.msg} (column {error.colno})."))
            continue
        problems = sorted(validator.iter_errors(row), key=lambda e: list(e.path))
        if problems:
            errors.append((number, f"{path}:{number}: {describe(problems[0])}."))
            continue
        rows.append((number, row))
    return rows, errors


def read_statement_rows(
    path: str | Path, taxonomy: Taxonomy | str, *, schema: str | Path | None = None
) -> list[dict[str, Any]]:
    """Read and validate every line of a statements JSONL file into plain dicts, in file order.

    Raises :class:`InputError` listing each bad line as ``file:line`` (malformed JSON, a schema violation,
    a label outside the taxonomy with the nearest label name, a duplicate id). Blank lines hold no row
    and are skipped.
    """
    path = Path(path)
    tax = load_taxonomy(taxonomy) if isinstance(taxonomy, str) else taxonomy
    if not path.is_file():
        raise InputError(f"statements file {path} does not exist.", fix="check the path.")
    parsed, parse_errors = read_jsonl(path, schema_validator(Path(schema) if schema else schema_path(path)))
    numbered_errors = list(parse_errors)
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in parsed:
        where = f"{path}:{number}"
        try:
            tax.check_labels(row["labels"], where=where)
        except InputError as error:
            numbered_errors.append((number, f"{where}: {error.problem} {error.fix or ''}".rstrip()))
            continue
        if row["id"] in seen:
            numbered_errors.append(
                (number, f"{where}: duplicate id {row['id']!r} (first on line {seen[row['id']]}).")
            )
            continue
        seen[row["id"]] = number
        rows.append(row)
    errors = [message for _, message in sorted(numbered_errors, key=lambda e: e[0])]  # in file order
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        more = len(errors) - len(shown)
        tail = f"\n  ... and {more} more bad lines" if more else ""
        raise InputError(
            f"{len(errors)} bad line(s) in {path}; nothing was loaded:\n  " + "\n  ".join(shown) + tail,
            fix="correct the lines above; each must be one JSON object matching the schema "
            f"({schema or schema_path(path)}) with labels from taxonomy {tax.name!r}.",
        )
    if not rows:
        raise InputError(f"{path} holds no statements.", fix="add one JSON object per line.")
    return rows


def load_statements(
    path: str | Path,
    taxonomy: Taxonomy | str,
    split: str | Sequence[str] | None = None,
    *,
    schema: str | Path | None = None,
) -> datasets.Dataset:
    """Load a statements JSONL file into a ``datasets.Dataset``, validating every line first.

    Args:
        path: the JSONL file (``data/statements/statements.jsonl``).
        taxonomy: a :class:`Taxonomy` or the name/path of one; every label must belong to it.
        split: keep only these splits (``"test"`` or ``["train", "dev"]``); ``None`` keeps all rows.
        schema: the JSON Schema; default ``schema.json`` beside the data, else the repository's.

    Returns:
        A Dataset with columns id, text, labels, speaker, topic, region, hard_case, split (absent fields
        are None), in file order.
    """
    import datasets

    rows = read_statement_rows(path, taxonomy, schema=schema)
    if split is not None:
        wanted = [split] if isinstance(split, str) else list(split)
        for name in wanted:
            if name not in SPLITS:
                raise InputError(f"unknown split {name!r}.", fix=f"use one of {', '.join(SPLITS)}.")
        missing = [r["id"] for r in rows if "split" not in r]
        if missing:
            raise InputError(
                f"{len(missing)} rows of {path} have no split field (first: {missing[0]}).",
                fix="assign splits with scripts/split_statements.py, or load with split=None.",
            )
        rows = [r for r in rows if r["split"] in wanted]
        if not rows:
            raise InputError(f"{path} has no rows in split(s) {wanted}.")
    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "text": datasets.Value("string"),
            "labels": datasets.Sequence(datasets.Value("string")),
            **{c: datasets.Value("string") for c in COLUMNS[3:]},
        }
    )
    return datasets.Dataset.from_list([{c: r.get(c) for c in COLUMNS} for r in rows], features=features)


def assign_splits(
    rows: Sequence[dict[str, Any]],
    fractions: tuple[float, float, float] = (0.70, 0.15, 0.15),
    seed: int = 13,
    near_duplicate_threshold: float = 0.5,
) -> list[str]:
    """A split name per row: stratified by label combination, deterministic for a given ``seed``.

    Near-duplicates (word-trigram Jaccard above ``near_duplicate_threshold``) are kept in one split, so a
    test sentence never has a near-copy in train. Rows are grouped by label combination (sorted); within a
    group the units are shuffled with the seeded generator; each unit then goes to the split furthest
    below its target share, which gives every combination close to the requested fractions and puts rare
    combinations wherever the totals need them.
    """
    if abs(sum(fractions) - 1.0) > 1e-9:
        raise InputError(f"split fractions {fractions} do not sum to 1.")
    clusters = near_duplicate_clusters([r["text"] for r in rows], near_duplicate_threshold)
    units: dict[int, list[int]] = {}
    for index, cluster in enumerate(clusters):
        units.setdefault(cluster, []).append(index)
    strata: dict[str, list[list[int]]] = {}
    for members in units.values():
        # a cluster is stratified by its first member's combination (clusters are small and rare)
        key = " + ".join(sorted(rows[members[0]]["labels"]))
        strata.setdefault(key, []).append(members)
    rng = random.Random(seed)
    assigned = [""] * len(rows)
    counts = dict.fromkeys(SPLITS, 0)
    total = 0
    for key in sorted(strata):
        group = sorted(strata[key], key=lambda m: rows[m[0]]["id"])
        rng.shuffle(group)
        for members in group:
            total += len(members)
            deficit = {s: f * total - counts[s] for s, f in zip(SPLITS, fractions, strict=True)}
            chosen = max(SPLITS, key=lambda s: deficit[s])  # ties go to the earlier split
            counts[chosen] += len(members)
            for index in members:
                assigned[index] = chosen
    return assigned


def write_statement_rows(rows: Sequence[dict[str, Any]], path: str | Path) -> None:
    """Write rows as JSONL (UTF-8, one object per line, keys in schema order)."""
    with Path(path).open("w", encoding="utf-8") as handle:
        for row in rows:
            ordered = {c: row[c] for c in COLUMNS if c in row}
            handle.write(json.dumps(ordered, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------------------------------
# The natural-prior set: the team's own articles cut by segment(), every statement labelled, with its gold
# speaker and target as article offsets (data/natural/{train,dev,test}.jsonl, card in data/natural/README.md).

NATURAL_DIR = PACKAGE_DIR.parents[1] / "data" / "natural"
DEFAULT_ARTICLES = PACKAGE_DIR.parents[1] / "data" / "summaries" / "summaries.jsonl"
NATURAL_COLUMNS = ("id", "text", "labels", "split", "article_id", "hard_case")


class NaturalRow(BaseModel):
    """One labelled statement of an article: the segmenter's row plus labels, gold speaker and gold target."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str
    article_id: str
    split: Literal["train", "dev", "test"]
    index: int = Field(ge=0)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    kind: Literal["sentence", "quotation"]
    text: str = Field(min_length=1)
    labels: list[str] = Field(min_length=1)
    speaker: Speaker | None
    target: Target | None
    hard_case: str | None = None
    note: str | None = None
    annotator: str | None = None
    pass_: int | str | None = Field(default=None, alias="pass")


def load_articles(path: str | Path = DEFAULT_ARTICLES) -> dict[str, dict[str, Any]]:
    """The articles the natural set is cut from, by id (``data/summaries/summaries.jsonl``: id, article, split)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"articles file {path} does not exist.", fix="pass articles= the summaries JSONL.")
    articles: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            articles[row["id"]] = row
    return articles


def _natural_problems(row: NaturalRow, article: dict[str, Any] | None, tax: Taxonomy) -> list[str]:
    """What is wrong with a schema-valid row against its article and the taxonomy, each with its fix."""
    if article is None:
        return [
            f"article_id {row.article_id!r} is not in the articles file: use the id of a data/summaries article"
        ]
    problems = []
    text = article["article"]
    if not row.id.startswith(f"{row.article_id}-"):
        problems.append(
            f"id {row.id!r} does not start with its article_id {row.article_id!r}: keep the skeleton id"
        )
    if row.split != article.get("split"):
        problems.append(
            f"split {row.split!r} differs from the article's split {article.get('split')!r}: splits follow the article"
        )
    if row.end > len(text) or row.start >= row.end:
        problems.append(
            f"offsets {row.start}-{row.end} lie outside the article (length {len(text)}): copy them from the skeleton"
        )
    elif text[row.start : row.end] != row.text:
        problems.append(
            f"article[{row.start}:{row.end}] is {text[row.start : row.end][:40]!r}..., not the row's text: "
            "do not edit text or offsets; copy both from the skeleton row"
        )
    unknown = [label for label in row.labels if label not in tax.names]
    if unknown:
        close = difflib.get_close_matches(unknown[0], tax.names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(
            f"unknown label {unknown[0]!r}{hint}: use labels of {tax.name} ({', '.join(tax.names)})"
        )
    if len(set(row.labels)) != len(row.labels):
        problems.append("a label is listed twice: list each label once")
    if tax.fallback in row.labels and len(row.labels) > 1:
        problems.append(f"{tax.fallback!r} stands alone: drop it or the other labels")
    if row.speaker is not None and not row.speaker.name.strip():
        problems.append("speaker.name is empty: give the name, or set speaker to null")
    if row.target is not None:
        t = row.target
        if not (row.start <= t.start < t.end <= row.end):
            problems.append(
                f"target {t.start}-{t.end} is outside its statement ({row.start}-{row.end}): "
                "give article offsets of a span inside the statement"
            )
        elif text[t.start : t.end] != t.text:
            problems.append(
                f"article[{t.start}:{t.end}] is {text[t.start : t.end]!r}, not the target text {t.text!r}: "
                "recompute the offsets from the text"
            )
        if row.labels == [tax.fallback]:
            problems.append(f"a {tax.fallback!r} statement has no target: set target to null")
    return problems


def read_natural_rows(
    path: str | Path,
    taxonomy: Taxonomy | str = "diplomatic-v1",
    *,
    articles: str | Path | dict[str, dict[str, Any]] = DEFAULT_ARTICLES,
    schema: str | Path | None = None,
) -> list[NaturalRow]:
    """Read and check every line of a natural-set JSONL file against its schema, its article and the taxonomy.

    Raises :class:`InputError` listing each bad line as ``file:line`` with the fix: malformed JSON, a schema
    violation, offsets outside the article or text that is not the article's, a target outside its statement
    or not matching its offsets, an unknown label, ``other`` with another label, a duplicate id.
    """
    path = Path(path)
    tax = load_taxonomy(taxonomy) if isinstance(taxonomy, str) else taxonomy
    if not path.is_file():
        raise InputError(f"natural statements file {path} does not exist.", fix="check the path.")
    by_id = articles if isinstance(articles, dict) else load_articles(articles)
    schema_file = Path(schema) if schema else NATURAL_DIR / "schema.json"
    parsed, errors = read_jsonl(path, schema_validator(schema_file))
    numbered = list(errors)
    rows: list[NaturalRow] = []
    seen: dict[str, int] = {}
    for number, raw in parsed:
        where = f"{path}:{number}"
        row = NaturalRow.model_validate(raw)
        problems = _natural_problems(row, by_id.get(row.article_id), tax)
        if row.id in seen:
            problems.append(f"duplicate id {row.id!r} (first on line {seen[row.id]}): ids are unique")
        if problems:
            numbered.append((number, f"{where}: {problems[0]}."))
            continue
        seen[row.id] = number
        rows.append(row)
    messages = [message for _, message in sorted(numbered, key=lambda e: e[0])]
    if messages:
        shown = messages[:MAX_REPORTED_ERRORS]
        more = len(messages) - len(shown)
        tail = f"\n  ... and {more} more bad lines" if more else ""
        raise InputError(
            f"{len(messages)} bad line(s) in {path}; nothing was loaded:\n  " + "\n  ".join(shown) + tail,
            fix=f"correct the lines above (schema: {schema_file}; guidelines: data/statements/GUIDELINES.md).",
        )
    if not rows:
        raise InputError(f"{path} holds no statements.", fix="add one JSON object per line.")
    return rows


def natural_dataset(rows: Sequence[NaturalRow]) -> datasets.Dataset:
    """Natural rows as a ``datasets.Dataset`` with the columns training and evaluation read."""
    import datasets

    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "text": datasets.Value("string"),
            "labels": datasets.Sequence(datasets.Value("string")),
            **{c: datasets.Value("string") for c in NATURAL_COLUMNS[3:]},
        }
    )
    return datasets.Dataset.from_list(
        [{c: getattr(r, c) for c in NATURAL_COLUMNS} for r in rows], features=features
    )


def load_natural(
    split: str,
    taxonomy: Taxonomy | str = "diplomatic-v1",
    *,
    directory: str | Path = NATURAL_DIR,
    articles: str | Path | dict[str, dict[str, Any]] = DEFAULT_ARTICLES,
) -> datasets.Dataset:
    """One split of the natural set (``<directory>/<split>.jsonl``), validated, as a ``datasets.Dataset``."""
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}.", fix=f"use one of {', '.join(SPLITS)}.")
    return natural_dataset(read_natural_rows(Path(directory) / f"{split}.jsonl", taxonomy, articles=articles))
