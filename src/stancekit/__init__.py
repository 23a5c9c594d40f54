"""stancekit: summarise diplomatic and news text and classify its statements by speech act, offline-first.

>>> from stancekit import summarise
>>> summarise("The foreign ministers met by video link on Tuesday ...")  # doctest: +SKIP
"""

from stancekit.errors import ConfigError, InputError, IntegrityError, ModelUnavailableError, StancekitError
from stancekit.statements import Speaker, Statement
from stancekit.summarise import Summariser, SummariserConfig, SummaryResult, summarise

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "InputError",
    "IntegrityError",
    "ModelUnavailableError",
    "Speaker",
    "StancekitError",
    "Statement",
    "Summariser",
    "SummariserConfig",
    "SummaryResult",
    "__version__",
    "summarise",
]
