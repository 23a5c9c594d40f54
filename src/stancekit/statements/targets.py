"""Targets: the span naming whom or what a statement is about, from rules over the dependency parse.

Who is condemned, supported, threatened, warned or mourned; what is committed or called for. A trigger word
(a speech-act verb, noun or adjective: "condemned", "called on", "condolences", "pledged", "support for",
"committed to") is found in the statement and its argument is taken by its dependency relation:

- the direct object: "condemned **the attack**", "urged **both sides** to ...", "backed **the plan**";
- the object of a preposition that names the addressee or theme: "called on **X** to", "called for **X**",
  "condolences to **X**", "support for **X**", "appealed to **X**", "concern over **X**", "grateful to **X**";
- the subject of a demanded clause: "demanded that **Myanmar** take", "will not allow **X** to";
- for a verb followed by an infinitive ("pledged to send **two ships**", "agreed to set up **a patrol**"),
  the object of the infinitive, else the infinitive's phrase.

With the statement's labels (``find_target(tokens, labels)``; ``analyse`` passes the predicted ones) only the
triggers of its acts count, the earliest first; without one, the reported clause gives the argument the act
names (guidelines §12.2): the subject for condemnation and threat assessment ("said **Pakistani forces**
opened fire"), the subject of a must-clause for a call ("**platforms** must act"), what the future verb acts
on for a commitment ("would fund **additional training**"). Without labels the first trigger in parse order
wins (the main clause's before an embedded one), then what the clause is about.

The argument's subtree, without relative clauses, appositions and the punctuation at either end, is the
target; "accused **X** of ..." stops before the charge, a pronoun its clause describes keeps it ("**those who
shed innocent blood**"), and a quote mark stays when the span both opens and closes it. No argument: ``None``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Token

# Surface-form stems (the lemmatizer is off): a token triggers when its lower-cased form starts with one.
_VERB_STEMS = (
    "condemn", "denounc", "critici", "deplor", "decr", "blam", "accus", "slam", "censur", "rebuk",
    "urg", "demand", "appeal", "ask", "press", "implor", "call", "request", "invit",
    "pledg", "promis", "vow", "commit", "agre", "undert", "plan", "intend", "offer", "provid", "send",
    "support", "back", "welcom", "prais", "thank", "endors", "applaud", "hail", "congratulat", "salut",
    "warn", "threaten", "mourn", "sympathi", "console", "grie", "assess", "fear", "caution",
    "reject", "deni", "deny", "oppos", "expect", "allow", "toler", "accept", "permit",
)  # fmt: skip
# Verbs of warning and assessing: the danger is the subject of what is said ("warned that **the dam** could fail").
_ASSESS_STEMS = ("warn", "assess", "fear", "caution")
_NOUN_STEMS = (
    "condolence", "sympathy", "sympathies", "support", "solidarity", "gratitude", "thanks", "praise",
    "condemnation", "criticism", "concern", "call", "appeal", "demand", "threat", "warning", "commitment",
    "pledge", "backing", "tribute", "protest",
)  # fmt: skip
# "remained committed to X", "grateful to X", "concerned by X", "ready to send X".
_ADJECTIVE_STEMS = ("committed", "grateful", "concerned", "ready", "determined", "prepared", "willing")
# Prepositions that introduce the target after a trigger: "called on X", "support for X", "condolences to X".
_TARGET_PREPOSITIONS = frozenset(
    {"on", "upon", "for", "to", "with", "over", "about", "against", "of", "from", "between"}
)
# Objects that name the hearers of a speech verb, not its target ("told reporters").
_NOT_TARGETS = frozenset(
    {
        "reporters",
        "journalists",
        "it",
        "this",
        "that",
        "them",
        "us",
        "him",
        "her",
        "me",
        "what",
        "which",
        "who",
    }
)
_VERB_TAGS = frozenset({"VB", "VBD", "VBZ", "VBP", "VBN", "VBG"})
_OBJECTS = ("dobj", "obj", "attr")
_CUT_RELATIONS = frozenset({"relcl", "acl:relcl", "appos", "acl", "advcl"})
_DESCRIBED_PRONOUNS = frozenset(
    {"those", "anyone", "anybody", "everyone", "whoever", "all", "someone", "any"}
)
# "accused **X** of Y", "reminded **X** of Y": the charge is not part of who is charged.
_CHARGE_PREPOSITIONS = {"accus": ("of",), "remind": ("of",), "blam": ("for",), "thank": ("for",)}
_CALL_STEMS = ("call", "appeal")
# "demanded that **Myanmar** take steps", "will not allow **the peace of the border** to be held hostage"
_DEMAND_STEMS = ("demand", "urg", "ask", "request", "expect", "insist", "order", "allow", "toler", "permit")
# Time and quantity are when or how much, not whom or what: "agreed on Thursday to ...".
_NOT_TARGET_ENTITIES = frozenset({"DATE", "TIME", "CARDINAL", "PERCENT", "ORDINAL"})


def _stem_match(word: str, stems: Sequence[str]) -> bool:
    return word.startswith(tuple(stems))


def _is_trigger(token: Token) -> bool:
    word = token.lower_
    if token.tag_ in _VERB_TAGS:
        return _stem_match(word, _VERB_STEMS)
    if token.pos_ == "NOUN":
        return word.startswith(_NOUN_STEMS)
    if token.pos_ == "ADJ":
        return word.startswith(_ADJECTIVE_STEMS)
    return False


def _phrase(token: Token, inside: set[int]) -> list[Token]:
    """The argument's subtree inside the statement, cut before the clauses of :data:`_CUT_RELATIONS`."""
    cut = {
        t.i
        for d in token.subtree
        if (d.dep_ in _CUT_RELATIONS and d.i > token.i and not (d.head.i == token.i and _described(token)))
        or (
            d.head.i == token.i
            and d.dep_ == "prep"
            and d.lower_ in _CHARGE_PREPOSITIONS.get(_verb_stem(token), ())
        )
        for t in d.subtree
    }
    tokens = [t for t in token.subtree if t.i in inside and t.i not in cut]
    # keep one contiguous run around the head: a cut clause, or a comma that does not go on listing, ends it
    run = [t for t in tokens if t.i <= token.i]
    for t in tokens:
        if t.i > token.i:
            if t.i != run[-1].i + 1:
                break
            listing = any(c.dep_ == "conj" and c.head.i < t.i < c.i for c in tokens)
            if t.text in (",", ";", ":", "(", "—", "–") and not listing:
                break
            run.append(t)
    while run and ((run[0].is_punct and not run[0].is_quote) or run[0].lower_ in ("and", "or")):
        run = run[1:]
    while run and ((run[-1].is_punct and not run[-1].is_quote) or run[-1].is_space):
        run = run[:-1]
    # a quote mark at either end stays only when it closes or opens one inside: 'regular "law patrols"'
    while run and (run[0].is_quote or run[-1].is_quote) and sum(t.is_quote for t in run) % 2:
        run = run[1:] if run[0].is_quote else run[:-1]
    while run and run[0].is_quote and run[-1].is_quote and sum(t.is_quote for t in run) == 2:
        run = run[1:-1]  # a quotation quoted whole: the words, without their marks
    after = run[-1].i + 1 if run else -1
    if run and sum(t.is_quote for t in run) % 2 and after in inside and run[-1].doc[after].is_quote:
        run.append(run[-1].doc[after])  # the closing mark of a quote the span opens
    return run


