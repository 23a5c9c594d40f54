"""The summariser's numeric path and batching: dtype choice recorded, auto batches by rows, tokens, length."""

from __future__ import annotations

import pytest

from stancekit import Summariser
from stancekit.summarise.summariser import MAX_PADDING, _Job
from tests.summarise.test_summarise import config_for

DOCS = [
    "Short one.",
    "A much longer document about the ceasefire talks and the envoy who warned of attacks in the region.",
    "Medium length text about aid.",
    "Another medium text about the council.",
]


def test_results_record_dtype_reason_and_batch_plan(tiny_causal, fixed_cpu_probe):
    result = Summariser(config_for(tiny_causal)).summarise_one(DOCS[1])
    numerics = result.numerics
    assert numerics["dtype"] == "float32" and numerics["requested"] == "auto"  # the fixed probe: fp32 wins
    assert "bf16 GEMM 50 GFLOP/s vs fp32 100" in numerics["reason"]
    assert numerics["batch_size"] == "auto" and numerics["batch_plan"]["rows"] >= 1


def test_exact_config_keeps_working_and_is_recorded(tiny_causal):
    summariser = Summariser(config_for(tiny_causal), overrides=None)
    exact = Summariser(
        config_for(tiny_causal, dtype="float32", batch_size=1),
    )
    assert exact.numerics == {**exact.numerics, "dtype": "float32", "batch_size": 1}
    assert "batch_plan" not in exact.numerics
    assert exact.summarise_many(DOCS)[0].summary == summariser.summarise_many(DOCS)[0].summary


def test_overrides_select_the_exact_path():
    # The documented form of the exact path, on the shipped default config (no model loaded here).
    from stancekit.summarise.config import load_summariser_config

    cfg = load_summariser_config(None, ["dtype=float32", "batch_size=1"])
    assert (cfg.dtype, cfg.batch_size) == ("float32", 1)
    assert load_summariser_config(None).batch_size == "auto"


def _jobs(lengths):
    return [_Job(doc=i, text="x", tokens=n) for i, n in enumerate(lengths)]


@pytest.fixture
def auto(tiny_causal):
    return Summariser(config_for(tiny_causal))


def test_auto_batches_fill_up_to_the_row_cap(auto):
    auto.batch_plan = {**auto.batch_plan, "rows": 3, "tokens": 10_000}
    batches = auto._batches(_jobs([100] * 7))
    assert [len(b) for b in batches] == [3, 3, 1]


def test_auto_batches_respect_the_token_budget(auto):
    auto.batch_plan = {**auto.batch_plan, "rows": 16, "tokens": 450}
    batches = auto._batches(_jobs([100] * 9))
    assert [len(b) for b in batches] == [4, 4, 1]  # 4 rows x 100 padded tokens fit 450, 5 do not


def test_auto_batches_are_length_buckets(auto):
    auto.batch_plan = {**auto.batch_plan, "rows": 16, "tokens": 100_000}
    batches = auto._batches(_jobs([100, 95, 90, 30, 28, 100, 29]))
    assert [[j.tokens for j in b] for b in batches] == [[100, 100, 95, 90], [30, 29, 28]]
    for batch in batches:
        padded = batch[0].tokens * len(batch)
        assert sum(j.tokens for j in batch) >= (1 - MAX_PADDING) * padded


def test_auto_batching_generates_in_fewer_calls_and_keeps_order(auto, monkeypatch):
    calls: list[int] = []
    original = auto.model.generate

    def counting_generate(**kwargs):
        calls.append(kwargs["input_ids"].shape[0])
        return original(**kwargs)

    monkeypatch.setattr(auto.model, "generate", counting_generate)
    same = ["The council met today about aid."] * 5
    results = auto.summarise_many(same)
    assert calls == [5]
    assert len({r.summary for r in results}) == 1
