"""Checking the classifier on the user's own corpus before trusting its counts.

1. :func:`sample_for_annotation` draws a label-stratified sample of a run's statements and writes it as JSONL
   and CSV for annotators, with the predicted labels hidden (the default, so they do not anchor the annotator)
   or shown. Each statement belongs to one stratum, its rarest predicted label, so rare labels get enough
   examples to be scored; every row carries its stratum and its inclusion ``weight`` (stratum size / sampled),
   which validation uses to turn sample counts back into corpus-level estimates.
2. :func:`validate_against_gold` reads the returned file (the same JSONL or CSV with ``gold_labels`` filled in),
   scores the run's predictions per label (precision, recall, F1, weighted by ``weight`` when the rows keep it,
   with percentile-bootstrap intervals from :mod:`stancekit.evaluation.statistics`), writes
   ``DIR/validation.json`` (which ``stancekit report`` then cites), and can write per-label thresholds
   recalibrated on the sample as a new classifier config for that corpus.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stancekit.corpus.rundir import VALIDATION, RunTables, read_run
from stancekit.errors import ConfigError, InputError

if TYPE_CHECKING:
    from stancekit.statements.classifiers.config import ClassifierConfig

FALLBACK = "other"
LABEL_SEPARATOR = ";"
MIN_POSITIVES_TO_RECALIBRATE = 3  # fewer gold positives than this and a label keeps its threshold
MAX_LISTED_PROBLEMS = 20
CONTEXT_CHARS = 300


def statement_id(document_id: str, index: int) -> str:
    """The id a sample row and a gold line use for one statement: ``<document id>#<index>``."""
    return f"{document_id}#{int(index)}"


# ------------------------------------------------------------------------------------------------ sampling


