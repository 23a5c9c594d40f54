"""The report and the analysis page in a real browser: headless Chromium renders each to a screenshot, which must
not be blank; the page logs nothing to the console; and the rendered DOM has the expected elements.

Skips, saying why, where Chromium is absent (``.ci/run`` installs the Debian package ``chromium``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from stancekit.analyse import Analysis
from stancekit.reports import render_analysis_html, write_report
from stancekit.statements.analysed import analyse_statements
from tests.reports.pages import Page
from tests.reports.test_analysis_html import SUMMARY, TEXT, summary_result
from tests.rundir import build_run_dir

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does this)"
    ),
    pytest.mark.timeout(180),
]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]
# Chromium logs every console message (log, warning, error, uncaught exception) as one INFO:CONSOLE line.
CONSOLE = re.compile(r":CONSOLE[^\]]*\] (.*)")


def chromium(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def render(page: Path, tmp_path: Path) -> tuple[Path, Page, list[str]]:
    """Screenshot, rendered DOM, and console messages of ``page``."""
    shot = tmp_path / f"{page.stem}.png"
    result = chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000")
    assert shot.is_file(), result.stderr[-2000:]
    dumped = chromium(page, tmp_path, "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    messages = CONSOLE.findall(result.stderr) + CONSOLE.findall(dumped.stderr)
    return shot, Page(dumped.stdout), messages


def assert_not_blank(png: Path) -> None:
    from matplotlib.image import imread

    pixels = imread(png)[..., :3]
    assert pixels.std() > 0.05, f"{png} looks blank (pixel std {pixels.std():.4f})"


def test_console_check_catches_errors(tmp_path: Path) -> None:
    """The console check can fail: a page that logs and throws is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<p>x</p><script>console.error("boom"); missing_function();</script>')
    _, _, messages = render(page, tmp_path)
    assert any("boom" in m for m in messages) and any("missing_function" in m for m in messages)


def test_report_in_chromium(tmp_path: Path) -> None:
    run_dir = build_run_dir(tmp_path / "run")
    write_report(run_dir)
    shot, page, messages = render(run_dir / "report.html", tmp_path)
    assert messages == []
    assert_not_blank(shot)
    assert page.with_class("legend-item") and "label-counts" in page.ids
    links = page.anchors("citation")
    assert links and {href.lstrip("#") for href in links} <= page.ids
    images = [a["src"] for tag, a in page.elements if tag == "img"]
    assert images and all((run_dir / src).is_file() for src in images)


def test_analysis_page_in_chromium(tmp_path: Path) -> None:
    statements = analyse_statements(TEXT, classifier="lexicon")
    analysis = Analysis(
        text_length=len(TEXT), summary=summary_result(SUMMARY), statements=statements, classifier="lexicon"
    )
    html = tmp_path / "analysis.html"
    html.write_text(render_analysis_html(analysis, TEXT))
    shot, page, messages = render(html, tmp_path)
    assert messages == []
    assert_not_blank(shot)
    assert len(page.with_class("statement")) == len(statements)
    assert {label for s in statements for label in s.labels} <= {
        a["data-label"] for a in page.with_class("legend-item")
    }
    links = page.anchors("citation")
    assert links and {href.lstrip("#") for href in links} <= page.ids
