"""What people read: a run's ``report.md`` and plots, and the README's results table built from ``results/``.

Plots are drawn on matplotlib ``Figure`` objects (the Agg canvas), so nothing depends on a display or changes
the process's global backend.

Example:
    >>> print(results_table("results"))  # doctest: +SKIP
    | run | system | data | n | ROUGE-1 | ...
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from stancekit.errors import InputError
from stancekit.evaluation.results import RESULTS_FILE, MetricValue, RunResults, load_results

README_START = "<!-- results:start -->"
README_END = "<!-- results:end -->"
SUMMARY_DISTRIBUTIONS = ("rouge1", "rouge2", "rougeLsum", "semantic_similarity", "summary_length")
# Shown in points (x100), as papers report them.
POINTS = {"rouge1", "rouge2", "rougeL", "rougeLsum"}


def _fmt(value: float, key: str) -> str:
    if key in POINTS:
        return f"{100 * value:.2f}"
    if key.endswith("length") or key == "compression_ratio":
        return f"{value:.1f}"
    return f"{value:.3f}"


def format_interval(metric: MetricValue, key: str) -> str:
    """``16.30 [16.04, 16.57]``: the value and its interval, in the metric's display scale."""
    return f"{_fmt(metric.value, key)} [{_fmt(metric.low, key)}, {_fmt(metric.high, key)}]"


def _data_line(results: RunResults) -> str:
    files = ", ".join(f"`{f.path}` (sha256 `{f.sha256[:12]}`)" for f in results.data.files)
    data = results.data
    subset = f" of {data.n_rows:,} rows" if data.n < data.n_rows else ""
    if data.limit is not None and data.n == data.limit:
        subset += f" (the first {data.limit:,})"
    if data.skipped:
        subset += f", {len(data.skipped)} skipped (see notes)"
    return f"{files}; {data.n:,} samples{subset}"


def render_report(results: RunResults, plots: list[str]) -> str:
    """The markdown report of one run."""
    r = results
    env = r.environment
    versions = env.get("versions", {})
    lines = [f"# Evaluation: {r.task.name}", ""]
    description = r.task.config.get("description")
    if description:
        lines += [description.strip(), ""]
    models = "; ".join(
        ", ".join(
            f"{k}: {str(v)[:12] if k.endswith('sha256') else v}"
            for k, v in model.items()
            if v is not None and k != "role"
        )
        for model in r.system.models
    )
    lines += [
        f"- **System**: {r.system.name} (`{r.system.identifier}`){f' — {models}' if models else ''}",
        f"- **Data**: {_data_line(r)}",
        f"- **Config**: `{r.task.config_path or '(not from a file)'}`, sha256 `{r.task.config_sha256[:12]}`",
        f"- **Metrics**: {_metric_settings(r)}",
        f"- **Intervals**: {int(100 * r.bootstrap.confidence)}% {r.bootstrap.method}, "
        f"{r.bootstrap.n_resamples} resamples, seed {r.seed}",
        f"- **Environment**: stancekit {versions.get('stancekit')}, torch {versions.get('torch')}, "
        f"transformers {versions.get('transformers')}, datasets {versions.get('datasets')}, "
        f"Python {env.get('python')}, commit `{(env.get('git_commit') or 'unknown')[:12]}`",
        f"- **Time**: {_timing_line(r.timings)}",
        "",
        "## Metrics",
        "",
        "| metric | value [95% interval] | n | key |",
        "|---|---|---|---|",
    ]
    for key, metric in r.metrics.items():
        scale = " (x100)" if key in POINTS else ""
        lines.append(f"| {metric.label}{scale} | {format_interval(metric, key)} | {metric.n} | `{key}` |")
    if r.published:
        lines += [
            "",
            "## Against published figures",
            "",
            "| metric | published | ours | difference | tolerance | within |",
        ]
        lines.append("|---|---|---|---|---|---|")
        for key, check in r.published.items():
            ours = "missing" if check.ours is None else _fmt(check.ours, key)
            diff = "" if check.difference is None else f"{_fmt(check.difference, key)}"
            lines.append(
                f"| `{key}` | {_fmt(check.value, key)} | {ours} | {diff} | {_fmt(check.tolerance, key)} | "
                f"{'yes' if check.within else '**no**'} |"
            )
        sources = sorted({c.source for c in r.published.values() if c.source})
        if sources:
            lines += ["", "Published figures: " + "; ".join(sources) + "."]
    if r.per_label:
        support = (r.classification or {}).get("support", {})
        lines += [
            "",
            "## Per label",
            "",
            "| label | support | precision | recall | F1 [95% interval] |",
            "|---|---|---|---|---|",
        ]
        for label, stats in r.per_label.items():
            lines.append(
                f"| {label} | {support.get(label, '')} | {stats['precision'].value:.3f} | {stats['recall'].value:.3f} | "
                f"{format_interval(stats['f1'], 'f1')} |"
            )
    confusion = (r.classification or {}).get("confusion_matrix")
    if confusion:
        lines += [
            "",
            "## Confusion matrix",
            "",
            f"Rows: gold label; columns: predicted label. {confusion['definition'].capitalize()}.",
            "",
        ]
        lines.append("| gold \\ predicted | " + " | ".join(confusion["columns"]) + " |")
        lines.append("|---" * (len(confusion["columns"]) + 1) + "|")
        for label, row in zip(r.data.labels or [], confusion["matrix"], strict=False):
            lines.append(f"| {label} | " + " | ".join(str(x) for x in row) + " |")
    stance = r.details.get("stance_preservation", {})
    if stance.get("by_label"):
        lines += [
            "",
            "## Stance preservation by label",
            "",
            f"{stance['statements']} labelled source statements; a statement with two labels counts under each. "
            "Distortions: "
            + (", ".join(f"{why} {n}" for why, n in stance.get("distortions", {}).items()) or "none")
            + ". Per-statement outcomes (offsets, speaker, reason) are in predictions.jsonl `details`.",
            "",
            "| label | kept | distorted | dropped |",
            "|---|---|---|---|",
        ]
        for label, counts in stance["by_label"].items():
            lines.append(f"| {label} | {counts['kept']} | {counts['distorted']} | {counts['dropped']} |")
    if plots:
        lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in plots]
    if r.not_computed:
        lines += ["", "## Not computed", ""] + [f"- `{key}`: {why}" for key, why in r.not_computed.items()]
    if r.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in r.notes]
    config = r.task.config_path or "CONFIG.yaml"
    lines += ["", "## Reproduce", "", "```bash", f"stancekit evaluate {config} --output-dir DIR", "```", ""]
    return "\n".join(lines)


