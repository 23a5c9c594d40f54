"""Training pairs for the factual-consistency scorer, built only from the team's own articles.

Each pair is (evidence sentences, claim, label): the evidence is chosen as the scorer chooses it at inference
(:func:`stancekit.summarise.consistency.select_evidence`), so training sees what scoring sees.

- supported (1): each reference-summary sentence; source sentences, as written or lightly paraphrased
  (attribution dropped, cut at a clause boundary);
- unsupported (0), FactCC / DocNLI style, each made from a supported claim: an entity, speaker, number or date
  swapped for another of the article's (or another article's); negation added or removed; modality changed
  ("will" -> "has"); an unsupported addition from another article; a sentence of another article; a source
  sentence judged against the article with that sentence removed (extrinsic information).

Surface style is varied independently of the label (lower-casing, tokenised punctuation as in CNN/DM system
outputs), so the model cannot read the label off the style.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from stancekit.summarise.consistency import select_evidence, source_sentences
from stancekit.summarise.data import SummaryPair
from stancekit.text import words


class ConsistencyPair(BaseModel):
    evidence: list[str]
    hypothesis: str
    label: int
    kind: str
    article_id: str


_ENTITY = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+(?:\s+(?:of\s+|the\s+|al-)?[A-Z][\w'’-]+)*")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_NUMBER_WORDS = [
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "twelve",
    "twenty",
    "hundred",
    "thousand",
    "million",
]
_DATES = (
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
)
_NEGATIONS = [
    (r"\bwill not\b", "will"),
    (r"\bdid not\b", "did"),
    (r"\bwould not\b", "would"),
    (r"\bwill\b", "will not"),
    (r"\bwould\b", "would not"),
    (r"\b(is|are|was|were|has|have|had)\b", r"\1 not"),
    (r"\bagreed\b", "refused"),
    (r"\bapproved\b", "rejected"),
    (r"\bsaid\b", "denied"),
    (r"\bcan\b", "cannot"),
]
_MODALITY = [
    (r"\bwill\b", "has"),
    (r"\bwould\b", "has"),
    (r"\b(could|may|might)\b", "will"),
    (r"\b(plans|intends|hopes|wants|threatened|offered|proposed) to\b", "has agreed to"),
    (r"\bis expected to\b", "has"),
    (r"\bhas\b", "will"),
    (r"\b(called for|urged)\b", "ordered"),
]


def _entities(text: str) -> list[str]:
    return [m.group(0) for m in _ENTITY.finditer(text) if m.group(0).lower() not in {"i", "the"}]


def _swap_entity(claim: str, own: list[str], other: list[str], rng: random.Random) -> str | None:
    present = _entities(claim)
    if not present:
        return None
    target = rng.choice(present)
    pool = [e for e in own if e not in claim and e != target] or [e for e in other if e not in claim]
    if not pool:
        return None
    return claim.replace(target, rng.choice(pool), 1)


def _swap_number(claim: str, rng: random.Random) -> str | None:
    numbers = list(_NUMBER.finditer(claim))
    if numbers:
        m = rng.choice(numbers)
        digits = m.group(0).replace(",", "")
        try:
            value = float(digits)
        except ValueError:
            return None
        new = value + rng.choice([1, 2, 3, 5, 10]) if value < 20 else value * rng.choice([0.5, 2, 1.5, 3])
        text = str(int(new)) if new == int(new) else f"{new:.1f}"
        return claim[: m.start()] + text + claim[m.end() :]
    for word in _NUMBER_WORDS:
        if re.search(rf"\b{word}\b", claim):
            return re.sub(rf"\b{word}\b", rng.choice([w for w in _NUMBER_WORDS if w != word]), claim, count=1)
    return None


def _swap_date(claim: str, rng: random.Random) -> str | None:
    for names in _DATES:
        for name in names:
            if re.search(rf"\b{name}\b", claim):
                return re.sub(rf"\b{name}\b", rng.choice([n for n in names if n != name]), claim, count=1)
    return None


def _rewrite(rules: list[tuple[str, str]]) -> Callable[[str, random.Random], str | None]:
    def apply(claim: str, rng: random.Random) -> str | None:
        for pattern, repl in rules:
            if re.search(pattern, claim):
                return re.sub(pattern, repl, claim, count=1)
        return None

    return apply


_negate, _change_modality = _rewrite(_NEGATIONS), _rewrite(_MODALITY)


def _add_unsupported(claim: str, foreign: str, rng: random.Random) -> str | None:
    """Append a clause of another article's sentence: fluent, on-topic-looking, and unsupported."""
    parts = [p.strip() for p in re.split(r",|\band\b|\bafter\b|\bwhile\b", foreign) if len(p.split()) >= 4]
    if not parts:
        return None
    clause = rng.choice(parts).rstrip('.!?"”')
    joiner = rng.choice([", ", " after ", " and ", ", while "])
    return claim.rstrip(".!?") + joiner + clause[0].lower() + clause[1:] + "."


