"""`stancekit evaluate` under real faults: SIGKILL at several points, then the same command, gives the same
run directory as an uninterrupted run; Ctrl-C exits 130 with a short message and no finished-looking output.

The child is the real CLI (``stancekit.cli.main``) with one test system registered: it echoes each input's
first sentence, two samples a batch, and can pause before a chosen batch or before results.json is moved into
place, where the parent signals it; and one pure-Python metric, so that no run waits for ``evaluate``'s import
(real metrics are deterministic across processes: tests/test_determinism.py).
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
import yaml

from stancekit.evaluation.results import JOURNAL_FILE
from tests.faults import run_child

DOCUMENTS = [f"Statement {i} was made in Geneva. It was long. It was noted." for i in range(7)]

CHILD = """
import sys
from typing import ClassVar, Literal
from stancekit.evaluation import Prediction, System, SystemSpec, register_system
from stancekit.evaluation.scoring import Scorer, register_scorer
import stancekit.evaluation.runner as runner

@register_scorer
class Overlap(Scorer):  # pure Python, so the child does not spend seconds importing `evaluate`
    name = "word_overlap"
    kind = "summarisation"
    reported = (("word_overlap", "reference words in the output", True),)

    def score(self, args, batch, context):
        values = [len(set(o.split()) & set(r.split())) / len(set(r.split()))
                  for o, r in zip(batch.outputs, batch.references)]
        return {"word_overlap": values}, {"word_overlap": sum(values) / len(values)}

batches = [0]

class Echo(System):
    identifier = "fault-echo"
    batch_size = 2

    def predict(self, samples):
        pause(f"batch{batches[0]}")
        batches[0] += 1
        print("PREDICT", [s.id for s in samples], flush=True)
        return [Prediction((s.input or "").split(". ")[0]) for s in samples]

@register_system("fault_echo")
class Spec(SystemSpec):
    type: Literal["fault_echo"] = "fault_echo"
    kind: ClassVar[str | None] = "summarisation"
    def build(self, dataset):
        return Echo()

real_replace = runner.os.replace
def replace(src, dst):
    if str(dst).endswith("results.json"):
        pause("before-results")
    real_replace(src, dst)
runner.os.replace = replace

from stancekit.cli import main
sys.argv = ["stancekit", *sys.argv[1:]]
main()
"""


@pytest.fixture(scope="module")
def task(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("faults")
    (directory / "docs.txt").write_text("".join(d + "\n" for d in DOCUMENTS))
    (directory / "gold.txt").write_text("".join(d.split(". ")[0] + " today.\n" for d in DOCUMENTS))
    config = {
        "kind": "summarisation",
        "dataset": {
            "format": "text",
            "references": str(directory / "gold.txt"),
            "inputs": str(directory / "docs.txt"),
        },
        "system": {"type": "fault_echo"},
        "metrics": ["word_overlap"],
        "bootstrap": {"n_resamples": 200},
        "log_samples": {"output_text": True, "reference_text": True},
    }
    path = directory / "fault-echo.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def evaluate(task: Path, out: Path, stop: str | None = None, sig: int = signal.SIGKILL):
    return run_child(CHILD, ["evaluate", str(task), "-o", str(out), "--no-progress"], stop=stop, sig=sig)


def comparable(out: Path) -> tuple[str, dict]:
    """predictions.jsonl as bytes and results.json without what legitimately differs (times, resume note)."""
    results = json.loads((out / "results.json").read_text())
    for key in ("timings", "created_at", "environment"):
        results.pop(key)
    results["notes"] = [n for n in results["notes"] if not n.startswith("resumed:")]
    return (out / "predictions.jsonl").read_text(), results


@pytest.fixture(scope="module")
def uninterrupted(task: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp("clean") / "run"
    outcome = evaluate(task, out)
    assert outcome.returncode == 0, outcome.stderr
    assert outcome.stdout.count("PREDICT") == 4
    return comparable(out)


@pytest.mark.parametrize(
    ("stop", "resumed", "predicted"),
    [("batch0", 0, 4), ("batch1", 2, 3), ("before-results", 7, 0)],
)
def test_kill_9_then_the_same_command_gives_the_uninterrupted_run(
    task, uninterrupted, tmp_path, stop, resumed, predicted
):
    out = tmp_path / "run"
    killed = evaluate(task, out, stop)
    assert killed.returncode == -signal.SIGKILL
    assert not (out / "results.json").exists()  # nothing that looks finished
    again = evaluate(task, out)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("PREDICT") == predicted  # only the batches the journal did not hold
    assert comparable(out) == uninterrupted
    results = json.loads((out / "results.json").read_text())
    assert results["timings"]["samples_resumed"] == resumed
    assert not (out / JOURNAL_FILE).exists() and not list(out.glob(".staging-*"))


def test_a_rerun_over_a_finished_run_killed_before_results_keeps_no_stale_result(
    task, uninterrupted, tmp_path
):
    out = tmp_path / "run"
    assert evaluate(task, out).returncode == 0
    killed = evaluate(task, out, "before-results")  # the second run dies while replacing the first
    assert killed.returncode == -signal.SIGKILL
    assert not (out / "results.json").exists()  # never the old results beside the new predictions
    assert evaluate(task, out).returncode == 0 and comparable(out) == uninterrupted


def test_ctrl_c_exits_130_with_a_short_message_and_resumes(task, uninterrupted, tmp_path):
    out = tmp_path / "run"
    interrupted = evaluate(task, out, "batch2", sig=signal.SIGINT)
    assert interrupted.returncode == 130
    assert "Traceback" not in interrupted.stderr and "interrupted:" in interrupted.stderr
    assert not (out / "results.json").exists()
    lines = (out / JOURNAL_FILE).read_text().splitlines()
    assert len(lines) == 1 + 4 and all(json.loads(line) for line in lines)  # whole batches only
    again = evaluate(task, out)
    assert again.returncode == 0 and again.stdout.count("PREDICT") == 2
    assert comparable(out) == uninterrupted
