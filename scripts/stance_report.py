"""Stance preservation of a summariser in plain and stance mode.

For each article: summarise it both ways, segment and classify the source and each summary, and count the
source's labelled statements that the summary keeps, distorts or drops (stancekit.stance).

    python scripts/stance_report.py ../shared/seed/coalition-article.txt
    python scripts/stance_report.py --test-split [--limit 10]      # the team's test articles (data/summaries)
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from stancekit import Summariser
from stancekit.analyse import analyse_statements
from stancekit.classify import load_classifier
from stancekit.stance import stance_preservation, stance_summary
from stancekit.text import read_document

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--test-split", action="store_true", help="add the test articles of data/summaries")
    parser.add_argument("--limit", type=int, help="at most this many test articles")
    parser.add_argument("--config", default="embedded-qwen")
    parser.add_argument("--show", action="store_true", help="print every summary and outcome")
    args = parser.parse_args()
    articles = [(str(p), read_document(p)) for p in args.paths]
    if args.test_split:
        rows = [
            json.loads(line) for line in (REPO / "data/summaries/summaries.jsonl").read_text().splitlines()
        ]
        tests = [(r["id"], r["article"]) for r in rows if r["split"] == "test"]
        articles += tests[: args.limit] if args.limit else tests
    summariser = Summariser(args.config)
    classifier = load_classifier("diplomatic-v1-minilm")
    totals = {"plain": Counter(), "stance": Counter()}
    for name, article in articles:
        source = analyse_statements(article, classifier=classifier)
        summaries = {
            "plain": summariser.summarise_one(article).summary,
            "stance": stance_summary(article, summariser=summariser, classifier=classifier).summary.summary,
        }
        for mode, summary in summaries.items():
            result = stance_preservation(source, analyse_statements(summary, classifier=classifier))
            totals[mode].update(o.outcome for o in result.outcomes)
            if args.show:
                print(f"\n== {name} [{mode}] {summary}")
                for o in result.outcomes:
                    who = o.source.speaker.name if o.source.speaker else "-"
                    print(f"  {o.outcome:9} {'/'.join(o.source.labels):28} {who[:30]:30} {o.reason}")
    print(f"\n{len(articles)} article(s); labelled source statements judged against each summary")
    print("| mode | statements | kept | distorted | dropped |")
    print("|---|---|---|---|---|")
    for mode, counts in totals.items():
        n = sum(counts.values()) or 1
        print(
            f"| {mode} | {sum(counts.values())} | {counts['kept'] / n:.2f} | {counts['distorted'] / n:.2f} "
            f"| {counts['dropped'] / n:.2f} |"
        )


if __name__ == "__main__":
    main()
