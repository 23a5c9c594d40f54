"""Summariser fine-tuning on the tiny fixtures: both backends train, save, load and resume; bad input fails early."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stancekit.config import config_root
from stancekit.errors import ConfigError, InputError, ModelUnavailableError
from stancekit.training.summariser import answer_loss, train_summariser
from stancekit.training.summariser_config import (
    CHECKPOINT_MARKER,
    IGNORE_INDEX,
    SUMMARISER_FILE,
    load_train_config,
)
from stancekit.training.summary_features import build_prompt, tokenise_pairs
from tests.conftest import CORPUS

SENTENCES = sorted(set(CORPUS))


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """The tiny models gain nothing from threads, and on a shared CPU threads waiting on each other at every
    operation made this file 4-5x slower; the setting is restored for the other test modules."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _pairs(n: int, split: str, start: int = 0) -> list[dict[str, str]]:
    rows = []
    for i in range(start, start + n):
        first, second = SENTENCES[i % len(SENTENCES)], SENTENCES[(i + 1) % len(SENTENCES)]
        rows.append(
            {
                "id": f"t-{i:03d}",
                "article": f"{first} {second}",
                "summary": first.split(" and ")[0].rstrip(".") + ".",
                "topic": "test",
                "region": "global",
                "split": split,
            }
        )
    return rows


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def pairs_file(tmp_path: Path) -> Path:
    return _write(tmp_path / "pairs.jsonl", _pairs(8, "train") + _pairs(2, "dev", start=8))


def _config(name: str, model: Path, data: Path, out: Path, *extra: str):
    return load_train_config(
        name,
        [f"summariser.model={model}", f"data.path={data}", f"training.output_dir={out}", *extra],
    )


def _weights(directory: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(directory / "model.safetensors"))


def test_seq2seq_trains_saves_and_loads(tiny_seq2seq: Path, pairs_file: Path, tmp_path: Path) -> None:
    from stancekit import Summariser, summarise

    out = tmp_path / "bart-out"
    config = _config("train-tiny-seq2seq", tiny_seq2seq, pairs_file, out)
    result = train_summariser(config, progress=False)
    assert result.backend == "seq2seq" and result.format == "full" and result.steps == 4
    assert result.final_loss is not None and result.final_loss == result.final_loss  # logged, not NaN
    assert result.dev_before is not None and result.dev_after is not None and result.dev_after.n == 2
    assert result.dev_during and "eval_rouge1" in result.dev_during[0]  # predict_with_generate ROUGE
    for name in (
        "model.safetensors",
        "tokenizer.json",
        "generation_config.json",
        SUMMARISER_FILE,
        "README.md",
    ):
        assert (out / name).is_file(), name
    assert not out.with_name(out.name + ".checkpoints").exists()  # removed after success by default
    # the weights moved away from the base
    before, after = _weights(tiny_seq2seq), _weights(out)
    assert any(not before[k].equal(after[k]) for k in before if k in after)
    generation = json.loads((out / "generation_config.json").read_text())
    assert generation["max_new_tokens"] == 8
    summary = Summariser(out / SUMMARISER_FILE, progress=False)("The envoy met the council.")
    assert isinstance(summary, str)
    assert isinstance(
        summarise("The envoy met the council.", model=str(out), config=out / SUMMARISER_FILE), str
    )
    card = (out / "README.md").read_text()
    assert "Dev ROUGE" in card and "base (before)" in card


