"""Helpers for tests that write task configs and run them through the evaluation harness."""

from __future__ import annotations

from pathlib import Path

import yaml

from stancekit.evaluation import evaluate_task, load_task


def write_task(directory: Path, name: str, config: dict) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def run(config: Path, out: Path, **kwargs):
    task, path = load_task(config, kwargs.pop("overrides", None), limit=kwargs.pop("limit", None))
    return evaluate_task(task, out, config_path=path, progress=False, **kwargs)
