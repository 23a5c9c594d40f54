"""Property tests of config parsing (hypothesis): no file content and no override crashes the loader; the only
errors are stancekit's ConfigError / InputError, each with a message."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from stancekit.config import load_config, load_yaml, parse_overrides
from stancekit.errors import ConfigError, InputError
from stancekit.summarise.config import SummariserConfig

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
KEYS = st.sampled_from(
    [
        "name",
        "model",
        "batch_size",
        "seed",
        "generation",
        "generation.max_new_tokens",
        "prompt",
        "chunking.max_rounds",
        "device",
        "dtype",
        "x",
        "",
    ]
)
YAMLISH = st.text(alphabet=st.sampled_from(list("ab:- \n\t'\"{}[]#&*!|>%@`,?0.\\\x00é")), max_size=60)


def _load(content: str | bytes):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "c.yaml"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
        try:
            return load_yaml(path), load_config(SummariserConfig, path, "summariser")
        except (ConfigError, InputError) as error:
            assert str(error)  # a message, never an empty error
            return None


@settings(max_examples=200, deadline=None)
@given(content=YAMLISH | st.binary(max_size=40) | st.text(max_size=40))
def test_no_file_content_crashes_the_loader(content):
    _load(content)


@settings(max_examples=200, deadline=None)
@given(data=st.dictionaries(KEYS.filter(bool), VALUES, max_size=5))
def test_no_yaml_mapping_crashes_validation(data):
    _load(yaml.safe_dump({"name": "x", **data}, allow_unicode=True))


@settings(max_examples=200, deadline=None)
@given(
    overrides=st.lists(
        st.builds(lambda k, s, v: f"{k}{s}{v}", KEYS, st.sampled_from(["=", "", "=="]), st.text(max_size=15)),
        max_size=4,
    )
)
def test_no_override_crashes_the_parser_or_the_validation(overrides):
    try:
        parse_overrides(overrides)
        load_config(SummariserConfig, "embedded-qwen", "summariser", overrides)
    except (ConfigError, InputError) as error:
        assert str(error)
