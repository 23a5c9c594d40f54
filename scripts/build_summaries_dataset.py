"""Merge the team-written summary pairs into data/summaries/summaries.jsonl with fixed splits.

The split is a deterministic function of the id (seeded hash), so re-running never moves a pair between
splits. Usage: python scripts/build_summaries_dataset.py data/summaries/parts/*.jsonl
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "summaries" / "summaries.jsonl"
SEED = "stancekit-summaries-v1"


def split_of(pair_id: str) -> str:
    bucket = int(hashlib.sha256(f"{SEED}:{pair_id}".encode()).hexdigest(), 16) % 100
    return "train" if bucket < 70 else "dev" if bucket < 85 else "test"


def main(paths: list[str]) -> None:
    rows = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append({**row, "split": split_of(row["id"])})
    rows.sort(key=lambda r: r["id"])
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    counts = {s: sum(r["split"] == s for r in rows) for s in ("train", "dev", "test")}
    print(f"wrote {len(rows)} pairs to {OUT}: {counts}")


if __name__ == "__main__":
    main(sys.argv[1:])
