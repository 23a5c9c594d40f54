"""Speaker attribution: who a statement's own words say is speaking, from the dependency parse.

The subject of a speech verb outside the quote marks, with rules for what the parser gets wrong (an
appositive between the name and the verb, "according to"), and pronoun speakers resolved to the most
recent named speaker that agrees in number and kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from stancekit.statements.statement import Speaker

if TYPE_CHECKING:
    from spacy.tokens import Token


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
    congratulate congratulates congratulated congratulating counter counters countered countering
    chant chants chanted chanting estimate estimates estimated predict predicts predicted
    forecast forecasts concede concedes conceded allege alleges alleged
    """
)
# Verbs of evidence: "the assessment found that ...", "polls show ...". Their subject speaks only when it is a
# source of findings, not an actor doing something ("police found a body").
_EVIDENCE_VERBS = _words(
    "find finds found show shows showed shown indicate indicates indicated conclude concludes concluded"
)
_EVIDENCE_NOUNS = _words(
    """
    report reports study studies survey surveys poll polls data figures assessment analysis review
    investigation inquiry audit court judges justices tribunal panel researchers scientists experts census
    statistics estimates
    """
)
# Texts that act on their own words: "The resolution asks ...", "The pact commits Australia to ...".
_TEXT_NOUNS = _words(
    "resolution resolutions pact treaty accord agreement declaration text communique communiqué"
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
# Speech acts performed by an actor without a verb of saying ("Japan lodged a protest", "India rejected the
# allegations"): their subject speaks only when it names an actor (an entity, a person or a group).
_ACT_VERBS = _words(
    """
    accuse accuses accused accusing protest protests protested lodge lodges lodged dismiss dismisses
    dismissed reject rejects rejected describe describes described estimate estimates estimated
    document documented press presses pressed raise raises raised reaffirm reaffirms reaffirmed
    apologise apologised apologize apologized expect expects expected welcome welcomes welcomed
    praise praises praised back backs backed support supports supported blame blames blamed
    agree agrees agreed commit commits committed offer offers offered thank thanks thanked
    ask asks asked refuse refuses refused suggest suggests suggested propose proposes proposed
    recommend recommends recommended question questioned convey conveys conveyed issue issues issued
    hail hailed applaud applauded endorse endorsed mourn mourned criticized slam slammed decry decried
    deplore deplored vow promise promised order ordered summon summoned recall recalled link linked
    believe believes believed assess assesses assessed fear fears feared estimate reject
    decline declines declined call calls called aim aims aimed flag flags flagged commits point points
    pointed set
    """
)
_ACTOR_NOUNS = _words(
    """
    officials groups group governments government leaders countries authorities economists participants
    delegation delegations ministers ministry analysts experts diplomats sides parties donors members
    lawmakers unions activists organisations organizations agencies agency company companies police
    army military navy council committee commission mission coalition alliance bloc union nations states
    forces members sources developers scientists researchers campaigners critics investigators residents
    witnesses unions declaration report communique communiqué statement lawyers side delegates negotiators
    chambers operators junta regime office inspectors prosecutors
    """
)
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
# Title words a person's name never includes: "Border Security Minister | Alistair Pennock".
_TITLE_WORDS = _words(
    """
    spokesperson spokesman spokeswoman representative undersecretary deputy adviser advisor coordinator
    commissioner ombudsman prosecutor judge justice superintendent inspector colonel lieutenant captain
    major sergeant admiral bishop archbishop cardinal imam rabbi pastor professor researcher economist
    """
)
# Kept with the name: "Mr. Smith", not "Smith" with the role "Mr."
_HONORIFICS = _words("mr mr. mrs mrs. ms ms. dr dr. prof prof. sir dame lord lady")
# Ranks and forms of address that open a title but never a name: "Maj. Gen. Robert Castellano", "Senator X".
_RANKS = _words(
    """
    gen gen. maj maj. col col. lt lt. brig brig. adm adm. sgt sgt. capt capt. cmdr cmdr. gov gov. sen sen. rep
    rep. senator general colonel president vice-president premier counterpart negotiator mediator rapporteur
    envoy ambassador chief head
    """
)
# Portfolio and region words that end a title's "for ..." phrase, so the name starts after them:
# "Minister for Territorial Administration | Haroun Mahamat Abakar".
_PORTFOLIO_WORDS = _words(
    """
    affairs administration sovereignty pacific health defence defense trade finance economy security
    development justice interior environment energy education transport labour labor agriculture industry
    commerce culture tourism communications infrastructure migration relations cooperation planning
    integration policy competition climate digital housing employment welfare women youth sport sports
    fisheries mines mining oil water europe africa asia americas region regions
    """
)
_RESOLVABLE_PRONOUNS = frozenset({"he", "she", "it", "they"})
# "The statement added", "the communiqué went on": a definite document noun alone refers back to the document
# or body just named ("The joint statement issued by the ministers said ...").
_DOCUMENT_NOUNS = _words(
    """
    statement communiqué communique declaration text document letter report resolution note release
    readout message
    """
)
_DOCUMENT_REFERENCE = "document"
# "..., the statement added": going on with what was just quoted, from whichever body said it
_DOCUMENT_CONTINUATION = "document-continued"
# "It went on: '...'", "The statement continued, '...'": continuing a quotation already attributed.
_CONTINUING_VERBS = _words("went goes go continued continues")
# The author or the addressee: the text does not name them, so no speaker.
_UNNAMED_PRONOUNS = frozenset({"i", "we", "you", "one", "this", "that", "these", "those", "who", "which"})
_NAME_ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP"})
_VERB_TAGS = frozenset({"VB", "VBD", "VBZ", "VBP", "VBN", "VBG"})
_WH_OR_VERB_TAGS = frozenset({"WDT", "WP", "WP$", "WRB", "VBD", "VBZ", "VBP", "MD"})
# A pronoun refers back at most this many statements.
_COREF_WINDOW = 3
_MAX_ROLE_TOKENS = 25


@dataclass(frozen=True)
class Attribution:
    """A speaker found in one statement, or a pronoun still to resolve."""

    speaker: Speaker | None
    pronoun: str | None = None
    is_person: bool = False
    is_plural: bool = False
    # a document, or a body speaking through one: what "the statement added" can refer back to
    is_document: bool = False


def _is_continuing_verb(token: Token) -> bool:
    """'went on:' / 'continued,' right before a quotation or a colon."""
    if token.lower_ not in _CONTINUING_VERBS:
        return False
    after = token.nbor(1) if token.i + 1 < len(token.doc) else None
    if token.lower_ in ("went", "goes", "go"):
        if after is None or after.lower_ != "on":
            return False
        after = after.nbor(1) if after.i + 1 < len(token.doc) else None
    return after is not None and (after.text in (":", ",") or after.is_quote)


def _is_actor(token: Token) -> bool:
    """A named entity, a person or a group: the token or a compound/modifier of it ('NATO forces')."""
    words = [token, *(c for c in token.children if c.dep_ in ("compound", "amod", "poss"))]
    return (
        any(t.ent_type_ in _NAME_ENTITY_LABELS for t in words) or token.lower_ in _PERSON_NOUNS | _ACTOR_NOUNS
    )


def _is_act_verb(token: Token) -> bool:
    """A speech act without a verb of saying, whose subject names an actor."""
    if token.tag_ not in _VERB_TAGS or token.lower_ not in _ACT_VERBS:
        return False
    if any(c.dep_ in ("auxpass", "nsubjpass") for c in token.children):
        return False
    subject = next((c for c in token.children if c.dep_ == "nsubj"), None)
    if subject is None:
        return False
    return (
        _is_actor(subject)
        or subject.lower_ in _TEXT_NOUNS
        or (subject.lower_ in _RESOLVABLE_PRONOUNS and _is_main_clause(token))
    )


def _is_evidence_verb(token: Token) -> bool:
    """'A new assessment found that ...', 'Polls show ...': a source's findings, reported."""
    if token.tag_ not in _VERB_TAGS or token.lower_ not in _EVIDENCE_VERBS:
        return False
    subject = next((c for c in token.children if c.dep_ == "nsubj"), None)
    return subject is not None and subject.lower_ in _EVIDENCE_NOUNS


def _is_speech_verb(token: Token) -> bool:
    if token.tag_ not in _VERB_TAGS:
        return False
    word = token.lower_
    if _is_continuing_verb(token):
        return True
    if word in _CALL_VERBS:
        # "called on/for ...", or naming something in quotes: 'called Poland "our closest partner"'
        return any(c.lower_ in _CALL_PARTICLES for c in token.children if c.dep_ in ("prep", "prt")) or (
            (_is_main_clause(token) or _is_misparsed_main_verb(token))
            and any(c.dep_ in ("dobj", "oprd") for c in token.children)
            and any(t.is_quote for t in token.doc[token.i + 1 : token.sent.end])
        )
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


def _make_attribution(name_tokens: list[Token], role_tokens: list[Token] | None = None) -> Attribution | None:
    """Builds a speaker from name tokens (and role tokens), splitting "Foreign Minister Anna Berg"."""
    for k, tok in enumerate(name_tokens[:-1]):
        if tok.text == "," and name_tokens[k + 1].tag_ in ("WDT", "WP", "WP$", "WRB"):
            name_tokens = name_tokens[:k]  # "Tavita Lopati, who hosted the talks": the clause is not the name
            break
    name_tokens = _trim(name_tokens)
    role_tokens = _trim(role_tokens or [])
    if not name_tokens:
        return None
    if len(name_tokens) == 1 and name_tokens[0].lower_ in _RESOLVABLE_PRONOUNS:
        return Attribution(None, pronoun=name_tokens[0].lower_)
    if len(name_tokens) == 1 and name_tokens[0].lower_ in _UNNAMED_PRONOUNS:
        return None
    if not any(t.pos_ in ("PROPN", "NOUN", "PRON", "NUM") or t.ent_type_ for t in name_tokens):
        return None
    head = name_tokens[0].doc[name_tokens[0].i : name_tokens[-1].i + 1].root
    if head.lower_ in _DOCUMENT_NOUNS:
        # "A joint statement from the mediators", "The statement issued by the coalition nations": the body
        for child in head.children:
            inner = (
                child
                if child.dep_ == "prep"
                else next((g for g in child.children if g.dep_ == "agent"), None)
            )
            if child.dep_ == "acl" and inner is None:
                inner = next((g for g in child.children if g.dep_ == "prep" and g.lower_ == "by"), None)
            if inner is not None and inner.lower_ in ("from", "of", "by"):
                body = next((g for g in inner.children if g.dep_ == "pobj"), None)
                if body is not None and body.pos_ in ("NOUN", "PROPN"):
                    found = _make_attribution(list(body.subtree))
                    # "It added" still refers to the document: the body stands in for it
                    return Attribution(found.speaker, is_document=True) if found is not None else None
    if (
        len(name_tokens) == 2
        and name_tokens[0].lower_ in ("the", "this", "that")
        and name_tokens[1].lower_ in _DOCUMENT_NOUNS
        and not role_tokens
    ):
        return Attribution(Speaker(name=_span_text(name_tokens)), pronoun=_DOCUMENT_REFERENCE)
    if role_tokens and role_tokens[0].i == name_tokens[-1].i + 1:
        # an "appositive" with no comma is the parser splitting one phrase: "Lithuanian Defence | Minister X"
        name_tokens, role_tokens = name_tokens + role_tokens, []
    if role_tokens and _is_description(name_tokens) and _is_proper_name(role_tokens):
        # "Kosovo's interior minister, Arben Krasniqi-Doda, said", "The mission, UNIFIL, said": the name is the
        # appositive; a person's description is their role, a body's is not ("UNIFIL", not "the mission")
        described_person = _head(name_tokens).lower_ in _PERSON_NOUNS | _TITLE_WORDS | _RANKS
        name_tokens, role_tokens = role_tokens, (name_tokens if described_person else [])
        titled = _title_split(name_tokens)
        if titled is not None:
            name_tokens = titled[0]  # "US Army Maj. Gen. Robert Castellano": the rank is not the role given
            role_tokens = role_tokens or titled[1]
    elif "PERSON" in _entity_labels(role_tokens) and "PERSON" not in _entity_labels(name_tokens):
        # "The French foreign minister, Pierre Dupont, said": the person is the appositive
        name_tokens, role_tokens = role_tokens, name_tokens
    if role_tokens and any(t.lower_ in ("of", "from", "at") for t in name_tokens[1:]):
        # "Agnieszka Lis of the Border Rights Group, a Warsaw-based charity": the appositive describes the
        # group; the person is the name, the group their role
        person, affiliation = _split_person(name_tokens)
        if affiliation and _head(role_tokens).lower_ not in _PERSON_NOUNS | _TITLE_WORDS | _RANKS:
            name_tokens, role_tokens = person, affiliation
    if not role_tokens:
        titled = _title_split(name_tokens)
        if titled is not None:
            name_tokens, role_tokens = titled
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
    if not role_tokens:
        name_tokens, role_tokens = _split_person(name_tokens)
    head = name_tokens[0].doc[name_tokens[0].i : name_tokens[-1].i + 1].root
    person_noun = head.lower_ in _PERSON_NOUNS
    role_tokens = _clean_role(role_tokens)
    # a title for a role says a person is named, whatever NER made of the name ("Arben Krasniqi-Doda" as ORG)
    titled = bool(role_tokens) and _head(role_tokens).lower_ in _PERSON_NOUNS | _TITLE_WORDS | _RANKS
    is_person = (
        "PERSON" in _entity_labels(name_tokens) or person_noun or titled or _looks_like_person(name_tokens)
    )
    if not is_person:
        role_tokens = []  # a body's description is not a role: "The Caribbean Community, CARICOM"
    return Attribution(
        Speaker(name=_span_text(name_tokens), role=_span_text(role_tokens) if role_tokens else None),
        is_person=is_person,
        is_plural=head.tag_ in ("NNS", "NNPS") or any(t.lower_ == "and" for t in name_tokens),
        is_document=head.lower_ in _DOCUMENT_NOUNS | _TEXT_NOUNS,
    )


def _head(tokens: Sequence[Token]) -> Token:
    return tokens[0].doc[tokens[0].i : tokens[-1].i + 1].root


def _is_capitalised(token: Token) -> bool:
    return token.text[:1].isupper()


def _is_name_token(token: Token) -> bool:
    """A word of a proper name: capitalised, or the rest of a hyphenated one ("Sang-cheol", "Krasniqi-Doda")."""
    if token.text in ("-", "‐") and not token.whitespace_:
        return True
    joined = token.i > 0 and token.nbor(-1).text in ("-", "‐") and not token.nbor(-1).whitespace_
    return (_is_capitalised(token) or joined) and token.pos_ in ("PROPN", "NOUN", "ADJ", "X")


def _is_proper_name(tokens: Sequence[Token]) -> bool:
    """'Arben Krasniqi-Doda', 'UNIFIL', 'the Balochistan Liberation Army': every word capitalised."""
    words = [t for t in tokens if not (t.is_punct and t.text not in ("-", "."))]
    if words and words[0].lower_ == "the":
        words = words[1:]
    return bool(words) and len(words) <= 8 and all(_is_name_token(t) or t.text == "." for t in words)


def _is_description(tokens: Sequence[Token]) -> bool:
    """'Kosovo's interior minister', 'a separatist group': headed by a common noun, not a name."""
    head = _head(tokens)
    return head.pos_ == "NOUN" and not _is_capitalised(head)


# Words that make a capitalised phrase a body, not a person: "Human Rights Watch", "Bank of Japan".
_ORGANISATION_WORDS = _words(
    """
    council ministry union agency party group bank office commission army force forces court police
    association institute institution organisation organization front movement committee alliance federation
    company corporation inc ltd watch international nations states republic kingdom government parliament
    assembly congress senate authority service services coalition mission fund programme program
    headquarters secretariat department board centre center university foundation network council's
    """
)


def _looks_like_person(tokens: Sequence[Token]) -> bool:
    """'Paul-Éric Mbarga-Nsom' (which NER tags ORG): two to five capitalised words, none of a body's, no
    acronym, no place or nationality."""
    words = [t for t in tokens if t.text not in ("-", "‐")]
    if words and words[0].lower_ in _HONORIFICS:
        words = words[1:]
    return (
        2 <= len(words) <= 5
        and all(_is_name_token(t) and not t.is_upper for t in words)
        and not any(t.lower_ in _ORGANISATION_WORDS or t.ent_type_ in ("NORP", "LOC", "FAC") for t in words)
        and not all(t.ent_type_ == "GPE" for t in words)
    )


def _title_split(tokens: list[Token]) -> tuple[list[Token], list[Token]] | None:
    """'Vice Health Minister Yoon Sang-cheol', 'Minister for Foreign Affairs Liban Cabdi Nuur': the capitalised
    words after the last title word (or after the portfolio of a "for"-phrase) are the name, the rest the role.

    NER misses or misplaces many names in this position, so this reads capitalisation, not entities.
    """
    titles = _PERSON_NOUNS | _TITLE_WORDS | _RANKS
    start = len(tokens)
    while start > 0 and (
        (_is_name_token(tokens[start - 1]) or (tokens[start - 1].text == "." and start < len(tokens)))
        and tokens[start - 1].lower_ not in titles | _PORTFOLIO_WORDS
        and len(tokens) - start < 6
    ):
        start -= 1
    while start < len(tokens) and not _is_capitalised(tokens[start]):
        start += 1  # a name starts with a capital, not with a hyphen or a full stop
    if start == 0 or start == len(tokens):
        return None
    before = tokens[start - 1]
    if before.lower_ in _PORTFOLIO_WORDS:
        # the "for ..." phrase must hang off a title word: "Minister for Territorial Administration"
        k = start - 1
        while k > 0 and (_is_capitalised(tokens[k]) or tokens[k].lower_ in ("the", "and", "&")):
            k -= 1
        if tokens[k].lower_ not in ("for", "of", "to") or k == 0 or tokens[k - 1].lower_ not in titles:
            return None
    elif before.lower_ not in titles:
        return None
    role = tokens[:start]
    while role and role[0].lower_ in _HONORIFICS | {"the", "a", "an"}:
        role = role[1:]
    return tokens[start:], role


# "the" stays: the scorer drops it, and "the foreign minister" reads as written
_POSSESSIVE_DETERMINERS = _words("a an its his her their our")


def _clean_role(tokens: list[Token]) -> list[Token]:
    """A role as a job title: 'an Algerian foreign ministry spokesman' -> 'Algerian foreign ministry
    spokesman', "Pakistan's interior minister" -> 'interior minister', 'navy spokesman Commander' -> 'navy
    spokesman', 'the royal mediator appointed in September' -> 'royal mediator'; none for what is no title
    ('by contrast', '41', 'briefing reporters on condition of anonymity')."""
    tokens = _trim(tokens)
    for k, tok in enumerate(tokens[:-1]):
        if tok.text == "," and tokens[k + 1].tag_ in _WH_OR_VERB_TAGS:
            # "a researcher with X, who noted that ...": the clause is not the role
            tokens = _trim(tokens[:k])
            break
    participle = next(
        (k for k, t in enumerate(tokens) if k > 0 and t.tag_ == "VBN" and t.dep_ == "acl" and t.head.i < t.i),
        None,
    )
    if participle is not None:
        tokens = tokens[:participle]  # "the royal mediator appointed in September"
    while tokens and tokens[0].lower_ in _POSSESSIVE_DETERMINERS:
        tokens = tokens[1:]
    possessive = next((k for k, t in enumerate(tokens[:5]) if t.tag_ == "POS"), None)
    if possessive and all(t.ent_type_ == "GPE" or t.lower_ == "the" for t in tokens[:possessive]):
        tokens = tokens[possessive + 1 :]  # the country is the speaker's, not part of the title
    age = [k for k, t in enumerate(tokens[:6]) if t.lower_ == "old" and k >= 2 and tokens[k - 1].text == "-"]
    if age:
        tokens = tokens[age[0] + 1 :]  # "a 34-year-old taxi driver"
    # a rank before the name ("navy spokesman Commander | Vikram Sethi-Rao"), only after a title in lower
    # case, so that "Energy Commissioner" and "Deputy Director General" keep their last word
    ranks = _RANKS | _TITLE_WORDS | {"commander", "assistant", "commissioner"}
    titled = any(not _is_capitalised(t) and t.lower_ in _PERSON_NOUNS | _TITLE_WORDS for t in tokens[:-1])
    while titled and len(tokens) > 1 and _is_capitalised(tokens[-1]) and tokens[-1].lower_ in ranks:
        tokens = tokens[:-1]
    tokens = _trim(tokens)
    if (
        not tokens
        or tokens[0].tag_ in ("IN", "CD")
        or (
            tokens[0].tag_ == "VBG" and tokens[0].dep_ not in ("amod", "compound")
        )  # "briefing reporters ..."
        or not any(t.pos_ in ("NOUN", "PROPN") for t in tokens)
    ):
        return []
    return tokens


def _split_person(tokens: list[Token]) -> tuple[list[Token], list[Token]]:
    """'Julio Barcelos of the Selva Viva Alliance', 'Canary Islands vice-president Ana Morales': the person's
    name is the name, the words around it the role."""
    # NER calls countries and adjectives persons ("Mali's government", "a Nigerien official"): a person's name
    # is not a possessor and ends the phrase or a prepositional role follows it ("Julio Barcelos of the ...")
    person = [t for t in tokens if t.ent_type_ == "PERSON" and t.pos_ == "PROPN"]
    if person:
        after_person = tokens[tokens.index(person[-1]) + 1 :]
        if after_person and (after_person[0].tag_ == "POS" or after_person[0].pos_ in ("NOUN", "PROPN")):
            person = []
    if not person:
        # NER missed the person ("Border Security Minister Alistair Pennock" as ORG): the proper nouns after
        # the last title word are the name
        titles = [k for k, t in enumerate(tokens) if t.lower_ in _PERSON_NOUNS | _TITLE_WORDS]
        if titles and 0 < titles[-1] < len(tokens) - 1:
            rest = tokens[titles[-1] + 1 :]
            if all(t.pos_ == "PROPN" or t.text in ("-", ".") for t in rest) and rest[0].text[:1].isupper():
                before = tokens[: titles[-1] + 1]
                return rest, before[1:] if before[0].dep_ == "det" else before
        return tokens, []
    if len(person) == len(tokens):
        return tokens, []
    first, last = person[0], person[0]
    for t in tokens:
        hyphenated = not last.whitespace_ and (t.text.startswith("-") or last.text.endswith("-"))
        if t.i == last.i + 1 and (t.ent_type_ == "PERSON" or hyphenated):
            last = t  # "Yoon Sang-cheol": a hyphenated name goes on without a space
    titles = [t for t in tokens if first.i <= t.i < last.i and t.lower_ in _PERSON_NOUNS | _TITLE_WORDS]
    if titles:
        first = titles[-1].nbor(1)  # NER took the title in: "[Border Security Minister Alistair Pennock]"
    while (
        first.i > tokens[0].i
        and first.nbor(-1).pos_ == "PROPN"
        and first.nbor(-1).ent_type_ in ("", "PERSON")
    ):
        first = first.nbor(-1)  # NER often misses the first name: "vice-president Ana [Beltrán Morales]"
    while first.i > tokens[0].i and first.nbor(-1).lower_ in _HONORIFICS:
        first = first.nbor(-1)
    name = [t for t in tokens if first.i <= t.i <= last.i]
    before = _trim([t for t in tokens if t.i < first.i])
    after = _trim([t for t in tokens if t.i > last.i])
    if before and before[0].dep_ == "det":
        before = before[1:]
    if after and after[0].lower_ in ("of", "from", "at", "with", "in"):
        after = after[1:] if after[0].lower_ == "of" else after
    if after and after[0].tag_ in _WH_OR_VERB_TAGS:
        after = []  # "X, whose country drafted the text": a clause, not a role
    return name, before or after


def _subject_attribution(
    subject: Token, outside: Callable[[Token], bool], verb: Token | None = None
) -> Attribution | None:
    """The speaker named by a subject's subtree; an appositive gives the role."""
    subtree = [t for t in subject.subtree if outside(t)]
    appositives = [c for c in subject.children if c.dep_ == "appos"]
    if not appositives:
        # "Belgrade's chief negotiator for Kosovo, Dragana Simić-Popović, said": the parser hangs the name on
        # the last noun of the title ("Kosovo"); a proper name in apposition there names the subject
        appositives = [
            t
            for t in subject.subtree
            if t.dep_ == "appos"
            and t.head.dep_ == "pobj"
            and t.head.head.head.i == subject.i
            and t.i > 0
            and t.doc[min(a.i for a in t.subtree) - 1].text == ","
            and _is_proper_name(_appositive_tokens(t, outside))
        ][:1]
    cut_at = {t.i for c in subject.children if c.dep_ in ("relcl", "acl:relcl") for t in c.subtree}
    cut_at.update(t.i for c in appositives for t in c.subtree)
    # "Home Office figures [published on Sunday]", "EU foreign ministers [on Monday]": not part of the name
    # (a document keeps its "issued by ...", which names the body speaking through it)
    if subject.lower_ not in _DOCUMENT_NOUNS:
        cut_at.update(
            t.i
            for c in subject.children
            if (c.dep_ == "acl" and c.tag_ == "VBN" and c.i > subject.i)
            or (c.dep_ in ("npadvmod", "prep") and c.ent_type_ == "DATE")
            or (c.dep_ == "prep" and any(g.ent_type_ == "DATE" for g in c.children) and c.lower_ == "on")
            for t in c.subtree
        )
    # where each listed name begins: "The United Nations, the European Union and China condemned ..."
    listed = {c.left_edge.i for c in subject.subtree if c.dep_ == "conj" and c.i not in cut_at}
    if verb is not None and verb.head.i == subject.i:
        cut_at.update(t.i for t in verb.subtree)  # the verb hangs off the name in a mis-parse
    name = []
    for tok in subtree:
        if tok.i in cut_at:
            break  # the name ends where its appositive or relative clause begins
        listing = tok.i + 1 < len(tok.doc) and (tok.nbor(1).dep_ in ("conj", "cc") or tok.i + 1 in listed)
        if tok.i > subject.i and tok.text == "," and not listing:
            break  # ... or at a comma that does not go on listing names ("France, Germany and ...")
        name.append(tok)
    role = _appositive_tokens(appositives[0], outside) if appositives else None
    end = appositives[0].right_edge.i if appositives else -1
    for later in appositives[1:]:
        if role and later.left_edge.i == end + 1:
            # "Kang | Min | - | seok": one name parsed in pieces
            role, end = role + [t for t in later.subtree if outside(t)], later.right_edge.i
    role = _trim(role) if role else role
    return _make_attribution(name, role)


def _appositive_tokens(appositive: Token, outside: Callable[[Token], bool]) -> list[Token]:
    """An appositive without its relative clause: 'Paulina Arancibia[, who introduced the text]'."""
    clause = {t.i for c in appositive.children if c.dep_ in ("relcl", "acl:relcl") for t in c.subtree}
    return _trim([t for t in appositive.subtree if outside(t) and t.i not in clause])


def _appositive_attribution(verb: Token, outside: Callable[[Token], bool]) -> tuple[Attribution, int] | None:
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
    if any(t.text in ("—", "–", "--") for t in role):
        return None  # a dateline: "SYDNEY, Oct 9 — The company said"
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


def _adjacent_attribution(verb: Token, outside: Callable[[Token], bool]) -> Attribution | None:
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


def _document_issuer(verb: Token, outside: Callable[[Token], bool]) -> Token | None:
    """'CARICOM issued a statement expressing ...', 'X rejected the vote in a statement calling it ...': the
    speech verb hangs off the document; whoever issued it is the subject of the verb the document depends on."""
    document = verb.head
    if verb.dep_ != "acl" or document.lower_ not in _DOCUMENT_NOUNS:
        return None
    governor = document.head
    if document.dep_ == "pobj" and governor.dep_ == "prep":
        governor = governor.head
    elif document.dep_ != "dobj":
        return None
    return next((c for c in governor.children if c.dep_ == "nsubj" and outside(c)), None)


def _verb_attribution(verb: Token, outside: Callable[[Token], bool]) -> Attribution | None:
    issuer = _document_issuer(verb, outside)
    if issuer is not None:
        return _subject_attribution(issuer, outside)
    subjects = [c for c in verb.children if c.dep_ == "nsubj" and outside(c) and c.i < verb.i]
    if len(subjects) > 1:
        # one phrase parsed as several subjects: "Prime Minister's office spokesman | Marek Wiśniewski-Tarnowski",
        # "the co | - | chairs of the negotiating body"
        start, end = min(c.left_edge.i for c in subjects), max(c.right_edge.i for c in subjects)
        span = [t for t in verb.doc[start : end + 1] if outside(t)]
        if not any(t.text == "," for t in span):
            return _make_attribution(span)
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
) -> Attribution | None:
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


