"""Map-reduce chunking: sentences packed into chunks under the token budget, over-long ones cut."""

from __future__ import annotations

from stancekit.summarise.chunking import pack_spans


def _words(text: str):
    return lambda s, e: len(text[s:e].split())


def test_sentences_are_packed_greedily_under_the_budget():
    text = "one two. three four. five six seven. eight."
    units = [(0, 8), (9, 20), (21, 36), (37, 43)]
    # 2+1, then 2+1 fits in 6, then 3+1 would make 10 > 6
    assert pack_spans(units, _words(text), 6, cut=lambda s, e: [(s, e)]) == [(0, 20), (21, 43)]


def test_a_unit_over_the_budget_is_cut_and_stands_alone():
    text = "a. b c d e f g h. i."
    units = [(0, 2), (3, 17), (18, 20)]
    cuts: list[tuple[int, int]] = []

    def cut(s: int, e: int) -> list[tuple[int, int]]:
        cuts.append((s, e))
        return [(s, s + 7), (s + 8, e)]

    chunks = pack_spans(units, _words(text), 4, cut=cut)
    assert cuts == [(3, 17)]
    assert chunks == [(0, 2), (3, 10), (11, 17), (18, 20)]


def test_every_chunk_stays_under_the_budget():
    text = " ".join(f"w{i}." for i in range(50))
    units, pos = [], 0
    for word in text.split(" "):
        units.append((pos, pos + len(word)))
        pos += len(word) + 1
    chunks = pack_spans(units, _words(text), 7, cut=lambda s, e: [(s, e)])
    # each word costs 1 token + 1 for the joint: three words (6) fit in 7, a fourth would not
    assert [len(text[s:e].split()) for s, e in chunks] == [3] * 16 + [2]
    # chunks are consecutive and lose nothing
    assert " ".join(text[s:e] for s, e in chunks) == text
