"""Re-running committed results: every number in ``results/`` must come back within its stated tolerance.

For each task config, ``reproduce`` re-runs it into a fresh directory and checks, against
``results/<task name>/results.json``: the config and data hashes are unchanged, the sample count is the same,
every metric (per-label ones included) is within the task's ``reproduce.tolerance`` (or its ``per_metric``
override), and every ``reproduce.published`` figure is within its own tolerance.

Example:
    >>> reports = reproduce(["xsum-official-lead"])  # doctest: +SKIP
    >>> all(r.ok for r in reports)  # doctest: +SKIP
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stancekit.config import config_root
from stancekit.errors import InputError
from stancekit.evaluation.results import RESULTS_FILE, RunResults, load_results
from stancekit.evaluation.runner import evaluate_task
from stancekit.evaluation.task import TaskConfig, display_path, load_task

DEFAULT_RESULTS_DIR = Path("results")
DEFAULT_REPRODUCE_DIR = Path("runs") / "reproduce"


@dataclass
class MetricCheck:
    key: str
    committed: float | None
    reproduced: float | None
    tolerance: float

    @property
    def difference(self) -> float | None:
        if self.committed is None or self.reproduced is None:
            return None
        return self.reproduced - self.committed

    @property
    def ok(self) -> bool:
        return self.difference is not None and abs(self.difference) <= self.tolerance


@dataclass
class Reproduction:
    """One config's re-run against its committed results."""

    config: str
    name: str
    run_dir: str
    checks: list[MetricCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(check.ok for check in self.checks)

    @property
    def failures(self) -> list[MetricCheck]:
        return [check for check in self.checks if not check.ok]


def default_configs(results_dir: Path, *, include_all: bool = False) -> list[Path]:
    """The shipped eval configs that have committed results (and, unless ``include_all``, are not slow)."""
    configs = []
    for path in sorted((config_root() / "eval").glob("*.yaml")):
        task, _ = load_task(path)
        if (results_dir / task.name / RESULTS_FILE).is_file() and (include_all or task.reproduce.by_default):
            configs.append(path)
    return configs


def check_reproduction(
    task: TaskConfig, committed: RunResults, fresh: RunResults
) -> tuple[list[MetricCheck], list[str]]:
    """Compare a fresh run with the committed one; returns the metric checks and any other problems."""
    problems = []
    if committed.task.config_sha256 != task.fingerprint():
        problems.append(
            "the task config changed since its results were committed (config sha256 "
            f"{committed.task.config_sha256[:12]} -> {task.fingerprint()[:12]}): re-run it and commit the new results."
        )
    old_files = {(f.role, f.path): f.sha256 for f in committed.data.files}
    for f in fresh.data.files:
        if old_files.get((f.role, f.path), f.sha256) != f.sha256:
            problems.append(f"data file {f.path} changed since the results were committed (sha256 differs).")
    if committed.data.n != fresh.data.n or committed.data.ids_sha256 != fresh.data.ids_sha256:
        problems.append(
            f"different samples: {committed.data.n} committed, {fresh.data.n} now (or other ids)."
        )
    old, new = committed.values(), fresh.values()
    checks = []
    for key in [*old, *(k for k in new if k not in old)]:
        tolerance = task.reproduce.per_metric.get(key, task.reproduce.tolerance)
        checks.append(MetricCheck(key, old.get(key), new.get(key), tolerance))
    for key, check in fresh.published.items():
        if not check.within:
            problems.append(
                f"{key} = {check.ours} is not within {check.tolerance} of the published {check.value} ({check.source})."
            )
    return checks, problems


def reproduce(
    configs: list[str] | None = None,
    *,
    results_dir: str | Path = DEFAULT_RESULTS_DIR,
    output_root: str | Path = DEFAULT_REPRODUCE_DIR,
    include_all: bool = False,
    progress: bool = True,
) -> list[Reproduction]:
    """Re-run ``configs`` (default: every shipped eval config with committed results) and check them.

    Raises InputError when a named config has no committed results; metric drift is reported in the returned
    :class:`Reproduction` objects (``ok`` False), not raised, so every config is checked.
    """
    results_dir = Path(results_dir)
    refs: list[str | Path] = (
        list(configs) if configs else list(default_configs(results_dir, include_all=include_all))
    )
    if not refs:
        raise InputError(
            "no eval config has committed results to reproduce.",
            where=str(results_dir),
            fix="run `stancekit evaluate CONFIG --output-dir results/NAME` and commit the directory.",
        )
    reports = []
    for ref in refs:
        task, path = load_task(ref)
        committed_dir = results_dir / task.name
        if not (committed_dir / RESULTS_FILE).is_file():
            raise InputError(
                f"config {path} has no committed results.",
                where=str(committed_dir),
                fix=f"run `stancekit evaluate {path} --output-dir {committed_dir}` and commit it.",
            )
        committed = load_results(committed_dir)
        run_dir = Path(output_root) / task.name
        fresh = evaluate_task(task, run_dir, config_path=display_path(path), progress=progress)
        checks, problems = check_reproduction(task, committed, fresh)
        reports.append(Reproduction(str(display_path(path)), task.name, str(run_dir), checks, problems))
    return reports