def _dateline(tokens: Sequence[Token]) -> set[int]:
    """'SYDNEY, Oct 9 —' / 'FUNAFUTI, Tuvalu —' opening a story: a place and date, never a speaker."""
    if not tokens or not (tokens[0].text.isupper() and len(tokens[0].text) > 2):
        return set()
    for k, tok in enumerate(tokens[:10]):
        if tok.text in ("—", "–", "--"):
            return {t.i for t in tokens[: k + 1]}
    return set()


def attribute(
    tokens: Sequence[Token], outside: Callable[[Token], bool], has_quote: bool
) -> Attribution | None:
    """Who the statement's text says is speaking, from the words outside its quote marks."""
    dateline = _dateline(tokens)
    if dateline:
        inner = outside
        outside = lambda t: inner(t) and t.i not in dateline  # noqa: E731
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
        if (
            found is not None
            and found.pronoun == _DOCUMENT_REFERENCE
            and (verb.lower_ in ("add", "adds", "added") or _is_continuing_verb(verb))
        ):
            found = replace(found, pronoun=_DOCUMENT_CONTINUATION)
        if found is not None:
            return found
    according = _according_to_attribution(tokens, outside)
    if according is not None:
        return according
    # No verb of saying: a speech act by a named actor ("Japan lodged a protest"), the main clause's first,
    # then one in any clause ("..., a day after Manila accused Beijing of ...").
    acts = [
        t for t in tokens if outside(t) and (_is_act_verb(t) or _is_speech_verb(t) or _is_evidence_verb(t))
    ]
    for verb in sorted(acts, key=lambda t: (not _is_main_clause(t), _depth(t), t.i)):
        subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
        if subject is None or (not _is_main_clause(verb) and not _is_actor(subject)):
            continue  # in a subordinate clause only a named actor speaks: "a figure the government hailed"
        found = _subject_attribution(subject, outside)
        if found is not None:
            return found
    # An actor acting on the record ("Britain imposed sanctions", "The UN General Assembly adopted a
    # resolution") speaks for the statement: the main clause's subject, when it names an actor.
    for verb in (t for t in tokens if outside(t) and t.dep_ == "ROOT" and t.tag_ in _VERB_TAGS):
        subject = next((c for c in verb.children if c.dep_ == "nsubj" and outside(c)), None)
        if subject is not None and (_is_actor(subject) or subject.lower_ in _RESOLVABLE_PRONOUNS):
            return _subject_attribution(subject, outside)
    return None