def _verb_stem(token: Token) -> str:
    head = token.head
    return next((stem for stem in _CHARGE_PREPOSITIONS if head.lower_.startswith(stem)), "")


def _usable(token: Token) -> bool:
    if token.ent_type_ in _NOT_TARGET_ENTITIES:
        return False
    if _described(token):
        return True
    return (token.lower_ not in _NOT_TARGETS and token.pos_ != "PRON") or token.lower_ == "everyone"


def _described(token: Token) -> bool:
    """'**Those who shed innocent blood**', '**anyone threatening the border**': a pronoun that its clause
    describes is a target, with the clause."""
    return token.lower_ in _DESCRIBED_PRONOUNS and any(c.dep_ in ("relcl", "acl") for c in token.children)


def _prepositional_object(head: Token, after: int = -1) -> Token | None:
    for child in head.children:
        if (
            child.dep_ in ("prep", "prt", "dative")
            and child.lower_ in _TARGET_PREPOSITIONS
            and child.i > after
        ):
            objects = [g for g in child.children if g.dep_ == "pobj" and _usable(g)]
            if objects:
                return objects[0]
            for gerund in (g for g in child.children if g.dep_ == "pcomp"):  # "committed to reinstalling X"
                inner = next((g for g in gerund.children if g.dep_ in _OBJECTS and _usable(g)), None)
                if inner is not None:
                    return inner
    return None