def sample_for_annotation(
    run_dir: str | Path,
    n: int = 200,
    output: str | Path | None = None,
    show_predictions: bool = False,
    seed: int = 0,
) -> dict[str, Any]:
    """Write a label-stratified sample of ``n`` statements as ``<output>.jsonl`` and ``<output>.csv``.

    ``output`` names the files without (or with) a ``.jsonl``/``.csv`` suffix; the default is
    ``DIR/annotation/sample``. Returns ``{"n", "strata": {label: {"population", "sampled"}}, "paths"}``.
    Annotators fill ``gold_labels`` (labels separated by ``;``, ``other`` for a statement with no stance).
    """
    from stancekit.io import check_output_path, write_atomic

    if not isinstance(n, int) or n < 1:
        raise InputError(f"n must be a positive number of statements, got {n!r}.", fix="pass e.g. --n 200.")
    tables = read_run(run_dir)
    stem = _stem(output, tables.directory)
    paths = [stem.with_suffix(".jsonl"), stem.with_suffix(".csv")]
    for path in paths:
        check_output_path(path, "file", what="sample")
    statements = tables.statements
    if statements.empty:
        raise InputError(
            "has no statements to sample.", where=str(tables.directory), fix="check the corpus run."
        )
    strata = _strata(statements)
    chosen = _allocate(strata, n, np.random.default_rng(seed))
    rows = [
        _sample_row(tables, position, stratum, weight, show_predictions)
        for stratum, positions in chosen.items()
        for position, weight in positions
    ]
    rows.sort(key=lambda row: row["_order"])  # shuffled, so annotators do not see the strata in blocks
    for row in rows:
        del row["_order"]
    write_atomic(paths[0], "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    write_atomic(paths[1], _csv(rows))
    return {
        "n": len(rows),
        "strata": {
            label: {"population": len(strata[label]), "sampled": len(chosen.get(label, []))}
            for label in strata
        },
        "paths": [str(p) for p in paths],
    }


def _stem(output: str | Path | None, directory: Path) -> Path:
    if output is None:
        return directory / "annotation" / "sample"
    path = Path(output).expanduser()
    return path.with_suffix("") if path.suffix in (".jsonl", ".csv") else path


def _strata(statements: Any) -> dict[str, list[int]]:
    """Statement positions by stratum: each statement's rarest predicted label (ties: label name)."""
    frequency = Counter(label for labels in statements["labels"] for label in labels)
    strata: dict[str, list[int]] = {}
    for position, labels in enumerate(statements["labels"]):
        stratum = min(labels, key=lambda label: (frequency[label], label)) if labels else FALLBACK
        strata.setdefault(stratum, []).append(position)
    return dict(sorted(strata.items(), key=lambda item: (len(item[1]), item[0])))


def _allocate(
    strata: dict[str, list[int]], n: int, rng: np.random.Generator
) -> dict[str, list[tuple[int, float]]]:
    """Equal shares per stratum, capped at its size, the remainder passed to the larger strata; each chosen
    position with its weight (stratum size / sampled from it)."""
    remaining = min(n, sum(map(len, strata.values())))
    chosen = {}
    for left, (label, positions) in zip(range(len(strata), 0, -1), strata.items(), strict=True):
        take = min(len(positions), math.ceil(remaining / left))
        picked = rng.choice(len(positions), size=take, replace=False) if take else []
        weight = len(positions) / take if take else 0.0
        chosen[label] = [(positions[int(i)], weight) for i in sorted(picked)]
        remaining -= take
    return chosen


def _sample_row(
    tables: RunTables, position: int, stratum: str, weight: float, show_predictions: bool
) -> dict[str, Any]:
    statements = tables.statements
    row = statements.iloc[position]
    same = statements["document_id"] == row["document_id"]
    before = statements[same & (statements["index"] < row["index"])].tail(1)["text"].tolist()
    after = statements[same & (statements["index"] > row["index"])].head(1)["text"].tolist()
    speaker = row["speaker"] or {}
    out: dict[str, Any] = {
        "id": statement_id(row["document_id"], row["index"]),
        "document_id": row["document_id"],
        "index": int(row["index"]),
        "speaker": speaker.get("name"),
        "text": row["text"],
        "context_before": (before[0] if before else "")[-CONTEXT_CHARS:],
        "context_after": (after[0] if after else "")[:CONTEXT_CHARS],
        "stratum": stratum,
        "weight": round(weight, 6),
    }
    if show_predictions:
        out["predicted_labels"] = LABEL_SEPARATOR.join(row["labels"])
    out["gold_labels"] = ""
    # a stable shuffle from the id, independent of the strata's order
    out["_order"] = hashlib.sha256(out["id"].encode()).hexdigest()
    return out


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------------ scoring


def read_gold(path: str | Path, tables: RunTables) -> list[dict[str, Any]]:
    """The annotated rows of a gold file (JSONL, or CSV by its suffix): ``{id, position, gold, weight}``.

    Rows with ``gold_labels`` left empty are not annotated and are skipped. Every problem (malformed line,
    unknown id, unknown label, repeated id) is reported with its ``file:line``, all at once.
    """
    gold_path = Path(path).expanduser()
    if not gold_path.is_file():
        raise InputError("is not a file.", where=f"gold {gold_path}", fix="pass the annotated sample file.")
    try:
        text = gold_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot be read: {error}", where=str(gold_path), fix="save it as UTF-8.") from None
    positions = {
        statement_id(d, i): p
        for p, (d, i) in enumerate(
            zip(tables.statements["document_id"], tables.statements["index"], strict=True)
        )
    }
    known = set(tables.labels())
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, record in _records(gold_path, text, problems):
        where = f"{gold_path}:{line}"
        sid = str(record.get("id") or "").strip()
        if not sid:
            problems.append(f"{where}: no `id`.")
            continue
        if sid not in positions:
            problems.append(f"{where}: unknown id {sid!r}: no statement of this run has it.")
            continue
        labels, bad = _gold_labels(record.get("gold_labels"), where)
        if bad:
            problems.append(bad)
            continue
        if not labels:
            continue  # not annotated yet
        unknown = sorted(set(labels) - known)
        if unknown:
            problems.append(f"{where}: unknown labels {unknown}; the run's labels are {sorted(known)}.")
            continue
        if sid in seen:
            problems.append(f"{where}: id {sid!r} repeats line {seen[sid]}.")
            continue
        seen[sid] = line
        weight = _weight(record.get("weight"), where, problems)
        if weight is not None:
            rows.append({"id": sid, "position": positions[sid], "gold": labels, "weight": weight})
    if problems:
        shown = problems[:MAX_LISTED_PROBLEMS]
        more = len(problems) - len(shown)
        raise InputError(
            "\n".join(shown) + (f"\n... and {more} more problems" if more else ""),
            fix="fix those lines: each needs the `id` from the sample and `gold_labels` from the run's labels, "
            f"separated by {LABEL_SEPARATOR!r}.",
        )
    if not rows:
        raise InputError(
            "has no annotated statements (every `gold_labels` is empty).",
            where=str(gold_path),
            fix="fill in gold_labels for the sampled statements, `other` where none applies.",
        )
    return rows


def _records(path: Path, text: str, problems: list[str]) -> list[tuple[int, dict[str, Any]]]:
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "id" not in reader.fieldnames or "gold_labels" not in reader.fieldnames:
            problems.append(
                f"{path}:1: the header needs `id` and `gold_labels` (it has {reader.fieldnames})."
            )
            return []
        out = []
        for record in reader:
            if None in record:  # more cells than the header has
                problems.append(
                    f"{path}:{reader.line_num}: more cells than the header's {len(reader.fieldnames)}."
                )
                continue
            out.append((reader.line_num, record))
        return out
    out = []
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as error:
            problems.append(f"{path}:{line}: not valid JSON ({error.msg}, column {error.colno}).")
            continue
        if not isinstance(record, dict):
            problems.append(f"{path}:{line}: a line must be a JSON object, got {type(record).__name__}.")
            continue
        out.append((line, record))
    return out


def _gold_labels(value: Any, where: str) -> tuple[list[str], str | None]:
    if value is None:
        return [], None
    if isinstance(value, str):
        return [p.strip() for p in value.split(LABEL_SEPARATOR) if p.strip()], None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()], None
    return [], f"{where}: `gold_labels` must be a list of labels or a {LABEL_SEPARATOR!r}-separated string."


