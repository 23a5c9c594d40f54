"""Which labelled statements of a source a summary keeps, distorts or drops. A local ``evaluate`` metric.

Load it with ``stancekit.metrics.load_metric("stance_preservation")``. It segments and classifies the source
and the summary with stancekit's statement analysis (``stancekit.summarise.stance``), so it needs the speech-act
classifier (the shipped fine-tuned one by default) and the embedded spaCy pipeline; it reads no reference.
"""

from __future__ import annotations

import datasets
import evaluate

_DESCRIPTION = """\
Stance preservation of summaries. The source and the summary are split into statements (sentences and
quotations, with speakers) and each is classified by speech act (commitment, condolence, threat assessment,
threat, condemnation, call to action, support; `other` is not a stance). Every labelled source statement is
then judged against the summary sentence that covers it best (a share of at least `min_overlap` of the
statement's content words, the speaker's name left out, and at least `min_relative` of that sentence's
coverage of the source statement it reports best, so that a sentence restating one statement does not also
cover its neighbours):

- kept: the covering sentence carries one of the statement's labels and names no other speaker;
- distorted: it covers the statement but carries none of its labels (a threat assessment turned into a
  threat) or is attributed to another speaker;
- dropped: no summary sentence covers it.

Aggregates pool the statements of all summaries: kept_rate, distorted_rate and dropped_rate sum to 1 (NaN
when no source has a labelled statement). A summary is not asked to keep every statement: dropped is the
price of compression; distorted is the error to watch. The judge is lexical and inherits the classifier's
errors; read the per-statement outcomes before trusting a small difference.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of summaries (str).
    sources: list of the source documents (str), aligned with predictions.
    classifier: a classifier config name or YAML path (default "diplomatic-v1-minilm", the shipped one).
    min_overlap: content-word share for a summary sentence to cover a statement (default 0.2).
    min_relative: a covered statement's share relative to the sentence's best source statement (default 0.5).
Returns:
    aggregates: "kept_rate", "distorted_rate", "dropped_rate" (floats), "statements" (int);
    per summary: "kept", "distorted", "dropped" (ints), "outcomes" (one dict per labelled source statement:
        start, end, labels, speaker, outcome, summary_labels, reason).
Example:
    >>> m = stancekit.metrics.load_metric("stance_preservation")
    >>> out = m.compute(predictions=["Oman warned that piracy could return."],
    ...                 sources=["Oman's foreign minister warned that piracy could return next year."])
    >>> out["kept"] + out["distorted"] + out["dropped"]  # doctest: +SKIP
    [1, 0, 0]
"""

_CITATION = ""


class StancePreservation(evaluate.Metric):
    """Kept / distorted / dropped labelled source statements of summaries."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "sources": datasets.Value("string")}
            ),
        )

    def _compute(
        self,
        predictions: list[str],
        sources: list[str],
        classifier: str = "diplomatic-v1-minilm",
        min_overlap: float = 0.2,
        min_relative: float = 0.5,
    ) -> dict[str, object]:
        # Absolute imports: evaluate runs this file from its modules cache, not from the package.
        from stancekit.evaluation.stance_preservation import OUTCOMES, stance_preservation
        from stancekit.statements.analysed import analyse_statements
        from stancekit.statements.classifiers import load_classifier

        if not 0.0 < min_overlap <= 1.0:
            raise ValueError(f"min_overlap must be in (0, 1], got {min_overlap}")
        if not 0.0 <= min_relative <= 1.0:
            raise ValueError(f"min_relative must be in [0, 1], got {min_relative}")
        model = load_classifier(classifier)
        out: dict[str, list] = {"kept": [], "distorted": [], "dropped": [], "outcomes": []}
        for summary, source in zip(predictions, sources, strict=True):
            source_statements = analyse_statements(source, classifier=model)
            # An empty summary keeps nothing: every labelled statement is dropped.
            summary_statements = analyse_statements(summary, classifier=model) if summary.strip() else []
            judged = stance_preservation(
                source_statements, summary_statements, min_overlap=min_overlap, min_relative=min_relative
            )
            for outcome in OUTCOMES:
                out[outcome].append(sum(o.outcome == outcome for o in judged.outcomes))
            out["outcomes"].append(
                [
                    {
                        "start": o.source.start,
                        "end": o.source.end,
                        "labels": o.source.labels,
                        "speaker": o.source.speaker.name if o.source.speaker else None,
                        "outcome": o.outcome,
                        "summary_labels": o.summary_labels,
                        "reason": o.reason,
                    }
                    for o in judged.outcomes
                ]
            )
        totals = {k: sum(out[k]) for k in OUTCOMES}
        n = sum(totals.values())
        return {
            **{f"{k}_rate": (v / n if n else float("nan")) for k, v in totals.items()},
            "statements": n,
            **out,
        }
