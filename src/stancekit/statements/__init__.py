"""Statements: segmentation into sentences and quotations, speaker attribution, the taxonomy, classifiers and
the labelled statement data. Heavier parts (spaCy, encoders) are imported from their modules on first use."""

from stancekit.statements.statement import Speaker, Statement, Target

__all__ = ["Speaker", "Statement", "Target"]
