"""A task is data: one YAML file in ``configs/eval/`` validated into a typed :class:`TaskConfig`.

It names the dataset (a local file and its column mapping), the system (a registered ``type``), the metrics
(registered names with typed ``args``), the seed and the bootstrap settings, and how ``stancekit reproduce``
judges a re-run (tolerances, published figures). Unknown keys, system types and metric names fail at load time
with "did you mean"; the rest of the harness only ever sees the validated objects.

Example:
    >>> task, path = load_task("xsum-lead3")  # configs/eval/xsum-lead3.yaml
    >>> task.system.display_name(), [m.name for m in task.metrics][:2]
    ('lead-3', ['rouge', 'semantic_similarity'])
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SerializeAsAny, ValidationError, model_validator

from stancekit.config import (
    StrictModel,
    deep_merge,
    load_yaml,
    parse_overrides,
    resolve_config_path,
    validate,
)
from stancekit.errors import ConfigError
from stancekit.evaluation.meta import AGREEMENT_STATISTICS
from stancekit.evaluation.scoring import METRIC_SCORERS, metric_scorer
from stancekit.evaluation.systems import SystemSpec, system_spec

TaskKind = Literal["summarisation", "classification", "meta_evaluation"]
_FORMATS = {".jsonl": "jsonl", ".json": "json", ".csv": "csv"}


class Columns(StrictModel):
    """Which columns hold the id, the input text and the reference (a summary, or a label / label list)."""

    id: str | None = Field(default="id", description="null: number the rows 1, 2, ...")
    input: str | None = Field(default="text", description="null: the data has no inputs (saved predictions)")
    reference: str | None = Field(
        default="reference", description="null: no references (summaries scored by reference-free metrics)"
    )
    human: str | None = Field(default=None, description="meta_evaluation: the human score of the output")
    group: str | None = Field(default=None, description="meta_evaluation: the origin reported apart")


class DatasetConfig(StrictModel):
    """Where the samples are. Relative paths: the working directory if they exist there, else the repository."""

    path: str | None = Field(default=None, description="a JSONL, JSON, CSV or PLOVER file")
    format: Literal["auto", "jsonl", "json", "csv", "text", "plover", "documents"] = Field(
        default="auto",
        description="auto: from the suffix; text: line-aligned `references` (and `inputs`); documents: `path` "
        "is a text file, a folder of .txt files or a glob, one document per file and no references",
    )
    references: str | None = Field(default=None, description="format text: one reference per line")
    inputs: str | None = Field(default=None, description="format text: one input per line, aligned")
    columns: Columns = Columns()
    where: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="keep rows whose columns equal these values, e.g. {split: test}"
    )
    limit: int | None = Field(default=None, ge=1, description="keep the first N samples (after `where`)")
    skip_empty_inputs: bool = Field(
        default=False, description="leave out rows whose input is empty (listed in results.json), not fail"
    )
    labels: list[str] | None = Field(
        default=None,
        description="classification: the scored label set (default: the data's, else the system's)",
    )

    @model_validator(mode="after")
    def _check_sources(self) -> DatasetConfig:
        fmt = self.format
        if fmt == "auto" and self.path is None and self.references is not None:
            fmt = "text"
        if fmt == "text":
            if self.references is None:
                raise ValueError("format text needs `references:` (a file with one reference per line)")
            if self.path is not None:
                raise ValueError("format text reads `references:` and `inputs:`, not `path:`")
        else:
            if self.path is None:
                raise ValueError("the dataset needs `path:` (or format: text with `references:`)")
            if self.references is not None or self.inputs is not None:
                raise ValueError("`references:` and `inputs:` are for format: text (line-aligned files)")
            if fmt == "documents" and self.columns != Columns():
                raise ValueError(
                    "format documents has no columns: the file name is the id, its text the input"
                )
            if fmt == "auto" and Path(self.path).suffix.lower() not in _FORMATS:
                raise ValueError(
                    f"cannot tell the format of {self.path!r} from its suffix: set format to jsonl, json, csv, "
                    "plover, or text (with references:)"
                )
        return self

    @property
    def resolved_format(self) -> str:
        if self.format != "auto":
            return self.format
        if self.path is None:
            return "text"
        return _FORMATS[Path(self.path).suffix.lower()]

    def has_inputs(self) -> bool:
        fmt = self.resolved_format
        if fmt == "text":
            return self.inputs is not None
        return fmt in ("plover", "documents") or self.columns.input is not None

    def has_references(self) -> bool:
        fmt = self.resolved_format
        if fmt == "documents":
            return False
        return fmt in ("text", "plover") or self.columns.reference is not None


class MetricSpec(StrictModel):
    """A registered metric (``stancekit.evaluation.scoring``) and its typed arguments."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class BootstrapSettings(StrictModel):
    n_resamples: int = Field(default=1000, ge=100)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)


