"""Head refit on the deployment mix: only the head changes, thresholds come from the natural dev split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safetensors.torch import load_file

from stancekit.errors import ConfigError
from stancekit.statements.classifiers import load_classifier_config
from stancekit.statements.classifiers.fine_tuned import FineTunedClassifier
from stancekit.statements.data import NATURAL_DIR
from stancekit.training.classifier import train_classifier
from stancekit.training.head_refit import HEAD_KEYS, refit_head

LORA = ["training.lora.r=2", "training.lora.alpha=4", "training.lora.target_modules=[query,value]"]


def test_refit_changes_only_the_head_and_loads(tiny_bert: Path, tmp_path: Path) -> None:
    natural = (
        tmp_path / "natural"
    )  # the first rows of the real natural splits: checked against their articles
    natural.mkdir()
    for split in ("train", "dev"):
        lines = (NATURAL_DIR / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()[:40]
        (natural / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = tmp_path / "source"
    base = [f"training.base_model={tiny_bert}", f"weights={source}", *LORA]
    train_classifier(
        load_classifier_config("tiny-test", [*base, f"training.output_dir={source}"]), progress=False
    )
    out = tmp_path / "refit"
    config = load_classifier_config(
        "tiny-test",
        [
            *base,
            f"training.output_dir={out}",
            f"training.natural_data={natural}",
            "training.natural_weight=2.0",
            "training.threshold_data=natural",
            f"training.refit_head={{source: {source}, epochs: 20}}",
        ],
    )
    record = refit_head(config)
    assert record["rows"]["natural_train"] == 40 and record["threshold_rows"] == 40
    before, after = (
        load_file(source / "adapter_model.safetensors"),
        load_file(out / "adapter_model.safetensors"),
    )
    assert set(before) == set(after)
    changed = {k for k in before if not (before[k] == after[k]).all()}
    assert changed and changed <= set(HEAD_KEYS)  # the encoder's adapters are untouched
    thresholds = json.loads((out / "thresholds.json").read_text())
    assert thresholds == record["thresholds"]
    assert FineTunedClassifier(out, device="cpu").predict(["The council condemned the attack."])


def test_refit_needs_its_section(tiny_bert: Path) -> None:
    config = load_classifier_config("tiny-test", [f"training.base_model={tiny_bert}"])
    with pytest.raises(ConfigError, match="refit_head"):
        refit_head(config)


def test_natural_thresholds_need_natural_data() -> None:
    with pytest.raises(ConfigError, match="natural_data"):
        load_classifier_config("tiny-test", ["training.threshold_data=natural"])