def _paraphrase(claim: str, rng: random.Random) -> str:
    """A supported rewording: attribution dropped or the sentence cut at a clause boundary."""
    dropped = re.sub(r",\s*(?:[A-Z][\w.'’-]*\s*){1,5}(?:said|told \w+|added)[^,]*\.?$", ".", claim)
    if dropped != claim and len(words(dropped)) >= 6:
        return dropped
    parts = claim.split(", ")
    if len(parts) > 1 and len(words(parts[0])) >= 6 and rng.random() < 0.5:
        return parts[0].rstrip(".") + "."
    return claim


def _restyle(text: str, rng: random.Random, rate: float) -> str:
    """Label-independent surface noise: lower-cased, and sometimes CNN/DM-style tokenised punctuation."""
    if rng.random() >= rate:
        return text
    text = text.lower()
    if rng.random() < 0.5:
        text = re.sub(r"([,.!?;:\"])", r" \1 ", text)
        text = re.sub(r"'s\b", " 's", text)
        text = re.sub(r"\s+", " ", text).strip()
    return text


def build_pairs(
    articles: Sequence[SummaryPair],
    *,
    top_k: int,
    source_sentences_per_article: int = 4,
    restyle_rate: float = 0.35,
    seed: int = 13,
) -> list[ConsistencyPair]:
    """Supported and unsupported pairs from ``articles`` (see the module docstring), shuffled."""
    rng = random.Random(seed)
    pairs: list[ConsistencyPair] = []
    texts = [a.article for a in articles]
    entities = [_entities(t) for t in texts]
    for index in range(len(articles)):
        others = [i for i in range(len(articles)) if i != index]
        foreign = rng.choice(others) if others else index
        pairs += _article_pairs(
            articles[index],
            texts[foreign],
            entities[index],
            entities[foreign],
            rng,
            top_k=top_k,
            n_source=source_sentences_per_article,
            restyle_rate=restyle_rate,
        )
    rng.shuffle(pairs)
    return pairs


def _article_pairs(
    article: SummaryPair,
    foreign: str,
    own_entities: list[str],
    foreign_entities: list[str],
    rng: random.Random,
    *,
    top_k: int,
    n_source: int,
    restyle_rate: float,
) -> list[ConsistencyPair]:
    """One article's pairs; ``foreign`` is another article, the source of unsupported material."""
    source = article.article
    spans = source_sentences(source)
    foreign_spans = source_sentences(foreign)
    pairs: list[ConsistencyPair] = []

    def add(claim: str, label: int, kind: str, evidence_spans: list[tuple[int, int]] | None = None) -> None:
        chosen = select_evidence(claim, source, evidence_spans or spans, top_k)
        pairs.append(
            ConsistencyPair(
                evidence=[source[s:e] for s, e in chosen],
                hypothesis=_restyle(claim, rng, restyle_rate),
                label=label,
                kind=kind,
                article_id=article.id,
            )
        )

    claims = [("reference", article.summary[s:e]) for s, e in source_sentences(article.summary)]
    picked = rng.sample(range(len(spans)), min(n_source, len(spans)))
    claims += [("source", _paraphrase(source[spans[i][0] : spans[i][1]], rng)) for i in picked]
    perturbations: list[tuple[str, Callable[[str], str | None]]] = [
        ("entity_swap", lambda c: _swap_entity(c, own_entities, foreign_entities, rng)),
        ("number_swap", lambda c: _swap_number(c, rng)),
        ("date_swap", lambda c: _swap_date(c, rng)),
        ("negation", lambda c: _negate(c, rng)),
        ("modality", lambda c: _change_modality(c, rng)),
        ("addition", lambda c: _add_unsupported(c, foreign[slice(*rng.choice(foreign_spans))], rng)),
    ]
    for origin, claim in claims:
        add(claim, 1, origin)
        # one or two corruptions per claim, of kinds that apply to it
        options = perturbations[:]
        rng.shuffle(options)
        made = 0
        for kind, corrupt in options:
            corrupted = corrupt(claim)
            if corrupted and corrupted != claim:
                add(corrupted, 0, kind)
                made += 1
                if made == (2 if origin == "reference" else 1):
                    break
    # a sentence of another article, judged against this one
    s, e = rng.choice(foreign_spans)
    add(foreign[s:e], 0, "other_article")
    # extrinsic information: a source sentence against the article without it
    if len(spans) > 2:
        i = rng.randrange(1, len(spans))
        add(source[spans[i][0] : spans[i][1]], 0, "removed_sentence", spans[:i] + spans[i + 1 :])
    return pairs
