"""Benchmark: the embedded summariser, naive one-at-a-time generate loop vs stancekit's batched path.

Both paths run in this one invocation, each in its own subprocess (so peak memory is per path), on the same
fixed articles (the shipped example plus team-written test articles), with the same prompt and generation
settings. We also measure the machine's fp32 matrix-multiply rate and count each path's floating-point work,
to say how close each comes to what the hardware can do.

    python benchmarks/summarise.py --articles 4 [--repeats 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_articles(n: int) -> list[str]:
    articles = [(REPO / "data/examples/gulf-of-aden-ministers.txt").read_text()]
    for line in (REPO / "data/summaries/summaries.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["split"] == "test":
            articles.append(row["article"])
    return articles[:n]


def matmul_gflops(repeats: int = 20) -> float:
    """Median fp32 GEMM rate at the shape of a prompt pass through the model's MLP."""
    import torch

    a, b = torch.randn(512, 896), torch.randn(896, 4864)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * 512 * 896 * 4864 / statistics.median(times) / 1e9


def forward_flops(model, prompt_tokens: int, new_tokens: int) -> float:
    """Matmul FLOPs of a greedy generation: 2 x params per token through the blocks, the LM head once per
    generated token (transformers keeps only the last position's logits), plus attention scores."""
    cfg = model.config
    block_params = sum(p.numel() for n, p in model.named_parameters() if ".layers." in n)
    head_params = model.lm_head.weight.numel()
    d, layers = cfg.hidden_size, cfg.num_hidden_layers
    flops = 2 * block_params * (prompt_tokens + new_tokens) + 2 * head_params * new_tokens
    # QK^T and AV: prompt is quadratic, each new token attends to everything before it
    flops += 4 * layers * d * (prompt_tokens**2 / 2 + new_tokens * (prompt_tokens + new_tokens / 2))
    return flops


def run_path(path: str, n: int) -> dict:
    """Runs in a subprocess: one path over the articles, returning timings and counts."""
    import torch

    from stancekit import Summariser

    articles = load_articles(n)
    summariser = Summariser(progress=False)
    model, tokenizer = summariser.model, summariser.tokenizer
    rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    per_doc, flops, new_tokens_total = [], 0.0, 0
    start_all = time.perf_counter()
    if path == "naive":
        gen = summariser._generation_config()
        for article in articles:
            prompt = summariser._prompt(article, reduce=False)
            ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
            start = time.perf_counter()
            with torch.inference_mode():
                out = model.generate(**ids, generation_config=gen)
            per_doc.append(time.perf_counter() - start)
            new = out.shape[1] - ids["input_ids"].shape[1]
            new_tokens_total += new
            flops += forward_flops(model, ids["input_ids"].shape[1], new)
    else:
        results = summariser.summarise_many(articles)
        total = time.perf_counter() - start_all
        per_doc = [total / len(articles)] * len(articles)
        for article, result in zip(articles, results, strict=True):
            prompt_tokens = summariser._count(summariser._prompt(article, reduce=False))
            new_tokens_total += result.output_tokens
            # batched rows are padded to the longest prompt in their (length-sorted) batch; count real work only
            flops += forward_flops(model, prompt_tokens, result.output_tokens)
    wall = time.perf_counter() - start_all
    return {
        "path": path,
        "documents": len(articles),
        "wall_s": wall,
        "median_doc_s": statistics.median(per_doc),
        "new_tokens": new_tokens_total,
        "tokens_per_s": new_tokens_total / wall,
        "gflop": flops / 1e9,
        "achieved_gflops": flops / wall / 1e9,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_load_mb": rss_after_load,
        "batch_size": summariser.config.batch_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each path; medians are reported")
    parser.add_argument("--json", type=Path, help="also write the raw measurements here")
    parser.add_argument("--_path", choices=["naive", "batched"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._path:
        print(json.dumps(run_path(args._path, args.articles)))
        return

    from rich.console import Console
    from rich.table import Table

    rate = matmul_gflops()
    runs: dict[str, list[dict]] = {"naive": [], "batched": []}
    for _ in range(args.repeats):
        for path in runs:
            out = subprocess.run(
                [sys.executable, __file__, "--_path", path, "--articles", str(args.articles)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs[path].append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {
        p: {k: statistics.median(r[k] for r in rs) for k in rs[0] if k != "path"} for p, rs in runs.items()
    }
    table = Table(title=f"embedded summariser, {args.articles} articles, median of {args.repeats} run(s)")
    for col in ("path", "s/doc", "new tok/s", "GFLOP", "GFLOP/s", "% of GEMM", "peak RSS MB"):
        table.add_column(col, justify="right")
    for path, m in med.items():
        table.add_row(
            path,
            f"{m['wall_s'] / m['documents']:.1f}",
            f"{m['tokens_per_s']:.2f}",
            f"{m['gflop']:.0f}",
            f"{m['achieved_gflops']:.1f}",
            f"{100 * m['achieved_gflops'] / rate:.0f}%",
            f"{m['peak_rss_mb']:.0f}",
        )
    console = Console()
    console.print(table)
    speedup = med["naive"]["wall_s"] / med["batched"]["wall_s"]
    console.print(f"fp32 GEMM rate (512x896 @ 896x4864, median of 20): {rate:.1f} GFLOP/s")
    console.print(f"batched / naive speed-up (wall time): {speedup:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"gemm_gflops": rate, "runs": runs, "speedup": speedup}, indent=2))


if __name__ == "__main__":
    main()
