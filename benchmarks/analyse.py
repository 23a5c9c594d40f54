"""Wall time of `stancekit analyse FILE` in a new process, and where it goes, for one or more source trees.

    python benchmarks/analyse.py [--document data/examples/gulf-of-aden-ministers.txt] [--runs 3]
        [--trees src,/tmp/before/src]

Each run starts a new Python process (as a user's shell does) with ``PYTHONPATH`` set to one tree, and the
trees are alternated run by run, so a change in machine load hits each alike; the table reports the median
wall time. The converted pack and the OS cache are warm after the first run (a warm-up run per tree is not
counted). Every run writes JSON; the summaries and labels of each tree are compared with the first tree's.
Then one more process per tree times the phases in process (imports, classifier load, spaCy load and
segmentation, classification, summariser load, generation, grounding).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False)
ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "data" / "examples" / "gulf-of-aden-ministers.txt"

PHASES = r"""
import json, sys, time
marks = [("start", time.perf_counter())]
def mark(name):
    marks.append((name, time.perf_counter()))
from stancekit.analyse import analyse
from stancekit.cli import app
mark("imports")
from stancekit.statements.analysed import resolve_classifier
classifier = resolve_classifier(None)
mark("classifier load")
from stancekit.statements.segment import segment
text = open(sys.argv[1], encoding="utf-8").read()
statements = segment(text)
mark("spaCy load + segmentation")
classifier.predict(statements)
mark("classification")
from stancekit.summarise.summariser import Summariser
summariser = Summariser(None)
mark("summariser load")
result = summariser.summarise_one(text)
mark("summarise")
grounding = result.grounding.get("seconds", 0.0)
phases = {b[0]: b[1] - a[1] for a, b in zip(marks, marks[1:])}
phases["summarise"] -= grounding
phases["grounding"] = grounding
print(json.dumps(phases))
"""


def run_cli(tree: str, document: Path, out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": tree}
    command = [sys.executable, "-m", "stancekit.cli", "analyse", str(document), "-f", "json", "-o", str(out)]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise typer.Exit(done.returncode)
    return seconds


def outputs(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        "summary": data["summary"]["summary"] if data["summary"] else None,
        "labels": [s["labels"] for s in data["statements"]],
    }


@app.command()
def main(
    document: Annotated[Path, typer.Option(help="the text file analysed")] = DOCUMENT,
    runs: Annotated[int, typer.Option(help="timed runs per tree; the median is reported")] = 3,
    trees: Annotated[str, typer.Option(help="source trees compared (comma-separated PYTHONPATHs)")] = "src",
    phases: Annotated[bool, typer.Option(help="also time the phases in process")] = True,
    output: Annotated[Path | None, typer.Option(help="also write the results as JSON")] = None,
) -> None:
    names = [t for t in trees.split(",") if t]
    paths = {t: str(Path(t).resolve()) for t in names}
    seconds: dict[str, list[float]] = {t: [] for t in names}
    results: dict[str, list[dict]] = {t: [] for t in names}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for tree in names:  # warm-up: the pack conversion check and the OS cache
            run_cli(paths[tree], document, Path(tmp) / "warm.json")
        for i in range(runs):
            for tree in names:
                out = Path(tmp) / f"{i}.json"
                seconds[tree].append(run_cli(paths[tree], document, out))
                results[tree].append(outputs(out))
    load_after = os.getloadavg()[0]
    print(
        f"stancekit analyse {document.name}: {runs} runs per tree, alternated (median), "
        f"load average {load_before:.1f} -> {load_after:.1f}, {os.cpu_count()} cores"
    )
    reference = results[names[0]][0]
    print(f"{'tree':<40}{'median s':>10}{'runs s':>24}{'same outputs':>14}")
    for tree in names:
        same = all(r == reference for r in results[tree])
        runs_s = " ".join(f"{s:.1f}" for s in seconds[tree])
        print(f"{tree:<40}{statistics.median(seconds[tree]):>10.2f}{runs_s:>24}{same!s:>14}")
    breakdown = {}
    if phases:
        for tree in names:
            env = {**os.environ, "PYTHONPATH": paths[tree]}
            done = subprocess.run(
                [sys.executable, "-c", PHASES, str(document)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            breakdown[tree] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{'phase (s)':<28}" + "".join(f"{t[-24:]:>26}" for t in names))
        for phase in breakdown[names[0]]:
            print(f"{phase:<28}" + "".join(f"{breakdown[t][phase]:>26.2f}" for t in names))
    if output:
        record = {
            "seconds": seconds,
            "outputs": results,
            "phases": breakdown,
            "load": [load_before, load_after],
        }
        output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    app()
