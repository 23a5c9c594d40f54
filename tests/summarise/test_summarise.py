"""The summariser on tiny random-weight models: both backends, batching, chunking, metadata."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from stancekit import InputError, Summariser, SummariserConfig, summarise
from stancekit.summarise.copy_guard import SourceNgramBlocker
from stancekit.text import sentence_spans
from tests.conftest import CORPUS

LONG = " ".join(CORPUS)


def config_for(model: Path, **extra: object) -> SummariserConfig:
    data = {"name": "tiny", "model": str(model), "generation": {"max_new_tokens": 6}, **extra}
    return SummariserConfig.model_validate(data)


@pytest.mark.parametrize(("fixture", "backend"), [("tiny_seq2seq", "seq2seq"), ("tiny_causal", "causal")])
def test_backend_is_chosen_from_the_model_config(request, fixture, backend):
    model = request.getfixturevalue(fixture)
    result = Summariser(config_for(model)).summarise_one("The ministers met on Tuesday.")
    assert result.backend == backend
    assert result.model_source == "local"
    assert result.output_tokens <= 6
    assert result.generation["max_new_tokens"] == 6


def test_str_in_str_out_list_in_list_out(tiny_causal):
    cfg = config_for(tiny_causal)
    assert isinstance(summarise("The council met.", config=cfg), str)
    out = summarise(["The council met.", "The envoy warned of new attacks."], config=cfg)
    assert isinstance(out, list) and len(out) == 2


@pytest.mark.parametrize("fixture", ["tiny_seq2seq", "tiny_causal"])
def test_batches_are_length_sorted_and_results_keep_input_order(request, fixture, monkeypatch):
    model = request.getfixturevalue(fixture)
    summariser = Summariser(config_for(model, batch_size=2))
    calls: list[int] = []
    original = summariser.model.generate

    def counting_generate(**kwargs):
        calls.append(kwargs["input_ids"].shape[0])
        return original(**kwargs)

    monkeypatch.setattr(summariser.model, "generate", counting_generate)
    docs = [
        "Short one.",
        "A much longer document about the ceasefire talks and the envoy who warned of attacks.",
        "Medium length text about aid.",
        "Another medium text about the council.",
    ]
    results = summariser.summarise_many(docs)
    assert calls == [2, 2]  # four documents, two batched calls, not four
    assert [r.input_tokens for r in results] == [summariser._count(d) for d in docs]


@pytest.mark.parametrize("fixture", ["tiny_seq2seq", "tiny_causal"])
def test_long_documents_are_chunked_on_sentence_boundaries_and_reduced(request, fixture):
    model = request.getfixturevalue(fixture)
    # random weights emit junk that re-tokenises longer than it was generated: allow extra reduce rounds
    summariser = Summariser(config_for(model, chunking={"max_input_tokens": 40, "max_rounds": 8}))
    result = summariser.summarise_one(LONG)
    assert len(result.chunks) > 1
    assert result.reduce_rounds >= 1
    starts = {s for s, _ in sentence_spans(LONG)}
    ends = {e for _, e in sentence_spans(LONG)}
    for chunk in result.chunks:
        assert chunk.start in starts and chunk.end in ends
        assert chunk.tokens <= summariser.budget
    # chunks tile the document in order without overlap
    assert all(a.end < b.start for a, b in zip(result.chunks, result.chunks[1:], strict=False))


def test_sentence_longer_than_budget_is_cut_at_token_boundaries(tiny_causal):
    summariser = Summariser(config_for(tiny_causal, chunking={"max_input_tokens": 16}))
    sentence = "the delegation " * 40
    pieces = summariser._cut_long(sentence, 0, len(sentence.rstrip()))
    assert len(pieces) > 1
    assert all(summariser._count(sentence[s:e]) <= 17 for s, e in pieces)


def test_generation_overrides_are_applied_and_recorded(tiny_causal):
    summariser = Summariser(config_for(tiny_causal), max_new_tokens=3, repetition_penalty=1.3)
    result = summariser.summarise_one("The envoy called for calm.")
    assert result.output_tokens <= 3
    assert result.generation["repetition_penalty"] == 1.3
    assert result.config_fingerprint == summariser.config.fingerprint()


def test_copy_guard_bans_completing_a_source_ngram():
    import torch

    words = SimpleNamespace(ban_list=lambda token: [token])
    blocker = SourceNgramBlocker([[5, 6, 7, 8]], n=3, prompt_length=2, num_beams=1, words=words)
    scores = torch.zeros(1, 10)
    # generated so far (after a 2-token prompt): 5 6 -> the source continues with 7, which must be banned
    out = blocker(torch.tensor([[1, 1, 5, 6]]), scores.clone())
    assert out[0, 7] == float("-inf")
    assert torch.isfinite(out[0, [0, 1, 2, 3, 4, 5, 6, 8, 9]]).all()
    untouched = blocker(torch.tensor([[1, 1, 6, 5]]), scores.clone())
    assert torch.isfinite(untouched).all()


def test_copy_guard_keep_facts_never_bans_a_name_number_or_what_follows_a_number():
    import torch

    # tokens: 5 "the", 6 "budget", 7 "of", 8 "$240" (a number), 9 "million", 10 "Kenya" (a name)
    facts = [False] * 8 + [True, True, True]
    numeric = [False] * 8 + [True, False, False]
    words = SimpleNamespace(ban_list=lambda token: [token], facts=facts, numeric=numeric)
    source = [[5, 6, 7, 8, 9, 7, 10]]
    plain = SourceNgramBlocker(source, n=2, prompt_length=0, num_beams=1, words=words)
    kept = SourceNgramBlocker(source, n=2, prompt_length=0, num_beams=1, words=words, keep_facts=True)
    scores = torch.zeros(1, 11)
    for tail, banned in (([7], 8), ([8], 9), ([7], 10), ([5], 6)):
        assert plain(torch.tensor([tail]), scores.clone())[0, banned] == float("-inf")
    # the number after "of", the unit after the number and the name stay open; plain words are still banned
    assert torch.isfinite(kept(torch.tensor([[7]]), scores.clone())[0, [8, 10]]).all()
    assert torch.isfinite(kept(torch.tensor([[8]]), scores.clone())[0, 9])
    assert kept(torch.tensor([[5]]), scores.clone())[0, 6] == float("-inf")


def test_word_starts_marks_names_numbers_and_quantity_words():
    from stancekit.summarise.copy_guard import WordStarts

    pieces = ["Ġmillion", "ĠKenya", "Ġbudget", "Ġthe", "240", "Ġ$", "ĠPer", "ing"]

    class Tokenizer:
        def __len__(self):
            return len(pieces)

        def convert_ids_to_tokens(self, ids):
            return [pieces[i] for i in ids]

    words = WordStarts(Tokenizer())
    assert words.facts == [True, True, False, False, True, True, True, False]
    assert words.numeric == [False, False, False, False, True, False, False, False]


def test_chat_template_is_required_for_causal_models(tiny_causal, tmp_path):
    import shutil

    from stancekit import ModelUnavailableError
    from stancekit.summarise.backends import MODEL_CACHE

    copy = tmp_path / "no-template"
    shutil.copytree(tiny_causal, copy)
    (copy / "chat_template.jinja").unlink(missing_ok=True)
    import json

    tok_cfg = json.loads((copy / "tokenizer_config.json").read_text())
    tok_cfg.pop("chat_template", None)
    (copy / "tokenizer_config.json").write_text(json.dumps(tok_cfg))
    MODEL_CACHE.clear()
    with pytest.raises(ModelUnavailableError, match="chat template"):
        Summariser(config_for(copy))
    raw = Summariser(config_for(copy, prompt={"use_chat_template": False}))
    assert isinstance(raw("The council met."), str)


@pytest.mark.parametrize("bad", ["", "   \n\t ", None, 42])
def test_empty_or_non_string_input_is_refused(tiny_causal, bad):
    with pytest.raises(InputError):
        summarise(bad, config=config_for(tiny_causal))


def test_empty_document_inside_a_list_names_its_position(tiny_causal):
    with pytest.raises(InputError, match="document 1"):
        summarise(["fine text.", "  "], config=config_for(tiny_causal))


def test_copy_guard_only_bans_word_starts_and_their_prefixes(tiny_causal):
    from transformers import AutoTokenizer

    from stancekit.summarise.copy_guard import WordStarts

    tokenizer = AutoTokenizer.from_pretrained(tiny_causal)
    words = WordStarts(tokenizer)
    ids = tokenizer(" delegation", add_special_tokens=False)["input_ids"]
    first = ids[0]
    assert words.starts[first]
    banned = words.ban_list(first)
    assert first in banned
    piece = tokenizer.convert_ids_to_tokens(first)
    bare = piece[1:]  # the word without its leading-space marker
    assert all(piece.startswith(p) or bare.startswith(p) for p in tokenizer.convert_ids_to_tokens(banned))
    if len(bare) >= 2 and bare in tokenizer.get_vocab():  # gluing it to the previous word is no way around
        assert tokenizer.convert_tokens_to_ids(bare) in banned
    if len(ids) > 1:  # a mid-word continuation is never banned
        assert words.ban_list(ids[-1]) == [] or words.starts[ids[-1]]


@contextmanager
def counting_forwards(summariser: Summariser) -> Iterator[dict[str, int]]:
    """Count the model's forward passes and how many generate calls used prompt lookup (the loaded model is
    shared between summarisers of one model, so the counters are removed on exit)."""
    seen = {"forwards": 0, "lookup_calls": 0, "plain_calls": 0}
    model = summariser.model

    def counted(*args, **kwargs):
        seen["forwards"] += 1
        return type(model).forward(model, *args, **kwargs)

    def recorded(*args, generation_config, **kwargs):
        seen["lookup_calls" if generation_config.prompt_lookup_num_tokens else "plain_calls"] += 1
        return type(model).generate(model, *args, generation_config=generation_config, **kwargs)

    model.forward, model.generate = counted, recorded
    try:
        yield seen
    finally:
        del model.forward, model.generate


@pytest.fixture(scope="module")
def repeating_causal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Qwen2 that writes tokens 100, 101, 102, 100, 101, ... after any prompt: its layers add nothing,
    every other token embeds to one direction, and the output head maps that direction to 100 and each of the
    three to the next. Prompt lookup then finds the output's own last tokens earlier in it and proposes runs
    the model accepts."""
    import torch

    from tests.conftest import build_tiny_qwen2

    directory = tmp_path_factory.mktemp("repeating-qwen2")
    model = build_tiny_qwen2(directory, tie_word_embeddings=False)
    cycle = [100, 101, 102]
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        basis = torch.eye(model.config.hidden_size)
        model.model.embed_tokens.weight.copy_(basis[0].expand_as(model.model.embed_tokens.weight))
        model.lm_head.weight.zero_()
        for i, token in enumerate(cycle):
            model.model.embed_tokens.weight[token] = basis[i + 1]
            model.lm_head.weight[cycle[(i + 1) % 3]] = basis[i + 1]
        model.lm_head.weight[cycle[0]] += basis[0]
    model.save_pretrained(directory)
    return directory


