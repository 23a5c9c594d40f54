"""analyse() loads the summariser while it segments and classifies: the same result, the same errors."""

from __future__ import annotations

import pytest

from stancekit.errors import StancekitError
from stancekit.summarise.config import SummariserConfig

DOCUMENT = (
    "The ministers met on Tuesday in Djibouti. The council condemned the attack and called for calm. "
    "Kenya said it would send two ships."
)


def test_summary_loaded_alongside_classification_equals_a_summary_loaded_after(tiny_seq2seq):
    from stancekit.analyse import analyse
    from stancekit.summarise.summariser import Summariser

    config = SummariserConfig(name="tiny", model=str(tiny_seq2seq), generation={"max_new_tokens": 6})
    analysis = analyse(DOCUMENT, summariser=config, classifier="lexicon")
    loaded = analyse(DOCUMENT, summariser=Summariser(config, progress=False), classifier="lexicon")
    assert analysis.summary is not None and loaded.summary is not None
    assert analysis.summary.summary == loaded.summary.summary
    assert [s.labels for s in analysis.statements] == [s.labels for s in loaded.statements]


def test_a_summariser_that_cannot_load_still_fails_with_its_own_error(tmp_path):
    from stancekit.analyse import analyse

    config = SummariserConfig(name="missing", model=str(tmp_path / "no-such-model"))
    with pytest.raises(StancekitError):
        analyse(DOCUMENT, summariser=config, classifier="lexicon")