def _infinitive_object(trigger: Token) -> Token | None:
    """'pledged to send two ships': the infinitive's object, else the object of its preposition."""
    for child in trigger.children:
        if child.dep_ in ("xcomp", "ccomp") and child.tag_ in _VERB_TAGS and child.i > trigger.i:
            inner = next((g for g in child.children if g.dep_ in _OBJECTS and _usable(g)), None)
            if inner is not None:
                return inner
            found = _prepositional_object(child)
            if found is not None:
                return found
    return None


def _argument(trigger: Token) -> Token | None:
    """The token heading the trigger's target, by dependency relation (see the module docstring)."""
    if trigger.lower_.startswith(_CALL_STEMS):  # "called on X to ...", "appealed to X": the addressee first
        found = _prepositional_object(trigger)
        if found is not None:
            return found
    if trigger.pos_ == "ADJ":  # "committed to X", "grateful to X", "ready to send X"
        return _prepositional_object(trigger) or _infinitive_object(trigger)
    if trigger.lower_.startswith("commit") and any(
        c.dep_ in _OBJECTS and (_is_named_actor(c) or c.pos_ == "PRON") for c in trigger.children
    ):
        found = _infinitive_object(trigger) or _prepositional_object(trigger)  # "commits **Australia** to X"
        if found is not None:
            return found
    for child in trigger.children:
        if child.dep_ in _OBJECTS and _usable(child):
            if child.pos_ == "NOUN" and child.lower_.startswith(_NOUN_STEMS):
                # "offered condolences to X", "expressed support for X": the speech act's own argument
                inner = _prepositional_object(child) or _prepositional_object(trigger, after=child.i)
                if inner is not None:
                    return inner
            return child
    if trigger.lower_.startswith(_DEMAND_STEMS):  # "demanded that **Myanmar** take steps"
        for child in trigger.children:
            if child.dep_ == "ccomp":
                subject = _child(child, ("nsubj", "nsubjpass"), {t.i for t in child.subtree})
                if subject is not None:
                    return subject
    if trigger.lower_.startswith(_ASSESS_STEMS):
        for child in trigger.children:
            if child.dep_ == "ccomp":
                subject = next(
                    (g for g in child.children if g.dep_ in ("nsubj", "nsubjpass") and _usable(g)), None
                )
                if subject is not None:
                    return subject
    found = _infinitive_object(trigger) or _prepositional_object(trigger)
    if found is not None:
        return found
    if trigger.pos_ == "NOUN" and trigger.dep_ in _OBJECTS:
        # "offered condolences to X", "expressed its support for X": the preposition may hang off the verb
        return _prepositional_object(trigger.head, after=trigger.i)
    return None


def _depth(token: Token) -> int:
    depth = 0
    while token.head.i != token.i and depth < 100:
        token, depth = token.head, depth + 1
    return depth


_SAYING = frozenset(
    {
        "said",
        "says",
        "say",
        "told",
        "tells",
        "added",
        "adds",
        "stated",
        "noted",
        "wrote",
        "explained",
        "insisted",
    }
)