def resolve_pronoun(
    found: Attribution, history: list[tuple[int, Attribution]], index: int
) -> Attribution | None:
    """Resolves he/she/it/they to the most recent named speaker that agrees, within a short window.

    "The statement added" resolves to the body or document just named; "The report said" / "The resolution
    asks" only to a document just named (else it stays as written: the resolution's, not the council's that
    adopted it).
    """
    for seen_at, earlier in reversed(history):
        if index - seen_at > _COREF_WINDOW:
            break
        if found.pronoun == _DOCUMENT_REFERENCE:
            fits = earlier.is_document
        elif found.pronoun == _DOCUMENT_CONTINUATION:
            fits = not earlier.is_person
        elif found.pronoun in ("he", "she"):
            fits = earlier.is_person and not earlier.is_plural
        elif found.pronoun == "it":
            fits = not earlier.is_person and not earlier.is_plural
        else:  # they: a group, or an organisation spoken of in the plural
            fits = earlier.is_plural or not earlier.is_person
        if fits:
            return earlier
    if found.pronoun in (_DOCUMENT_REFERENCE, _DOCUMENT_CONTINUATION):
        return Attribution(found.speaker, is_document=True)
    return None


# A definite description refers back further than a pronoun: "The company said" three paragraphs on.
_DESCRIPTION_WINDOW = 8


