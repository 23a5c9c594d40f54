"""Training: the statement classifier (``classifier``), the summariser (``summariser``) and their model cards.

Submodules load on first use, so ``import stancekit.training.classifier`` does not pull in the summariser's
trainer. ``from stancekit.training import train_classifier`` (the path before the package layout) still works.
scripts/train_*.py are thin shells over these modules.
"""

from __future__ import annotations

from typing import Any

from stancekit._compat import find_in

_HOMES = ("stancekit.training.classifier", "stancekit.statements.classifiers.config")


def __getattr__(name: str) -> Any:
    return find_in(_HOMES, __name__, name)