def test_causal_lora_trains_merges_and_loads(tiny_causal: Path, pairs_file: Path, tmp_path: Path) -> None:
    from stancekit import Summariser, summarise

    out = tmp_path / "qwen-out"
    config = _config("train-tiny-causal", tiny_causal, pairs_file, out, "lora.top_layers=1")
    result = train_summariser(config, progress=False)
    assert result.backend == "causal" and result.format == "lora-merged" and result.steps == 4
    assert result.trainable_parameters < result.total_parameters / 2
    assert result.dev_loss is not None and result.dev_loss["after"] < result.dev_loss["before"]
    assert not (out / "adapter_config.json").exists()  # merged: a plain model
    before, after = _weights(tiny_causal), _weights(out)
    assert set(before) == set(after)
    changed = [k for k in before if not before[k].equal(after[k])]
    # only the LoRA targets of the top layer moved
    assert changed and all(".layers.1." in k and "proj" in k for k in changed)
    saved = Summariser(out / SUMMARISER_FILE, progress=False)
    assert saved.config.prompt == config.summariser.prompt
    assert isinstance(saved("The envoy met the council."), str)
    # the default config is a causal chat config too, so the directory loads by path alone
    assert isinstance(summarise("The envoy met the council.", model=str(out), max_new_tokens=4), str)


def test_causal_labels_mask_the_prompt(tiny_causal: Path, pairs_file: Path) -> None:
    from transformers import AutoTokenizer

    from stancekit.summarise.data import read_summary_pairs
    from stancekit.summarise.summariser import Summariser

    config = _config("train-tiny-causal", tiny_causal, pairs_file, Path("unused"))
    tokenizer = AutoTokenizer.from_pretrained(tiny_causal)
    pairs = read_summary_pairs(pairs_file, split="train")
    features, truncated = tokenise_pairs(
        pairs, tokenizer, "causal", config.summariser.prompt, config.training, window=512
    )
    assert truncated == 0
    inference = Summariser(config.summariser, progress=False)
    for pair, ids, labels in zip(pairs, features["input_ids"], features["labels"], strict=True):
        prompt = build_prompt(tokenizer, config.summariser.prompt, pair.article)
        assert prompt == inference._prompt(pair.article, reduce=False)  # trained on the inference prompt
        n_prompt = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
        assert labels[:n_prompt] == [IGNORE_INDEX] * n_prompt
        assert labels[n_prompt:] == ids[n_prompt:] and IGNORE_INDEX not in labels[n_prompt:]
        answer = tokenizer.decode(ids[n_prompt:])
        assert answer == pair.summary + "<|im_end|>"  # the reference, then the end of the turn


def test_answer_only_loss_equals_the_full_causal_loss(tiny_causal: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from stancekit.training.summariser import _answer_only_trainer

    model = AutoModelForCausalLM.from_pretrained(tiny_causal, dtype=torch.float32)
    ids = torch.randint(6, 400, (2, 12))
    labels = ids.clone()
    labels[0, :7] = IGNORE_INDEX
    labels[1, :4] = IGNORE_INDEX
    labels[1, 10:] = IGNORE_INDEX  # right padding
    trainer_class = _answer_only_trainer()
    trainer = trainer_class.__new__(trainer_class)
    trainer._slices = True
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}
    ours = trainer.compute_loss(model, dict(inputs))
    reference = model(**inputs).loss
    assert torch.allclose(ours, reference, atol=1e-5)
    # the dev measure: the same loss, one pair at a time, weighted by answer tokens
    features = {"input_ids": ids.tolist(), "labels": labels.tolist()}
    assert answer_loss(model, features) == pytest.approx(float(reference), abs=1e-5)


