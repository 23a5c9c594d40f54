"""The evaluation harness: score any summariser or classifier on labelled samples, compare runs with paired
statistics, and re-run committed results.

A task is a YAML file in ``configs/eval/`` (:class:`TaskConfig`): a local dataset with a column mapping, a
registered system (summariser or classifier config, a built-in baseline, or a file of saved predictions),
metrics from ``stancekit.metrics`` and a seed. :func:`evaluate_task` writes a run directory with
``results.json`` (a versioned schema), ``predictions.jsonl``, ``report.md`` and plots.

Example:
    >>> from stancekit.evaluation import compare_runs, evaluate_task, load_task
    >>> task, path = load_task("xsum-lead1", limit=50)  # doctest: +SKIP
    >>> results = evaluate_task(task, "runs/eval/lead1-50", config_path=path)  # doctest: +SKIP
    >>> print(results.metrics["rougeLsum"].value)  # doctest: +SKIP
"""

from stancekit.evaluation.compare import Comparison, compare_runs
from stancekit.evaluation.results import RunResults, load_results, read_records
from stancekit.evaluation.runner import evaluate_task
from stancekit.evaluation.scoring import METRIC_SCORERS, MetricError, Scorer, metric_scorer, register_scorer
from stancekit.evaluation.systems import SYSTEMS, Prediction, System, SystemSpec, register_system, system_spec
from stancekit.evaluation.task import TaskConfig, load_task, task_from_dict

__all__ = [
    "METRIC_SCORERS",
    "SYSTEMS",
    "Comparison",
    "MetricError",
    "Prediction",
    "RunResults",
    "Scorer",
    "System",
    "SystemSpec",
    "TaskConfig",
    "compare_runs",
    "evaluate_task",
    "load_results",
    "load_task",
    "metric_scorer",
    "read_records",
    "register_scorer",
    "register_system",
    "system_spec",
    "task_from_dict",
]
