"""Benchmark: the embedded summariser's paths on the same articles, each in its own subprocess, in one invocation.

Paths (``--paths`` picks a subset; the naive loop and the default always come first when listed):

- ``naive``: plain HF ``generate``, fp32, one document at a time, no copy guard (the speed reference only);
- ``default``: exactly what ``summarise(list_of_texts)`` gives users (the shipped config, ``dtype: auto``,
  ``batch_size: auto``);
- ``exact``: ``Summariser(overrides=["dtype=float32", "batch_size=1"])``, the quality reference;
- ``single``: the default config called one document at a time (``summarise_one``, as ``analyse`` and the CLI on
  one file run it), with prompt lookup decoding; ``single-nolookup`` the same without it, which prices it;
- alternatives ``<dtype>-<batch>``, e.g. ``bfloat16-1``, ``bfloat16-8``, ``float32-auto``, and ``noguard`` (the
  default without the copy guard, which prices the guard).

Articles: team-written ones of 400-900 prompt tokens (data/summaries, all splits, and the shipped example),
topped up to ``--articles`` from ``../shared/eval/xsum-validation-1000`` in file order, used only as unlabelled
speed input and for the ROUGE-1 quality check of each path against its reference (never to choose settings).

The roofline floor of each path: prefill FLOPs at the machine's measured GEMM rate in the path's dtype, plus,
per decoding step of each batch, the larger of streaming the weights once (measured memory bandwidth) and the
step's FLOPs; the table gives the floor per document and measured / floor. Prompt lookup decoding (one document
at a time, ``single``) can come in under this floor, since one pass over the weights may then yield several tokens.

    python benchmarks/summarise.py --articles 4 [--repeats 1] [--paths naive,default,exact] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
XSUM = REPO.parent / "shared" / "eval" / "xsum-validation-1000" / "validation.jsonl"
DEFAULT_PATHS = "default,naive,exact,noguard,bfloat16-4,float32-auto,bfloat16-1,single,single-nolookup"
MIN_TOKENS, MAX_TOKENS = 400, 900


def load_articles(n: int) -> list[dict]:
    """``n`` articles of 400-900 tokens with their reference summaries, team-written first."""
    from transformers import AutoTokenizer

    from stancekit.models.embedded import QWEN_CODER_05B, converted_dir

    tokenizer = AutoTokenizer.from_pretrained(converted_dir(QWEN_CODER_05B))
    rows = [json.loads(line) for line in (REPO / "data/summaries/summaries.jsonl").read_text().splitlines()]
    team = [
        {"id": r["id"], "article": r["article"], "reference": r["summary"], "source": "team"} for r in rows
    ]
    xsum = []
    if XSUM.is_file():
        for line in XSUM.read_text().splitlines():
            r = json.loads(line)
            xsum.append(
                {"id": r["id"], "article": r["document"], "reference": r["summary"], "source": "xsum"}
            )
    chosen = []
    for row in team + xsum:
        if MIN_TOKENS <= len(tokenizer(row["article"])["input_ids"]) <= MAX_TOKENS:
            chosen.append(row)
            if len(chosen) == n:
                break
    return chosen


# ------------------------------------------------------------------------------------------ machine rates
def gemm_gflops(dtype_name: str, repeats: int = 9) -> float:
    """Median GEMM rate at the shape of a prompt pass through the model's MLP."""
    import torch

    dtype = getattr(torch, dtype_name)
    a, b = torch.randn(512, 896, dtype=dtype), torch.randn(896, 4864, dtype=dtype)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * 512 * 896 * 4864 / statistics.median(times) / 1e9


def memory_gbps(repeats: int = 5) -> float:
    """Median bandwidth of copying 512 MB (read + write bytes), well past the caches."""
    import torch

    src = torch.ones(128 * 1024 * 1024, dtype=torch.float32)
    dst = torch.empty_like(src)
    dst.copy_(src)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        dst.copy_(src)
        times.append(time.perf_counter() - start)
    return 2 * src.numel() * 4 / statistics.median(times) / 1e9


# ------------------------------------------------------------------------------------------ one path
def path_overrides(path: str) -> list[str]:
    if path in ("naive", "exact"):
        return ["dtype=float32", "batch_size=1"]
    if path == "default":
        return []
    if path == "noguard":
        return ["copy_guard.block_ngram_tokens=0"]
    if path == "single":
        return []
    if path == "single-nolookup":
        return ["generation.prompt_lookup_tokens=0"]
    dtype, batch = path.split("-")
    return [f"dtype={dtype}", f"batch_size={batch}"]


