"""Systems under evaluation, registered by name: summarisers, classifiers, baselines and saved predictions.

A task's ``system:`` section names a registered ``type`` and its settings; a wrong type gets "did you mean".
Every spec is a typed config (:class:`SystemSpec`) that builds a :class:`System`, and every system answers
``predict(samples) -> list[Prediction]``. Add a system with ``@register_system("name")`` on a spec class.

Example:
    >>> spec = system_spec({"type": "lead", "k": 3})
    >>> spec.display_name()
    'lead-3'
    >>> system_spec({"type": "leed"})  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    stancekit.errors.ConfigError: unknown system type 'leed'. Fix: did you mean 'lead'? ...
"""

from __future__ import annotations

import difflib
import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import Field

from stancekit.config import StrictModel, validate
from stancekit.errors import ConfigError, InputError
from stancekit.evaluation.dataset import EvalDataset, Sample, existing_file, file_sha256, read_lines

Kind = Literal["summarisation", "classification"]


@dataclass
class Prediction:
    """A system's output for one sample: a summary, or a label set with (optionally) every label's score."""

    output: str | list[str]
    label_scores: dict[str, float] | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class System(ABC):
    """Something that turns samples into predictions. ``batch_size`` samples are predicted (and saved) at once."""

    identifier: str
    batch_size: int = 256
    # classification: whether label_scores are probabilities, so calibration (ECE) means something
    probabilities: bool = False
    # classification: the label set the system predicts from (its taxonomy), if it has one
    label_set: list[str] | None = None

    @abstractmethod
    def predict(self, samples: list[Sample]) -> list[Prediction]: ...

    def models(self) -> list[dict[str, Any]]:
        """Identifiers of every model or file behind the predictions, for results.json."""
        return []


class SystemSpec(StrictModel):
    """Base of every ``system:`` config. ``name`` is the display name in reports."""

    type: str
    name: str | None = Field(default=None, description="display name in reports and tables")

    kind: ClassVar[Kind | None] = None  # None: works for both task kinds

    def display_name(self) -> str:
        return self.name or self.type

    def check(self) -> str:
        """Validate what the spec refers to (configs, files) without loading models; return a fingerprint of
        everything that determines the predictions (the resume journal is keyed on it)."""
        return self.fingerprint()

    def build(self, dataset: EvalDataset) -> System:
        raise NotImplementedError


SYSTEMS: dict[str, type[SystemSpec]] = {}


def register_system(name: str) -> Callable[[type[SystemSpec]], type[SystemSpec]]:
    """Class decorator: make a spec available as ``system: {type: name}`` in task configs."""

    def register(cls: type[SystemSpec]) -> type[SystemSpec]:
        if name in SYSTEMS:
            raise ValueError(f"system type {name!r} is registered twice")
        SYSTEMS[name] = cls
        return cls

    return register


