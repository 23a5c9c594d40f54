"""The harness reproduces numbers nobody here produced: the official XSum test LEAD and PtGen outputs, scored
through configs/eval/xsum-official-*.yaml (saved line-aligned predictions), give the published ROUGE-1.5.5
R1/R2/RL within 0.5/0.1/0.5 points, and the committed results/ agree with a fresh run.

About 10 s per system (11,334 summaries); no model is loaded.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import pytest

from stancekit.evaluation import evaluate_task, load_results, load_task

REPO = Path(__file__).resolve().parents[2]
OFFICIAL = REPO.parent / "shared" / "eval" / "xsum-test-official"
TOLERANCE_POINTS = {"rouge1": 0.5, "rouge2": 0.1, "rougeLsum": 0.5}

pytestmark = pytest.mark.skipif(not OFFICIAL.is_dir(), reason=f"{OFFICIAL} is not there (needs ../shared)")


def published(system: str) -> dict[str, float]:
    """R1/R2/RL F (points) from the official ``f-score >> ROUGE(1/2/3/L/SU4): ...`` line of ``*.rouge``."""
    for line in (OFFICIAL / f"{system}-test-output.rouge").read_text().splitlines():
        if line.startswith("f-score"):
            names = re.search(r"ROUGE\(([^)]*)\)", line).group(1).split("/")
            values = dict(zip(names, (float(v) for v in line.rsplit(":", 1)[1].split("/")), strict=True))
            return {"rouge1": values["1"], "rouge2": values["2"], "rougeLsum": values["L"]}
    raise AssertionError(f"no f-score line in {system}-test-output.rouge")


@pytest.mark.parametrize("system", ["lead", "ptgen"])
def test_harness_reproduces_published_rouge(system: str, tmp_path: Path) -> None:
    task, path = load_task(f"xsum-official-{system}")
    results = evaluate_task(task, tmp_path / system, config_path=path, progress=False)
    assert results.data.n == 11_334
    for key, allowed in TOLERANCE_POINTS.items():
        ours = 100 * results.metrics[key].value
        assert abs(ours - published(system)[key]) <= allowed, (system, key, ours)
        assert results.metrics[key].low < results.metrics[key].value < results.metrics[key].high
    # the config's own published figures are the .rouge file's, and the run checked them
    assert {k: round(100 * v.value, 2) for k, v in results.published.items()} == published(system)
    assert all(check.within for check in results.published.values())
    committed = REPO / "results" / f"xsum-official-{system}"
    if committed.is_dir():
        assert load_results(committed).values() == pytest.approx(results.values(), abs=1e-9)
