"""Agreement of a factual-consistency metric with FRANK's human judgements (a dev figure; see SOURCE.txt there).

    python scripts/meta_evaluate_frank.py --metric rouge2_support
    python scripts/meta_evaluate_frank.py --grid [--weights consistency-minilm-v1]

--grid prints the FRANK ROC-AUC of every (top_k, rouge_weight, aggregation) of the consistency scorer: how its
`scoring:` block is chosen (FRANK validation may choose settings, never weights).

A thin shell over stancekit.evaluation.meta.meta_evaluate_frank.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from stancekit.evaluation.meta import consistency_grid, meta_evaluate_frank

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
    parser.add_argument("--grid", action="store_true", help="grid over the consistency scorer's settings")
    parser.add_argument("--weights", default="consistency-minilm-v1")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.grid:
        points = consistency_grid(args.data, args.weights)
        print("| top_k | rouge_weight | aggregation | pooled | CNN/DM | XSum |")
        print("|---|---|---|---|---|---|")
        for p in sorted(points, key=lambda p: -p.roc_auc["pooled"]):
            auc = p.roc_auc
            print(
                f"| {p.top_k} | {p.rouge_weight} | {p.aggregation} | {auc['pooled']:.3f} | {auc['CNN/DM']:.3f} "
                f"| {auc['XSum']:.3f} |"
            )
        print(f"grid in {time.perf_counter() - started:.1f} s")
        return
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
