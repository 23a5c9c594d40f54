"""Agreement of a factual-consistency metric with FRANK's human judgements (a dev figure; see SOURCE.txt there).

    python scripts/meta_evaluate_frank.py --metric rouge2_support

A thin shell over stancekit.evaluation.meta.meta_evaluate_frank.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from stancekit.evaluation.meta import meta_evaluate_frank

FRANK = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "eval"
    / "frank-validation"
    / "frank-validation.jsonl"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metric", default="rouge2_support")
    parser.add_argument("--data", default=str(FRANK))
    args = parser.parse_args()
    started = time.perf_counter()
    results = meta_evaluate_frank(args.data, args.metric)
    seconds = time.perf_counter() - started
    print(f"metric {args.metric} on {args.data} (threshold {results[0].threshold:.4f}, chosen on pooled)")
    print("| group | n | fully factual | ROC-AUC | balanced accuracy | Kendall tau |")
    print("|---|---|---|---|---|---|")
    for r in results:
        cells = [
            f"{a.value:.3f} [{a.low:.3f}, {a.high:.3f}]"
            for a in (r.roc_auc, r.balanced_accuracy, r.kendall_tau)
        ]
        print(f"| {r.group} | {r.n} | {r.n_factual} | " + " | ".join(cells) + " |")
    print(f"scored and meta-evaluated in {seconds:.1f} s")


if __name__ == "__main__":
    main()
