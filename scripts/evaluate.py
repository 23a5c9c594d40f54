"""Run an evaluation task; a thin shell over ``stancekit evaluate`` (same options, same exit codes).

python scripts/evaluate.py configs/eval/xsum-lead3.yaml [--limit N] [--output-dir DIR] [--set key=value]
"""

from __future__ import annotations

import sys

from stancekit.cli import main

if __name__ == "__main__":
    sys.argv[1:1] = ["evaluate"]
    main()
