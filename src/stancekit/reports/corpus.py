"""The report of a corpus run: what the tables say, as ``report.html``, ``report.md`` and PNG plots.

:func:`build_report` aggregates the run's tables (read by :mod:`stancekit.corpus.rundir`) into a
:class:`CorpusReport`; :func:`write_report` draws the plots and renders both pages from the templates shipped
in ``stancekit/reports/templates``. Every file is written atomically. When ``validation.json`` (written by
``stancekit corpus validate``) is present the report states each label's precision, recall and F1 on the
annotated sample; otherwise it says the counts are unvalidated model output.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancekit.corpus.rundir import VALIDATION, RunTables, read_run
from stancekit.errors import InputError
from stancekit.reports.citations import overlapping
from stancekit.reports.palette import label_colours

FALLBACK = "other"
TOP_SPEAKERS = 20
TOP_STATEMENTS = 5
MAX_SUMMARIES = 200  # the HTML stays loadable on a corpus of thousands; the tables hold the rest


@dataclass
class CorpusReport:
    """Everything the templates show, computed once from the run's tables."""

    directory: str
    n_documents: int
    n_statements: int
    failed: list[dict[str, Any]]
    models: dict[str, Any]
    labels: list[str]
    colours: dict[str, str]
    label_counts: dict[str, int]
    speakers: list[dict[str, Any]]
    unattributed: int
    timeline: list[dict[str, Any]] | None
    timeline_unit: str | None
    top_statements: dict[str, list[dict[str, Any]]]
    summaries: list[dict[str, Any]]
    n_summaries: int
    validation: dict[str, Any] | None
    plots: dict[str, str] = field(default_factory=dict)

    def validated(self, label: str) -> dict[str, Any] | None:
        """The validation scores of ``label`` (precision, recall, f1 as point/low/high, support), or None."""
        if self.validation is None:
            return None
        return (self.validation.get("labels") or {}).get(label)


def build_report(run: str | Path | RunTables) -> CorpusReport:
    """Aggregate a run directory (or its loaded tables) into what the report shows."""
    tables = run if isinstance(run, RunTables) else read_run(run)
    statements = tables.statements
    labels = tables.labels()
    counts = Counter(label for row in statements["labels"] for label in row)
    ordered = sorted(labels, key=lambda label: (label == FALLBACK, -counts[label], labels.index(label)))
    return CorpusReport(
        directory=str(tables.directory),
        n_documents=len(tables.documents),
        n_statements=len(statements),
        failed=tables.failed,
        models=tables.model_ids(),
        labels=ordered,
        colours=label_colours(labels, FALLBACK),  # taxonomy order: the same colours as the analysis page
        label_counts={label: counts[label] for label in ordered},
        speakers=_speakers(statements, ordered),
        unattributed=int(sum(s is None or not s.get("name") for s in statements["speaker"])),
        top_statements=_top_statements(statements, ordered),
        summaries=_summaries(tables),
        n_summaries=int(tables.documents["summary"].notna().sum()),
        validation=read_validation(tables.directory),
        **_timeline(tables, ordered),
    )


def read_validation(directory: Path) -> dict[str, Any] | None:
    """``validation.json`` of the run as a dict, or None when the run was never validated."""
    path = directory / VALIDATION
    if not path.is_file():
        return None
    try:
        validation = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(
            f"cannot be read: {error}",
            where=str(path),
            fix="rerun `stancekit corpus validate DIR GOLD`, or delete the file to report unvalidated counts.",
        ) from None
    if not isinstance(validation, dict) or not isinstance(validation.get("labels"), dict):
        raise InputError(
            "is not a validation result (no `labels` scores).",
            where=str(path),
            fix="rerun `stancekit corpus validate DIR GOLD`.",
        )
    return validation


def _speakers(statements: Any, labels: list[str]) -> list[dict[str, Any]]:
    by_speaker: dict[str, Counter[str]] = {}
    totals: Counter[str] = Counter()
    roles: dict[str, str | None] = {}
    for speaker, row in zip(statements["speaker"], statements["labels"], strict=True):
        if speaker is None or not speaker.get("name"):
            continue
        name = speaker["name"]
        totals[name] += 1
        roles.setdefault(name, speaker.get("role"))
        by_speaker.setdefault(name, Counter()).update(row)
    ranked = sorted(totals, key=lambda name: (-totals[name], name))[:TOP_SPEAKERS]
    return [
        {
            "name": name,
            "role": roles[name],
            "statements": totals[name],
            "by_label": {label: by_speaker[name][label] for label in labels},
        }
        for name in ranked
    ]


