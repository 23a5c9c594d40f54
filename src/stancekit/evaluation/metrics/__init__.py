"""Evaluation metrics, each a local Hugging Face ``evaluate`` module shipped inside this package.

Every metric lives in ``stancekit/evaluation/metrics/<name>/<name>.py`` (an ``evaluate.Metric`` subclass) and is loaded
by path with ``evaluate.load``, so nothing is fetched from the Hugging Face Hub: ``evaluate.load("rouge")``
would download the hub's script, which fails offline. Loading by path works with ``HF_HUB_OFFLINE=1``;
evaluate then copies the script into its modules cache (``HF_MODULES_CACHE``, default
``~/.cache/huggingface/modules``) and imports it from there. That is why the scripts import their helpers
absolutely (``from stancekit.evaluation.metrics._text import ...``), never relatively.

Example:
    >>> from stancekit.metrics import load_metric
    >>> rouge = load_metric("rouge")
    >>> round(rouge.compute(predictions=["the cat sat"], references=["the cat sat down"])["rouge1"], 3)
    0.857
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stancekit.errors import ConfigError

if TYPE_CHECKING:
    import evaluate

_METRICS_DIR = Path(__file__).parent

# The registry: a name here must have a module at _METRICS_DIR/<name>/<name>.py.
METRICS: tuple[str, ...] = (
    "rouge",
    "abstractiveness",
    "unsupported_content",
    "multilabel_classification",
    "semantic_similarity",
    "stance_preservation",
    "rouge2_support",
    "factual_consistency",
)


# Old names kept so configs and committed results that use them still load: alias -> module.
METRIC_ALIASES: dict[str, str] = {"faithfulness": "unsupported_content"}


def metric_path(name: str) -> Path:
    """The script of metric ``name``, for ``evaluate.load``; unknown names raise ``ConfigError``.

    Example:
        >>> metric_path("rouge").name
        'rouge.py'
    """
    key = name.strip().lower().replace("-", "_")
    key = METRIC_ALIASES.get(key, key)
    if key not in METRICS:
        close = difflib.get_close_matches(key, METRICS, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(f"unknown metric {name!r}", fix=f"{hint}Known metrics: {', '.join(METRICS)}.")
    return _METRICS_DIR / key / f"{key}.py"


def load_metric(name: str, **kwargs: Any) -> evaluate.EvaluationModule:
    """Load the shipped metric ``name`` as an ``evaluate`` module, without touching the network.

    ``kwargs`` go to ``evaluate.load`` (``experiment_id``, ``cache_dir``, ...). ``keep_in_memory`` defaults
    to True: the inputs stay in memory instead of Arrow files and file locks under the evaluate cache.

    Example:
        >>> m = load_metric("multilabel_classification")
        >>> m.compute(predictions=[["a"]], references=[["a"]], labels=["a", "b"])["accuracy"]
        1.0
    """
    path = metric_path(name)  # a wrong name fails before the slow import below
    kwargs.setdefault("keep_in_memory", True)
    return _import_evaluate().load(str(path), **kwargs)


def _import_evaluate() -> Any:
    """Import the ``evaluate`` library (deferred: it imports datasets and transformers, several seconds).

    A script run from ``scripts/`` has that directory first on ``sys.path``, where ``scripts/evaluate.py``
    would shadow the library; import it with such directories left out.
    """
    import importlib
    import sys

    module = sys.modules.get("evaluate")
    if module is not None and hasattr(module, "load"):
        return module
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if not (Path(p or ".") / "evaluate.py").is_file()]
    sys.modules.pop("evaluate", None)
    try:
        return importlib.import_module("evaluate")
    finally:
        sys.path[:] = saved


__all__ = ["METRICS", "METRIC_ALIASES", "load_metric", "metric_path"]
