"""Reading documents and light text measures shared by the summariser, the metrics and the CLI."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from stancekit.errors import InputError

# A sentence ends at . ! or ? (optionally followed by closing quotes/brackets) before whitespace and an
# uppercase letter, digit or opening quote. Cheap and dependency-free: good enough to cut chunks and to split
# summaries for ROUGE-Lsum; statement segmentation (stancekit.segment) uses spaCy and its own rules instead.
_SENTENCE_END = re.compile(r"""(?<=[.!?])["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])""")
# Titles and initials end in a period without ending the sentence ("Mr. Smith", "U.S. officials").
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "adm",
        "maj",
        "rep",
        "sen",
        "gov",
        "pres",
        "rev",
        "jr",
        "sr",
        "no",
        "vs",
        "etc",
        "jan",
        "feb",
        "mar",
        "apr",
        "aug",
        "sept",
        "sep",
        "oct",
        "nov",
        "dec",
        "inc",
        "ltd",
        "co",
        "corp",
    ]
)
_INITIALS = re.compile(r"(?:[A-Z]\.)*[A-Z]")


def _is_abbreviation(text: str, period: int) -> bool:
    """Whether the period at ``text[period - 1]`` closes an abbreviation rather than a sentence."""
    if text[period - 1] != ".":
        return False
    token = text[max(0, period - 16) : period - 1].split()[-1:] or [""]
    word = token[0].lstrip("\"'“‘([")
    return word.lower() in _ABBREVIATIONS or bool(_INITIALS.fullmatch(word))


