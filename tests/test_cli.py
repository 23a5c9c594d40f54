"""The CLI: bad input exits 2 with a message that names the problem and the fix, and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def run_cli(*args: str, stdin: bytes | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stancekit.cli", *args],
        input=stdin,
        capture_output=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
    )


def assert_clean_failure(result: subprocess.CompletedProcess, *needles: str) -> None:
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


def test_missing_file(tmp_path):
    assert_clean_failure(run_cli("summarise", str(tmp_path / "nope.txt")), "file not found", "nope.txt")


def test_empty_and_whitespace_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n ")
    assert_clean_failure(run_cli("summarise", str(path)), "empty", "Fix:")


def test_binary_file(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x89PNG\x00\x00\x01binary")
    assert_clean_failure(run_cli("summarise", str(path)), "binary")


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Les ministres ont réaffirmé leur soutien.".encode("latin-1"))
    assert_clean_failure(run_cli("summarise", str(path)), "UTF-8", "iconv")


def test_empty_stdin():
    assert_clean_failure(run_cli("summarise", "-", stdin=b""), "<stdin>", "empty")


def test_hub_model_offline_explains_the_fix(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("The ministers met on Tuesday.")
    result = run_cli("summarise", str(path), "--model", "no-such-org/no-such-model")
    assert_clean_failure(result, "not available offline", "embedded:qwen2.5-coder-0.5b-instruct")


def test_local_path_without_model_files(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("The ministers met on Tuesday.")
    empty_dir = tmp_path / "model"
    empty_dir.mkdir()
    assert_clean_failure(run_cli("summarise", str(path), "--model", str(empty_dir)), "no model files")


def test_unknown_config_name_suggests(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("The ministers met on Tuesday.")
    assert_clean_failure(
        run_cli("summarise", str(path), "--config", "embeded-qwen"), "did you mean 'embedded-qwen'"
    )


def test_json_output_carries_metadata(tmp_path, tiny_causal):
    import json

    path = tmp_path / "a.txt"
    path.write_text("The ministers met on Tuesday. They pledged support.")
    result = run_cli(
        "summarise", str(path), "--model", str(tiny_causal), "--max-new-tokens", "4", "--format", "json"
    )
    assert result.returncode == 0, result.stderr.decode()
    payload = json.loads(result.stdout)
    assert payload["generation"]["max_new_tokens"] == 4
    assert payload["model"] == str(tiny_causal)
    assert {"load_s", "generate_s", "tokens_per_s"} <= set(payload["timings"])
    assert payload["chunks"] == []


@pytest.mark.parametrize("argv", [["summarise"], ["summarise", "a", "--format", "yaml"]])
def test_usage_errors_exit_2(argv):
    result = run_cli(*argv)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr.decode()


def test_help_lists_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "summarise" in result.stdout.decode()


ARTICLE = (
    "Oman's foreign minister pledged to fund the new coast guard station for five years. "
    "The talks took place in Muscat on Tuesday. "
    "The Indian navy chief condemned the attack on the tanker as an act of piracy."
)


def tiny_summariser_config(tmp_path, model) -> str:
    config = tmp_path / "tiny.yaml"
    config.write_text(f"name: tiny\nmodel: {model}\ngeneration: {{max_new_tokens: 4}}\n")
    return str(config)


def test_analyse_stance_mode_writes_markdown_with_key_statements(tmp_path, tiny_causal):
    source = tmp_path / "a.txt"
    source.write_text(ARTICLE)
    out = tmp_path / "analysis.md"
    result = run_cli(
        "analyse", str(source), "--config", tiny_summariser_config(tmp_path, tiny_causal),
        "--classifier", "lexicon", "--mode", "stance", "--format", "markdown", "-o", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    markdown = out.read_text()
    assert "stance mode" in markdown and "## Key statements" in markdown
    key = markdown.split("## Key statements")[1].split("## Statements")[0]
    # The commitment and the condemnation are key statements, with offsets; the meeting line is not.
    assert "**commitment**" in key and "**condemnation**" in key and "Muscat" not in key
    assert f"(0–{ARTICLE.index(' The talks')})" in key


def test_analyse_json_without_summary_and_summarise_stance_json(tmp_path, tiny_causal):
    import json

    source = tmp_path / "a.txt"
    source.write_text(ARTICLE)
    result = run_cli("analyse", str(source), "--no-summary", "--classifier", "lexicon", "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    analysis = json.loads(result.stdout)
    assert analysis["summary"] is None and analysis["classifier"] == "lexicon"
    assert [s["labels"] for s in analysis["statements"]] == [["commitment"], ["other"], ["condemnation"]]
    assert all(ARTICLE[s["start"] : s["end"]] == s["text"] for s in analysis["statements"])
    result = run_cli(
        "summarise", str(source), "--config", tiny_summariser_config(tmp_path, tiny_causal),
        "--mode", "stance", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    payload = json.loads(result.stdout)
    assert payload["summary"]["model"] == str(tiny_causal)
    assert [s["labels"] for s in payload["key_statements"]] == [["commitment"], ["condemnation"]]


def test_analyse_unknown_mode_and_missing_file_exit_2(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text(ARTICLE)
    assert run_cli("analyse", str(source), "--mode", "stanse").returncode == 2
    assert_clean_failure(run_cli("analyse", str(tmp_path / "nope.txt")), "file not found")


# --------------------------------------------------------------------------------------------- output paths


@pytest.fixture
def document(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_text("The ministers met on Tuesday.")
    return path


def test_analyse_output_into_an_existing_directory(tmp_path, document):
    result = run_cli("analyse", str(document), "-o", str(tmp_path))
    assert_clean_failure(result, f"--output {tmp_path}", "is an existing directory", "Fix: name a file")


def test_analyse_output_below_a_file(tmp_path, document):
    result = run_cli("analyse", str(document), "-o", str(document / "out.md"))
    assert_clean_failure(result, "cannot be created", "is a file, not a directory", "Fix:")


def test_analyse_output_where_nothing_can_be_created(document):
    result = run_cli("analyse", str(document), "-o", "/proc/stancekit-no-such/out.md")
    assert_clean_failure(result, "cannot be written", "/proc", "Fix:")


def test_evaluate_output_dir_that_is_an_existing_file(tmp_path, document):
    result = run_cli("evaluate", "xsum-lead3", "--output-dir", str(document), "--no-progress")
    assert_clean_failure(result, f"--output-dir {document}", "is an existing file", "Fix: remove or rename")
    assert document.read_text() == "The ministers met on Tuesday."


def test_stancekit_home_where_nothing_can_be_created(tmp_path, document):
    home = document / "home"  # below a file: can never be created
    result = run_cli("summarise", str(document), env={"STANCEKIT_HOME": str(home)})
    assert_clean_failure(result, f"STANCEKIT_HOME {home}", "is a file, not a directory", "STANCEKIT_HOME at")


def test_evaluate_config_that_is_a_list(tmp_path):
    path = tmp_path / "task.yaml"
    path.write_text("- kind: summarisation\n")
    assert_clean_failure(run_cli("evaluate", str(path)), f"{path}:1", "must be a mapping", "Fix:")
