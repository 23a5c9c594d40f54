"""Throughput and peak memory: one statement at a time vs stancekit's length-bucketed batches, in one run.

    python benchmarks/classify.py [--classifier diplomatic-v1-minilm] [--n 212] [--repeats 3] [--batch-size 32]
        [--dtypes float32,bfloat16,auto,int8] [--batch-sizes 16,32,64] [--threads 1] [--max-lengths 128]

Timing: one process loads the classifier, warms up, then alternates the two modes for ``repeats`` rounds
over the same statements (so a change in machine load hits both alike); the table reports median times
and the median of the per-round ratios. Memory: each mode runs once more in its own child process (so one
mode's allocations cannot hide the other's peak); peak memory is the highest resident set size sampled
every 2 ms during prediction, minus the size right before it (the model itself is reported separately as
the RSS after loading). Variants: each dtype x batch size (int8: the fp32 model with dynamic int8 Linear
layers, built here only), and auto with other torch thread counts and windows, run in the same process,
alternated round by round; each row's labels are compared with fp32's at --batch-size, and scored (macro-F1)
against the gold labels. The statements are the
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


def quantised_int8(classifier):
    """A copy of ``classifier`` whose encoder Linear layers are int8 (dynamic quantisation: int8 weights,
    activations quantised per batch; the pooler and head stay fp32). Measured here only: on the dev split its
    labels agreed with fp32 on 94-96% of statements (per-tensor or per-channel), below the 99% asked."""
    import copy
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    variant = copy.copy(classifier)
    variant.model = copy.deepcopy(classifier.model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated in favour of torchao
        quantize_dynamic(variant.model.base_model.encoder, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    variant.numerics = {**classifier.numerics, "linear": "int8 dynamic (benchmark only)"}
    return variant


def with_max_length(classifier, max_length: int):
    import copy

    variant = copy.copy(classifier)
    variant.encoder = copy.copy(classifier.encoder)
    variant.encoder.max_length = max_length
    variant.encoder.stride = min(variant.encoder.stride, max_length // 4)
    return variant


def numerics(
    classifier_name: str,
    n: int,
    repeats: int,
    batch_size: int,
    dtypes: list[str],
    sizes: list[int],
    threads: list[int],
    max_lengths: list[int],
):
    """Statements/s of each variant (alternated per round), label agreement with fp32 and macro-F1.

    Variants: each dtype x batch size (``int8``: fp32 with int8 dynamic Linear layers); then, at
    ``batch_size``, the ``auto`` classifier with each torch thread count and each max_length.
    """
    import torch

    from stancekit.evaluation.classification import macro_f1
    from stancekit.statements.data import load_statements

    loaded = {}
    texts: list[str] = []
    for dtype in {d for d in dtypes if d != "int8"} | {"float32", "auto"}:
        loaded[dtype], texts = _setup(classifier_name, n, batch_size, dtype)
    if "int8" in dtypes:
        loaded["int8"] = quantised_int8(loaded["float32"])
    exact = loaded["float32"]
    rows = load_statements(DATA, exact.taxonomy, split="test")
    gold = (list(rows["labels"]) * (n // len(rows) + 1))[:n]
    reference = [r.labels for r in exact.predict(texts)]
    default_threads = torch.get_num_threads()
    # (dtype, batch size, threads, max_length) -> classifier
    variants = {(d, b, default_threads, None): loaded[d] for d in dtypes for b in sizes}
    variants.update({("auto", batch_size, t, None): loaded["auto"] for t in threads})
    variants.update(
        {("auto", batch_size, default_threads, m): with_max_length(loaded["auto"], m) for m in max_lengths}
    )
    seconds: dict[tuple, list[float]] = {key: [] for key in variants}
    labels: dict[tuple, list[list[str]]] = {}
    for _ in range(repeats):
        for key, classifier in variants.items():
            classifier.encoder.batch_size = key[1]
            torch.set_num_threads(key[2])
            started = time.perf_counter()
            out = classifier.predict(texts)
            seconds[key].append(time.perf_counter() - started)
            labels[key] = [o.labels for o in out]
    torch.set_num_threads(default_threads)
    taxonomy = exact.taxonomy.names
    return [
        {
            "dtype": key[0],
            "batch_size": key[1],
            "threads": key[2],
            "max_length": key[3] or variants[key].encoder.max_length,
            "seconds": times,
            "statements_per_second": n / statistics.median(times),
            "labels_equal_fp32": sum(a == b for a, b in zip(labels[key], reference, strict=True)) / n,
            "macro_f1": macro_f1(gold, labels[key], taxonomy),
            "numerics_reason": variants[key].numerics["reason"],
            "numerics": variants[key].numerics,
        }
        for key, times in seconds.items()
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
    dtypes: Annotated[
        str, typer.Option(help="dtypes compared (comma-separated; int8: dynamic int8 Linear layers)")
    ] = "float32,bfloat16,auto,int8",
    batch_sizes: Annotated[str, typer.Option(help="batch sizes compared (comma-separated)")] = "16,32,64",
    threads: Annotated[str, typer.Option(help="torch thread counts tried with auto (comma-separated)")] = "1",
    max_lengths: Annotated[str, typer.Option(help="windows tried with auto (comma-separated)")] = "128",
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

    def ints(values: str) -> list[int]:
        return [int(v) for v in values.split(",") if v]

    load_before = os.getloadavg()[0]
    table = numerics(
        classifier,
        n,
        repeats,
        batch_size,
        dtypes.split(","),
        ints(batch_sizes),
        ints(threads),
        ints(max_lengths),
    )
    print(
        f"variants, {repeats} alternating rounds (median); load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'dtype':<10}{'batch':>6}{'threads':>8}{'window':>7}{'statements/s':>14}{'labels = fp32':>15}{'macro-F1':>10}"
    )
    for row in table:
        print(
            f"{row['dtype']:<10}{row['batch_size']:>6}{row['threads']:>8}{row['max_length']:>7}"
            f"{row['statements_per_second']:>14.1f}{row['labels_equal_fp32']:>15.3f}{row['macro_f1']:>10.3f}"
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
