"""The ray engine on a local 2-CPU cluster gives the same tables as the local engine on the same 30 documents."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from stancekit.corpus import run
from tests.corpus.conftest import assert_same_tables, make_documents, write_jsonl

ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'stancekit[ray]'")
pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install 'stancekit[ray]'")
pytestmark = pytest.mark.timeout(600)  # a starved actor pool hangs instead of failing


def test_ray_engine_matches_local(tiny_classifier: Path, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "corpus.jsonl", make_documents(30, seed=5))
    common = {
        "id_column": "id",
        "text_column": "body",
        "date_column": "date",
        "summary": False,
        "classifier": str(tiny_classifier),
        "shard_size": 4,
        "progress": False,
    }
    started = time.perf_counter()
    local = run.run_corpus(source, tmp_path / "local", workers=1, **common)
    local_s = time.perf_counter() - started
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        started = time.perf_counter()
        on_ray = run.run_corpus(source, tmp_path / "ray", engine="ray", workers=2, **common)
        ray_s = time.perf_counter() - started
    finally:
        ray.shutdown()
    assert on_ray.manifest["engine"] == {"name": "ray", "workers": 2, "address": None}
    assert on_ray.manifest["counts"] == local.manifest["counts"]
    assert_same_tables(tmp_path / "ray", tmp_path / "local")
    print(f"30 documents: local (1 worker, in-process) {local_s:.1f} s, ray (2 actors) {ray_s:.1f} s")
