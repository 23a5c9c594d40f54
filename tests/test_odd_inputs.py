"""Huge and odd inputs: each either works with exact offsets or is refused up front with a clear message, and a
document that is mostly not English carries a warning (the embedded models are English-only)."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stancekit.errors import InputError
from stancekit.text import MAX_DOCUMENT_CHARS, check_text, language_warning, read_document

REPO = Path(__file__).resolve().parents[1]

ODD = {
    "long line past one spaCy block": "The envoy urged calm, and the talks went on " * 1300,  # 57k chars
    "no sentence punctuation": "the envoy urged calm and the council condemned the attack " * 40,
    "only quotation marks": "\"\"\"\" “”“” '''' «» ‘’ „“",
    "unclosed quotes": '"The envoy said “we will act, he said. Nothing more.',
    "arabic (right to left)": "قال الوزير إن المحادثات ستستمر. وأدان المجلس الهجوم.",
    "hebrew (right to left)": "השר אמר כי השיחות יימשכו. המועצה גינתה את הפיגוע.",
    "chinese": "外交部长周二会面。他们承诺支持和谈。理事会谴责了这次袭击。",
    "mixed scripts": "The minister said 我们将继续谈判 and قال الوزير in Geneva. Talks resumed.",
    "emoji and flags": "The envoy urged calm 🙏🕊️. The council condemned it 😡👨‍👩‍👧! Talks resumed 🇨🇭.",
    "control characters": "The envoy urged calm.\x07\x1b[31m The council\x0b condemned\x0c it.\x00 Talks\u200b on.\u202e",
    "CRLF line ends": "The envoy urged calm.\r\nThe council condemned the attack.\r\n\r\nTalks resumed.\r\n",
    "byte order mark kept in a str": "\ufeffThe envoy urged calm. The council condemned the attack.",
    "combining marks": "Cafe\u0301 owners said the re\u0301sume\u0301 was fine. Zalgo t̷̢e̸x̵t̶ appeared.",
}


@pytest.fixture(scope="module")
def segmenter():
    from stancekit.statements.segment import Segmenter

    return Segmenter()


@pytest.mark.parametrize("name", list(ODD))
def test_odd_text_segments_with_exact_offsets_and_nothing_lost(segmenter, name):
    text = ODD[name]
    statements = segmenter.segment(text)
    assert statements
    for s in statements:
        assert text[s.start : s.end] == s.text
    assert [s.start for s in statements] == sorted(s.start for s in statements)
    assert all(a.end <= b.start for a, b in itertools.pairwise(statements))
    assert re.sub(r"\s", "", "".join(s.text for s in statements)) == re.sub(r"\s", "", text)


def test_a_file_with_bom_and_crlf_reads_with_offsets_into_the_decoded_text(segmenter, tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfThe envoy urged calm.\r\nThe council condemned the attack.\r\n")
    text = read_document(path)
    assert not text.startswith("\ufeff") and "\r\n" in text  # the BOM is dropped, line ends are kept
    statements = segmenter.segment(text)
    assert [text[s.start : s.end] for s in statements] == [s.text for s in statements]
    assert statements[0].start == 0 and statements[0].text == "The envoy urged calm."


def test_a_lone_surrogate_is_refused_with_its_position():
    with pytest.raises(InputError, match=r"lone surrogate '\\ud800' at character 21"):
        check_text("The envoy urged calm \ud800 today.")


def test_a_5_mb_document_is_refused_up_front_by_the_cli_naming_the_limit(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("The envoy urged calm. " * (5 * 1024 * 1024 // 22))
    for command in (["analyse", str(big), "--no-summary"], ["summarise", str(big)]):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "stancekit.cli", *command],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO / "src")},
            timeout=120,
        )
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert f"over the limit of {MAX_DOCUMENT_CHARS:,}" in done.stderr and "split it" in done.stderr
        assert time.perf_counter() - started < 60  # refused before spaCy or a model loads


def test_the_python_api_refuses_a_huge_document_before_loading_a_model():
    from stancekit import analyse, summarise

    huge = "a" * (MAX_DOCUMENT_CHARS + 1)
    with pytest.raises(InputError, match="over the limit"):
        summarise(huge, model="/no/such/model")  # the model would fail: the input is checked first
    with pytest.raises(InputError, match="over the limit"):
        analyse(huge, classifier="/no/such/classifier.yaml")


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        (ODD["arabic (right to left)"], True),
        (ODD["chinese"], True),
        (
            "Le ministre des affaires étrangères a déclaré mardi que les négociations reprendraient la "
            "semaine prochaine à Genève avec toutes les parties concernées.",
            True,
        ),
        (
            "The foreign ministers met on Tuesday and pledged support for the talks, which the envoy said "
            "would resume in Geneva next week with all the parties to the conflict.",
            False,
        ),
        (ODD["mixed scripts"], False),  # mostly English with a few foreign words
        ("Short.", False),  # too short to judge
    ],
)
def test_language_warning(text, flagged):
    assert (language_warning(text) is not None) is flagged


def test_analyse_puts_the_warning_in_its_output_and_metadata():
    from stancekit import analyse

    analysis = analyse(ODD["arabic (right to left)"] * 3, summary=False, classifier="lexicon")
    assert analysis.warnings and "English-only" in analysis.warnings[0]
    assert "English-only" in analysis.to_json() and "**Warning:**" in analysis.to_markdown()
    english = analyse(
        "The council condemned the attack and called for calm. " * 3, summary=False, classifier="lexicon"
    )
    assert english.warnings == []


def test_the_summary_metadata_carries_the_warning(tiny_seq2seq):
    from stancekit.summarise.config import SummariserConfig
    from stancekit.summarise.summariser import Summariser

    config = SummariserConfig(name="tiny", model=str(tiny_seq2seq), generation={"max_new_tokens": 4})
    summariser = Summariser(config, progress=False)
    french, english = summariser.summarise_many(
        [
            "Le ministre a déclaré mardi que les négociations reprendraient la semaine prochaine à Genève avec "
            "toutes les parties concernées par le conflit.",
            "The ministers met on Tuesday and pledged support for the talks in Geneva.",
        ]
    )
    assert "English-only" in french.warnings[0] and english.warnings == []
    assert "English-only" in french.model_dump_json()


def test_cli_analyse_prints_the_warning(tmp_path):
    path = tmp_path / "ar.txt"
    path.write_text(ODD["arabic (right to left)"], encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "stancekit.cli",
            "analyse",
            str(path),
            "--no-summary",
            "--classifier",
            "lexicon",
            "-f",
            "json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "warning:" in done.stderr and '"warnings": [' in done.stdout
