"""Rendering the shipped jinja2 templates (``stancekit/reports/templates``): HTML autoescaped, Markdown not."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _environment(html: bool) -> Any:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("stancekit.reports", "templates"),
        autoescape=html,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails the tests, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["interval"] = interval
    environment.filters["md"] = lambda text: str(text).replace("|", "\\|").replace("\n", " ")
    return environment


def interval(value: dict[str, Any] | None, digits: int = 2) -> str:
    """``0.81 [0.72, 0.88]`` from ``{point, low, high}``; a dash when undefined."""
    if not value or value.get("point") is None:
        return "—"
    return f"{value['point']:.{digits}f} [{value['low']:.{digits}f}, {value['high']:.{digits}f}]"


def render(name: str, **context: Any) -> str:
    """Render template ``<name>.j2`` (``report.html``, ``report.md``, ``analysis.html``)."""
    return _environment(name.endswith(".html")).get_template(f"{name}.j2").render(**context)