def run_path(path: str, n: int) -> dict:
    """Runs in a subprocess: one path over the articles, returning timings, counts and summaries."""
    import importlib

    import torch

    copy_guard = importlib.import_module("stancekit.summarise.copy_guard")
    from stancekit import Summariser, summarise
    from stancekit.summarise.summariser import _Job

    guard = {"seconds": 0.0, "calls": 0}
    original_call = copy_guard.SourceNgramBlocker.__call__

    def timed_call(self, input_ids, scores):
        start = time.perf_counter()
        out = original_call(self, input_ids, scores)
        guard["seconds"] += time.perf_counter() - start
        guard["calls"] += 1
        return out

    copy_guard.SourceNgramBlocker.__call__ = timed_call
    articles = [row["article"] for row in load_articles(n)]
    started_load = time.perf_counter()
    summariser = Summariser(overrides=path_overrides(path), progress=False)
    load_s = time.perf_counter() - started_load
    model, tokenizer = summariser.model, summariser.tokenizer
    rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    prompts = [summariser._count(summariser._prompt(a, reduce=False)) for a in articles]
    start_all = time.perf_counter()
    if path == "naive":
        gen = summariser._generation_config()
        summaries, new_tokens = [], []
        for article in articles:
            prompt = summariser._prompt(article, reduce=False)
            ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
            with torch.inference_mode():
                out = model.generate(**ids, generation_config=gen)
            new = out[0, ids["input_ids"].shape[1] :]
            summaries.append(tokenizer.decode(new, skip_special_tokens=True).strip())
            new_tokens.append(int(new.numel()))
        wall = time.perf_counter() - start_all
        batches = [[i] for i in range(len(articles))]
    else:
        single = path.startswith("single")  # one call per document, as analyse makes
        if path == "default":  # the public entry, exactly as users call it (the loaded model is reused)
            summaries = summarise(articles)
            wall = time.perf_counter() - start_all
            new_tokens = [summariser._count(s) for s in summaries]
        else:
            if single:
                results = [summariser.summarise_one(a) for a in articles]
            else:
                results = summariser.summarise_many(articles)
            wall = time.perf_counter() - start_all
            summaries = [r.summary for r in results]
            new_tokens = [r.output_tokens for r in results]
        jobs = [_Job(i, a, final=True, tokens=summariser._count(a)) for i, a in enumerate(articles)]
        batches = (
            [[j.doc] for j in jobs]
            if single
            else [[j.doc for j in batch] for batch in summariser._batches(jobs)]
        )
    params = sum(p.numel() for p in model.parameters())
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    return {
        "path": path,
        "documents": len(articles),
        "wall_s": wall,
        "load_s": load_s,
        "summaries": summaries,
        "new_tokens": new_tokens,
        "prompt_tokens": prompts,
        "batches": batches,
        "params": params,
        "weight_bytes": weight_bytes,
        "dtype": summariser.dtype.dtype,
        "numerics": summariser.numerics,
        "copy_guard_s": guard["seconds"],
        "copy_guard_calls": guard["calls"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_load_mb": rss_after_load,
        "torch_threads": torch.get_num_threads(),
    }


def floor_seconds(run: dict, gemm: dict[str, float], bandwidth: float) -> float:
    """Roofline floor of a run's work: prefill at the GEMM rate; each decoding step of a batch the larger of
    streaming the weights once and the step's FLOPs; a batch decodes as many steps as its longest output."""
    rate = gemm[run["dtype"]] * 1e9
    flops_per_token = 2 * run["params"]
    total = 0.0
    for batch in run["batches"]:
        longest = max(run["prompt_tokens"][i] for i in batch)
        total += flops_per_token * longest * len(batch) / rate  # padded prefill
        steps = max(run["new_tokens"][i] for i in batch)
        step = max(run["weight_bytes"] / (bandwidth * 1e9), flops_per_token * len(batch) / rate)
        total += steps * step
    return total


def rouge1(summaries: list[str], references: list[str]) -> list[float]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    return [100 * scorer.score(r, s)["rouge1"].fmeasure for s, r in zip(summaries, references, strict=True)]


def paired_interval(
    a: list[float], b: list[float], resamples: int = 2000, seed: int = 0
) -> tuple[float, ...]:
    """Mean of a - b and its 95% percentile-bootstrap interval over documents."""
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    rng = random.Random(seed)
    means = sorted(statistics.fmean(rng.choices(diffs, k=len(diffs))) for _ in range(resamples))
    return statistics.fmean(diffs), means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]


