"""Bad inputs to the public functions raise InputError at once, before any model is loaded."""

from __future__ import annotations

import sys

import pytest

from stancekit.errors import InputError


@pytest.fixture
def no_models(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args, **kwargs):
        pytest.fail("a model was loaded before the input was checked")

    import importlib

    classifiers = importlib.import_module("stancekit.statements.classifiers")
    api = importlib.import_module("stancekit.summarise.api")
    summariser = importlib.import_module("stancekit.summarise.summariser")
    importlib.import_module("stancekit.analyse")
    monkeypatch.setattr(summariser, "load_generator", boom)
    monkeypatch.setattr(api, "Summariser", boom)
    monkeypatch.setattr(classifiers, "load_classifier", boom)
    monkeypatch.setattr(sys.modules["stancekit.analyse"], "resolve_classifier", boom)
    monkeypatch.setattr(sys.modules["stancekit.analyse"], "Summariser", boom)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("  \n", "empty"),
        (["ok", ""], r"document 1: the text is empty"),
        (None, "got NoneType"),
        ([None], "document 0: expected text as a str, got NoneType"),
        (42, "got int"),
        (b"bytes", "got bytes"),
    ],
)
@pytest.mark.parametrize("mode", ["plain", "stance"])
def test_summarise_checks_every_input_before_loading(no_models, value, message, mode):
    from stancekit.summarise.api import summarise

    with pytest.raises(InputError, match=message):
        summarise(value, mode=mode)


@pytest.mark.parametrize(
    ("value", "message"),
    [(None, "got NoneType"), ([None], "item 0 is a NoneType"), (42, "got int"), (["ok", " "], "statement 1")],
)
def test_classify_checks_every_input_before_loading(no_models, value, message):
    from stancekit.statements.classifiers import classify

    with pytest.raises(InputError, match=message):
        classify(value)


@pytest.mark.parametrize("value", [None, "", 42, b"x"])
def test_analyse_checks_the_document_before_loading(no_models, value):
    analyse = sys.modules["stancekit.analyse"].analyse
    with pytest.raises(InputError, match=r"analyse\(\)"):
        analyse(value)


@pytest.mark.parametrize("value", [None, "", 42])
def test_segment_checks_the_document_first(value, monkeypatch):
    from stancekit.statements import segment as seg

    monkeypatch.setattr(seg, "_load_pipeline", lambda *a: pytest.fail("spaCy loaded first"))
    with pytest.raises(InputError, match="segment"):
        seg.Segmenter().segment(value)
