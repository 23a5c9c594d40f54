"""One colour per label, the same in the HTML legend and the plots (matplotlib's tab10, fallback grey)."""

from __future__ import annotations

_TAB10 = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#7f7f7f",
]  # fmt: skip
FALLBACK_COLOUR = "#b0b0b0"


def label_colours(labels: list[str], fallback: str = "other") -> dict[str, str]:
    """``{label: hex colour}``: substantive labels in order through tab10, the fallback label grey."""
    substantive = [label for label in labels if label != fallback]
    colours = {label: _TAB10[i % len(_TAB10)] for i, label in enumerate(substantive)}
    if fallback in labels:
        colours[fallback] = FALLBACK_COLOUR
    return colours