def _content_argument(tokens: Sequence[Token], inside: set[int], clause: Token | None = None) -> Token | None:
    """No trigger: what the (reported) clause is about. Below a verb of saying, its clause; then the
    copula's complement after a pronoun ("This was **a deliberate act**"), else the subject, else the object."""
    if clause is None:
        clause = _reported_clause(tokens, inside)
        root = next((t for t in tokens if t.dep_ == "ROOT"), None)
        if clause is not None and root is not None and clause is not root and root.lower_ not in _SAYING:
            # "our allies showed that they are listening": the complement names only a pronoun
            return _content_argument(tokens, inside, clause) or _content_argument(tokens, inside, root)
    if clause is None:
        return None
    subject = next((c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    complement = next(
        (c for c in clause.children if c.dep_ in ("attr", "dobj") and not c.lower_.startswith(_EXPRESSED)),
        None,
    )
    usable_subject = subject is not None and _usable(subject) and subject.i in inside
    usable_complement = complement is not None and _usable(complement) and complement.i in inside
    if usable_subject and not (
        _is_named_actor(subject) and (usable_complement or _infinitive_object(clause))
    ):
        return subject  # what the clause is about, unless it is the actor doing something to an object
    if usable_complement:
        return complement
    return _infinitive_object(clause) or (
        _prepositional_object(clause) if clause.tag_ in _VERB_TAGS else None
    )


def _is_named_actor(token: Token) -> bool:
    """'Denmark aims to ...', 'Scientists are watching ...': the subject is who acts, not what it is about."""
    return token.ent_type_ in ("PERSON", "ORG", "GPE", "NORP") or (
        token.tag_ in ("NNS", "NNPS") and any(c.dep_ in ("amod", "compound") for c in token.children)
    )


# Which trigger stems name which act: with the labels known, "calling on both sides" is no commitment's target.
_FAMILIES: dict[str, tuple[str, ...]] = {
    "condemnation": (
        "condemn", "denounc", "critici", "deplor", "decr", "blam", "accus", "slam", "censur", "rebuk",
        "condemnation", "criticism", "concern", "protest", "call", "reject", "deni", "deny", "oppos",
    ),
    "call_to_action": (
        "urg", "demand", "appeal", "ask", "press", "implor", "call", "request", "invit", "order", "instruct",
        "warn", "expect",
    ),
    "commitment": (
        "pledg", "promis", "vow", "commit", "agre", "undert", "offer", "provid", "send", "ready", "determined",
        "prepared", "willing",
    ),
    "support": (
        "support", "back", "welcom", "prais", "thank", "endors", "applaud", "hail", "congratulat", "salut",
        "solidarity", "gratitude", "praise", "tribute", "call", "grateful",
    ),
    "threat": ("threaten", "warn", "allow", "toler", "accept", "permit"),
    "threat_assessment": ("warn", "assess", "fear", "caution"),
    "condolence": ("mourn", "sympathi", "console", "grie", "condolence", "tribute"),
}  # fmt: skip
_TO = frozenset({"to"})
_FUTURE = frozenset({"will", "would", "shall", "'ll", "’ll"})
_MODALS = frozenset({"must", "should", "need", "needs", "have", "has", "had", "ought"})
_ACTOR_ACTS = frozenset({"condemnation", "threat_assessment"})
_DEALS = ("agreement", "contract", "deal", "pact", "accord", "memorandum", "treaty")
_OBSERVING = (
    "record",
    "investigat",
    "see",
    "saw",
    "seen",
    "found",
    "find",
    "detect",
    "observ",
    "document",
    "report",
    "monitor",
    "track",
    "identif",
)
# Nouns that only express the act ("expressed condolences"): its target is elsewhere, never the noun.
_EXPRESSED = ("condolence", "sympath", "solidarity", "gratitude", "thanks", "concern", "support")


def _reported_clause(tokens: Sequence[Token], inside: set[int]) -> Token | None:
    """The clause the statement reports: below a verb of saying its complement, else the root."""
    roots = [t for t in tokens if t.dep_ == "ROOT"]
    if not roots:
        return None
    clause = roots[0]
    if clause.lower_ in _SAYING:
        inner = next((c for c in clause.children if c.dep_ == "ccomp" and c.i in inside), None)
        if inner is None:  # a quotation before its attribution: '"...," he said' parses the quote as ccomp
            inner = next((c for c in clause.children if c.dep_ in ("ccomp", "parataxis")), None)
        return inner
    if not any(c.dep_ in _OBJECTS for c in clause.children):  # "cautioned that X ...": what is cautioned
        inner = next(
            (c for c in clause.children if c.dep_ == "ccomp" and c.i in inside and c.i > clause.i), None
        )
        if inner is not None:
            return inner
    return clause


def _child(head: Token, relations: Sequence[str], inside: set[int]) -> Token | None:
    return next((c for c in head.children if c.dep_ in relations and c.i in inside and _usable(c)), None)


def _clause_argument(tokens: Sequence[Token], inside: set[int], act: str) -> Token | None:
    """No trigger of the act: the argument of the reported clause that the act is about.

    Condemnation and threat assessment name an actor or a danger, the clause's subject ("said **Pakistani
    forces** opened fire"), and a call the one who must act ("**platforms** must act"); other acts, and
    these when the subject is only the speaker acting on an object, take what the clause is about
    (:func:`_content_argument`)."""
    if act == "commitment":  # "signed a contract to buy **two submarines**": what the deal commits to
        for deal in (t for t in tokens if t.dep_ in _OBJECTS and t.lower_.startswith(_DEALS)):
            verb = _child_verb(deal, "acl") or _child_verb(deal, "relcl")
            if verb is None:  # "signed a contract on Wednesday to buy X": the infinitive hangs off the verb
                verb = next(
                    (
                        c
                        for c in deal.head.children
                        if c.dep_ in ("advcl", "xcomp") and c.i > deal.i and _has_aux(c, _TO)
                    ),
                    None,
                )
            found = _child(verb, _OBJECTS, inside) if verb is not None else None
            if found is not None:
                return found
    if act in ("commitment", "threat"):  # "his country would fund **additional training**": the future verb
        future = next((t for t in tokens if t.tag_ in _VERB_TAGS and _has_aux(t, _FUTURE)), None)
        if future is not None:
            verb = future
            while (
                _child(verb, _OBJECTS, inside) is None and (inner := _child_verb(verb, "xcomp")) is not None
            ):
                # "will continue to fund X"
                verb = inner
            found = _child(verb, _OBJECTS, inside) or _child(verb, ("nsubjpass",), inside)
            if found is not None and act == "commitment":
                return found
            return _content_argument(tokens, inside, future)
    clause = _reported_clause(tokens, inside)
    if clause is None:
        return None
    subject = _child(clause, ("nsubj", "nsubjpass"), inside)
    obj = _child(clause, _OBJECTS, inside)
    if subject is None:
        return _content_argument(tokens, inside)
    speaker_acting = clause.dep_ == "ROOT" and _is_named_actor(subject) and obj is not None
    if obj is not None and act == "threat_assessment" and clause.lower_.startswith(_OBSERVING):
        return obj  # "the alliance had recorded **more than 40 incidents**": the subject only observes
    if act in _ACTOR_ACTS and not speaker_acting:
        return subject
    if act == "call_to_action" and _has_aux(clause, _MODALS):
        return subject
    return _content_argument(tokens, inside)


def _child_verb(head: Token, relation: str) -> Token | None:
    return next((c for c in head.children if c.dep_ == relation and c.tag_ in _VERB_TAGS), None)


def _is_speaker(token: Token) -> bool:
    """The subject of a verb of saying is who speaks, never what the statement is about."""
    return token.dep_ == "nsubj" and token.head.lower_ in _SAYING


def _has_aux(verb: Token, words: frozenset[str]) -> bool:
    return any(c.dep_ == "aux" and c.lower_ in words for c in verb.children)


def without_dateline(tokens: Sequence[Token]) -> Sequence[Token]:
    """The statement's tokens after a dateline ("ISLAMABAD —"), which names no target."""
    if tokens and tokens[0].text.isupper() and len(tokens[0].text) > 2:
        dash = next((k for k, t in enumerate(tokens[:10]) if t.text in ("—", "–", "--")), None)
        if dash is not None:
            return tokens[dash + 1 :]
    return tokens


def find_target(tokens: Sequence[Token], labels: Sequence[str] | None = None) -> tuple[int, int] | None:
    """Character offsets (into the tokens' doc) of the statement's target, or None when no rule applies.

    With ``labels`` (the statement's speech acts), only the triggers of those acts count, and the clause
    rules take the argument the act names (see :data:`_CLAUSE_RULES`); the act whose trigger or verb comes
    first in the statement wins, as the guidelines take the first labelled act's target."""
    tokens = without_dateline(tokens)
    if not tokens:
        return None
    inside = {t.i for t in tokens}
    acts = [label for label in labels or () if label in _FAMILIES]
    triggers = sorted((t for t in tokens if _is_trigger(t)), key=lambda t: (_depth(t), t.i))
    if acts:
        # a trigger of one of the acts first, the earliest in the statement; else the clause, act by act
        # any word of the acts' families, also those the label-free rules leave out ("ordered staff to leave")
        stems = tuple(stem for act in acts for stem in _FAMILIES[act])
        own = [t for t in tokens if t.lower_.startswith(stems) and (_is_trigger(t) or t.tag_ in _VERB_TAGS)]
        heads = itertools.chain(
            (_argument(t) for t in own), (_clause_argument(tokens, inside, a) for a in acts)
        )
        for head in heads:
            if head is not None and head.i in inside and not _is_speaker(head):
                run = _phrase(head, inside)
                if run:
                    return run[0].idx, run[-1].idx + len(run[-1].text)
    heads = [_argument(trigger) for trigger in triggers]
    heads.append(_content_argument(tokens, inside))
    for head in heads:
        if head is None or head.i not in inside or _is_speaker(head):
            continue
        run = _phrase(head, inside)
        if run:
            return run[0].idx, run[-1].idx + len(run[-1].text)
    return None