def _weight(value: Any, where: str, problems: list[str]) -> float | None:
    if value in (None, ""):
        return 1.0
    try:
        weight = float(value)
    except (TypeError, ValueError):
        weight = float("nan")
    if not math.isfinite(weight) or weight <= 0:
        problems.append(f"{where}: `weight` must be a positive number, got {value!r}.")
        return None
    return weight


def _weighted_prf(truth: np.ndarray, predicted: np.ndarray, weights: np.ndarray) -> tuple[float, ...]:
    """Weighted precision, recall, F1 (0 where undefined, as in a resample without predictions) and whether
    precision (some prediction) and recall (some gold positive) are defined; F1 is defined when either is."""
    tp = float(np.sum(weights * (truth & predicted)))
    fp = float(np.sum(weights * (~truth & predicted)))
    fn = float(np.sum(weights * (truth & ~predicted)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, float(tp + fp > 0), float(tp + fn > 0)


def score_labels(
    truth: np.ndarray,
    predicted: np.ndarray,
    weights: np.ndarray,
    labels: list[str],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Per-label precision/recall/F1 ``{point, low, high}`` (None where undefined on the whole sample) and
    the macro-F1 over the labels some gold or predicted statement has."""
    from stancekit.evaluation.statistics import bootstrap_ci

    n = len(truth)
    out: dict[str, Any] = {}
    for j, label in enumerate(labels):
        t, p = truth[:, j], predicted[:, j]
        whole = _weighted_prf(t, p, weights)
        scores = {}
        for k, metric in enumerate(("precision", "recall", "f1")):
            defined = {"precision": whole[3], "recall": whole[4], "f1": max(whole[3], whole[4])}[metric]
            if not defined:
                scores[metric] = None
                continue
            ci = bootstrap_ci(
                lambda i, k=k, t=t, p=p: _weighted_prf(t[i], p[i], weights[i])[k],
                n=n,
                n_resamples=n_resamples,
                confidence=confidence,
                seed=seed,
            )
            scores[metric] = {"point": ci.point, "low": ci.low, "high": ci.high}
        out[label] = {**scores, "support": int(t.sum()), "predicted": int(p.sum())}
    active = [j for j in range(len(labels)) if truth[:, j].any() or predicted[:, j].any()]

    def macro(i: np.ndarray) -> float:
        return float(np.mean([_weighted_prf(truth[i, j], predicted[i, j], weights[i])[2] for j in active]))

    macro_f1 = None
    if active:
        ci = bootstrap_ci(macro, n=n, n_resamples=n_resamples, confidence=confidence, seed=seed)
        macro_f1 = {"point": ci.point, "low": ci.low, "high": ci.high, "labels": [labels[j] for j in active]}
    return {"labels": out, "macro_f1": macro_f1}


def validate_against_gold(
    run_dir: str | Path,
    gold: str | Path,
    output_config: str | Path | None = None,
    *,
    base_config: str | Path | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Score the run's labels against the annotated ``gold`` file, write ``DIR/validation.json``, return it.

    With ``output_config``, also write a classifier config YAML: the run's classifier config (from the
    manifest, or ``base_config``) with per-label ``thresholds:`` recalibrated on the annotated sample (F1-
    maximising, :func:`~stancekit.statements.classifiers.base.choose_thresholds`); a label with fewer than
    three gold positives, or whose current threshold does as well on the sample, keeps it. Those thresholds are fitted to this sample, so the F1
    they reach on it (``recalibrated.f1_on_sample``) is optimistic; score them on a fresh sample.
    """
    from stancekit.io import check_output_path, write_atomic

    tables = read_run(run_dir)
    out_path = check_output_path(tables.directory / VALIDATION, "file", what="validation")
    if output_config is not None:
        check_output_path(output_config, "file", what="--output-config")
    rows = read_gold(gold, tables)
    labels = tables.labels()
    statements = tables.statements.iloc[[r["position"] for r in rows]]
    truth = np.array([[label in r["gold"] for label in labels] for r in rows], dtype=bool)
    predicted = np.array([[label in ls for label in labels] for ls in statements["labels"]], dtype=bool)
    weights = np.array([r["weight"] for r in rows], dtype=float)
    scored = score_labels(
        truth, predicted, weights, labels, n_resamples=n_resamples, confidence=confidence, seed=seed
    )
    gold_path = Path(gold).expanduser()
    result: dict[str, Any] = {
        "schema_version": "1",
        "gold": str(gold_path),
        "gold_sha256": hashlib.sha256(gold_path.read_bytes()).hexdigest(),
        "n": len(rows),
        "n_documents": len(set(statements["document_id"])),
        "weighted": bool(np.any(weights != 1.0)),
        "confidence": confidence,
        "n_resamples": n_resamples,
        "seed": seed,
        "models": tables.model_ids(),
        **scored,
        "recalibrated": None,
    }
    if output_config is not None:
        result["recalibrated"] = _recalibrate(
            tables, statements, truth, labels, weights, output_config, base_config
        )
    write_atomic(out_path, json.dumps(result, indent=2) + "\n")
    return result


def _run_classifier_config(tables: RunTables, base_config: str | Path | None) -> ClassifierConfig:
    """The classifier config the run used: ``base_config``, else the manifest's resolved config or name."""
    from stancekit.statements.classifiers.config import ClassifierConfig, load_classifier_config

    if base_config is not None:
        return load_classifier_config(base_config)
    configs = tables.manifest.get("configs") or tables.manifest.get("config") or {}
    resolved = configs.get("classifier") if isinstance(configs, dict) else None
    if isinstance(resolved, dict) and "config" in resolved and isinstance(resolved["config"], dict):
        resolved = resolved["config"]  # {config: {...}, sha256: ...}
    if isinstance(resolved, dict):
        return ClassifierConfig.model_validate(resolved)
    name = resolved if isinstance(resolved, str) else tables.model_ids().get("classifier")
    if isinstance(name, dict):
        name = name.get("name") or name.get("id")
    if isinstance(name, str) and name:
        return load_classifier_config(name)
    raise ConfigError(
        "cannot tell which classifier config the run used: its manifest names none.",
        where=str(tables.directory),
        fix="pass the config the run was made with (base_config=..., or --base-config).",
    )


def _current_thresholds(config: ClassifierConfig, labels: list[str]) -> dict[str, float] | None:
    """The thresholds the run's classifier applies, read without loading a model (None when unknown)."""
    if config.thresholds is not None:
        return dict(config.thresholds)
    if config.kind == "fine_tuned" and config.weights:
        from stancekit.statements.classifiers.config import THRESHOLDS_FILE
        from stancekit.statements.classifiers.fine_tuned import resolve_weights

        return json.loads((resolve_weights(config.weights) / THRESHOLDS_FILE).read_text(encoding="utf-8"))
    if config.kind == "lexicon":
        return dict.fromkeys(labels, 0.5)  # LexiconClassifier's fixed threshold
    if config.zero_shot is not None and config.zero_shot.thresholds is not None:
        return dict(config.zero_shot.thresholds)
    return None


def _recalibrate(
    tables: RunTables,
    statements: Any,
    truth: np.ndarray,
    labels: list[str],
    weights: np.ndarray,
    output_config: str | Path,
    base_config: str | Path | None,
) -> dict[str, Any]:
    import yaml

    from stancekit.io import write_atomic
    from stancekit.statements.classifiers.base import choose_thresholds

    config = _run_classifier_config(tables, base_config)
    substantive = [label for label in labels if label != FALLBACK]
    columns = [labels.index(label) for label in substantive]
    scores = np.array([[s.get(label, 0.0) for label in substantive] for s in statements["scores"]])
    gold = truth[:, columns]
    current = _current_thresholds(config, substantive)
    fitted = choose_thresholds(scores, gold)
    thresholds, kept = {}, []
    for j, label in enumerate(substantive):
        old = None if current is None else current.get(label)
        if old is not None and (
            gold[:, j].sum() < MIN_POSITIVES_TO_RECALIBRATE
            # a threshold that already does as well on the sample is not moved
            or _weighted_prf(gold[:, j], scores[:, j] >= old, weights)[2]
            >= _weighted_prf(gold[:, j], scores[:, j] >= fitted[j], weights)[2]
        ):
            thresholds[label] = float(old)
            kept.append(label)
        else:
            thresholds[label] = round(float(fitted[j]), 6)
    after = scores >= np.array([thresholds[label] for label in substantive])
    f1_on_sample = {
        label: _weighted_prf(gold[:, j], after[:, j], weights)[2] for j, label in enumerate(substantive)
    }
    corpus = tables.directory.name
    new = config.model_copy(update={"name": f"{config.name}-{corpus}", "thresholds": thresholds})
    data = new.model_dump(mode="json", exclude={"training"}, exclude_none=True)
    header = (
        f"# {config.name} with per-label thresholds recalibrated on {len(truth)} annotated statements of\n"
        f"# the corpus run {tables.directory} (stancekit corpus validate). Kept unchanged (fewer than\n"
        f"# {MIN_POSITIVES_TO_RECALIBRATE} gold positives, or no better on the sample): {', '.join(kept) or 'none'}.\n"
        "# The thresholds were fitted on that sample: check them on a fresh one before trusting the counts.\n"
    )
    write_atomic(output_config, header + yaml.safe_dump(data, sort_keys=False))
    return {
        "config": str(output_config),
        "base": config.name,
        "thresholds": thresholds,
        "previous": current,
        "kept": kept,
        "f1_on_sample": f1_on_sample,
    }
