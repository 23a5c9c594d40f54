"""Scoring statement classifiers: on our labelled test split, and on PLOVER sentences mapped to our labels.

Deliberately small: per-label precision/recall/F1 and macro-F1 over a fixed label list, computed with
scikit-learn on binary indicator matrices. The evaluation harness (configs/eval, stancekit.metrics) can wrap
these functions; nothing here trains or tunes anything.

Example:
    >>> scores = score_label_sets([["threat"], ["other"]], [["threat"], ["support"]], ["threat", "other"])
    >>> scores.macro_f1, scores.per_label["other"].recall
    (0.5, 0.0)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from stancekit.errors import InputError

if TYPE_CHECKING:
    from stancekit.statements.classifiers.base import Classifier

# PLOVER event -> diplomatic-v1 label (../shared/README.md). The mapping is coarse: one event per sentence,
# and every event outside these five (PROTEST, REJECT, ASSAULT, ...) counts as `other`.
PLOVER_TO_DIPLOMATIC = {
    "AGREE": "commitment",
    "THREATEN": "threat",
    "DISAPPROVE": "condemnation",
    "DEMAND": "call_to_action",
    "SUPPORT": "support",
}
PLOVER_FALLBACK = "other"
# Only these labels are scored on PLOVER: condolence and threat_assessment have no PLOVER event.
PLOVER_SCORED_LABELS = ("commitment", "threat", "condemnation", "call_to_action", "support", "other")


class LabelScores(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int


class ClassificationScores(BaseModel):
    """Macro/micro F1 and per-label scores of predicted label sets against gold label sets."""

    n: int
    labels: list[str]
    macro_f1: float
    micro_f1: float
    exact_match: float
    per_label: dict[str, LabelScores]


def score_label_sets(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], labels: Sequence[str]
) -> ClassificationScores:
    """Score predicted label sets against gold ones over ``labels`` only.

    A predicted label outside ``labels`` is ignored (it is neither right nor wrong for a scored label);
    a gold label outside ``labels`` is an error, since it could never be matched.
    """
    import numpy as np
    from sklearn.metrics import precision_recall_fscore_support

    from stancekit.statements.classifiers.base import label_matrix

    if len(gold) != len(predicted):
        raise InputError(f"{len(gold)} gold label sets but {len(predicted)} predictions.")
    if not gold:
        raise InputError("nothing to score: no items.")
    stray = sorted({label for labels_ in gold for label in labels_} - set(labels))
    if stray:
        raise InputError(f"gold labels {stray} are not among the scored labels {list(labels)}.")
    y_true = label_matrix(gold, labels)
    y_pred = label_matrix(predicted, labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, average=None, labels=list(range(len(labels))), zero_division=0
    )
    _, _, micro, _ = precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)
    return ClassificationScores(
        n=len(gold),
        labels=list(labels),
        macro_f1=float(np.mean(f1)),
        micro_f1=float(micro),
        exact_match=float(np.mean(np.all(y_true == y_pred, axis=1))),
        per_label={
            label: LabelScores(precision=float(p), recall=float(r), f1=float(f), support=int(s))
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
    )


def macro_f1(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], labels: Sequence[str]
) -> float:
    return score_label_sets(gold, predicted, labels).macro_f1


def evaluate_on_statements(
    classifier: Classifier, data: str | Path, split: str = "test"
) -> ClassificationScores:
    """Score ``classifier`` on one split of a labelled statements file, over all labels of its taxonomy."""
    from stancekit.statements.data import load_statements

    rows = load_statements(data, classifier.taxonomy, split=split)
    predicted = [c.labels for c in classifier.predict(list(rows["text"]))]
    return score_label_sets(list(rows["labels"]), predicted, classifier.taxonomy.names)


def load_plover(path: str | Path) -> list[dict[str, str]]:
    """PLOVER gold-standard records as ``{id, text, event, label}`` with the mapped label; the DOCUMENT
    record (no text) is skipped, any other record without text is an error."""
    path = Path(path)
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read PLOVER records: {error}", where=str(path)) from None
    items = []
    for record in records:
        if record.get("event") == "DOCUMENT":
            continue
        if not record.get("text"):
            raise InputError(f"PLOVER record {record.get('id')!r} has no text.", where=str(path))
        event = record["event"]
        items.append(
            {
                "id": record["id"],
                "text": record["text"],
                "event": event,
                "label": PLOVER_TO_DIPLOMATIC.get(event, PLOVER_FALLBACK),
            }
        )
    return items


def evaluate_on_plover(classifier: Classifier, path: str | Path) -> ClassificationScores:
    """Score ``classifier`` on PLOVER sentences mapped to diplomatic-v1, over the mapped labels only.

    Evaluation only: nothing is trained or tuned on these sentences.
    """
    missing = [label for label in PLOVER_SCORED_LABELS if label not in classifier.taxonomy.names]
    if missing:
        raise InputError(
            f"the PLOVER mapping targets labels {missing} that taxonomy {classifier.taxonomy.name!r} lacks.",
            fix="evaluate a diplomatic-v1 classifier on PLOVER.",
        )
    items = load_plover(path)
    predicted = [c.labels for c in classifier.predict([item["text"] for item in items])]
    return score_label_sets([[item["label"]] for item in items], predicted, PLOVER_SCORED_LABELS)


class ClassifierReport(BaseModel):
    """One classifier's scores on our test split and on the mapped PLOVER sentences."""

    classifier: str
    kind: str
    test: ClassificationScores
    plover: ClassificationScores | None


def compare_classifiers(
    names: Sequence[str], data: str | Path, plover: str | Path | None, split: str = "test"
) -> list[ClassifierReport]:
    """Load each named classifier config and score it on ``split`` of ``data`` and (if given) on PLOVER."""
    from stancekit.statements.classifiers import load_classifier
    from stancekit.statements.classifiers.config import load_classifier_config

    reports = []
    for name in names:
        config = load_classifier_config(name)
        classifier = load_classifier(config)
        reports.append(
            ClassifierReport(
                classifier=config.name,
                kind=config.kind,
                test=evaluate_on_statements(classifier, data, split),
                plover=evaluate_on_plover(classifier, plover) if plover else None,
            )
        )
    return reports


def comparison_markdown(reports: Sequence[ClassifierReport]) -> str:
    """Side-by-side markdown tables: per-label F1 and macro-F1, one column per classifier."""
    out = []
    for title, attr in (
        ("our test split", "test"),
        ("PLOVER mapped (coarse, one event per sentence)", "plover"),
    ):
        scored = [(r, getattr(r, attr)) for r in reports if getattr(r, attr) is not None]
        if not scored:
            continue
        first = scored[0][1]
        out.append(f"### {title}: n={first.n}")
        out.append("")
        out.append("| label | support | " + " | ".join(r.classifier for r, _ in scored) + " |")
        out.append("|---|---|" + "---|" * len(scored))
        for label in first.labels:
            cells = " | ".join(f"{s.per_label[label].f1:.3f}" for _, s in scored)
            out.append(f"| {label} | {first.per_label[label].support} | {cells} |")
        out.append("| **macro-F1** | | " + " | ".join(f"**{s.macro_f1:.3f}**" for _, s in scored) + " |")
        out.append("| micro-F1 | | " + " | ".join(f"{s.micro_f1:.3f}" for _, s in scored) + " |")
        out.append("| exact match | | " + " | ".join(f"{s.exact_match:.3f}" for _, s in scored) + " |")
        out.append("")
    return "\n".join(out)
