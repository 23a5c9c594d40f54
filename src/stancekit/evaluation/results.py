"""The result contract: ``results.json`` (a versioned schema) and ``predictions.jsonl`` (one line per sample).

``results.json`` carries every metric with its bootstrap interval and n, the resolved task config and its hash,
sha256 of every data file, the models behind the predictions, library versions, the git commit, the seed and
timings. ``predictions.jsonl`` carries each sample's id, output, reference (or their sha256 only, when the texts
may not be copied), per-sample scores and, for classifiers, every label's score. Reading either file checks
it and names the file and line of anything wrong.

Example:
    >>> results = load_results("results/xsum-lead3")  # doctest: +SKIP
    >>> results.metrics["rougeLsum"].value, results.metrics["rougeLsum"].n  # doctest: +SKIP
    (0.1486..., 1000)
"""

from __future__ import annotations

import json
import math
import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from stancekit.config import PACKAGE_DIR
from stancekit.errors import InputError

SCHEMA_VERSION = 1
RESULTS_FILE = "results.json"
PREDICTIONS_FILE = "predictions.jsonl"
REPORT_FILE = "report.md"
JOURNAL_FILE = "predictions.partial.jsonl"  # the resume journal of an unfinished run
VERSIONED_PACKAGES = (
    "stancekit",
    "torch",
    "transformers",
    "datasets",
    "evaluate",
    "numpy",
    "scikit-learn",
    "rouge-score",
    "peft",
)


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class MetricValue(_Schema):
    """A point estimate with its percentile-bootstrap interval over the ``n`` samples it was computed on."""

    value: float
    low: float
    high: float
    n: int
    metric: str
    label: str
    higher_is_better: bool | None


class TaskInfo(_Schema):
    name: str
    kind: str
    config_path: str | None
    config: dict[str, Any]
    config_sha256: str


class SystemInfo(_Schema):
    type: str
    name: str
    identifier: str
    probabilities: bool
    models: list[dict[str, Any]]


class DataFileInfo(_Schema):
    role: str
    path: str
    sha256: str


class DataInfo(_Schema):
    files: list[DataFileInfo]
    n: int
    n_rows: int
    limit: int | None
    ids_sha256: str
    labels: list[str] | None
    skipped: list[dict[str, str]] = []


class BootstrapInfo(_Schema):
    method: str = "percentile bootstrap over samples"
    n_resamples: int
    confidence: float
    seed: int


class PublishedCheck(_Schema):
    value: float
    tolerance: float
    source: str
    ours: float | None
    difference: float | None
    within: bool


class RunResults(_Schema):
    """The contents of ``results.json``, schema version 1."""

    schema_version: int
    task: TaskInfo
    system: SystemInfo
    data: DataInfo
    metrics: dict[str, MetricValue]
    per_label: dict[str, dict[str, MetricValue]] = {}
    classification: dict[str, Any] | None = None
    details: dict[str, dict[str, Any]] = {}  # other metrics' tables by metric, e.g. stance_preservation
    not_computed: dict[str, str] = {}
    notes: list[str] = []
    published: dict[str, PublishedCheck] = {}
    seed: int
    bootstrap: BootstrapInfo
    environment: dict[str, Any]
    timings: dict[str, float | int | None]
    created_at: str

    def values(self) -> dict[str, float]:
        """Every reported number by key: ``rouge1``, ``macro_f1``, ``per_label.threat.f1``."""
        out = {key: m.value for key, m in self.metrics.items()}
        for label, stats in self.per_label.items():
            out.update({f"per_label.{label}.{stat}": m.value for stat, m in stats.items()})
        return out


def load_results(run: str | Path) -> RunResults:
    """Read and check ``results.json`` of a run directory (or the file itself)."""
    path = Path(run)
    if path.is_dir() or not path.suffix:
        path = path / RESULTS_FILE
    if not path.is_file():
        raise InputError(
            "no results.json: not a finished run directory.",
            where=str(path),
            fix="pass the --output-dir of a finished `stancekit evaluate` run (e.g. results/xsum-lead3).",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON: {error.msg}.", where=f"{path}:{error.lineno}") from None
    found = data.get("schema_version") if isinstance(data, dict) else None
    if found != SCHEMA_VERSION:
        raise InputError(
            f"results schema version {found!r}; this stancekit reads version {SCHEMA_VERSION}.",
            where=str(path),
            fix="re-run the evaluation with this version of stancekit.",
        )
    try:
        return RunResults.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise InputError(
            f"does not match the results schema: '{'.'.join(map(str, first['loc']))}': {first['msg']}.",
            where=str(path),
        ) from None


def _check_number(value: Any, where: str, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(
            f"{what} is not a finite number: {value!r}.",
            where=where,
            fix="per-sample scores must be numbers (or null where undefined); re-run the evaluation.",
        )
    return float(value)


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """Read ``predictions.jsonl``, checking every line (id, numeric scores); errors name the line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "predictions file not found.", where=str(path), fix="is this a finished run directory?"
        )
    records = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"not valid JSON: {error.msg}.", where=where) from None
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise InputError("each line must be a JSON object with a string 'id'.", where=where)
        if record["id"] in seen:
            raise InputError(
                f"id {record['id']!r} appears twice (first on line {seen[record['id']]}).", where=where
            )
        seen[record["id"]] = number
        scores = record.get("scores")
        if not isinstance(scores, dict):
            raise InputError("has no 'scores' object.", where=where)
        record["scores"] = {k: _check_number(v, where, f"score '{k}'") for k, v in scores.items()}
        label_scores = record.get("label_scores")
        if label_scores is not None:
            if not isinstance(label_scores, dict):
                raise InputError("'label_scores' must map labels to numbers.", where=where)
            record["label_scores"] = {
                k: _check_number(v, where, f"label score '{k}'") for k, v in label_scores.items()
            }
        record["where"] = where
        records.append(record)
    if not records:
        raise InputError("the predictions file is empty.", where=str(path))
    return records


def git_commit(root: Path | None = None) -> str | None:
    """The checked-out commit, read from ``.git`` directly (no git executable needed); None outside a checkout."""
    root = root or PACKAGE_DIR.parents[1]
    git = root / ".git"
    try:
        if git.is_file():  # a worktree: "gitdir: <path>"
            git = (root / git.read_text().split(":", 1)[1].strip()).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head
        ref = head.split(":", 1)[1].strip()
        common = git
        if (git / "commondir").is_file():
            common = (git / (git / "commondir").read_text().strip()).resolve()
        for base in (git, common):
            if (base / ref).is_file():
                return (base / ref).read_text().strip()
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0]
    except OSError:
        return None
    return None


def environment() -> dict[str, Any]:
    """Library versions, Python, platform, CPU count and git commit, for results.json."""
    versions: dict[str, str | None] = {}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "versions": versions,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "git_commit": git_commit(),
    }
