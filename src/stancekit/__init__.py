"""stancekit: summarise diplomatic and news text and classify its statements by speech act, offline-first.

>>> from stancekit import analyse, classify, summarise
>>> summarise("The foreign ministers met by video link on Tuesday ...")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from stancekit.errors import ConfigError, InputError, IntegrityError, ModelUnavailableError, StancekitError
from stancekit.statements import Speaker, Statement
from stancekit.summarise import Summariser, SummariserConfig, SummaryResult, summarise

__version__ = "0.1.0"

# Heavier parts (spaCy, classifiers) load on first use, so `import stancekit` and the CLI start fast.
_LAZY = {
    "analyse": "stancekit.analyse",
    "Analysis": "stancekit.analyse",
    "AnalysedStatement": "stancekit.analyse",
    "classify": "stancekit.classify",
    "load_classifier": "stancekit.classify",
    "Classification": "stancekit.classify",
    "segment": "stancekit.segment",
    "Segmenter": "stancekit.segment",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
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
    "__version__",
    "analyse",
    "classify",
    "load_classifier",
    "segment",
    "summarise",
]