_WORD = re.compile(r"[^\W_]+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (whitespace between sentences excluded).

    >>> sentence_spans("One. Two three.")
    [(0, 4), (5, 15)]
    """
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        # keep closing quotes and brackets with their sentence
        end = match.start() + len(match.group(0)) - len(match.group(0).lstrip("\"'”’)]"))
        if _is_abbreviation(text, match.start()):
            continue
        if text[start:end].strip():
            spans.append(_strip_span(text, start, end))
        start = match.end()
    if text[start:].strip():
        spans.append(_strip_span(text, start, len(text)))
    return spans


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


# Function words left out when comparing content (faithfulness, stance matching, TextRank similarity).
_STOPWORD_LIST = """a an the and or but if of at by for with about against between into through during before after above
    below to from up down in out on off over under again further then once here there when where why how all
    any both each few more most other some such no nor not only own same so than too very can will just should
    now i me my we our ours you your he him his she her it its they them their what which who whom this that
    these those am is are was were be been being have has had having do does did would could may might must
    shall as says said say also while yet however"""
STOPWORDS = frozenset(_STOPWORD_LIST.split())


def content_words(text: str) -> set[str]:
    """The distinct non-stopword words of ``text``."""
    return {w for w in words(text) if w not in STOPWORDS}


def words(text: str) -> list[str]:
    """Lower-cased word tokens (runs of letters and digits), the unit of copy and novelty measures.

    >>> words("The U.N.'s 5,000-strong force.")
    ['the', 'u', 'n', 's', '5', '000', 'strong', 'force']
    """
    return _WORD.findall(text.lower())


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def copy_rate(summary: str, source: str, n: int = 3) -> float:
    """Share of the summary's word n-grams (trigrams by default) that occur in the source.

    1.0 means every trigram was copied; an abstractive summary scores well below that.
    """
    summary_grams = ngrams(words(summary), n)
    if not summary_grams:
        return 0.0
    source_grams = set(ngrams(words(source), n))
    return sum(g in source_grams for g in summary_grams) / len(summary_grams)


# One document's limit. Segmentation ran at about 8k characters a second on a loaded 2-core machine (a 200k
# character document took 26 s), so a million characters is minutes of work, and the summariser's
# map-reduce over it hours on CPU; a book-length text is better split into parts (a list, or a corpus run).
MAX_DOCUMENT_CHARS = 1_000_000


def check_text(text: object, where: str = "input", *, max_chars: int = MAX_DOCUMENT_CHARS) -> str:
    """Validate one document: a non-empty string of valid Unicode, at most ``max_chars`` long."""
    if not isinstance(text, str):
        raise InputError(
            f"expected text as a str, got {type(text).__name__}.",
            where=where,
            fix="pass a string (or a list of strings); read files with stancekit.text.read_document.",
        )
    if not text.strip():
        raise InputError(
            "the text is empty or only whitespace.", where=where, fix="pass a non-empty document."
        )
    if len(text) > max_chars:
        raise InputError(
            f"the document has {len(text):,} characters, over the limit of {max_chars:,} for one document.",
            where=where,
            fix="split it into parts (by chapter or section) and pass them as a list of documents.",
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate, e.g. from bytes decoded with surrogateescape
        raise InputError(
            f"is not valid Unicode text: a lone surrogate {text[error.start]!r} at character {error.start}.",
            where=where,
            fix="decode the bytes as UTF-8 with errors='replace', or fix the source text.",
        ) from None
    return text


# Frequent English words: 28-40% of the words (median 33%) of the 191 English articles in data/summaries, a few
# per cent of other Latin-script languages (shared short words: a, in, on ...). Enough to say "mostly not English".
_ENGLISH_FUNCTION_WORDS = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "that",
        "for",
        "on",
        "was",
        "with",
        "as",
        "by",
        "it",
        "said",
        "at",
        "from",
        "his",
        "her",
        "be",
        "are",
        "has",
        "have",
        "an",
        "not",
        "were",
        "will",
        "they",
        "their",
        "he",
        "she",
        "this",
        "which",
        "been",
        "who",
        "would",
        "its",
        "had",
        "but",
        "or",
        "we",
        "also",
        "after",
        "more",
        "than",
    ]
)


def language_warning(text: str) -> str | None:
    """A warning when ``text`` is mostly not English (the embedded models are English-only), else None.

    A cheap heuristic over the first 100k characters: the share of letters outside the Latin script, then the
    share of English function words among Latin-script words. Texts under 20 letters are not judged.
    """
    sample = text[:100_000]
    letters = [c for c in sample if c.isalpha()]
    if len(letters) < 20:
        return None
    other = sum(c >= "\u0250" for c in letters) / len(letters)  # past Latin Extended-B
    if other > 0.5:
        return (
            f"the text is mostly not English ({other:.0%} of its letters are not Latin script); the embedded "
            "models are English-only, so its labels and summary are unreliable."
        )
    tokens = re.findall(r"[^\W\d_]+", sample.lower())
    if len(tokens) >= 20:
        share = sum(t in _ENGLISH_FUNCTION_WORDS for t in tokens) / len(tokens)
        if share < 0.1:
            return (
                f"the text looks mostly not English (only {share:.0%} of its words are common English words, "
                "about a third in English prose); the embedded models are English-only, so its labels and "
                "summary are unreliable."
            )
    return None


def check_texts(texts: object, where: str = "input") -> list[str]:
    """Validate a list of documents (a str alone is not one), every item checked before any is used."""
    if isinstance(texts, str | bytes | bytearray) or not isinstance(texts, Sequence):
        raise InputError(
            f"expected a list of str, got {type(texts).__name__}.",
            where=where,
            fix="pass a list of strings (decode bytes first, e.g. data.decode('utf-8')).",
        )
    return [check_text(t, where=f"{where} document {i}") for i, t in enumerate(texts)]


def read_document(path: str | Path) -> str:
    """Read a UTF-8 text document from ``path`` (``-`` for standard input), refusing binary or empty files."""
    if str(path) == "-":
        data = sys.stdin.buffer.read()
        where = "<stdin>"
    else:
        file = Path(path)
        where = str(file)
        if not file.exists():
            raise InputError("file not found.", where=where, fix="check the path.")
        if file.is_dir():
            raise InputError("is a directory, not a text file.", where=where, fix="pass a .txt file.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise InputError(
                f"cannot read the file: {error.strerror}.", where=where, fix="check its permissions."
            ) from None
    if b"\x00" in data[:8192]:
        raise InputError(
            "looks like a binary file (it contains NUL bytes).", where=where, fix="pass UTF-8 text."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"is not valid UTF-8 (byte {error.start}).",
            where=where,
            fix="convert it to UTF-8, e.g. iconv -f latin1 -t utf-8.",
        ) from None
    return check_text(text, where=where)
