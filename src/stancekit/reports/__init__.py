"""Reports people look at: a corpus run as a static HTML page, Markdown and PNG plots, and one analysed
document as an HTML page with its statements highlighted by label and its summary's citations linked.

>>> from stancekit.reports import write_report
>>> write_report("runs/corpus/wire-2024")  # doctest: +SKIP
"""

from __future__ import annotations

from stancekit.reports.analysis import render_analysis_html
from stancekit.reports.corpus import CorpusReport, build_report, write_report

__all__ = ["CorpusReport", "build_report", "render_analysis_html", "write_report"]
