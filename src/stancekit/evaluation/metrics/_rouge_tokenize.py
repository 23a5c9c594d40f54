"""Tokenisers for ROUGE: rouge_score's own, and one that reproduces ROUGE-1.5.5's ``-m`` stemming.

Both split text exactly as rouge_score does (lower-case, every run of characters other than ``[a-z0-9]`` is a
separator, so ``` `` ```, ``''`` and punctuation vanish; ROUGE-1.5.5.pl's ``s/[^A-Za-z0-9\\-]/ /`` plus its
rule that tokens start with ``[a-z0-9]`` comes to the same), and stem only tokens longer than 3 characters,
as both implementations do. They differ in the stemmer:

- ``"porter"``: NLTK's Porter stemmer, as ``rouge_score.rouge_scorer.RougeScorer(use_stemmer=True)`` and
  Hugging Face's ``evaluate`` "rouge" use it. The de facto standard since ~2020 (PEGASUS and most HF papers).
- ``"rouge155"``: what the official Perl script does with ``-m``: look the token up in the WordNet 2.0
  exception list (``said`` -> ``say``, ``were`` -> ``be``), else apply the script's own Perl Porter stemmer,
  which differs from NLTK's on some words (``agreement`` -> ``agreem``). This reproduces published
  ROUGE-1.5.5 numbers (XSum LEAD/PtGen to 0.01 points); ``"porter"`` reads about 0.3 R1 points lower there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

from nltk.stem import porter
from rouge_score import tokenize as rouge_tokenize

STEMMERS: tuple[str, ...] = ("porter", "rouge155")

_EXCEPTIONS_FILE = Path(__file__).with_name("wordnet-2.0-exceptions.txt")

# The regular expressions of ROUGE-1.5.5.pl's Porter stemmer (its `initialise` sub), kept verbatim so the
# port can be checked against the Perl line by line.
_C = "[^aeiou][^aeiouy]*"  # consonant sequence
_V = "[aeiouy][aeiou]*"  # vowel sequence
_MGR0 = re.compile(f"^({_C})?{_V}{_C}")  # measure > 0
_MEQ1 = re.compile(f"^({_C})?{_V}{_C}({_V})?$")  # measure == 1
_MGR1 = re.compile(f"^({_C})?{_V}{_C}{_V}{_C}")  # measure > 1
_VOWEL_IN_STEM = re.compile(f"^({_C})?[aeiouy]")
_CVC = re.compile(f"^{_C}[aeiouy][^aeiouwxy]$")

_STEP2 = {
    "ational": "ate", "tional": "tion", "enci": "ence", "anci": "ance", "izer": "ize", "bli": "ble",
    "alli": "al", "entli": "ent", "eli": "e", "ousli": "ous", "ization": "ize", "ation": "ate", "ator": "ate",
    "alism": "al", "iveness": "ive", "fulness": "ful", "ousness": "ous", "aliti": "al", "iviti": "ive",
    "biliti": "ble", "logi": "log",
}  # fmt: skip
_STEP3 = {"icate": "ic", "ative": "", "alize": "al", "iciti": "ic", "ical": "ic", "ful": "", "ness": ""}
# Alternation order matters as in Perl: the leftmost match wins, then the first listed alternative.
_STEP2_RE = re.compile(
    "(ational|tional|enci|anci|izer|bli|alli|entli|eli|ousli|ization|ation|ator|alism|iveness|fulness|"
    "ousness|aliti|iviti|biliti|logi)$"
)
_STEP3_RE = re.compile("(icate|ative|alize|iciti|ical|ful|ness)$")
# CYL's 2004 change in ROUGE-1.5.5: -ement is tried here, and -ment / -ent separately below.
_STEP4_RE = re.compile("(al|ance|ence|er|ic|able|ible|ant|ement|ou|ism|ate|iti|ous|ive|ize)$")


def perl_porter_stem(word: str) -> str:
    """Porter-stem ``word`` exactly as ROUGE-1.5.5.pl's ``stem`` sub does (a port, quirks included).

    Example:
        >>> perl_porter_stem("agreement"), perl_porter_stem("running"), perl_porter_stem("yelled")
        ('agreem', 'run', 'yell')
    """
    w = word
    if len(w) < 3:
        return w
    initial_y = w[0] == "y"
    if initial_y:  # an initial y is a consonant: upper-case it so the vowel classes skip it
        w = "Y" + w[1:]

    # Step 1a
    if (m := re.search("(ss|i)es$", w)) or (m := re.search("([^s])s$", w)):
        w = w[: m.start()] + m.group(1)
    # Step 1b
    if w.endswith("eed"):
        if _MGR0.search(w[:-3]):
            w = w[:-1]
    elif m := re.search("(ed|ing)$", w):
        stem = w[: m.start()]
        if _VOWEL_IN_STEM.search(stem):
            w = stem
            if re.search("(at|bl|iz)$", w):
                w += "e"
            elif re.search(r"([^aeiouylsz])\1$", w):
                w = w[:-1]
            elif _CVC.search(w):
                w += "e"
    # Step 1c
    if w.endswith("y") and _VOWEL_IN_STEM.search(w[:-1]):
        w = w[:-1] + "i"
    # Steps 2 and 3
    for pattern, table in ((_STEP2_RE, _STEP2), (_STEP3_RE, _STEP3)):
        if m := pattern.search(w):
            stem = w[: m.start()]
            if _MGR0.search(stem):
                w = stem + table[m.group(1)]
    # Step 4
    if (m := _STEP4_RE.search(w)) and _MGR1.search(w[: m.start()]):
        w = w[: m.start()]
    if w.endswith("ment") and _MGR1.search(w[:-4]):
        w = w[:-4]
    if w.endswith("ent"):
        if _MGR1.search(w[:-3]):
            w = w[:-3]
    elif (m := re.search("(s|t)(ion)$", w)) and _MGR1.search(w[: m.start()] + m.group(1)):
        w = w[: m.start()] + m.group(1)
    # Step 5
    if w.endswith("e"):
        stem = w[:-1]
        if _MGR1.search(stem) or (_MEQ1.search(stem) and not _CVC.search(stem)):
            w = stem
    if w.endswith("ll") and _MGR1.search(w):
        w = w[:-1]
    if initial_y:
        w = "y" + w[1:]
    return w


@functools.cache
def wordnet_exceptions() -> dict[str, str]:
    """ROUGE-1.5.5's WordNet 2.0 exception table (inflected form -> base form), read once."""
    table: dict[str, str] = {}
    for line in _EXCEPTIONS_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            inflected, base = line.split()
            table[inflected] = base
    return table


