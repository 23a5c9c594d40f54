"""Article / reference-summary pairs: JSONL validated line by line, and the figures their dataset card reports.

Every line is checked against the JSON Schema (``data/summaries/schema.json``); empty fields, unknown keys and
duplicate ids are errors reported as ``file:line``. A file loads completely or not at all.

Example:
    >>> from stancekit.summarise.data import read_summary_pairs
    >>> dev = read_summary_pairs("data/summaries/summaries.jsonl", split="dev")  # doctest: +SKIP
    >>> dev[0].where  # doctest: +SKIP
    'data/summaries/summaries.jsonl:4'
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stancekit.config import PACKAGE_DIR
from stancekit.dataset_stats import SPLITS, distinct_n, near_duplicate_pairs
from stancekit.errors import InputError
from stancekit.statements.data import read_jsonl, schema_validator
from stancekit.text import ngrams, split_sentences, words

REPO_SCHEMA = PACKAGE_DIR.parents[1] / "data" / "summaries" / "schema.json"
DEFAULT_SUMMARIES = PACKAGE_DIR.parents[1] / "data" / "summaries" / "summaries.jsonl"
MAX_REPORTED_ERRORS = 20


@dataclass(frozen=True)
class SummaryPair:
    """One article with its reference summary; ``where`` is its ``file:line`` for later messages."""

    id: str
    article: str
    summary: str
    split: str
    where: str
    topic: str | None = None
    region: str | None = None


def _describe(problem: Any) -> str:
    field = ".".join(str(p) for p in problem.path) or "(record)"
    blank = isinstance(problem.instance, str) and not problem.instance.strip()
    if problem.validator in ("minLength", "pattern") and blank:
        return f"field {field} is empty"
    if problem.validator == "required":
        return f"{problem.message} (a pair needs id, article, summary and split)"
    return f"field {field}: {problem.message}"


def read_summary_pairs(
    path: str | Path, *, split: str | Sequence[str] | None = None, schema: str | Path | None = None
) -> list[SummaryPair]:
    """Read and validate every line of a summaries JSONL file, keeping the pairs of ``split`` (all if None).

    Raises :class:`InputError` listing each bad line as ``file:line``: malformed JSON, a schema violation
    (missing or empty field, unknown key, bad split), a duplicate id. Blank lines are skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"summaries file {path} does not exist.", fix="check data.path.")
    schema_file = Path(schema) if schema else path.parent / "schema.json"
    if not schema_file.is_file():
        schema_file = REPO_SCHEMA
    validator = schema_validator(schema_file)
    wanted = None if split is None else ([split] if isinstance(split, str) else list(split))
    for name in wanted or []:
        if name not in SPLITS:
            raise InputError(f"unknown split {name!r}.", fix=f"use one of {', '.join(SPLITS)}.")
    parsed, parse_errors = read_jsonl(path, validator, _describe)
    numbered_errors = list(parse_errors)
    pairs: list[SummaryPair] = []
    seen: dict[str, int] = {}
    for number, row in parsed:
        where = f"{path}:{number}"
        if row["id"] in seen:
            numbered_errors.append(
                (number, f"{where}: duplicate id {row['id']!r} (first on line {seen[row['id']]}).")
            )
            continue
        seen[row["id"]] = number
        pairs.append(
            SummaryPair(
                id=row["id"],
                article=row["article"],
                summary=row["summary"],
                split=row["split"],
                where=where,
                topic=row.get("topic"),
                region=row.get("region"),
            )
        )
    errors = [message for _, message in sorted(numbered_errors, key=lambda e: e[0])]  # in file order
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        more = f"\n  ... and {len(errors) - len(shown)} more bad lines" if len(errors) > len(shown) else ""
        raise InputError(
            f"{len(errors)} bad line(s) in {path}; nothing was loaded:\n  " + "\n  ".join(shown) + more,
            fix=f"correct the lines above; each must be one JSON object matching {schema_file}.",
        )
    if wanted is not None:
        pairs = [p for p in pairs if p.split in wanted]
    if not pairs:
        raise InputError(
            f"{path} holds no pairs" + (f" in split(s) {wanted}." if wanted else "."),
            fix="add one JSON object per line with id, article, summary and split.",
        )
    return pairs


