"""Training scale-out: two processes (DDP on CPU over gloo, started by `accelerate launch`) train one working
classifier, with the gradient of a single process (a doubled gradient was the bug this guards against)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stancekit.statements.classifiers.config import ClassifierConfig
from stancekit.statements.classifiers.fine_tuned import FineTunedClassifier
from stancekit.statements.taxonomy import load_taxonomy
from stancekit.training.classifier import train_classifier

REPO = Path(__file__).resolve().parents[2]


def tiny_config(tiny_bert: Path, output: Path) -> dict:
    config = yaml.safe_load((REPO / "configs/classifier/tiny-test.yaml").read_text())
    config["weights"] = str(output)
    config["training"].update(
        base_model=str(tiny_bert), output_dir=str(output), data=str(REPO / "data/statements/statements.jsonl")
    )
    return config


def first_log(directory: Path) -> dict:
    return json.loads((directory / "training.json").read_text())["log_history"][0]


@pytest.mark.timeout(300)
def test_accelerate_two_cpu_processes_train_a_working_classifier(tiny_bert: Path, tmp_path: Path) -> None:
    output = tmp_path / "ddp"
    config_path = tmp_path / "tiny-ddp.yaml"
    config_path.write_text(yaml.safe_dump(tiny_config(tiny_bert, output)))
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2"]
    launch += ["--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
    result = subprocess.run(
        [*launch, str(REPO / "scripts/train_classifier.py"), "--config", str(config_path), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=240,
        env={
            **os.environ,
            # this checkout's package, whatever the working directory (the workers import it afresh)
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")])),
            "OMP_NUM_THREADS": "1",
            "HF_HUB_OFFLINE": "1",
            "CUDA_VISIBLE_DEVICES": "",
        },
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.count("processes: 2") == 1  # rank 0 reports, once
    meta = json.loads((output / "training.json").read_text())
    assert meta["processes"] == 2
    assert meta["log_history"][-1]["step"] == 4  # 64 rows / global batch 16: the batch is not doubled

    # a working model: it loads from what rank 0 wrote and classifies
    classifier = FineTunedClassifier(output, max_length=32, stride=8)
    taxonomy = load_taxonomy("diplomatic-v1")
    predictions = classifier.predict(["The envoy urged calm.", "Ministers pledged two ships."])
    assert len(predictions) == 2
    for p in predictions:
        assert p.labels and set(p.labels) <= set(taxonomy.names)
        assert all(0.0 <= s <= 1.0 for s in p.scores.values())

    # the same recipe in one process: the two-process gradient must not be scaled by the process count
    single = tmp_path / "single"
    train_classifier(ClassifierConfig.model_validate(tiny_config(tiny_bert, single)), progress=False)
    ratio = first_log(output)["grad_norm"] / first_log(single)["grad_norm"]
    assert 0.75 < ratio < 1.33, ratio
