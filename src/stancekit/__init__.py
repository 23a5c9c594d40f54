"""stancekit: summarise diplomatic and news text and classify its statements by speech act, offline-first.

>>> from stancekit import analyse, classify, summarise
>>> summarise("The foreign ministers met by video link on Tuesday ...")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from stancekit import _compat
from stancekit.errors import ConfigError, InputError, IntegrityError, ModelUnavailableError, StancekitError
from stancekit.statements.statement import Speaker, Statement, Target
from stancekit.summarise import Summariser, SummariserConfig, SummaryResult, summarise

__version__ = "0.1.0"

_compat.install()

# Heavier parts (spaCy, classifiers) load on first use, so `import stancekit` and the CLI start fast.
_LAZY = {
    "analyse": "stancekit.analyse",
    "analyse_corpus": "stancekit.corpus",
    "Analysis": "stancekit.analyse",
    "AnalysedStatement": "stancekit.statements.analysed",
    "classify": "stancekit.statements.classifiers",
    "load_classifier": "stancekit.statements.classifiers",
    "Classification": "stancekit.statements.classifiers.base",
    "segment": "stancekit.statements.segment",
    "Segmenter": "stancekit.statements.segment",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        # importing stancekit.analyse binds the package attribute to the module; the function wins
        globals()[name] = value
        return value
    raise AttributeError(f"module 'stancekit' has no attribute {name!r}")


__all__ = [
    "AnalysedStatement",
    "Analysis",
    "Classification",
    "ConfigError",
    "InputError",
    "IntegrityError",
    "ModelUnavailableError",
    "Segmenter",
    "Speaker",
    "StancekitError",
    "Statement",
    "Summariser",
    "SummariserConfig",
    "SummaryResult",
    "Target",
    "__version__",
    "analyse",
    "analyse_corpus",
    "classify",
    "load_classifier",
    "segment",
    "summarise",
]
