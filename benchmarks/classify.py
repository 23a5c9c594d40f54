"""Throughput and peak memory: one statement at a time vs stancekit's length-bucketed batches, in one run.

    python benchmarks/classify.py [--classifier diplomatic-v1-minilm] [--n 212] [--repeats 3] [--batch-size 32]

Each mode runs in its own child process (so one mode's memory cannot hide the other's peak): it loads the
classifier, warms up, then classifies the same statements ``repeats`` times; the table reports the median
time. Peak memory is the highest resident set size sampled every 2 ms during prediction, minus the size
right before it (the model itself is reported separately as the RSS after loading). The statements are the
test split of data/statements, in file order (not sorted, so the batched path has to do the bucketing).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False)
DATA = Path(__file__).resolve().parents[1] / "data" / "statements" / "statements.jsonl"


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """Samples this process's RSS in a background thread; ``peak`` is the highest value seen."""

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def padding_stats(classifier, texts: list[str]) -> dict[str, float]:
    """Real tokens / padded tokens for length-sorted buckets and for batches in input order."""
    encoder = classifier.encoder
    windows, _ = encoder.windows(texts)
    real = sum(len(w) for w in windows)

    def padded(batches: list[list[int]]) -> int:
        return sum(len(b) * max(len(windows[i]) for i in b) for b in batches)

    size = encoder.batch_size
    in_order = [list(range(i, min(i + size, len(windows)))) for i in range(0, len(windows), size)]
    return {
        "bucketed_efficiency": real / padded(encoder.batches(windows)),
        "input_order_efficiency": real / padded(in_order),
    }


def run_mode(mode: str, classifier_name: str, n: int, repeats: int, batch_size: int) -> dict:
    import torch

    from stancekit.classify import build_classifier, load_classifier_config
    from stancekit.data import load_statements

    rss_start = rss_bytes()
    config = load_classifier_config(classifier_name, [f"batch_size={batch_size}"])
    classifier = build_classifier(config)
    texts = list(load_statements(DATA, classifier.taxonomy, split="test")["text"])
    texts = (texts * (n // len(texts) + 1))[:n]
    classifier.predict(texts[:8])  # warm-up: first calls allocate kernels and caches

    def once() -> None:
        if mode == "single":
            for text in texts:
                classifier.predict([text])
        else:
            classifier.predict(texts)

    times = []
    rss_before = rss_bytes()
    with PeakRss() as peak:
        for _ in range(repeats):
            started = time.perf_counter()
            once()
            times.append(time.perf_counter() - started)
    result = {
        "mode": mode,
        "n": n,
        "repeats": repeats,
        "seconds": times,
        "median_seconds": statistics.median(times),
        "statements_per_second": n / statistics.median(times),
        "rss_after_load_mb": (rss_before - rss_start) / 1e6,
        "peak_extra_rss_mb": (peak.peak - rss_before) / 1e6,
        "torch_threads": torch.get_num_threads(),
    }
    if mode == "batched" and hasattr(classifier, "encoder"):
        result.update(padding_stats(classifier, texts))
    return result


@app.command()
def main(
    classifier: Annotated[str, typer.Option(help="classifier config name or path")] = "diplomatic-v1-minilm",
    n: Annotated[int, typer.Option(help="statements per repeat (the test split, cycled)")] = 212,
    repeats: Annotated[int, typer.Option(help="repeats per mode; the median is reported")] = 3,
    batch_size: Annotated[int, typer.Option(help="batch size of the batched path")] = 32,
    mode: Annotated[
        str, typer.Option(help="internal: 'single' or 'batched' runs one mode in this process")
    ] = "both",
    output: Annotated[Path | None, typer.Option(help="also write the results as JSON")] = None,
) -> None:
    if mode != "both":
        print(json.dumps(run_mode(mode, classifier, n, repeats, batch_size)))
        return
    results = {}
    for child in ("single", "batched"):
        command = [
            sys.executable,
            __file__,
            "--classifier",
            classifier,
            "--n",
            str(n),
            "--repeats",
            str(repeats),
        ]
        command += ["--batch-size", str(batch_size), "--mode", child]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise typer.Exit(done.returncode)
        results[child] = json.loads(done.stdout.strip().splitlines()[-1])
    single, batched = results["single"], results["batched"]
    ratio = batched["statements_per_second"] / single["statements_per_second"]
    print(
        f"classifier {classifier}: {n} statements x {repeats} repeats (median), {single['torch_threads']} torch threads"
    )
    print(
        f"{'mode':<22}{'statements/s':>14}{'median s':>10}{'peak extra RSS MB':>19}{'RSS after load MB':>19}"
    )
    for name, r in (("one at a time", single), (f"batched (bs {batch_size})", batched)):
        print(
            f"{name:<22}{r['statements_per_second']:>14.1f}{r['median_seconds']:>10.2f}"
            f"{r['peak_extra_rss_mb']:>19.1f}{r['rss_after_load_mb']:>19.1f}"
        )
    print(f"speed-up batched / one at a time: {ratio:.2f}x")
    if "bucketed_efficiency" in batched:
        print(
            f"real tokens / padded tokens: length-bucketed {batched['bucketed_efficiency']:.3f}, "
            f"input order {batched['input_order_efficiency']:.3f}"
        )
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps({**results, "ratio": ratio}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    app()
