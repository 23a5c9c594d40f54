"""Parsing the rendered pages for the elements the tests look for (stdlib html.parser, no browser)."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """Every element's tag and attributes, the ids, the in-page links and the text, of one HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def with_class(self, name: str) -> list[dict[str, str]]:
        return [a for _, a in self.elements if name in a.get("class", "").split()]

    @property
    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.elements if "id" in a}

    def anchors(self, cls: str) -> list[str]:
        return [a["href"] for a in self.with_class(cls) if "href" in a]