def _metric_settings(results: RunResults) -> str:
    """``rouge (stemmer: rouge155, ...); faithfulness (sentence_threshold: 0.25)``: how each metric was run."""
    parts = []
    for spec in results.task.config.get("metrics", []):
        args = ", ".join(f"{k}: {v}" for k, v in spec.get("args", {}).items())
        parts.append(f"{spec['name']} ({args})" if args else spec["name"])
    return "; ".join(parts)


def _rouge_stemmer(results: RunResults) -> str | None:
    for spec in results.task.config.get("metrics", []):
        if spec.get("name") == "rouge":
            return spec.get("args", {}).get("stemmer")
    return None


def _timing_line(timings: dict[str, Any]) -> str:
    parts = []
    if timings.get("predict_s") is not None:
        per = timings.get("per_sample_s")
        parts.append(f"predicting {timings['predict_s']:.1f} s" + (f" ({per:.3f} s/sample)" if per else ""))
    if timings.get("samples_resumed"):
        parts.append(f"{timings['samples_resumed']} samples resumed")
    if timings.get("score_s") is not None:
        parts.append(f"scoring {timings['score_s']:.1f} s")
    if timings.get("total_s") is not None:
        parts.append(f"total {timings['total_s']:.1f} s")
    return ", ".join(parts) or "not recorded"


# --------------------------------------------------------------------------------------------- plots


def _save(figure: Any, path: Path) -> None:
    figure.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})


