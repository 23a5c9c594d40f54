"""Print the README's results tables, generated from the committed runs in results/.

    python scripts/results_table.py            # print the markdown
    python scripts/results_table.py --write    # rewrite the <!-- results:start --> ... <!-- results:end --> block

Every number comes from a results/<run>/results.json; `stancekit reproduce` re-runs them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stancekit.errors import StancekitError
from stancekit.evaluation.report import results_table, update_readme

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results-dir", default="results", help="committed runs (default: results)")
    parser.add_argument("--readme", default=str(REPO / "README.md"), help="README to rewrite with --write")
    parser.add_argument("--write", action="store_true", help="rewrite the README's results block")
    args = parser.parse_args()
    try:
        table = results_table(args.results_dir)
        if args.write:
            changed = update_readme(args.readme, table)
            print(f"{args.readme}: {'updated' if changed else 'already up to date'}", file=sys.stderr)
        else:
            print(table, end="")
    except StancekitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
