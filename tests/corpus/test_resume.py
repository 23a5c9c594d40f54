"""Interrupted corpus runs resume to the same tables: real ``kill -9`` of the process group (workers
included) at several points, and Ctrl-C (SIGINT), each followed by the same command again.

"The same tables": offsets, text, kinds, speakers and labels exactly equal, float scores within 1e-4;
timings excluded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from stancekit.corpus import run
from tests.corpus.conftest import assert_same_tables, make_documents, write_jsonl

REPO = Path(__file__).resolve().parents[2]
N_DOCUMENTS = 48
pytestmark = pytest.mark.timeout(600)


def command(source: Path, out: Path, classifier: Path) -> list[str]:
    return [
        sys.executable, "-m", "stancekit.cli", "corpus", str(source), "--output-dir", str(out),
        "--id-column", "id", "--text-column", "body", "--date-column", "date", "--no-summary",
        "--classifier", str(classifier), "--workers", "2", "--shard-size", "1", "--no-progress",
    ]  # fmt: skip


def start(cmd: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    # its own process group, as a shell gives a job: the kill reaches the parent and every worker
    return subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )


def shards_done(out: Path) -> int:
    try:
        return len(json.loads((out / "manifest.json").read_text())["shards"])
    except (OSError, ValueError, KeyError):
        return 0  # not written yet (it is replaced atomically, so never half-read)


def wait_for_shards(process: subprocess.Popen, out: Path, at_least: int, timeout: float = 300) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = shards_done(out)
        if done >= at_least:
            return done
        if process.poll() is not None:
            raise AssertionError(
                f"the run ended (rc {process.returncode}) before {at_least} shards: {process.stderr.read()}"
            )
        time.sleep(0.005)
    raise AssertionError(f"{at_least} shards not done within {timeout} s")


def group_alive(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group, from /proc."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def kill_group(process: subprocess.Popen, sig: int) -> None:
    os.killpg(process.pid, sig)
    process.wait(timeout=60)
    deadline = time.monotonic() + 30
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not group_alive(process.pid), "worker processes outlived the kill"


def finish(cmd: list[str]) -> subprocess.CompletedProcess:
    process = start(cmd)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode()
    return subprocess.CompletedProcess(cmd, process.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, tiny_classifier: Path) -> tuple[Path, Path]:
    """The input and an uninterrupted run of it (in-process, one worker) to compare against."""
    root = tmp_path_factory.mktemp("resume")
    source = write_jsonl(root / "corpus.jsonl", make_documents(N_DOCUMENTS, seed=3))
    reference = root / "reference"
    run.run_corpus(
        source, reference, id_column="id", text_column="body", date_column="date", summary=False,
        classifier=str(tiny_classifier), workers=1, shard_size=1, progress=False,
    )  # fmt: skip
    return source, reference


def test_kill_9_and_ctrl_c_then_resume_give_the_uninterrupted_tables(
    corpus, tiny_classifier, tmp_path
) -> None:
    """One run interrupted three times (kill -9 early, Ctrl-C, kill -9 half-way), resumed each time."""
    source, reference = corpus
    out = tmp_path / "run"
    cmd = command(source, out, tiny_classifier)

    process = start(cmd)
    wait_for_shards(process, out, 1)
    kill_group(process, signal.SIGKILL)
    first = shards_done(out)

    process = start(cmd)
    wait_for_shards(process, out, first + 1)
    kill_group(process, signal.SIGINT)  # what a terminal's Ctrl-C sends: the whole foreground group
    stderr = process.stderr.read().decode()
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    kept = shards_done(out)
    manifest = json.loads((out / "manifest.json").read_text())
    parts = {p.name for p in (out / "documents.parquet").glob("part-*.parquet")}
    assert parts >= {
        f"part-{int(k):05d}.parquet" for k in manifest["shards"]
    }  # every recorded shard is there

    process = start(cmd)
    wait_for_shards(process, out, max(N_DOCUMENTS // 2, kept + 1))
    kill_group(process, signal.SIGKILL)
    manifest = json.loads((out / "manifest.json").read_text())
    assert not manifest["complete"], "the run finished before it was killed: the test proved nothing"

    finish(cmd)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["counts"]["documents"] == N_DOCUMENTS
    docs = pd.read_parquet(out / "documents.parquet")
    assert docs["id"].is_unique and len(docs) == N_DOCUMENTS  # none lost, none duplicated
    assert_same_tables(out, reference)