def system_spec(data: Any, where: str = "system") -> SystemSpec:
    """Validate a raw ``system:`` mapping into its registered spec class (did-you-mean on the type)."""
    if isinstance(data, SystemSpec):
        return data
    if not isinstance(data, dict) or "type" not in data:
        raise ConfigError(
            "the system must be a mapping with a `type:`.",
            where=where,
            fix=f"e.g. system: {{type: lead, k: 3}}; types: {', '.join(sorted(SYSTEMS))}.",
        )
    name = str(data["type"])
    cls = SYSTEMS.get(name)
    if cls is None:
        close = difflib.get_close_matches(name, list(SYSTEMS), n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(
            f"unknown system type '{name}'.",
            where=where,
            fix=f"{hint}System types: {', '.join(sorted(SYSTEMS))}.",
        )
    return validate(cls, data, where=where)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


# --------------------------------------------------------------------------------------------- summarisers


class SummariserSystem(System):
    def __init__(self, config: Any, mode: str = "plain", classifier: str | None = None) -> None:
        from stancekit.summarise.summariser import Summariser

        self.summariser = Summariser(config)
        self.config = config
        self.mode = mode
        self.classifier = classifier
        self.identifier = f"summariser:{config.name}" + (":stance" if mode == "stance" else "")
        # samples handed over (and saved) per call: a fixed batch size, or enough for several auto batches
        size = config.batch_size
        self.batch_size = size if isinstance(size, int) else 4 * self.summariser.batch_plan["rows"]

    def predict(self, samples: list[Sample]) -> list[Prediction]:
        if self.mode == "stance":
            return [self._stance(s.input or "") for s in samples]
        results = self.summariser.summarise_many([s.input or "" for s in samples])
        return [Prediction(r.summary, meta=self._meta(r)) for r in results]

    def _stance(self, document: str) -> Prediction:
        # One document at a time: each prompt carries that document's own key statements.
        from stancekit.summarise.stance import stance_summary

        result = stance_summary(document, summariser=self.summariser, classifier=self.classifier)
        meta = self._meta(result.summary)
        meta["key_statements"] = len(result.key_statements)
        return Prediction(result.summary.summary, meta=meta)

    @staticmethod
    def _meta(r: Any) -> dict[str, Any]:
        return {
            "input_tokens": r.input_tokens,
            "output_tokens": r.output_tokens,
            "copy_rate": r.copy_rate,
            "reduce_rounds": r.reduce_rounds,
            "generate_s": r.timings.get("generate_s"),
        }

    def models(self) -> list[dict[str, Any]]:
        from stancekit.models.embedded import EMBEDDED_PREFIX, PACKS, GgufPack

        ref = self.summariser.ref
        entry: dict[str, Any] = {
            "role": "summariser",
            "model": self.config.model,
            "source": ref.source,
            "backend": self.summariser.backend,
            "config": self.config.name,
            "config_sha256": self.config.fingerprint(),
            "mode": self.mode,
            "numerics": self.summariser.numerics,
        }
        pack = (
            PACKS.get(self.config.model.removeprefix(EMBEDDED_PREFIX)) if ref.source == "embedded" else None
        )
        if isinstance(pack, GgufPack):
            entry["pack_sha256"] = pack.sha256
        return [entry]


@register_system("summariser")
class SummariserSpec(SystemSpec):
    """A summariser config (``configs/summariser/<name>.yaml`` or a path), with dotted overrides."""

    type: Literal["summariser"] = "summariser"
    config: str = "embedded-qwen"
    overrides: list[str] = Field(default_factory=list, description="e.g. ['generation.num_beams=2']")
    mode: Literal["plain", "stance"] = Field(
        default="plain", description="stance: summarise(mode='stance'), the prompt carries the key statements"
    )
    classifier: str = Field(
        default="diplomatic-v1-minilm",
        description="stance mode: the classifier that finds the key statements",
    )
    kind: ClassVar[Kind | None] = "summarisation"

    def display_name(self) -> str:
        return self.name or (f"{self.config} (stance mode)" if self.mode == "stance" else self.config)

    def _config(self) -> Any:
        from stancekit.summarise.config import load_summariser_config

        return load_summariser_config(self.config, self.overrides or None)

    def check(self) -> str:
        parts = [self.fingerprint(), self._config().fingerprint()]
        if self.mode == "stance":  # the key statements, hence the prompts, depend on the classifier
            from stancekit.statements.classifiers.config import load_classifier_config

            parts.append(load_classifier_config(self.classifier).fingerprint())
        return _digest(*parts)

    def build(self, dataset: EvalDataset) -> System:
        if any(s.input is None for s in dataset.samples):
            raise ConfigError("a summariser needs the input documents: set dataset.columns.input.")
        return SummariserSystem(self._config(), self.mode, self.classifier if self.mode == "stance" else None)


class BaselineSummariser(System):
    def __init__(self, identifier: str, summarise: Callable[[str], str], method: str) -> None:
        self.identifier = identifier
        self._summarise = summarise
        self.method = method

    def predict(self, samples: list[Sample]) -> list[Prediction]:
        return [Prediction(self._summarise(s.input or "")) for s in samples]

    def models(self) -> list[dict[str, Any]]:
        return [{"role": "baseline", "method": self.method}]


def _needs_inputs(dataset: EvalDataset, what: str) -> None:
    if any(s.input is None for s in dataset.samples):
        raise ConfigError(f"{what} needs the input documents: set dataset.columns.input (or dataset.inputs).")


@register_system("lead")
class LeadSpec(SystemSpec):
    """LEAD-k: the first k sentences of the document."""

    type: Literal["lead"] = "lead"
    k: int = Field(default=3, ge=1)
    kind: ClassVar[Kind | None] = "summarisation"

    def display_name(self) -> str:
        return self.name or f"lead-{self.k}"

    def build(self, dataset: EvalDataset) -> System:
        from stancekit.summarise.extractive import lead_summary

        _needs_inputs(dataset, "lead-k")
        return BaselineSummariser(
            f"lead-{self.k}",
            lambda document: lead_summary(document, self.k),
            "the first k sentences (LEAD-k)",
        )


@register_system("textrank")
class TextRankSpec(SystemSpec):
    """Extractive TextRank: the k most central sentences (word-overlap graph, PageRank), in document order."""

    type: Literal["textrank"] = "textrank"
    k: int = Field(default=1, ge=1)
    damping: float = Field(default=0.85, gt=0, lt=1)
    kind: ClassVar[Kind | None] = "summarisation"

    def display_name(self) -> str:
        return self.name or f"textrank-{self.k}"

    def build(self, dataset: EvalDataset) -> System:
        from stancekit.summarise.extractive import TextRankSummariser

        _needs_inputs(dataset, "TextRank")
        return BaselineSummariser(
            f"textrank-{self.k}",
            TextRankSummariser(self.k, damping=self.damping).summarise,
            f"TextRank: word-overlap sentence graph, PageRank (damping {self.damping}), best k in document order",
        )


# --------------------------------------------------------------------------------------------- classifiers


class ClassifierSystem(System):
    def __init__(self, config: Any) -> None:
        from stancekit.statements.classifiers import build_classifier

        self.config = config
        self.classifier = build_classifier(config)
        self.identifier = f"classifier:{config.name}"
        self.batch_size = max(config.batch_size, 64)
        # Fine-tuned: sigmoid probabilities; zero-shot: a softmax over labels when so configured, else cosines;
        # lexicon: cue strengths. Calibration error only means something for probabilities.
        zero_shot_softmax = getattr(config.zero_shot, "scoring", None) == "softmax"
        self.probabilities = config.kind == "fine_tuned" or (config.kind == "zero_shot" and zero_shot_softmax)
        self.label_set = list(self.classifier.taxonomy.names)

    def predict(self, samples: list[Sample]) -> list[Prediction]:
        results = self.classifier.predict([s.input or "" for s in samples])
        return [
            Prediction(list(r.labels), {k: float(v) for k, v in r.scores.items()}, {"windows": r.windows})
            for r in results
        ]

    def models(self) -> list[dict[str, Any]]:
        entry: dict[str, Any] = {
            "role": "classifier",
            "name": self.config.name,
            "kind": self.config.kind,
            "taxonomy": self.config.taxonomy,
            "config_sha256": self.config.fingerprint(),
        }
        if hasattr(self.classifier, "numerics"):
            entry["numerics"] = self.classifier.numerics
        if self.config.weights:
            entry["weights"] = self.config.weights
            training = getattr(self.classifier, "training", None) or {}
            entry["base_model"] = training.get("base_model")
        if self.config.zero_shot is not None:
            entry["encoder"] = self.config.zero_shot.encoder
        return [entry]


@register_system("classifier")
class ClassifierSpec(SystemSpec):
    """A classifier config (``configs/classifier/<name>.yaml`` or a path), with dotted overrides."""

    type: Literal["classifier"] = "classifier"
    config: str = "diplomatic-v1-minilm"
    overrides: list[str] = Field(default_factory=list)
    kind: ClassVar[Kind | None] = "classification"

    def display_name(self) -> str:
        return self.name or self.config

    def _config(self) -> Any:
        from stancekit.statements.classifiers.config import load_classifier_config

        return load_classifier_config(self.config, self.overrides or None)

    def check(self) -> str:
        return _digest(self.fingerprint(), self._config().fingerprint())

    def build(self, dataset: EvalDataset) -> System:
        _needs_inputs(dataset, "a classifier")
        return ClassifierSystem(self._config())


@register_system("lexicon")
class LexiconSpec(ClassifierSpec):
    """The cue-word baseline classifier (a ``kind: lexicon`` classifier config)."""

    type: Literal["lexicon"] = "lexicon"  # type: ignore[assignment]
    config: str = "lexicon"


@register_system("zero_shot")
class ZeroShotSpec(ClassifierSpec):
    """The zero-shot baseline: MiniLM similarity to label definitions (a ``kind: zero_shot`` config)."""

    type: Literal["zero_shot"] = "zero_shot"  # type: ignore[assignment]
    config: str = "zero-shot"


class MajoritySystem(System):
    def __init__(self, labels: list[str], source: str) -> None:
        from stancekit.evaluation.baselines import MajorityClassifier

        self.classifier = MajorityClassifier(labels)
        self.identifier = f"majority:{'+'.join(labels)}"
        self.source = source

    def predict(self, samples: list[Sample]) -> list[Prediction]:
        return [Prediction(labels) for labels in self.classifier.predict([s.id for s in samples])]

    def models(self) -> list[dict[str, Any]]:
        return [
            {"role": "baseline", "name": "majority", "labels": self.classifier.labels, "from": self.source}
        ]


@register_system("majority")
class MajoritySpec(SystemSpec):
    """Predicts the most frequent label set of a training split for everything (or fixed ``labels``)."""

    type: Literal["majority"] = "majority"
    labels: list[str] | None = Field(default=None, description="predict these; None: learn from train_data")
    train_data: str = "data/statements/statements.jsonl"
    train_split: str = "train"
    taxonomy: str = "diplomatic-v1"
    kind: ClassVar[Kind | None] = "classification"

    def display_name(self) -> str:
        return self.name or "majority class"

    def build(self, dataset: EvalDataset) -> System:
        from stancekit.evaluation.baselines import MajorityClassifier

        if self.labels:
            return MajoritySystem(list(self.labels), "config")
        from stancekit.statements.data import load_statements

        path = existing_file(self.train_data, "majority baseline training data")
        rows = load_statements(path, self.taxonomy, split=self.train_split)
        majority = MajorityClassifier.from_label_sets(list(rows["labels"]))
        return MajoritySystem(majority.labels, f"{self.train_data} ({self.train_split}, {len(rows)} items)")


# --------------------------------------------------------------------------------------------- saved outputs


class SavedPredictions(System):
    def __init__(self, spec: SavedPredictionsSpec, outputs: dict[int | str, Prediction], sha256: str) -> None:
        self.spec = spec
        self.outputs = outputs
        self.sha256 = sha256
        self.identifier = f"predictions:{spec.path}"
        self.probabilities = spec.probabilities
        self.batch_size = 4096

    def predict(self, samples: list[Sample]) -> list[Prediction]:
        key = (lambda s: s.position) if self.spec.resolved_format == "text" else (lambda s: s.id)
        return [self.outputs[key(s)] for s in samples]

    def models(self) -> list[dict[str, Any]]:
        return [{"role": "saved predictions", "path": self.spec.path, "sha256": self.sha256}]


@register_system("predictions")
class SavedPredictionsSpec(SystemSpec):
    """Outputs saved earlier: a line-aligned text file (line i = dataset row i) or JSONL with an id per line.

    For classification, a text line holds labels separated by ``label_separator``; a JSONL output is a label
    or a list of labels, with optional per-label scores in ``scores_column``.
    """

    type: Literal["predictions"] = "predictions"
    path: str
    format: Literal["auto", "text", "jsonl"] = "auto"
    id_column: str = "id"
    output_column: str = "output"
    scores_column: str | None = None
    probabilities: bool = Field(default=False, description="the scores are probabilities (enables ECE)")
    label_separator: str = ","

    @property
    def resolved_format(self) -> str:
        if self.format != "auto":
            return self.format
        return "jsonl" if self.path.endswith((".jsonl", ".json")) else "text"

    def display_name(self) -> str:
        return self.name or self.path.rsplit("/", 1)[-1]

    def check(self) -> str:
        path = existing_file(self.path, "predictions file")
        return _digest(self.fingerprint(), file_sha256(path))

    def build(self, dataset: EvalDataset, kind: str = "summarisation") -> System:
        path = existing_file(self.path, "predictions file")
        if self.resolved_format == "text":
            outputs = self._text_outputs(path, dataset, kind)
        else:
            outputs = self._jsonl_outputs(path, dataset, kind)
        return SavedPredictions(self, outputs, file_sha256(path))

    def _labels(self, value: Any, where: str) -> list[str]:
        if isinstance(value, str):
            return [x.strip() for x in value.split(self.label_separator) if x.strip()]
        if isinstance(value, list) and all(isinstance(x, str) for x in value):
            return list(value)
        raise InputError(
            f"the predicted labels must be a label or a list of labels, got {value!r}.", where=where
        )

    def _text_outputs(self, path: Any, dataset: EvalDataset, kind: str) -> dict[int | str, Prediction]:
        lines = read_lines(path, self.path)
        if len(lines) != dataset.n_rows:
            fewer = len(lines) < dataset.n_rows
            detail = (
                f"lines {len(lines) + 1}-{dataset.n_rows} are missing"
                if fewer
                else f"lines {dataset.n_rows + 1}-{len(lines)} have no sample"
            )
            raise InputError(
                f"has {len(lines)} lines but the dataset has {dataset.n_rows} rows ({detail}).",
                where=f"{self.path}:{min(len(lines), dataset.n_rows) + (1 if fewer else 0)}",
                fix="a line-aligned predictions file needs exactly one line per dataset row, in the same order.",
            )
        return {
            i: Prediction(self._labels(line, f"{self.path}:{i + 1}") if kind == "classification" else line)
            for i, line in enumerate(lines)
        }

    def _jsonl_outputs(self, path: Any, dataset: EvalDataset, kind: str) -> dict[int | str, Prediction]:
        wanted = {s.id for s in dataset.samples}
        outputs: dict[int | str, Prediction] = {}
        where_of: dict[str, str] = {}
        for number, line in enumerate(read_lines(path, self.path), 1):
            where = f"{self.path}:{number}"
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"not valid JSON: {error.msg}.", where=where) from None
            if not isinstance(record, dict):
                raise InputError(f"expected a JSON object, got {type(record).__name__}.", where=where)
            for column in (self.id_column, self.output_column):
                if column not in record:
                    close = difflib.get_close_matches(column, list(record), n=1)
                    hint = f"did you mean '{close[0]}'? " if close else ""
                    raise InputError(
                        f"has no '{column}' key.",
                        where=where,
                        fix=f"{hint}Keys here: {', '.join(record)}; set system.id_column / output_column.",
                    )
            sample_id = str(record[self.id_column])
            if sample_id in where_of:
                raise InputError(
                    f"id {sample_id!r} appears twice (first at {where_of[sample_id]}).", where=where
                )
            where_of[sample_id] = where
            value = record[self.output_column]
            if kind == "classification":
                output: str | list[str] = self._labels(value, where)
            elif isinstance(value, str):
                output = value
            else:
                raise InputError(f"the output must be a string, got {value!r}.", where=where)
            scores = record.get(self.scores_column) if self.scores_column else None
            if scores is not None and not (
                isinstance(scores, dict)
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in scores.values())
            ):
                raise InputError(
                    f"'{self.scores_column}' must map labels to numbers, got {scores!r}.", where=where
                )
            outputs[sample_id] = Prediction(output, scores)
        unknown = [i for i in where_of if i not in dataset.all_ids]
        if unknown:
            raise InputError(
                f"id {unknown[0]!r} is not in the dataset ({len(unknown)} unknown ids in all).",
                where=where_of[unknown[0]],
                fix="the predictions must use the dataset's ids (dataset.columns.id).",
            )
        missing = [s for s in dataset.samples if s.id in wanted and s.id not in outputs]
        if missing:
            raise InputError(
                f"has no prediction for {len(missing)} of the {len(dataset.samples)} samples "
                f"(first: id {missing[0].id!r}, {missing[0].where}).",
                where=self.path,
                fix="predict every sample, or limit the dataset to the predicted ones.",
            )
        return outputs


def build_system(spec: SystemSpec, dataset: EvalDataset, kind: str) -> System:
    """Instantiate the system a spec describes, for ``dataset``."""
    if isinstance(spec, SavedPredictionsSpec):
        return spec.build(dataset, kind)
    return spec.build(dataset)