class SampleLog(StrictModel):
    """What predictions.jsonl keeps besides ids, per-sample scores and sha256 of every text.

    Switch the texts off for data that may not be copied (such as ``../shared``): results committed to the
    repository must not carry it.
    """

    output_text: bool = True
    reference_text: bool = True


class PublishedFigure(StrictModel):
    """A number someone else published for this exact task, that a re-run must stay near."""

    value: float
    tolerance: float = Field(ge=0)
    source: str = ""


class ReproduceSettings(StrictModel):
    """How ``stancekit reproduce`` judges a re-run against the committed results."""

    tolerance: float = Field(default=1e-6, ge=0, description="absolute, on the metric's own scale")
    per_metric: dict[str, float] = Field(
        default_factory=dict, description="tolerance overrides by metric key"
    )
    by_default: bool = Field(default=True, description="false: re-run only when named (slow runs)")
    published: dict[str, PublishedFigure] = Field(default_factory=dict)


class MetaSettings(StrictModel):
    """How a meta_evaluation task judges the metric under test against the human scores."""

    factual_at: float = Field(
        default=1.0, gt=0, le=1, description="a human score at or above this counts as fully factual"
    )
    threshold: float | None = Field(
        default=None, description="the metric's decision threshold; null: the metric's own default"
    )
    groups: dict[str, str] = Field(
        default_factory=dict, description="display names of the group column's values, e.g. {bbc: XSum}"
    )


class TaskConfig(StrictModel):
    """One evaluation: data, system, metrics, seed. ``name`` defaults to the config file's stem."""

    name: str
    kind: TaskKind
    description: str = ""
    dataset: DatasetConfig
    system: SerializeAsAny[SystemSpec]
    metrics: list[MetricSpec] = Field(min_length=1)
    seed: int = Field(default=0, description="bootstrap resampling (and any sampling) seed")
    bootstrap: BootstrapSettings = BootstrapSettings()
    log_samples: SampleLog = SampleLog()
    reproduce: ReproduceSettings = ReproduceSettings()
    meta: MetaSettings | None = Field(default=None, description="meta_evaluation only")
    metadata: dict[str, Any] = Field(default_factory=dict, description="free-form, e.g. {version: 1}")

    @model_validator(mode="before")
    @classmethod
    def _dispatch(cls, data: Any) -> Any:
        return normalise_task(data, "task") if isinstance(data, dict) else data

    @property
    def output_kind(self) -> str:
        """What the system outputs: a meta-evaluation judges a metric on summaries."""
        return "summarisation" if self.kind == "meta_evaluation" else self.kind

    @model_validator(mode="after")
    def _check_fit(self) -> TaskConfig:
        if self.system.kind not in (None, self.output_kind):
            raise ValueError(
                f"system type {self.system.type!r} is a {self.system.kind} system, not {self.output_kind}"
            )
        if self.kind == "meta_evaluation":
            self._check_meta()
        elif self.meta is not None:
            raise ValueError("`meta:` is for kind meta_evaluation tasks only")
        names = [spec.name for spec in self.metrics]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"metric {twice[0]!r} is listed twice; list each metric once, with its args")
        for spec in self.metrics:
            scorer = metric_scorer(spec.name)
            if scorer.kind != self.output_kind:
                raise ValueError(f"metric {spec.name!r} scores {scorer.kind}, but this is a {self.kind} task")
            if scorer.needs_references and not self.dataset.has_references():
                reference_free = sorted(n for n, m in METRIC_SCORERS.items() if not m.needs_references)
                raise ValueError(
                    f"metric {spec.name!r} compares outputs with references, but the dataset has none; "
                    f"reference-free metrics: {', '.join(reference_free)}"
                )
            if scorer.needs_sources and not self.dataset.has_inputs():
                raise ValueError(
                    f"metric {spec.name!r} compares summaries with their source documents, but the dataset has "
                    "none: set dataset.columns.input (or dataset.inputs)"
                )
        known = self.metric_keys()
        for key in [*self.reproduce.per_metric, *self.reproduce.published]:
            grouped = self.kind == "meta_evaluation" and key.startswith(tuple(AGREEMENT_STATISTICS))
            if key not in known and not key.startswith("per_label.") and not grouped:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"reproduce names metric {key!r}, which this task does not report{hint}")
        return self

    def _check_meta(self) -> None:
        if len(self.metrics) != 1:
            raise ValueError("a meta_evaluation task judges one metric: list exactly one under `metrics:`")
        if self.dataset.columns.human is None:
            raise ValueError("a meta_evaluation task needs dataset.columns.human (the human score column)")
        scorer = metric_scorer(self.metrics[0].name)
        if scorer.support is None:
            supported = sorted(n for n, m in METRIC_SCORERS.items() if m.support is not None)
            raise ValueError(
                f"metric {scorer.name!r} gives no per-summary support score to judge; judge one of "
                f"{', '.join(supported)}"
            )
        if self.meta is None:
            self.meta = MetaSettings()

    def metric_keys(self) -> set[str]:
        """Every top-level metric key the task reports."""
        keys: set[str] = set()
        if self.kind == "meta_evaluation":  # pooled; per group they are <statistic>_<group>
            keys.update(AGREEMENT_STATISTICS)
        for spec in self.metrics:
            scorer = metric_scorer(spec.name)
            keys.update(key for key, _, _ in scorer.reported)
            if scorer.kind == "classification":
                keys.update({"accuracy", "macro_f1", "micro_f1", "ece"})
        return keys

    def fingerprint(self) -> str:
        """sha256 of the resolved config, leaving out what does not change a number (description, reproduce)."""
        data = self.model_dump(mode="json", exclude={"description", "reproduce"})
        # keys added for meta_evaluation are left out when unset, so older tasks keep their fingerprint
        if data.get("meta") is None:
            data.pop("meta", None)
        columns = data.get("dataset", {}).get("columns", {})
        for key in ("human", "group"):
            if columns.get(key) is None:
                columns.pop(key, None)
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def metric_args(self, spec: MetricSpec) -> Any:
        return metric_scorer(spec.name).Args.model_validate(spec.args)