def test_resume_continues_and_refuses_another_config(
    tiny_causal: Path, pairs_file: Path, tmp_path: Path
) -> None:
    straight = tmp_path / "straight"
    base = ("training.keep_checkpoints=true",)
    train_summariser(_config("train-tiny-causal", tiny_causal, pairs_file, straight, *base), progress=False)
    checkpoints = straight.with_name("straight.checkpoints")
    assert (checkpoints / "checkpoint-2" / CHECKPOINT_MARKER).is_file()

    # an interrupted run: only checkpoint-2 was written; the same config resumes it and ends where the
    # uninterrupted run ended
    resumed = tmp_path / "resumed"
    resumed_checkpoints = resumed.with_name("resumed.checkpoints")
    shutil.copytree(checkpoints, resumed_checkpoints)
    shutil.rmtree(resumed_checkpoints / "checkpoint-4")
    config = _config("train-tiny-causal", tiny_causal, pairs_file, resumed, *base, "evaluation.before=false")
    result = train_summariser(config, progress=False)
    assert result.resumed_from and result.resumed_from.endswith("checkpoint-2")
    assert (result.steps, result.steps_run) == (4, 2)  # steps 3 and 4 only
    a, b = _weights(straight), _weights(resumed)
    assert all(a[k].allclose(b[k], atol=1e-6) for k in a)

    # another learning rate may not continue those checkpoints
    other = _config(
        "train-tiny-causal", tiny_causal, pairs_file, resumed, *base, "training.learning_rate=5e-4"
    )
    with pytest.raises(ConfigError, match=r"another training config.*training\.learning_rate"):
        train_summariser(other, progress=False)
    # ... unless asked to start over
    fresh = _config(
        "train-tiny-causal",
        tiny_causal,
        pairs_file,
        resumed,
        "training.learning_rate=5e-4",
        "training.resume=false",
        "training.max_steps=1",
        "evaluation.before=false",
        "evaluation.after=false",
    )
    assert train_summariser(fresh, progress=False).resumed_from is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"summary": "  "}, r":2: field summary is empty"),
        ({"article": ""}, r":2: field article is empty"),
        ({"id": "t-000"}, r":2: duplicate id 't-000' \(first on line 1\)"),
        ({"summary": "The council met. " * 20}, r"longer than training\.max_target_tokens.*:2 \(t-001"),
    ],
)
def test_bad_data_fails_before_training(
    tiny_causal: Path, tmp_path: Path, change: dict, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stancekit.train_summariser as module

    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was loaded for training despite bad data")

    monkeypatch.setattr(module, "_load_model", no_model)
    monkeypatch.setattr(module, "score_on_dev", no_model)
    rows = _pairs(4, "train") + _pairs(2, "dev", start=4)
    rows[1] = {**rows[1], **change}
    data = _write(tmp_path / "bad.jsonl", rows)
    with pytest.raises(InputError, match=message):
        train_summariser(_config("train-tiny-causal", tiny_causal, data, tmp_path / "out"), progress=False)
    assert not (tmp_path / "out.checkpoints").exists()


def test_model_without_a_generation_head_is_refused(
    tiny_bert: Path, pairs_file: Path, tmp_path: Path
) -> None:
    config = _config("train-tiny-causal", tiny_bert, pairs_file, tmp_path / "out")
    with pytest.raises(ModelUnavailableError, match="cannot be trained as a causal summariser"):
        train_summariser(config, progress=False)
    seq2seq = _config("train-tiny-seq2seq", tiny_bert, pairs_file, tmp_path / "out")
    with pytest.raises(ModelUnavailableError, match="no sequence-to-sequence generation head"):
        train_summariser(seq2seq, progress=False)


@pytest.mark.parametrize(
    "path", sorted((config_root() / "summariser").glob("train-*.yaml")), ids=lambda p: p.stem
)
def test_every_shipped_training_config_validates(path: Path) -> None:
    config = load_train_config(path)
    assert config.name == path.stem
    assert "{document}" in config.summariser.prompt.user


def test_config_overrides_reach_a_named_summariser_config() -> None:
    config = load_train_config(
        "train-embedded-qwen-lora", ["summariser.generation.max_new_tokens=12", "training.learning_rate=1e-4"]
    )
    assert config.summariser.name == "embedded-qwen"  # the named config, loaded
    assert config.summariser.generation.max_new_tokens == 12
    assert config.training.learning_rate == 1e-4
    assert config.summariser.prompt.system == "You are a news editor."
    with pytest.raises(ConfigError, match="did you mean 'learning_rate'"):
        load_train_config("train-embedded-qwen-lora", ["training.learning_rat=1e-4"])


def test_shipped_summaries_pass_the_schema() -> None:
    from stancekit.summarise.data import DEFAULT_SUMMARIES, read_summary_pairs

    pairs = read_summary_pairs(DEFAULT_SUMMARIES)
    assert len(pairs) >= 150
    assert {p.split for p in pairs} == {"train", "dev", "test"}
