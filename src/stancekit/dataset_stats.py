"""Measured figures for a labelled statement set: the numbers a dataset card reports.

Everything here is computed from the rows, so the card's figures can be regenerated after any change
(``scripts/dataset_card_stats.py``).

Example:
    >>> near_duplicate_pairs(["the council condemned the attack on the convoy",
    ...                       "the council condemned the attack on the convoy today"], threshold=0.5)
    [(0, 1, 0.857)]
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

from stancekit.text import ngrams, words

SPLITS = ("train", "dev", "test")


def word_ngram_set(text: str, n: int = 3) -> frozenset[tuple[str, ...]]:
    """Lower-cased word n-grams of ``text`` (texts shorter than n words give their one short n-gram)."""
    tokens = words(text)
    return frozenset(ngrams(tokens, n) if len(tokens) >= n else [tuple(tokens)])


def jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def near_duplicate_pairs(
    texts: Sequence[str], threshold: float = 0.5, n: int = 3
) -> list[tuple[int, int, float]]:
    """Index pairs ``(i, j, jaccard)`` whose word n-gram Jaccard similarity exceeds ``threshold``.

    Candidate pairs come from an inverted index of n-grams, so only texts sharing an n-gram are compared.
    """
    sets = [word_ngram_set(t, n) for t in texts]
    index: dict[tuple[str, ...], list[int]] = {}
    for i, grams in enumerate(sets):
        for gram in grams:
            index.setdefault(gram, []).append(i)
    candidates: set[tuple[int, int]] = set()
    for members in index.values():
        if len(members) > 1:
            candidates.update(combinations(members, 2))
    pairs = []
    for i, j in sorted(candidates):
        score = jaccard(sets[i], sets[j])
        if score > threshold:
            pairs.append((i, j, round(score, 3)))
    return pairs


def near_duplicate_clusters(texts: Sequence[str], threshold: float = 0.5) -> list[int]:
    """A cluster id per text: texts linked by near-duplicate pairs share one (union-find)."""
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, _ in near_duplicate_pairs(texts, threshold):
        parent[find(j)] = find(i)
    return [find(i) for i in range(len(texts))]


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Distinct-n: unique word n-grams divided by all word n-grams across ``texts``."""
    grams = [g for t in texts for g in ngrams(words(t), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def _percentiles(values: Sequence[int]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}
    q = statistics.quantiles(ordered, n=20, method="inclusive") if len(ordered) > 1 else [ordered[0]] * 19
    return {
        "min": ordered[0],
        "p5": q[0],
        "median": statistics.median(ordered),
        "mean": round(statistics.fmean(ordered), 1),
        "p95": q[18],
        "max": ordered[-1],
    }


def measure_statements(rows: Sequence[Mapping[str, Any]], label_names: Sequence[str]) -> dict[str, Any]:
    """All card figures for ``rows`` (dicts with text, labels, split, region, topic, hard_case, speaker)."""
    texts = [r["text"] for r in rows]
    by_split = {s: [r for r in rows if r.get("split") == s] for s in SPLITS}
    label_counts = {
        split: {name: sum(name in r["labels"] for r in part) for name in label_names}
        for split, part in [("all", rows), *by_split.items()]
    }
    combos = Counter(" + ".join(sorted(r["labels"])) for r in rows)
    n = len(rows)
    pairs = {t: near_duplicate_pairs(texts, t) for t in (0.5, 0.3)}
    in_pair = {t: len({i for p in ps for i in p[:2]}) for t, ps in pairs.items()}
    index_split = [r.get("split") for r in rows]
    cross_split = {t: sum(index_split[i] != index_split[j] for i, j, _ in ps) for t, ps in pairs.items()}
    word_lengths = [len(words(t)) for t in texts]
    return {
        "n": n,
        "n_per_split": {s: len(p) for s, p in by_split.items()},
        "label_counts": label_counts,
        "multi_label": {
            split: round(sum(len(r["labels"]) > 1 for r in part) / len(part), 3) if part else 0.0
            for split, part in [("all", rows), *by_split.items()]
        },
        "label_combinations": dict(combos.most_common()),
        "near_duplicates": {
            str(t): {
                "pairs": len(ps),
                "pair_rate": len(ps) / (n * (n - 1) / 2) if n > 1 else 0.0,
                "statements_in_a_pair": in_pair[t],
                "statement_share": round(in_pair[t] / n, 4) if n else 0.0,
                "pairs_across_splits": cross_split[t],
                "examples": [(rows[i]["id"], rows[j]["id"], s) for i, j, s in ps[:5]],
            }
            for t, ps in pairs.items()
        },
        "distinct": {f"distinct_{k}": round(distinct_n(texts, k), 3) for k in (1, 2, 3)},
        "length_words": _percentiles(word_lengths),
        "length_histogram_words": _histogram(word_lengths, (10, 20, 30, 40, 50)),
        "regions": dict(Counter(r.get("region") for r in rows).most_common()),
        "n_topics": len({r.get("topic") for r in rows}),
        "top_topics": dict(Counter(r.get("topic") for r in rows).most_common(10)),
        "hard_cases": {
            split: sum(bool(r.get("hard_case")) for r in part)
            for split, part in [("all", rows), *by_split.items()]
        },
        "speaker_null": sum(r.get("speaker") is None for r in rows),
        "speaker_not_in_text": sum(
            bool(r.get("speaker")) and r["speaker"].lower() not in r["text"].lower() for r in rows
        ),
        "id_prefixes": dict(Counter(r["id"].split("-")[0] for r in rows).most_common()),
    }


def _histogram(values: Sequence[int], edges: Sequence[int]) -> dict[str, int]:
    bins: dict[str, int] = {}
    low = 0
    for edge in edges:
        bins[f"{low}-{edge - 1}"] = sum(low <= v < edge for v in values)
        low = edge
    bins[f">={low}"] = sum(v >= low for v in values)
    return bins


def stats_markdown(stats: Mapping[str, Any], label_names: Sequence[str]) -> str:
    """The measured section of a dataset card, as markdown tables."""
    splits = ["all", *SPLITS]
    n_split = {"all": stats["n"], **stats["n_per_split"]}
    lines = [
        f"Measured on {stats['n']} statements by `scripts/dataset_card_stats.py`.",
        "",
        "| | " + " | ".join(splits) + " |",
        "|---|" + "---|" * len(splits),
        "| statements | " + " | ".join(str(n_split[s]) for s in splits) + " |",
    ]
    for label in label_names:
        lines.append(
            f"| `{label}` | " + " | ".join(str(stats["label_counts"][s][label]) for s in splits) + " |"
        )
    lines.append(
        "| multi-label share | " + " | ".join(f"{stats['multi_label'][s]:.1%}" for s in splits) + " |"
    )
    lines.append("| hard cases | " + " | ".join(str(stats["hard_cases"][s]) for s in splits) + " |")
    lines += ["", "Label combinations (all splits):", ""]
    lines.append(", ".join(f"{combo} {count}" for combo, count in stats["label_combinations"].items()) + ".")
    lines += [
        "",
        "| near-duplicates (word-trigram Jaccard) | pairs | share of all pairs | statements in a pair | pairs across splits |",
    ]
    lines.append("|---|---|---|---|---|")
    for threshold, d in stats["near_duplicates"].items():
        lines.append(
            f"| > {threshold} | {d['pairs']} | {d['pair_rate']:.2e} | {d['statements_in_a_pair']}"
            f" ({d['statement_share']:.1%}) | {d['pairs_across_splits']} |"
        )
    examples = [e for d in stats["near_duplicates"].values() for e in d["examples"]]
    if examples:
        lines.append("")
        lines.append("Closest pairs: " + ", ".join(f"{a} / {b} ({s})" for a, b, s in examples[:5]) + ".")
    distinct = stats["distinct"]
    length = stats["length_words"]
    lines += [
        "",
        f"Lexical diversity over all texts: distinct-1 {distinct['distinct_1']}, distinct-2 {distinct['distinct_2']},"
        f" distinct-3 {distinct['distinct_3']} (unique word n-grams / all word n-grams).",
        "",
        f"Length in words: min {length['min']}, 5th percentile {length['p5']:g}, median {length['median']:g},"
        f" mean {length['mean']}, 95th percentile {length['p95']:g}, max {length['max']}.",
        "Histogram: "
        + ", ".join(f"{k} words: {v}" for k, v in stats["length_histogram_words"].items())
        + ".",
        "",
        f"Coverage: {len(stats['regions'])} region tags, {stats['n_topics']} topic tags. Regions: "
        + ", ".join(f"{k} {v}" for k, v in stats["regions"].items())
        + ". Most frequent topics: "
        + ", ".join(f"{k} {v}" for k, v in stats["top_topics"].items())
        + ".",
        "",
        f"Speakers: {stats['speaker_null']} statements have no stated speaker (`null`);"
        f" {stats['speaker_not_in_text']} have a speaker that does not occur in the text.",
        "Rows per writer (id prefix): "
        + ", ".join(f"{k} {v}" for k, v in stats["id_prefixes"].items())
        + ".",
    ]
    return "\n".join(lines)
