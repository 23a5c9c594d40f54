"""The copy guard: a logits processor that stops the generator copying long runs of the source verbatim."""

from __future__ import annotations

from typing import Any

# Words that carry a quantity: with keep_facts the guard never pushes the model off them ("$240 million" became
# "$240 billion" when " million" was banned).
_NUMBER_WORDS = frozenset({
    "hundred", "thousand", "million", "billion", "trillion", "percent", "per", "cent", "dozen", "half", "third",
    "quarter", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
})  # fmt: skip
# How tokenizers mark a piece that starts with a space: GPT-2 byte-level, SentencePiece, plain.
_SPACE_MARKERS = ("Ġ", "▁", " ")


class WordStarts:
    """Which vocabulary entries start a word, and which entries are prefixes of which (built once per model).

    The copy guard only bans word-initial tokens and their word-initial prefixes: banning a mid-word piece
    (or letting the model spell the banned word from smaller pieces, " Ad" + "en") produced mangled names.
    """

    def __init__(self, tokenizer: Any) -> None:
        pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        self.pieces = pieces
        self.index = {piece: i for i, piece in enumerate(pieces) if piece is not None}
        self.starts = [
            piece is not None and (piece[:1] in _SPACE_MARKERS or not piece[:1].isalnum()) for piece in pieces
        ]
        # Fact tokens: a name (capitalised), a number or currency sign, a quantity word. keep_facts never bans
        # one, nor the token after a number, so a blocked run is reworded around its names and figures.
        bares = [_bare(piece) for piece in pieces]
        self.facts = [
            bool(b) and (b[0].isupper() or b[0].isdigit() or b[0] in "$€£¥" or b.lower() in _NUMBER_WORDS)
            for b in bares
        ]
        self.numeric = [bool(b) and b[-1].isdigit() for b in bares]

    def ban_list(self, token: int) -> list[int]:
        if token >= len(self.starts) or not self.starts[token]:
            return []
        piece = self.pieces[token]
        # the piece's own prefixes (" Ad" for " Aden") and the same word without its leading space ("Aden",
        # which glued it to the previous word: "andSyrian") are the ways around a ban
        bare = _bare(piece) if piece[:1] in _SPACE_MARKERS else ""
        variants = [piece[:k] for k in range(2, len(piece))] + [bare[:k] for k in range(2, len(bare) + 1)]
        return [token, *(i for i in map(self.index.get, variants) if i is not None)]


def _bare(piece: str | None) -> str:
    """A vocabulary piece without its leading-space marker."""
    if piece is None:
        return ""
    return piece[1:] if piece[:1] in _SPACE_MARKERS else piece


class SourceNgramBlocker:
    """LogitsProcessor that stops verbatim copying: it bans completing any source n-gram of ``n`` tokens.

    For each row it looks up the last ``n - 1`` generated tokens in a table of the source's (n-1)-grams and
    bans the word-initial tokens that followed them in the source, so a copied run must end at a word boundary.
    With ``keep_facts`` a run may always go on into a name, a number or a quantity word (and past a number), so
    the guard rewords the phrasing around facts instead of swapping the facts themselves.
    Cost: one dict lookup per row and step.
    """

    def __init__(
        self,
        sources: list[list[int]],
        n: int,
        prompt_length: int,
        num_beams: int,
        words: WordStarts,
        keep_facts: bool = False,
    ) -> None:
        self.n = n
        self.prompt_length = prompt_length
        self.num_beams = num_beams
        self.tables: list[dict[tuple[int, ...], list[int]]] = []
        for ids in sources:
            table: dict[tuple[int, ...], set[int]] = {}
            for i in range(len(ids) - n + 1):
                nxt, prev = ids[i + n - 1], ids[i + n - 2]
                if keep_facts and (_flag(words.facts, nxt) or _flag(words.numeric, prev)):
                    continue
                table.setdefault(tuple(ids[i : i + n - 1]), set()).update(words.ban_list(ids[i + n - 1]))
            self.tables.append({k: sorted(v) for k, v in table.items() if v})

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        generated = input_ids[:, self.prompt_length :]
        if generated.shape[1] < self.n - 1:
            return scores
        tails = generated[:, -(self.n - 1) :].tolist()
        for row, tail in enumerate(tails):
            banned = self.tables[row // self.num_beams].get(tuple(tail))
            if banned:
                scores[row, banned] = float("-inf")
        return scores


def _flag(flags: list[bool], token: int) -> bool:
    return token < len(flags) and flags[token]