# ------------------------------------------------------------------------------------------- card figures
def _distribution(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=20, method="inclusive") if len(ordered) > 1 else [ordered[0]] * 19
    return {
        "min": ordered[0],
        "p5": round(q[0], 1),
        "median": round(statistics.median(ordered), 1),
        "mean": round(statistics.fmean(ordered), 1),
        "p95": round(q[18], 1),
        "max": ordered[-1],
    }


def novel_ngram_rate(summary: str, article: str, n: int) -> float | None:
    """Share of the summary's word n-grams absent from the article (None when it has no n-gram)."""
    grams = ngrams(words(summary), n)
    if not grams:
        return None
    source = set(ngrams(words(article), n))
    return sum(g not in source for g in grams) / len(grams)


def measure_summary_pairs(pairs: Sequence[SummaryPair], *, near_duplicate_n: int = 5) -> dict[str, Any]:
    """Every figure of the dataset card, computed from the pairs (so the card can be regenerated).

    Lengths are in words (``stancekit.text.words``); compression is article words / summary words; novel
    n-gram rates are macro-averaged over pairs; near-duplicates compare articles by word ``near_duplicate_n``-gram
    Jaccard similarity over all pairs of articles.
    """
    articles = [p.article for p in pairs]
    summaries = [p.summary for p in pairs]
    article_words = [len(words(a)) for a in articles]
    summary_words = [len(words(s)) for s in summaries]
    n = len(pairs)
    novel = {}
    for k in (1, 2, 3, 4):
        rates = [r for p in pairs if (r := novel_ngram_rate(p.summary, p.article, k)) is not None]
        novel[f"novel_{k}grams"] = round(statistics.fmean(rates), 3)
    all_pairs = n * (n - 1) / 2
    near: dict[str, Any] = {}
    for threshold in (0.5, 0.2, 0.1):
        found = near_duplicate_pairs(articles, threshold, n=near_duplicate_n)
        near[str(threshold)] = {
            "pairs": len(found),
            "pair_rate": round(len(found) / all_pairs, 5) if all_pairs else 0.0,
            "across_splits": sum(pairs[i].split != pairs[j].split for i, j, _ in found),
            "examples": [(pairs[i].id, pairs[j].id, s) for i, j, s in found[:5]],
        }
    closest = near_duplicate_pairs(articles, 0.0, n=near_duplicate_n)
    by_split = {s: [p for p in pairs if p.split == s] for s in SPLITS}
    return {
        "n": n,
        "n_per_split": {s: len(part) for s, part in by_split.items()},
        "article_words": _distribution(article_words),
        "summary_words": _distribution(summary_words),
        "summary_sentences": dict(sorted(Counter(len(split_sentences(s)) for s in summaries).items())),
        "compression": _distribution(
            [round(a / s, 2) for a, s in zip(article_words, summary_words, strict=True)]
        ),
        "reference_novelty": novel,
        "near_duplicate_articles": {
            "ngram": near_duplicate_n,
            "max_jaccard": max((s for _, _, s in closest), default=0.0),
            "thresholds": near,
        },
        "distinct": {
            "summaries": {f"distinct_{k}": round(distinct_n(summaries, k), 3) for k in (1, 2, 3)},
            "articles": {f"distinct_{k}": round(distinct_n(articles, k), 3) for k in (1, 2, 3)},
        },
        "n_topics": len({p.topic for p in pairs}),
        "topics": dict(Counter(p.topic for p in pairs).most_common()),
        "regions": {
            region: {s: sum(p.region == region for p in part) for s, part in by_split.items()}
            for region, _ in Counter(p.region for p in pairs).most_common()
        },
        "id_prefixes": dict(Counter(p.id.split("-")[0] for p in pairs).most_common()),
    }
