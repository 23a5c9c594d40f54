"""Configs: every shipped YAML validates; typos fail early with a suggestion; dotted overrides."""

from __future__ import annotations

import pytest

from stancekit import ConfigError, SummariserConfig
from stancekit.config import config_root, load_config, parse_overrides, resolve_config_path
from stancekit.summarise.config import load_summariser_config


# train-*.yaml beside them are training configs (stancekit.training.summariser_config), checked in tests/training/test_train_summariser.
@pytest.mark.parametrize(
    "path",
    sorted(p for p in (config_root() / "summariser").glob("*.yaml") if not p.stem.startswith("train-")),
    ids=lambda p: p.stem,
)
def test_every_shipped_summariser_config_validates(path):
    config = load_config(SummariserConfig, path, "summariser")
    assert config.name == path.stem
    assert "{document}" in config.prompt.user


def test_default_config_is_the_embedded_pack():
    assert load_summariser_config().model == "embedded:qwen2.5-coder-0.5b-instruct"


def test_unknown_key_suggests_the_right_one(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("model: x\ngeneration:\n  max_new_token: 5\n")
    with pytest.raises(ConfigError) as error:
        load_config(SummariserConfig, path, "summariser")
    assert "generation.max_new_token" in str(error.value)
    assert "did you mean 'max_new_tokens'" in str(error.value)
    assert str(path) in str(error.value)


def test_wrong_type_names_key_and_value(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("model: x\nbatch_size: many\n")
    with pytest.raises(ConfigError, match="batch_size"):
        load_config(SummariserConfig, path, "summariser")


def test_prompt_without_placeholder_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("model: x\nprompt:\n  user: Summarise this.\n")
    with pytest.raises(ConfigError, match="document"):
        load_config(SummariserConfig, path, "summariser")


def test_invalid_yaml_reports_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("model: x\ngeneration: [unclosed\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml:\d"):
        load_config(SummariserConfig, path, "summariser")


def test_unknown_config_name_suggests_a_shipped_one():
    with pytest.raises(ConfigError, match="did you mean 'embedded-qwen'"):
        resolve_config_path("embeded-qwen", "summariser")


def test_dotted_overrides_are_typed_and_nested():
    assert parse_overrides(
        ["training.learning_rate=1e-4", "seed=13", "prompt.prefix=summarize: ", "x.y=null"]
    ) == {
        "training": {"learning_rate": 1e-4},
        "seed": 13,
        "prompt": {"prefix": "summarize: "},
        "x": {"y": None},
    }
    with pytest.raises(ConfigError):
        parse_overrides(["no-equals-sign"])


def test_overrides_apply_to_a_loaded_config():
    config = load_summariser_config(None, ["generation.num_beams=3", "batch_size=2"])
    assert config.generation.num_beams == 3 and config.batch_size == 2


@pytest.mark.parametrize(
    ("text", "got", "line"),
    [
        ("# a comment\n- model: x\n- seed: 1\n", "a list", 2),
        ("\n\njust a string\n", "a str", 3),
        ("", "nothing (the file is empty)", 1),
    ],
)
def test_yaml_that_is_not_a_mapping_names_file_and_line(tmp_path, text, got, line):
    from stancekit.config import load_yaml
    from stancekit.errors import ConfigError

    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="must be a mapping") as caught:
        load_yaml(path)
    assert f"{path}:{line}" in str(caught.value) and got in str(caught.value)


def test_task_config_that_is_a_list_is_a_config_error_not_a_traceback(tmp_path):
    from stancekit.errors import ConfigError
    from stancekit.evaluation import load_task

    path = tmp_path / "task.yaml"
    path.write_text("- kind: summarisation\n")
    with pytest.raises(ConfigError, match=r"task\.yaml:1: a config must be a mapping"):
        load_task(path, ["seed=1"])
