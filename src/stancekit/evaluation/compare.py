"""Comparing two runs on the same samples: per metric, the difference A - B, its paired bootstrap interval and
a p-value (paired bootstrap, or a paired permutation test).

Both runs' per-sample records are read back from their ``predictions.jsonl`` and rescored through the same
scorers as the runs themselves, so corpus statistics (macro-F1, ECE) are resampled exactly as they were
computed. The runs must cover the same sample ids with the same references and score each metric with the
same arguments; anything else is an error, not a silent mismatch.

Example:
    >>> comparison = compare_runs("results/xsum-lead3", "results/xsum-lead1")  # doctest: +SKIP
    >>> print(comparison.to_markdown())  # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from stancekit.errors import InputError
from stancekit.evaluation.results import PREDICTIONS_FILE, RunResults, load_results, read_records
from stancekit.evaluation.scoring import Estimate, ScoringContext, metric_scorer
from stancekit.evaluation.task import task_from_dict

Method = Literal["bootstrap", "permutation"]


@dataclass
class MetricComparison:
    key: str
    label: str
    a: float
    b: float
    diff: float
    low: float
    high: float
    p_value: float
    n: int
    higher_is_better: bool | None


@dataclass
class Comparison:
    """The per-metric differences between run A and run B."""

    run_a: str
    run_b: str
    system_a: str
    system_b: str
    method: str
    n_resamples: int
    confidence: float
    seed: int
    n: int
    rows: list[MetricComparison] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_markdown(self) -> str:
        test = "paired bootstrap" if self.method == "bootstrap" else "paired permutation test"
        lines = [
            f"A = {self.system_a} (`{self.run_a}`), B = {self.system_b} (`{self.run_b}`), n = {self.n} samples. "
            f"Interval: {int(100 * self.confidence)}% paired bootstrap of A - B; p: {test} "
            f"({self.n_resamples} resamples, seed {self.seed}). Values on each metric's own scale "
            "(ROUGE as fractions, not points).",
            "",
            "| metric | A | B | A - B | interval | p | better |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in self.rows:
            lines.append(
                f"| {row.label} (`{row.key}`) | {row.a:.4f} | {row.b:.4f} | {row.diff:+.4f} | "
                f"[{row.low:+.4f}, {row.high:+.4f}] | {row.p_value:.4f} | {_better(row, self.confidence)} |"
            )
        lines += [f"\n- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _better(row: MetricComparison, confidence: float) -> str:
    if row.higher_is_better is None or row.p_value >= 1 - confidence or row.diff == 0:
        return "–"
    a_wins = (row.diff > 0) == row.higher_is_better
    return "A" if a_wins else "B"


def _run(path: str | Path) -> tuple[Path, RunResults, list[dict[str, Any]]]:
    directory = Path(path)
    results = load_results(directory)
    if directory.is_file():
        directory = directory.parent
    return directory, results, read_records(directory / PREDICTIONS_FILE)


def compare_runs(
    run_a: str | Path,
    run_b: str | Path,
    *,
    method: Method = "bootstrap",
    n_resamples: int | None = None,
    confidence: float = 0.95,
    seed: int = 0,
    per_label: bool = False,
    intersect: bool = False,
) -> Comparison:
    """Paired comparison of two finished runs, metric by metric.

    Args:
        run_a, run_b: run directories (with results.json and predictions.jsonl).
        method: "bootstrap" (paired bootstrap p-value) or "permutation" (paired permutation test p-value);
            the interval of A - B is the paired bootstrap's either way.
        n_resamples: resamples (default 1,000 for the bootstrap, 10,000 for the permutation test).
        per_label: also compare per-label precision / recall / F1.
        intersect: compare on the samples both runs scored instead of requiring the same samples.
    """
    from stancekit.evaluation.statistics import paired_bootstrap, paired_permutation_test

    n_resamples = n_resamples or (1000 if method == "bootstrap" else 10000)
    dir_a, results_a, records_a = _run(run_a)
    dir_b, results_b, records_b = _run(run_b)
    if results_a.task.kind != results_b.task.kind:
        raise InputError(
            f"run A is {results_a.task.kind} and run B is {results_b.task.kind}: nothing to compare."
        )
    records_a, records_b, notes = _align(dir_a, records_a, dir_b, records_b, intersect)
    if results_a.data.labels != results_b.data.labels:
        raise InputError(
            f"the runs score different label sets: A {results_a.data.labels}, B {results_b.data.labels}.",
            fix="compare runs of the same task data.",
        )
    task_a = task_from_dict(results_a.task.config, where=f"{dir_a}/results.json")
    task_b = task_from_dict(results_b.task.config, where=f"{dir_b}/results.json")
    specs_b = {spec.name: spec for spec in task_b.metrics}
    comparison = Comparison(
        str(run_a),
        str(run_b),
        results_a.system.name,
        results_b.system.name,
        method,
        n_resamples,
        confidence,
        seed,
        len(records_a),
        notes=notes,
    )
    for spec in task_a.metrics:
        other = specs_b.get(spec.name)
        if other is None:
            comparison.notes.append(f"metric '{spec.name}' is only in run A.")
            continue
        if other.args != spec.args:
            raise InputError(
                f"metric '{spec.name}' was computed with different args: A {spec.args}, B {other.args}.",
                fix="compare runs that score the metric the same way (re-run one with the other's args).",
            )
        scorer = metric_scorer(spec.name)
        args = task_a.metric_args(spec)
        labels = results_a.data.labels
        outcome_a = scorer.outcome(
            args, records_a, ScoringContext(task_a.kind, labels, results_a.system.probabilities)
        )
        outcome_b = scorer.outcome(
            args, records_b, ScoringContext(task_b.kind, labels, results_b.system.probabilities)
        )
        by_key_b = {e.key: e for e in outcome_b.estimates}
        for est_a in outcome_a.estimates:
            if est_a.section != ("metrics",) and not per_label:
                continue
            est_b = by_key_b.get(est_a.key)
            if est_b is None:
                comparison.notes.append(f"'{est_a.key}' is only computed for run A.")
                continue
            comparison.rows.append(
                _compare(
                    est_a,
                    est_b,
                    method,
                    n_resamples,
                    confidence,
                    seed,
                    paired_bootstrap,
                    paired_permutation_test,
                )
            )
    for spec in task_b.metrics:
        if spec.name not in {s.name for s in task_a.metrics}:
            comparison.notes.append(f"metric '{spec.name}' is only in run B.")
    return comparison


def _align(
    dir_a: Path,
    records_a: list[dict[str, Any]],
    dir_b: Path,
    records_b: list[dict[str, Any]],
    intersect: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """B's records in A's order, after checking both cover the same samples with the same references."""
    by_id_b = {r["id"]: r for r in records_b}
    ids_a = {r["id"] for r in records_a}
    only_a = [r for r in records_a if r["id"] not in by_id_b]
    only_b = [r for r in records_b if r["id"] not in ids_a]
    notes = []
    if only_a or only_b:
        if not intersect:
            first = only_b[0] if only_b else only_a[0]
            other = dir_a if only_b else dir_b
            raise InputError(
                f"the runs scored different samples: id {first['id']!r} is not in {other / PREDICTIONS_FILE} "
                f"({len(only_a)} ids only in A, {len(only_b)} only in B).",
                where=first["where"],
                fix="compare runs on the same data and limit, or pass --intersect to use the common samples.",
            )
        notes.append(
            f"compared on the {len(records_a) - len(only_a)} samples both runs scored "
            f"({len(only_a)} only in A, {len(only_b)} only in B were left out)."
        )
    paired_a, paired_b = [], []
    for record in records_a:
        other = by_id_b.get(record["id"])
        if other is None:
            continue
        if record.get("reference_sha256") != other.get("reference_sha256"):
            raise InputError(
                f"sample {record['id']!r} has a different reference in the two runs ({other['where']}).",
                where=record["where"],
                fix="compare runs of the same data file.",
            )
        paired_a.append(record)
        paired_b.append(other)
    if not paired_a:
        raise InputError("the runs share no samples.", fix="compare runs of the same task data.")
    return paired_a, paired_b, notes


def _compare(
    a: Estimate,
    b: Estimate,
    method: str,
    n_resamples: int,
    confidence: float,
    seed: int,
    bootstrap: Any,
    permutation: Any,
) -> MetricComparison:
    if a.fn is None:  # means of per-sample scores: pair the samples where both are defined
        index_b = {sample_id: i for i, sample_id in enumerate(b.ids)}
        pairs = [(i, index_b[sample_id]) for i, sample_id in enumerate(a.ids) if sample_id in index_b]
        values_a = a.items[[i for i, _ in pairs]].astype(float)
        values_b = b.items[[j for _, j in pairs]].astype(float)
        out = bootstrap(values_a, values_b, n_resamples=n_resamples, confidence=confidence, seed=seed)
        if method == "permutation":
            out["p_value"] = permutation(values_a, values_b, n_resamples=n_resamples, seed=seed)["p_value"]
        n = len(pairs)
    else:  # corpus statistics: same samples in the same order (checked by _align)
        n = a.n
        out = bootstrap(a.on, b.on, n=n, n_resamples=n_resamples, confidence=confidence, seed=seed)
        if method == "permutation":
            assert a.gold is not None and a.fn is not None
            gold, fn = a.gold, a.fn
            out["p_value"] = permutation(
                a.items, b.items, statistic=lambda items: fn(items, gold), n_resamples=n_resamples, seed=seed
            )["p_value"]
    return MetricComparison(
        key=a.key,
        label=a.label,
        a=float(out["a"]),
        b=float(out["b"]),
        diff=float(out["diff"]),
        low=float(out["low"]),
        high=float(out["high"]),
        p_value=float(out["p_value"]),
        n=n,
        higher_is_better=a.higher_is_better,
    )


__all__ = ["Comparison", "MetricComparison", "compare_runs"]
