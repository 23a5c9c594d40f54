"""The package layout's rules hold (import-linter contracts in pyproject.toml), and the public paths still import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(lint).exists():
        pytest.fail("lint-imports is not installed: pip install -e '.[dev]'")
    done = subprocess.run([lint], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout and "KEPT" in done.stdout


def test_public_names_import_from_the_top():
    from stancekit.metrics import load_metric

    from stancekit import Summariser, analyse, classify, segment, summarise
    from stancekit.errors import InputError, StancekitError

    assert all(callable(f) for f in (analyse, classify, segment, summarise, load_metric))
    assert issubclass(Summariser, object) and issubclass(InputError, StancekitError)


def test_importing_a_submodule_does_not_shadow_the_function():
    # `import stancekit.analyse` binds the package attribute to the module; `from stancekit import analyse`
    # must still give the function
    code = (
        "import stancekit.analyse, stancekit.classify, stancekit.segment\n"
        "from stancekit import analyse, classify, segment\n"
        "assert callable(analyse) and callable(classify) and callable(segment)\n"
        "assert [s.text for s in segment('One. Two.')] == ['One.', 'Two.']\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ("stancekit.classify", "load_classifier_config", "stancekit.statements.classifiers.config"),
        ("stancekit.segment", "Segmenter", "stancekit.statements.segment"),
        ("stancekit.taxonomy", "load_taxonomy", "stancekit.statements.taxonomy"),
        ("stancekit.data", "load_statements", "stancekit.statements.data"),
        ("stancekit.loading", "resolve_model", "stancekit.models.reference"),
        ("stancekit.embedded", "ensure_converted", "stancekit.models.embedded"),
        ("stancekit.stance", "stance_summary", "stancekit.summarise.stance"),
        ("stancekit.stance", "stance_preservation", "stancekit.evaluation.stance_preservation"),
        ("stancekit.baselines", "lead_summary", "stancekit.summarise.extractive"),
        ("stancekit.baselines", "MajorityClassifier", "stancekit.evaluation.baselines"),
        ("stancekit.classify_eval", "macro_f1", "stancekit.evaluation.classification"),
        ("stancekit.stats", "paired_bootstrap", "stancekit.evaluation.statistics"),
        ("stancekit.summary_data", "read_summary_pairs", "stancekit.summarise.data"),
        ("stancekit.training", "train_classifier", "stancekit.training.classifier"),
        ("stancekit.train_summariser", "load_train_config", "stancekit.training.summariser_config"),
        ("stancekit.train_summariser", "train_summariser", "stancekit.training.summariser"),
    ],
)
def test_old_module_paths_still_import(old, name, new):
    import importlib

    assert getattr(importlib.import_module(old), name) is getattr(importlib.import_module(new), name)


def test_an_unknown_old_name_is_an_attribute_error():
    import stancekit.classify

    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        _ = stancekit.classify.nonexistent