def resolve_description(
    found: Attribution, history: list[tuple[int, Attribution]], index: int
) -> Attribution:
    """'The company' / 'the agency' resolves to the most recent named speaker with the same head noun
    ("Australia's third-largest telecommunications company"); anything else is kept as found."""
    assert found.speaker is not None
    words = found.speaker.name.lower().split()
    if len(words) != 2 or words[0] not in ("the", "this") or found.speaker.role:
        return found
    for seen_at, earlier in reversed(history):
        if index - seen_at > _DESCRIPTION_WINDOW:
            break
        if earlier.speaker is None:
            continue
        other = [w.strip(".,'’") for w in earlier.speaker.name.lower().split()]
        if len(other) > 2 and other[-1] == words[1]:
            return earlier
        # "the bank" after "The Bank of Japan", "the embassy" after "China's embassy in Kinshasa"
        if len(other) > 2 and words[1] in other and not earlier.is_person:
            return earlier
        # "the minister said" after "Health Minister Ana Ruiz": the person whose title it is
        role = (earlier.speaker.role or "").lower().replace("-", " ").split()
        if earlier.is_person and words[1] in _PERSON_NOUNS | _TITLE_WORDS and role and role[-1] == words[1]:
            return earlier
    return found


def person_mentions(tokens: Sequence[Token], outside: Callable[[Token], bool]) -> list[Attribution]:
    """People the statement names outside its quote marks, speaking or not ("Deputy Defence Minister Bambang
    Wiratmoko signed the deal"), so that a later "Wiratmoko said" gets the full name and role."""
    chunks = {c.root.i: c for t in tokens[:1] for c in t.sent.doc.noun_chunks}
    found = []
    ids = {t.i for t in tokens}
    for root_i, chunk in chunks.items():
        if root_i not in ids or not all(outside(t) for t in chunk):
            continue
        if not any(t.ent_type_ == "PERSON" for t in chunk) and _title_split(list(chunk)) is None:
            continue
        appositives = [c for c in chunk.root.children if c.dep_ == "appos"]
        role = [t for t in appositives[0].subtree if outside(t)] if appositives else None
        attribution = _make_attribution(list(chunk), role)
        if attribution is not None and attribution.speaker is not None and attribution.is_person:
            found.append(attribution)
    return found


def resolve_surname(found: Attribution, mentions: Sequence[Attribution]) -> Attribution:
    """'Wiratmoko said', 'Dr. Aranguren said': the most recent person named in full whose name ends so."""
    assert found.speaker is not None
    words = normalise_words(found.speaker.name)
    if not words or len(words) > 2 or found.speaker.role or not found.speaker.name[:1].isupper():
        return found
    for earlier in reversed(mentions):
        assert earlier.speaker is not None
        full = normalise_words(earlier.speaker.name)
        if len(full) > len(words) and full[-len(words) :] == words:
            return earlier
    return found


def normalise_words(name: str) -> list[str]:
    """Lower-case words of a name without honorifics: 'Dr. Ann Lee' -> ['ann', 'lee']."""
    words = [w.strip(".,;:'’\"") for w in name.lower().split()]
    return [w for w in words if w and w not in _HONORIFICS and w.rstrip(".") not in _HONORIFICS]