@pytest.mark.parametrize("fixture", ["tiny_causal", "repeating_causal"])
def test_prompt_lookup_keeps_the_greedy_output(request, fixture):
    model = request.getfixturevalue(fixture)
    documents = [" ".join(CORPUS[:3]), CORPUS[4], "The envoy called for calm and the envoy called for calm."]
    settings = {
        "generation": {"max_new_tokens": 40},
        "batch_size": 1,
        "copy_guard": {"block_ngram_tokens": 4},
    }
    plain = Summariser(config_for(model, **settings), prompt_lookup_tokens=0)
    lookup = Summariser(config_for(model, **settings))
    with counting_forwards(plain) as plain_seen:
        plain_results = [plain.summarise_one(document) for document in documents]
    with counting_forwards(lookup) as lookup_seen:
        lookup_results = [lookup.summarise_one(document) for document in documents]
    assert [r.summary for r in lookup_results] == [r.summary for r in plain_results]
    assert [r.output_tokens for r in lookup_results] == [r.output_tokens for r in plain_results]
    assert lookup_seen["lookup_calls"] == 3 and plain_seen["lookup_calls"] == 0
    assert lookup_results[0].generation["prompt_lookup_tokens"] == 10
    if fixture == "repeating_causal":  # its proposals are accepted: several tokens per forward pass
        assert sum(r.output_tokens for r in plain_results) == 120
        assert lookup_seen["forwards"] < plain_seen["forwards"] / 3


def test_prompt_lookup_is_used_only_for_one_document_on_its_own(tiny_causal):
    # a list is decoded without it even one row at a time, so a batch run's summaries never depend on it
    for batch_size in (1, 4):
        summariser = Summariser(config_for(tiny_causal, batch_size=batch_size))
        with counting_forwards(summariser) as seen:
            summariser.summarise_many(["The envoy called for calm.", "Ministers met in Rome on Monday."])
        assert seen["lookup_calls"] == 0 and seen["plain_calls"] == {1: 2, 4: 1}[batch_size]
    sampled = Summariser(config_for(tiny_causal, batch_size=1), do_sample=True)
    with counting_forwards(sampled) as seen:
        sampled.summarise_one("The envoy called for calm.")
    assert seen["lookup_calls"] == 0 and seen["plain_calls"] == 1
