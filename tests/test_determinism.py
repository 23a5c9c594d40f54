"""Determinism: the same config, seed and input give identical outputs in two processes (summaries,
classifications, metrics), and a greedy summary does not depend on which documents share its batch.

The tiny random models of ``conftest`` are used, plus one tiny causal LM whose special tokens are pushed out
of reach, so that it writes text (a random model otherwise often stops at once, and two empty summaries
would agree about nothing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, build_tiny_qwen2

DOCUMENTS = [
    "The envoy warned that the group could regroup.",
    "The council condemned the attack and called for calm. Officials expressed condolences to the families "
    "of the victims. Relief agencies said they would deliver food and medicine next week.",
    "The government denied the report.",
    "The foreign ministers met on Tuesday and pledged support for the talks. " * 3,
]


@pytest.fixture(scope="module")
def talking_causal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    directory = tmp_path_factory.mktemp("talking-qwen2")
    model = build_tiny_qwen2(directory, seed=2, tie_word_embeddings=False)
    with torch.no_grad():
        model.lm_head.weight[:6] -= 10  # the six special tokens (conftest.build_tokenizer) are never chosen
    model.save_pretrained(directory)
    return directory


def _summariser(model: Path, batch_size: int, max_new_tokens: int):
    from stancekit.summarise.config import SummariserConfig
    from stancekit.summarise.summariser import Summariser

    config = SummariserConfig(
        name="tiny", model=str(model), batch_size=batch_size, generation={"max_new_tokens": max_new_tokens}
    )
    return Summariser(config, progress=False)


@pytest.mark.parametrize("which", ["causal", "seq2seq"])
def test_a_greedy_summary_is_the_same_alone_and_in_a_batch(which, talking_causal, tiny_seq2seq):
    # causal models are left-padded, seq2seq right-padded: a short document beside a long one gets many pads
    # (the tiny BART's 64-token window fits a long document's chunk summaries only if they are short)
    model, tokens = (talking_causal, 24) if which == "causal" else (tiny_seq2seq, 6)
    summariser = _summariser(model, batch_size=len(DOCUMENTS), max_new_tokens=tokens)
    together = summariser.summarise_many(DOCUMENTS)
    alone = [summariser.summarise_one(d) for d in DOCUMENTS]
    assert [r.summary for r in alone] == [r.summary for r in together]
    assert [r.output_tokens for r in alone] == [r.output_tokens for r in together]
    assert all(r.summary for r in alone)  # not vacuous (the causal one also differs per document)
    assert which == "seq2seq" or len({r.summary for r in alone}) > 1


CHILD = """
import json, sys
from pathlib import Path
from stancekit.statements.classifiers.config import ZeroShotSettings
from stancekit.statements.classifiers.zero_shot import ZeroShotClassifier
from stancekit.statements.taxonomy import load_taxonomy
from stancekit.summarise.config import SummariserConfig
from stancekit.summarise.summariser import Summariser
from tests.harness import run, write_task

causal, seq2seq, bert, work = (Path(a) for a in sys.argv[1:5])
documents = json.loads(sys.argv[5])
out = {}
for name, model, tokens in (("causal", causal, 24), ("seq2seq", seq2seq, 6)):
    config = SummariserConfig(name="tiny", model=str(model), batch_size=2, generation={"max_new_tokens": tokens})
    out[name] = [r.summary for r in Summariser(config, progress=False).summarise_many(documents)]
classifier = ZeroShotClassifier(
    load_taxonomy("diplomatic-v1"), ZeroShotSettings(encoder=str(bert)), max_length=32, stride=8, batch_size=16
)
out["classifications"] = [(c.labels, c.scores) for c in classifier.predict(documents)]
(work / "docs.txt").write_text("".join(d.replace(chr(10), " ") + chr(10) for d in documents))
(work / "gold.txt").write_text("".join(d.split(". ")[0] + chr(10) for d in documents))
task = write_task(work, "lead", {
    "kind": "summarisation",
    "dataset": {"format": "text", "references": str(work / "gold.txt"), "inputs": str(work / "docs.txt")},
    "system": {"type": "lead", "k": 1},
    "metrics": ["rouge"],
    "bootstrap": {"n_resamples": 500},
})
results = run(task, work / "run")
out["metrics"] = {k: [m.value, m.low, m.high] for k, m in results.metrics.items()}
print(json.dumps(out))
"""


def test_two_processes_give_identical_summaries_classifications_and_metrics(
    talking_causal, tiny_seq2seq, tiny_bert, tmp_path
):
    outputs = []
    for i in range(2):
        work = tmp_path / f"process{i}"
        work.mkdir()
        args = [str(talking_causal), str(tiny_seq2seq), str(tiny_bert), str(work), json.dumps(DOCUMENTS)]
        env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}", "OMP_NUM_THREADS": "1"}
        done = subprocess.run(
            [sys.executable, "-c", CHILD, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    first, second = outputs
    assert first == second  # floats compared exactly: the same bits, not approximately
    assert any(first["causal"]) and len(first["classifications"]) == len(DOCUMENTS)
    assert 0 < first["metrics"]["rouge1"][0] <= 1
