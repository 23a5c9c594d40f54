"""The report's PNG plots, drawn on matplotlib ``Figure`` objects (the Agg canvas: no display, no global
state) and written atomically."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stancekit.reports.corpus import CorpusReport


def _save(figure: Any, path: Path) -> Path:
    from stancekit.io import write_atomic

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    write_atomic(path, buffer.getvalue())
    return path


def write_plots(report: CorpusReport, directory: Path) -> list[Path]:
    """Label counts, speakers by label, and (when dates exist) the label mix over time."""
    from matplotlib.figure import Figure

    written = []
    labels = report.labels
    colours = [report.colours[label] for label in labels]

    figure = Figure(figsize=(7, 0.4 * len(labels) + 1.2))
    axes = figure.subplots()
    axes.barh(labels[::-1], [report.label_counts[label] for label in labels][::-1], color=colours[::-1])
    axes.set_xlabel("statements")
    axes.set_title(f"Statements by label (n = {report.n_statements})")
    written.append(_save(figure, directory / "label_counts.png"))

    if report.speakers:
        speakers = report.speakers[::-1]
        figure = Figure(figsize=(8, 0.35 * len(speakers) + 1.5))
        axes = figure.subplots()
        left = [0] * len(speakers)
        for label, colour in zip(labels, colours, strict=True):
            values = [s["by_label"][label] for s in speakers]
            axes.barh([s["name"] for s in speakers], values, left=left, color=colour, label=label)
            left = [a + b for a, b in zip(left, values, strict=True)]
        axes.set_xlabel("label assignments")
        axes.set_title(f"Top {len(speakers)} speakers by statements")
        axes.legend(fontsize="small", bbox_to_anchor=(1.01, 1), loc="upper left")
        written.append(_save(figure, directory / "speakers.png"))

    if report.timeline:
        periods = [p["period"] for p in report.timeline]
        figure = Figure(figsize=(max(6, 0.5 * len(periods) + 2), 4))
        axes = figure.subplots()
        bottom = [0.0] * len(periods)
        for label, colour in zip(labels, colours, strict=True):
            values = [p["share"][label] for p in report.timeline]
            axes.bar(periods, values, bottom=bottom, color=colour, label=label)
            bottom = [a + b for a, b in zip(bottom, values, strict=True)]
        axes.set_ylabel("share of label assignments")
        axes.set_title(f"Label mix by {report.timeline_unit}")
        axes.tick_params(axis="x", labelrotation=45)
        axes.legend(fontsize="small", bbox_to_anchor=(1.01, 1), loc="upper left")
        written.append(_save(figure, directory / "label_mix.png"))
    return written
