"""Quick check before the harness: the embedded summariser vs lead-3 on the first N XSum validation articles.

Evaluation only (../shared/eval is never used for tuning). ROUGE F1 x100 with stemming; Lsum on sentence-split
text. Usage: python scripts/xsum_quick_check.py [--n 20] [--config embedded-qwen]
             python scripts/xsum_quick_check.py --n 20 --from-run results/xsum-embedded-qwen
(--from-run reads the summaries a harness run saved, finished or still running, instead of generating them.)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from stancekit import Summariser
from stancekit.evaluation.metrics import load_metric
from stancekit.text import split_sentences

DATA = Path(__file__).resolve().parents[2] / "shared/eval/xsum-validation-1000/validation.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--config", default="embedded-qwen")
    parser.add_argument("--from-run", type=Path, help="a harness run directory with saved summaries")
    args = parser.parse_args()
    rows = [json.loads(line) for line in DATA.read_text().splitlines()[: args.n]]
    seconds = None
    if args.from_run:
        saved = {}
        for name in ("predictions.jsonl", "predictions.partial.jsonl"):
            path = args.from_run / name
            if path.is_file():
                for line in path.read_text().splitlines():
                    record = json.loads(line)
                    if "output" in record:
                        saved[record["id"]] = record
        rows = [r for r in rows if r["id"] in saved]
        outputs = [saved[r["id"]]["output"] for r in rows]
        seconds = sum(saved[r["id"]]["meta"]["generate_s"] for r in rows)
    documents = [r["document"] for r in rows]
    references = [r["summary"] for r in rows]
    if not args.from_run:
        summariser = Summariser(args.config)
        start = time.perf_counter()
        outputs = [r.summary for r in summariser.summarise_many(documents)]
        seconds = time.perf_counter() - start
    systems = {"lead-3": [" ".join(split_sentences(d)[:3]) for d in documents], args.config: outputs}
    rouge = load_metric("rouge")
    print(f"n={len(rows)} first articles of xsum-validation-1000; ROUGE F1 x100 (stemmed)")
    print("| system | R1 | R2 | RL | RLsum | words | copy rate |")
    print("|---|---|---|---|---|---|---|")
    from stancekit.text import copy_rate

    for name, predictions in systems.items():
        s = rouge.compute(predictions=predictions, references=references)
        words = sum(len(p.split()) for p in predictions) / len(predictions)
        copy = sum(copy_rate(p, d) for p, d in zip(predictions, documents, strict=True)) / len(predictions)
        print(
            f"| {name} | {100 * s['rouge1']:.2f} | {100 * s['rouge2']:.2f} | {100 * s['rougeL']:.2f} "
            f"| {100 * s['rougeLsum']:.2f} | {words:.1f} | {copy:.2f} |"
        )
    print(f"{args.config}: {seconds:.0f} s for {len(rows)} documents ({seconds / len(rows):.1f} s/doc)")


if __name__ == "__main__":
    main()