def _top_statements(statements: Any, labels: list[str]) -> dict[str, list[dict[str, Any]]]:
    rows = statements.to_dict("records")
    top = {}
    for label in labels:
        having = [r for r in rows if label in r["labels"]]
        having.sort(key=lambda r: (-r["scores"].get(label, 0.0), r["document_id"], r["index"]))
        top[label] = [_statement(r, score=r["scores"].get(label, 0.0)) for r in having[:TOP_STATEMENTS]]
    return top


def _statement(row: dict[str, Any], **extra: Any) -> dict[str, Any]:
    speaker = row.get("speaker") or None
    return {
        "document_id": row["document_id"],
        "index": int(row["index"]),
        "start": int(row["start"]),
        "end": int(row["end"]),
        "text": row["text"],
        "speaker": speaker.get("name") if speaker else None,
        "role": speaker.get("role") if speaker else None,
        "labels": list(row["labels"]),
        **extra,
    }


def _summaries(tables: RunTables) -> list[dict[str, Any]]:
    by_document: dict[str, list[dict[str, Any]]] = {}
    for row in tables.statements.to_dict("records"):
        by_document.setdefault(row["document_id"], []).append(row)
    out = []
    for n, doc in enumerate(tables.documents.to_dict("records")):
        if doc.get("summary") is None or len(out) >= MAX_SUMMARIES:
            continue
        statements = by_document.get(doc["id"], [])
        cited: dict[int, dict[str, Any]] = {}
        sentences = []
        for sentence in doc.get("summary_sentences") or []:
            positions = overlapping(sentence.get("support") or [], statements)
            for i in positions:
                cited.setdefault(i, _statement(statements[i], anchor=f"d{n}-s{statements[i]['index']}"))
            sentences.append(
                {
                    "text": sentence.get("text", ""),
                    "consistency": sentence.get("consistency"),
                    "flagged": bool(sentence.get("flagged")),
                    "cites": [cited[i] for i in positions],
                }
            )
        out.append(
            {
                "id": doc["id"],
                "date": doc.get("date"),
                "summary": doc["summary"],
                "sentences": sentences,
                "cited": [cited[i] for i in sorted(cited)],
                "grounded": doc.get("summary_sentences") is not None,
            }
        )
    return out


def _timeline(tables: RunTables, labels: list[str]) -> dict[str, Any]:
    """Per period (month, or day for a span under two months), each label's share of the statements."""
    import pandas as pd

    dates = pd.to_datetime(tables.documents["date"], errors="coerce", utc=True)
    if dates.notna().sum() == 0:
        return {"timeline": None, "timeline_unit": None}
    span = dates.max() - dates.min()
    unit, fmt = ("month", "%Y-%m") if span > pd.Timedelta(days=62) else ("day", "%Y-%m-%d")
    period_of = dict(zip(tables.documents["id"], dates.dt.strftime(fmt), strict=True))
    per: dict[str, Counter[str]] = {}
    for doc_id, row in zip(tables.statements["document_id"], tables.statements["labels"], strict=True):
        period = period_of.get(doc_id)
        if isinstance(period, str):
            per.setdefault(period, Counter()).update(row)
    timeline = []
    for period in sorted(per):
        total = sum(per[period].values())
        timeline.append(
            {
                "period": period,
                "total": total,
                "share": {label: per[period][label] / total if total else 0.0 for label in labels},
            }
        )
    return {"timeline": timeline, "timeline_unit": unit}


def write_report(run_dir: str | Path) -> list[Path]:
    """Write ``report.html``, ``report.md`` and the PNG plots into ``run_dir``; return the paths written."""
    from stancekit.io import check_output_path, write_atomic
    from stancekit.reports.plots import write_plots
    from stancekit.reports.render import render

    report = build_report(run_dir)
    directory = Path(report.directory)
    check_output_path(directory / "report.html", "file", what="report")
    written = write_plots(report, directory)
    report.plots = {path.stem: path.name for path in written}
    for name in ("report.html", "report.md"):
        write_atomic(directory / name, render(name, report=report))
        written.append(directory / name)
    return written
