"""Tiny random-weight models and locally built tokenizers, so the fast suite needs no downloads.

The models are saved once per session into a temporary directory and loaded through the same code paths as
real ones (``from_pretrained`` on a local directory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

NEWS_SENTENCES = [
    "The foreign ministers met on Tuesday and pledged support for the talks.",
    "The envoy warned that the group could regroup in the border areas.",
    "The council condemned the attack and called for calm.",
    "Officials expressed condolences to the families of the victims.",
    "Relief agencies said they would deliver food and medicine next week.",
    "The government denied the report and said the ceasefire was holding.",
]
CORPUS = NEWS_SENTENCES * 4

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tokenizer(directory: Path, *, chat: bool) -> None:
    """A byte-level BPE tokenizer trained on a few sentences, saved as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<|im_start|>", "<|im_end|>"]
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(CORPUS, trainer)
    if not chat:  # BART-style: <s> text </s>
        tokenizer.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
        )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="<|im_end|>" if chat else "</s>",
        pad_token="<pad>",
        unk_token="<unk>",
    )
    if chat:
        fast.chat_template = CHATML
    fast.save_pretrained(directory)


@pytest.fixture(scope="session")
def tiny_seq2seq(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BART with random weights and a 64-token window (small enough to force chunking)."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    directory = tmp_path_factory.mktemp("tiny-bart")
    build_tokenizer(directory, chat=False)
    torch.manual_seed(0)
    config = BartConfig(
        vocab_size=400,
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=64,
        bos_token_id=0,
        pad_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_eos_token_id=None,
    )
    BartForConditionalGeneration(config).save_pretrained(directory)
    return directory


def build_tiny_qwen2(directory: Path, *, seed: int = 0, tie_word_embeddings: bool = True) -> Any:
    """A 2-layer Qwen2 with random weights (seeded) and its ChatML tokenizer saved in ``directory``; the model is
    returned unsaved so a caller can adjust its weights first."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    build_tokenizer(directory, chat=True)
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=400,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=5,
        tie_word_embeddings=tie_word_embeddings,
    )
    return Qwen2ForCausalLM(config)


@pytest.fixture(scope="session")
def tiny_causal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer Qwen2 with random weights and a ChatML chat template."""
    directory = tmp_path_factory.mktemp("tiny-qwen2")
    build_tiny_qwen2(directory).save_pretrained(directory)
    return directory


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present beside the repository")
    return SHARED


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT encoder with random weights and a 64-token window (texts beyond it are split)."""
    import torch
    from transformers import BertConfig, BertModel

    directory = tmp_path_factory.mktemp("tiny-bert")
    build_tokenizer(directory, chat=False)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=400,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=1,
    )
    BertModel(config).save_pretrained(directory)
    return directory


FIXED_CPU_PROBE = {
    "identity": {"cpu_model": "test CPU", "cpu_flags": [], "torch_cpu_capability": "DEFAULT"},
    "float32_gflops": 100.0,
    "bfloat16_gflops": 50.0,
    "cached": True,
}


@pytest.fixture(autouse=True)
def fixed_cpu_probe(monkeypatch: pytest.MonkeyPatch) -> dict:
    """`dtype: auto` measures the CPU once per machine; tests get a fixed probe (fp32 wins) instead, so no
    test depends on timing or writes a probe into the user's cache. tests/models/test_device.py undoes it."""
    import stancekit.models.device as device

    monkeypatch.setattr(device, "cpu_probe", lambda: dict(FIXED_CPU_PROBE))
    return FIXED_CPU_PROBE