def rouge155_stem(token: str) -> str:
    """Stem one lower-cased token as ROUGE-1.5.5's ``MorphStem`` does: exception list, else Perl Porter.

    Example:
        >>> rouge155_stem("said"), rouge155_stem("agreements")
        ('say', 'agreem')
    """
    return wordnet_exceptions().get(token) or perl_porter_stem(token)


class _MemoStemmer:
    """Wraps a stem function with a cache: NLTK's Porter is the bottleneck of corpus-level ROUGE (~5x)."""

    def __init__(self, stem: Callable[[str], str]) -> None:
        self.stem = functools.lru_cache(maxsize=1 << 18)(stem)


@functools.cache
def _stemmer(name: str) -> _MemoStemmer:
    if name == "porter":
        return _MemoStemmer(porter.PorterStemmer().stem)  # rouge_score's own choice of NLTK mode
    return _MemoStemmer(rouge155_stem)


class RougeTokenizer:
    """A rouge_score tokenizer (``.tokenize(text) -> list[str]``) with a choice of stemmer.

    Args:
        stemmer: ``"porter"`` (rouge_score / HF evaluate), ``"rouge155"`` (official ROUGE-1.5.5 ``-m``), or
            ``None`` for no stemming.

    Example:
        >>> RougeTokenizer("porter").tokenize("The ministers said: ``we agreed''.")
        ['the', 'minist', 'said', 'we', 'agre']
        >>> RougeTokenizer("rouge155").tokenize("The ministers said: ``we agreed''.")
        ['the', 'minist', 'say', 'we', 'agre']
    """

    def __init__(self, stemmer: str | None = "porter") -> None:
        if stemmer is not None and stemmer not in STEMMERS:
            raise ValueError(f"unknown stemmer {stemmer!r}; expected one of {STEMMERS} or None")
        self.stemmer = stemmer
        self._stemmer = _stemmer(stemmer) if stemmer else None

    def tokenize(self, text: str) -> list[str]:
        # rouge_score's own function, so the tokens cannot drift from the reference implementation.
        return rouge_tokenize.tokenize(text, self._stemmer)
