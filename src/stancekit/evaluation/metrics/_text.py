"""Text helpers shared by the metric modules: sentence splitting, word tokens, n-grams.

These are deliberately simple and dependency-free. NLTK's punkt model would need a download, which is not
possible offline, and the metrics must give the same answer on every machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from stancekit.text import ngrams as _shared_ngrams
from stancekit.text import words as _shared_words

# A boundary: terminal punctuation (plus any closing quotes/brackets), whitespace, then an optionally quoted
# capital letter. Requiring the capital keeps "3.5 m" and "e.g. the" whole, and means lower-cased text
# (such as XSum's official tokenised files) is split only at newlines.
_BOUNDARY_RE = re.compile(r"([.!?]+[\"'”’)\]]*)\s+(?=[\"'“‘(\[`]*[A-Z])")

# Words that end with a period without ending a sentence (lower-cased, without the period).
_ABBREVIATION_LIST = """mr mrs ms dr prof st sen rep gov gen col lt sgt capt cmdr adm maj rev hon jr sr mt ft vs etc inc ltd co
    corp no nos fig approx dept est jan feb mar apr jun jul aug sep sept oct nov dec"""
_ABBREVIATIONS = frozenset(_ABBREVIATION_LIST.split())

_WORD_RE = re.compile(r"[^\W_]+")


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences with a rule-based splitter (newlines always split).

    Example:
        >>> split_sentences("Mr. Smith met the U.S. envoy. They agreed.\\nA new line.")
        ['Mr. Smith met the U.S. envoy.', 'They agreed.', 'A new line.']
    """
    sentences: list[str] = []
    for line in text.splitlines():
        start = 0
        for match in _BOUNDARY_RE.finditer(line):
            end = match.end(1)
            if _is_abbreviation(line[start:end]):
                continue
            sentences.append(line[start:end].strip())
            start = match.end()
        sentences.append(line[start:].strip())
    return [s for s in sentences if s]


def _is_abbreviation(chunk: str) -> bool:
    """Whether ``chunk`` ends with an abbreviation or initial rather than a sentence end."""
    last = chunk.rstrip("\"'”’)]").split()[-1] if chunk.split() else ""
    if not last.endswith("."):
        return False
    word = last.rstrip(".").lstrip("\"'“‘([")
    # Initials ("J.", "U.S.") and listed abbreviations ("Mr.", "Jan.") do not end sentences.
    return (len(word) == 1 and word.isupper()) or "." in word or word.lower() in _ABBREVIATIONS


# One definition of words and n-grams for the whole toolkit: the summariser's copy rate and the
# abstractiveness metric must agree on the same summary.
words = _shared_words
ngrams = _shared_ngrams


def mean_or_nan(values: Iterable[float]) -> float:
    """Mean of the values that are not NaN; NaN when none are left (so an empty corpus is visible)."""
    kept = [v for v in values if v == v]
    return sum(kept) / len(kept) if kept else float("nan")