def write_plots(results: RunResults, records: list[dict[str, Any]], directory: Path) -> list[str]:
    """Draw the run's plots into ``directory``; return their file names."""
    from matplotlib.figure import Figure

    written = []
    confusion = (results.classification or {}).get("confusion_matrix")
    if confusion and results.data.labels:
        labels = results.data.labels
        matrix = np.asarray(confusion["matrix"], dtype=float)
        shares = matrix / np.clip(matrix.sum(axis=1, keepdims=True), 1, None)
        figure = Figure(figsize=(1.0 + 0.9 * len(confusion["columns"]), 1.0 + 0.7 * len(labels)))
        ax = figure.subplots()
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(confusion["columns"])), confusion["columns"], rotation=40, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        for i in range(matrix.shape[0]):
            for j in range(matrix.shape[1]):
                if matrix[i, j]:
                    colour = "white" if shares[i, j] > 0.6 else "black"
                    ax.text(j, i, f"{int(matrix[i, j])}", ha="center", va="center", color=colour, fontsize=8)
        ax.set_title(f"{results.task.name}: confusion (row share, counts)")
        _save(figure, directory / "confusion_matrix.png")
        written.append("confusion_matrix.png")
    if results.per_label:
        labels = list(results.per_label)
        f1 = [results.per_label[label]["f1"] for label in labels]
        figure = Figure(figsize=(6.5, 1.0 + 0.45 * len(labels)))
        ax = figure.subplots()
        values = np.array([m.value for m in f1])
        errors = np.array([[m.value - m.low for m in f1], [m.high - m.value for m in f1]])
        ax.barh(range(len(labels)), values, xerr=errors, color="#4c72b0", capsize=3)
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"F1 with {int(100 * results.bootstrap.confidence)}% bootstrap interval")
        ax.set_title(f"{results.task.name}: per-label F1")
        _save(figure, directory / "per_label_f1.png")
        written.append("per_label_f1.png")
    keys = [k for k in SUMMARY_DISTRIBUTIONS if records and k in records[0]["scores"]]
    if results.task.kind == "summarisation" and keys:
        figure = Figure(figsize=(3.2 * len(keys), 2.8))
        axes = np.atleast_1d(figure.subplots(1, len(keys)))
        for ax, key in zip(axes, keys, strict=True):
            values = [r["scores"][key] for r in records if r["scores"].get(key) is not None]
            ax.hist(values, bins=30, color="#4c72b0")
            metric = results.metrics.get(key)
            if metric is not None:
                ax.axvline(metric.value, color="black", linestyle="--", linewidth=1)
            ax.set_title(metric.label.split(" (")[0] if metric else key, fontsize=9)
        figure.suptitle(f"{results.task.name}: per-sample scores (dashed: mean)", fontsize=10)
        _save(figure, directory / "score_distributions.png")
        written.append("score_distributions.png")
    return written


# --------------------------------------------------------------------------------------------- README table


_SUMMARY_COLUMNS = (
    ("rouge1", "ROUGE-1"),
    ("rouge2", "ROUGE-2"),
    ("rougeL", "ROUGE-L (sent.)"),
    ("rougeLsum", "ROUGE-Lsum (summ.)"),
    ("semantic_similarity", "sem. sim."),
    ("novel_2gram_rate", "novel bigrams"),
    ("faithfulness", "faithful"),
    ("summary_length", "words"),
)
_CLASSIFICATION_COLUMNS = (
    ("accuracy", "accuracy"),
    ("macro_f1", "macro-F1"),
    ("micro_f1", "micro-F1"),
    ("ece", "ECE"),
)


_STANCE_COLUMNS = (
    ("stance_kept_rate", "kept"),
    ("stance_distorted_rate", "distorted"),
    ("stance_dropped_rate", "dropped"),
)


def _all_results(results_dir: Path) -> list[tuple[str, RunResults]]:
    if not results_dir.is_dir():
        raise InputError(
            "results directory not found.", where=str(results_dir), fix="run from the repository root."
        )
    runs = []
    for path in sorted(results_dir.glob(f"*/{RESULTS_FILE}")):
        runs.append((path.parent.name, load_results(path)))
    if not runs:
        raise InputError("no results.json under it.", where=str(results_dir))
    return runs


def _data_name(results: RunResults) -> str:
    first = Path(results.data.files[0].path) if results.data.files else Path("?")
    name = first.parent.name or first.name
    data = results.data
    if data.limit is not None and data.n == data.limit < data.n_rows:
        name = f"{name} (first {data.n:,})"
    elif data.skipped:
        name = f"{name} ({len(data.skipped)} empty skipped)"
    where = results.task.config.get("dataset", {}).get("where") or {}
    if where:
        name += " " + ", ".join(f"{k}={v}" for k, v in where.items())
    return f"{name}, ROUGE-1.5.5 stemmer" if _rouge_stemmer(results) == "rouge155" else name


