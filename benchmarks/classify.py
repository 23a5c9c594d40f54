"""Throughput and peak memory: one statement at a time vs stancekit's length-bucketed batches, in one run.

    python benchmarks/classify.py [--classifier diplomatic-v1-minilm] [--n 212] [--repeats 3] [--batch-size 32]
        [--dtypes float32,bfloat16] [--batch-sizes 16,32,64]

Timing: one process loads the classifier, warms up, then alternates the two modes for ``repeats`` rounds
over the same statements (so a change in machine load hits both alike); the table reports median times
and the median of the per-round ratios. Memory: each mode runs once more in its own child process (so one
mode's allocations cannot hide the other's peak); peak memory is the highest resident set size sampled
every 2 ms during prediction, minus the size right before it (the model itself is reported separately as
the RSS after loading). Numerics: each dtype x batch size
runs in the same process, alternated round by round; its labels are compared with fp32's at --batch-size.
The statements are the
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


def _setup(classifier_name: str, n: int, batch_size: int, dtype: str = "auto"):
    from stancekit.statements.classifiers import build_classifier
    from stancekit.statements.classifiers.config import load_classifier_config
    from stancekit.statements.data import load_statements

    config = load_classifier_config(classifier_name, [f"batch_size={batch_size}", f"dtype={dtype}"])
    classifier = build_classifier(config)
    texts = list(load_statements(DATA, classifier.taxonomy, split="test")["text"])
    texts = (texts * (n // len(texts) + 1))[:n]
    classifier.predict(texts[:8])  # warm-up: first calls allocate kernels and caches
    return classifier, texts


def _predict(classifier, texts: list[str], mode: str) -> None:
    if mode == "single":
        for text in texts:
            classifier.predict([text])
    else:
        classifier.predict(texts)


def memory_mode(mode: str, classifier_name: str, n: int, batch_size: int) -> dict:
    """Peak RSS of one pass of ``mode``, in a fresh process (run as a child)."""
    rss_start = rss_bytes()
    classifier, texts = _setup(classifier_name, n, batch_size)
    rss_before = rss_bytes()
    with PeakRss() as peak:
        _predict(classifier, texts, mode)
    return {
        "mode": mode,
        "rss_after_load_mb": (rss_before - rss_start) / 1e6,
        "peak_extra_rss_mb": (peak.peak - rss_before) / 1e6,
    }


def timing(classifier_name: str, n: int, repeats: int, batch_size: int) -> dict:
    """Both modes, alternated round by round, so a change in machine load hits both alike."""
    import torch

    classifier, texts = _setup(classifier_name, n, batch_size)
    seconds: dict[str, list[float]] = {"single": [], "batched": []}
    for _ in range(repeats):
        for mode in ("single", "batched"):
            started = time.perf_counter()
            _predict(classifier, texts, mode)
            seconds[mode].append(time.perf_counter() - started)
    result = {
        mode: {
            "seconds": times,
            "median_seconds": statistics.median(times),
            "statements_per_second": n / statistics.median(times),
        }
        for mode, times in seconds.items()
    }
    result["ratio_per_round"] = [a / b for a, b in zip(seconds["single"], seconds["batched"], strict=True)]
    result["torch_threads"] = torch.get_num_threads()
    if hasattr(classifier, "encoder"):
        result.update(padding_stats(classifier, texts))
    return result


def numerics(
    classifier_name: str, n: int, repeats: int, batch_size: int, dtypes: list[str], sizes: list[int]
):
    """Statements/s of each dtype x batch size (alternated per round) and label agreement with fp32."""
    classifiers = {}
    texts: list[str] = []
    for dtype in dtypes:
        classifier, texts = _setup(classifier_name, n, batch_size, dtype)
        classifiers[dtype] = classifier
    exact, _ = _setup(classifier_name, n, batch_size, "float32")
    reference = [r.labels for r in exact.predict(texts)]
    seconds: dict[tuple[str, int], list[float]] = {(d, b): [] for d in dtypes for b in sizes}
    agreement = {}
    for _ in range(repeats):
        for dtype, size in seconds:
            classifier = classifiers[dtype]
            classifier.encoder.batch_size = size
            started = time.perf_counter()
            out = classifier.predict(texts)
            seconds[(dtype, size)].append(time.perf_counter() - started)
            agreement[(dtype, size)] = sum(o.labels == r for o, r in zip(out, reference, strict=True)) / n
    return [
        {
            "dtype": dtype,
            "batch_size": size,
            "seconds": times,
            "statements_per_second": n / statistics.median(times),
            "labels_equal_fp32": agreement[(dtype, size)],
            "numerics_reason": classifiers[dtype].numerics["reason"],
        }
        for (dtype, size), times in seconds.items()
    ]


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
    dtypes: Annotated[str, typer.Option(help="dtypes compared (comma-separated)")] = "float32,bfloat16,auto",
    batch_sizes: Annotated[str, typer.Option(help="batch sizes compared (comma-separated)")] = "16,32,64",
) -> None:
    if mode != "both":
        print(json.dumps(memory_mode(mode, classifier, n, batch_size)))
        return
    memory = {}
    for child in ("single", "batched"):
        command = [sys.executable, __file__, "--classifier", classifier, "--n", str(n)]
        command += ["--batch-size", str(batch_size), "--mode", child]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise typer.Exit(done.returncode)
        memory[child] = json.loads(done.stdout.strip().splitlines()[-1])
    load_before = os.getloadavg()[0]
    times = timing(classifier, n, repeats, batch_size)
    load_after = os.getloadavg()[0]
    ratio = statistics.median(times["ratio_per_round"])
    print(
        f"classifier {classifier}: {n} statements, {repeats} alternating rounds (median), "
        f"{times['torch_threads']} torch threads, load average {load_before:.1f} -> {load_after:.1f}"
    )
    print(
        f"{'mode':<22}{'statements/s':>14}{'median s':>10}{'peak extra RSS MB':>19}{'RSS after load MB':>19}"
    )
    for name, key in (("one at a time", "single"), (f"batched (bs {batch_size})", "batched")):
        t, m = times[key], memory[key]
        print(
            f"{name:<22}{t['statements_per_second']:>14.1f}{t['median_seconds']:>10.2f}"
            f"{m['peak_extra_rss_mb']:>19.1f}{m['rss_after_load_mb']:>19.1f}"
        )
    print(f"speed-up batched / one at a time: {ratio:.2f}x (median of per-round ratios)")
    if "bucketed_efficiency" in times:
        print(
            f"real tokens / padded tokens: length-bucketed {times['bucketed_efficiency']:.3f}, "
            f"fixed batches in input order {times['input_order_efficiency']:.3f}"
        )
    table = numerics(
        classifier, n, repeats, batch_size, dtypes.split(","), [int(b) for b in batch_sizes.split(",")]
    )
    print(f"{'dtype':<10}{'batch':>6}{'statements/s':>14}{'labels = fp32':>15}")
    for row in table:
        print(
            f"{row['dtype']:<10}{row['batch_size']:>6}{row['statements_per_second']:>14.1f}"
            f"{row['labels_equal_fp32']:>15.3f}"
        )
    auto = next((r for r in table if r["dtype"] == "auto"), None)
    if auto:
        print(f"dtype auto: {auto['numerics_reason']}")
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "timing": times,
            "memory": memory,
            "ratio": ratio,
            "load_average": [load_before, load_after],
            "numerics": table,
        }
        output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    app()