def machine() -> dict:
    from stancekit.models.device import cpu_identity

    return cpu_identity()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each path; medians are reported")
    parser.add_argument("--paths", default=DEFAULT_PATHS, help="comma-separated, see the module docstring")
    parser.add_argument("--json", type=Path, help="also write the raw measurements here (after every run)")
    parser.add_argument("--_path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._path:
        print(json.dumps(run_path(args._path, args.articles)))
        return

    from rich.console import Console
    from rich.table import Table

    # redirected to a file, rich would wrap to 80 columns and cut every figure of the table to '…'
    console = Console() if sys.stdout.isatty() else Console(width=160)
    rows = load_articles(args.articles)
    references = [r["reference"] for r in rows]
    sources = {s: sum(r["source"] == s for r in rows) for s in ("team", "xsum")}
    rates = {"float32": gemm_gflops("float32"), "bfloat16": gemm_gflops("bfloat16")}
    bandwidth = memory_gbps()
    paths = args.paths.split(",")
    runs: dict[str, list[dict]] = {p: [] for p in paths}
    record = {"machine": machine(), "gemm_gflops": rates, "memory_gbps": bandwidth, "articles": sources}
    for repeat in range(args.repeats):
        for path in paths:
            command = [sys.executable, __file__, "--_path", path, "--articles", str(args.articles)]
            out = subprocess.run(command, capture_output=True, text=True, check=False)
            if out.returncode:
                sys.stderr.write(out.stderr[-3000:])
                raise SystemExit(f"path {path} failed")
            run = json.loads(out.stdout.strip().splitlines()[-1])
            run["rouge1"] = rouge1(run["summaries"], references)
            runs[path].append(run)
            console.print(f"repeat {repeat + 1} {path}: {run['wall_s'] / run['documents']:.2f} s/doc")
            if args.json:
                args.json.write_text(json.dumps({**record, "runs": runs}, indent=2))
    med = {p: statistics.median(r["wall_s"] for r in rs) for p, rs in runs.items()}
    n = len(rows)
    title = (
        f"embedded summariser, {n} articles of {MIN_TOKENS}-{MAX_TOKENS} tokens ({sources['team']} team-written, "
        f"{sources['xsum']} XSum validation), median of {args.repeats} run(s)"
    )
    table = Table(title=title)
    columns = ("path", "dtype", "batch", "s/doc", "docs/s", "× naive", "ROUGE-1", "peak RSS MB")
    for col in (*columns, "floor s/doc", "÷ floor", "guard s"):
        table.add_column(col, justify="right")
    naive = med.get("naive")
    for path, rs in runs.items():
        last = rs[-1]
        floor = floor_seconds(last, rates, bandwidth) / n
        batch = last["numerics"]["batch_size"]
        if path.startswith("single"):
            batch = "1 per call"
        elif batch == "auto":
            sizes = [len(b) for b in last["batches"]]
            batch = f"auto ({min(sizes)}-{max(sizes)})"
        table.add_row(
            path,
            last["dtype"],
            str(batch),
            f"{med[path] / n:.2f}",
            f"{n / med[path]:.3f}",
            f"{naive / med[path]:.2f}" if naive else "-",
            f"{statistics.fmean(last['rouge1']):.1f}",
            f"{statistics.median(r['peak_rss_mb'] for r in rs):.0f}",
            f"{floor:.2f}",
            f"{med[path] / n / floor:.1f}",
            f"{last['copy_guard_s']:.2f}",
        )
    console.print(table)
    ident = record["machine"]
    console.print(
        f"CPU: {ident['cpu_model']}; flags: {' '.join(ident['cpu_flags'])}; torch {ident['torch']} "
        f"({ident['torch_cpu_capability']}), {ident['threads']} threads"
    )
    console.print(
        f"GEMM 512x896 @ 896x4864: fp32 {rates['float32']:.0f}, bf16 {rates['bfloat16']:.0f} GFLOP/s; "
        f"memory copy {bandwidth:.1f} GB/s"
    )
    if "default" in runs:
        console.print(f"default numerics: {runs['default'][-1]['numerics']['reason']}")
    if "default" in runs and "exact" in runs:
        mean, low, high = paired_interval(runs["default"][-1]["rouge1"], runs["exact"][-1]["rouge1"])
        console.print(
            f"ROUGE-1 default - exact (fp32, batch 1), paired over {n} articles: {mean:+.2f} "
            f"[95% bootstrap {low:+.2f}, {high:+.2f}]"
        )
        record["rouge1_default_minus_exact"] = {"mean": mean, "low": low, "high": high, "n": n}
    if args.json:
        args.json.write_text(json.dumps({**record, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