def _table(
    rows: list[tuple[str, RunResults]],
    columns: tuple[tuple[str, str], ...],
    results_dir: Path,
    n: tuple[str, Any] = ("n", lambda r: f"{r.data.n:,}"),
) -> list[str]:
    """One row per run; ``n`` names the count column and how to read it from a run."""
    used = [(k, h) for k, h in columns if any(k in r.metrics for _, r in rows)]
    lines = [f"| run | system | data | {n[0]} | " + " | ".join(h for _, h in used) + " |"]
    lines.append("|---" * (4 + len(used)) + "|")
    for name, r in rows:
        cells = [format_interval(r.metrics[k], k) if k in r.metrics else "–" for k, _ in used]
        link = f"[{name}]({results_dir.as_posix()}/{name}/report.md)"
        lines.append(
            f"| {link} | {r.system.name} | {_data_name(r)} | {n[1](r)} | " + " | ".join(cells) + " |"
        )
    return lines


def _articles_and_statements(r: RunResults) -> str:
    statements = r.details.get("stance_preservation", {}).get("statements")
    return f"{r.data.n:,} / {statements:,}" if statements is not None else f"{r.data.n:,} / ?"


def _meta_table(rows: list[tuple[str, RunResults]], results_dir: Path) -> list[str]:
    """One row per meta-evaluation run and group (pooled first)."""
    lines = [
        "| run | metric | data | group | n (fully factual) | ROC-AUC | balanced accuracy | Kendall τ |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        meta = r.details.get("meta_evaluation", {})
        link = f"[{name}]({results_dir.as_posix()}/{name}/report.md)"
        for group, info in meta.get("groups", {}).items():
            suffix = "" if info.get("key") is None else f"_{info['key']}"
            cells = [
                format_interval(r.metrics[k], k) if k in r.metrics else "–"
                for k in (f"roc_auc{suffix}", f"balanced_accuracy{suffix}", f"kendall_tau{suffix}")
            ]
            lines.append(
                f"| {link} | {meta.get('metric', '?')} | {_data_name(r)} | {group} | "
                f"{info['n']:,} ({info['n_factual']:,}) | " + " | ".join(cells) + " |"
            )
    return lines


def results_table(results_dir: str | Path = "results") -> str:
    """The markdown results tables (summarisation, classification) of every run under ``results_dir``."""
    results_dir = Path(results_dir)
    runs = _all_results(results_dir)
    lines = [
        "Generated from `results/` by `python scripts/results_table.py --write`; do not edit by hand. "
        "Re-run and check every number with `stancekit reproduce`. Values are means with 95% bootstrap "
        "intervals over samples; ROUGE in points (x100, Porter stemmer unless the run says ROUGE-1.5.5), "
        "ROUGE-L is sentence-level and ROUGE-Lsum summary-level (the papers' ROUGE-L).",
        "",
    ]
    summaries = [(n, r) for n, r in runs if r.task.kind == "summarisation"]
    classifiers = [(n, r) for n, r in runs if r.task.kind == "classification"]
    if summaries:
        lines += ["**Summarisation**", "", *_table(summaries, _SUMMARY_COLUMNS, results_dir), ""]
    stance = [(n, r) for n, r in summaries if "stance_kept_rate" in r.metrics]
    if stance:
        lines += [
            "**Stance preservation** (labelled source statements a summary keeps, distorts or drops; pooled "
            "over statements, intervals resample articles)",
            "",
            *_table(
                stance, _STANCE_COLUMNS, results_dir, ("n articles / statements", _articles_and_statements)
            ),
            "",
        ]
    judged = [(n, r) for n, r in runs if r.task.kind == "meta_evaluation"]
    if judged:
        lines += [
            "**Does a faithfulness metric agree with people?** (meta-evaluation: the metric's per-summary "
            "score against human judgements; ROC-AUC at telling fully factual summaries from the rest, "
            "balanced accuracy at the metric's threshold, Kendall tau; stratified bootstrap intervals)",
            "",
            *_meta_table(judged, results_dir),
            "",
        ]
    if classifiers:
        lines += [
            "**Statement classification**",
            "",
            *_table(classifiers, _CLASSIFICATION_COLUMNS, results_dir),
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def update_readme(readme: str | Path, table: str) -> bool:
    """Replace the block between the results markers in ``readme`` with ``table``; True if it changed."""
    from stancekit.io import write_atomic

    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(text):
        raise InputError(
            f"no {README_START} ... {README_END} block.",
            where=str(path),
            fix="add the two marker lines where the table goes.",
        )
    updated = pattern.sub(lambda _: f"{README_START}\n{table}{README_END}", text, count=1)
    if updated != text:
        write_atomic(path, updated)
    return updated != text
