"""Classifier training under real faults (SIGKILL and Ctrl-C of a subprocess running
scripts/train_classifier.py on the tiny BERT).

Training keeps no mid-run checkpoints (a tiny or MiniLM run takes minutes, not hours), so the guarantee is a clean
restart: a killed run never leaves a directory that loads as a classifier, and the next run writes the same
classifier, weights and scores, as an uninterrupted run of the same config and seed (CPU training is
deterministic). The child pauses at a named point (inside ``Trainer.train``; trained and scored, between the
renames that swap it in) and the parent signals its process group there.
"""

from __future__ import annotations

import hashlib
import json
import signal
from pathlib import Path

import pytest

from tests.faults import run_child

CHILD = """
import runpy, sys
from pathlib import Path
import transformers

real_train = transformers.Trainer.train
def train(self, *a, **k):
    pause("train")
    return real_train(self, *a, **k)
transformers.Trainer.train = train

real_rename = Path.rename
def rename(self, target):
    if self.name.endswith(".training"):
        pause("swap")
    return real_rename(self, target)
Path.rename = rename

sys.argv = ["train_classifier.py", *sys.argv[1:]]
runpy.run_path("scripts/train_classifier.py", run_name="__main__")
"""


def train(tiny_bert: Path, out: Path, stop: str | None = None, sig: int = signal.SIGKILL):
    overrides = [
        f"training.base_model={tiny_bert}",
        f"training.output_dir={out}",
        "training.limit_train_rows=32",
    ]
    overrides.append("training.test_split=null")  # scoring dev alone keeps each run short
    args = ["--config", "tiny-test", "--no-progress", *overrides]
    # one thread: on a shared CI machine, torch's thread pool makes the tiny model ten times slower
    return run_child(CHILD, args, stop=stop, sig=sig, env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})


def fingerprint(out: Path) -> dict:
    """What a finished classifier is: its files' bytes (weights, thresholds) and its scores."""
    training = json.loads((out / "training.json").read_text())
    files = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.iterdir())
        if p.name not in ("training.json", "README.md")  # these carry timings and a date
    }
    return {"files": files, "metrics": training["metrics"], "seed": training["seed"]}


@pytest.fixture(scope="module")
def uninterrupted(tiny_bert: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("clean") / "classifier"
    outcome = train(tiny_bert, out)
    assert outcome.returncode == 0, outcome.stderr + outcome.stdout
    return fingerprint(out)


def test_interrupted_or_killed_runs_never_leave_a_classifier_then_a_rerun_trains_the_same(
    tiny_bert, uninterrupted, tmp_path
):
    out = tmp_path / "classifier"
    out.mkdir()
    (out / "model.safetensors").write_text("an older classifier")
    interrupted = train(tiny_bert, out, "train", sig=signal.SIGINT)  # Ctrl-C in a terminal
    assert interrupted.returncode == 130, interrupted.stderr
    assert "Traceback" not in interrupted.stderr + interrupted.stdout
    assert "interrupted:" in interrupted.stdout
    assert (out / "model.safetensors").read_text() == "an older classifier"  # untouched
    killed = train(tiny_bert, out, "swap")  # trained, scored, between moving the old one aside and renaming
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not out.exists()  # the old one was moved aside whole; the new one was not yet moved in
    assert (tmp_path / ".classifier.training" / "training.json").is_file()
    again = train(tiny_bert, out)  # trains afresh: staging is never trusted
    assert again.returncode == 0, again.stderr + again.stdout
    assert fingerprint(out) == uninterrupted
    assert not list(tmp_path.glob(".classifier.*"))