def normalise_task(data: dict[str, Any], where: str) -> dict[str, Any]:
    """Dispatch ``system:`` to its registered spec and check ``metrics:`` names and args, with did-you-mean."""
    data = dict(data)
    if "system" in data:
        data["system"] = system_spec(data["system"], where=f"{where}: system")
    if "metrics" in data and isinstance(data["metrics"], list):
        data["metrics"] = [
            _metric_spec(item, f"{where}: metrics[{i}]") for i, item in enumerate(data["metrics"])
        ]
    return data


def _metric_spec(item: Any, where: str) -> MetricSpec:
    if isinstance(item, MetricSpec):
        return item
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, dict):
        raise ConfigError(f"a metric is a name or {{name:, args:}}, got {item!r}.", where=where)
    spec = validate(MetricSpec, item, where=where)
    try:
        scorer = metric_scorer(spec.name)
    except ConfigError as error:
        raise ConfigError(error.problem, where=where, fix=error.fix) from None
    args = validate(scorer.Args, spec.args, where=f"{where} ({scorer.name}) args")
    return MetricSpec(name=scorer.name, args=args.model_dump(mode="json"))


def load_task(
    ref: str | Path, overrides: list[str] | None = None, *, limit: int | None = None
) -> tuple[TaskConfig, Path]:
    """Load ``configs/eval/<ref>.yaml`` (or any YAML path) with dotted overrides; ``limit`` overrides
    ``dataset.limit``. Returns the validated task and the config file's path."""
    path = resolve_config_path(ref, "eval")
    raw = deep_merge(load_yaml(path), parse_overrides(overrides))
    if limit is not None:
        raw = deep_merge(raw, {"dataset": {"limit": limit}})
    raw.setdefault("name", path.stem)
    return task_from_dict(raw, where=str(path)), path


def display_path(path: Path) -> Path:
    """``configs/eval/x.yaml`` rather than an absolute path when the config is in the checkout, so results
    record a path that means the same on every machine."""
    from stancekit.config import config_root

    try:
        return path.resolve().relative_to(config_root().parent.resolve())
    except ValueError:
        return path


def task_from_dict(data: dict[str, Any], where: str = "task") -> TaskConfig:
    """Validate a raw task mapping; errors name ``where`` and suggest the closest valid key or name."""
    normalised = normalise_task(data, where)
    try:
        return TaskConfig.model_validate(normalised)
    except ValidationError as error:
        problems = error.errors()
        if all(not p["loc"] for p in problems):  # the cross-field checks: their message says it all
            raise ConfigError(
                "; ".join(str(p["msg"]).removeprefix("Value error, ") for p in problems),
                where=where,
                fix="correct the task config.",
            ) from None
    return validate(TaskConfig, normalised, where=where)  # raises with per-key messages and did-you-mean


__all__ = [
    "METRIC_SCORERS",
    "BootstrapSettings",
    "Columns",
    "DatasetConfig",
    "MetricSpec",
    "ReproduceSettings",
    "SampleLog",
    "TaskConfig",
    "display_path",
    "load_task",
    "task_from_dict",
]
