"""The taxonomy config: the shipped label set, validation of custom ones, and label checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancekit.errors import ConfigError, InputError
from stancekit.statements.taxonomy import Taxonomy, load_taxonomy

CUSTOM = """\
name: tiny-v1
fallback: none
labels:
  - name: praise
    definition: The speaker praises someone.
    examples: [The mayor praised the volunteers.]
  - name: blame
    definition: The speaker blames someone.
  - name: none
    definition: Neither praise nor blame.
"""


def test_shipped_taxonomy_has_the_spec_labels() -> None:
    taxonomy = load_taxonomy("diplomatic-v1")
    assert taxonomy.names == [
        "commitment",
        "condolence",
        "threat_assessment",
        "threat",
        "condemnation",
        "call_to_action",
        "support",
        "other",
    ]
    assert taxonomy.fallback == "other"
    assert "other" not in taxonomy.substantive and len(taxonomy.substantive) == 7
    for label in taxonomy.labels:
        assert label.definition.strip()
        assert len(label.examples) >= 3, label.name
    assert len(taxonomy.boundary_rules) >= 5


def test_custom_taxonomy_loads_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(CUSTOM)
    taxonomy = load_taxonomy(path)
    assert taxonomy.substantive == ["praise", "blame"]
    assert taxonomy.fallback == "none"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("definition: The speaker blames", "defintion: The speaker blames"), "did you mean 'definition'"),
        (("fallback: none", "fallback: neither"), "fallback 'neither' is not one of the labels"),
        (("name: blame", "name: praise"), "duplicate label names: praise"),
        (("name: blame", "name: Blame Game"), "must be snake_case"),
    ],
)
def test_invalid_taxonomies_fail_with_a_readable_error(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(CUSTOM.replace(*edit))
    with pytest.raises(ConfigError, match=message):
        load_taxonomy(path)


def test_unknown_taxonomy_name_suggests_the_nearest() -> None:
    with pytest.raises(ConfigError, match="did you mean 'diplomatic-v1'"):
        load_taxonomy("diplomatic-v2")


def test_check_labels() -> None:
    taxonomy = load_taxonomy("diplomatic-v1")
    taxonomy.check_labels(["threat", "call_to_action"])
    taxonomy.check_labels(["other"])
    with pytest.raises(InputError, match="did you mean 'condolence'"):
        taxonomy.check_labels(["condolences"])
    with pytest.raises(InputError, match="stands alone"):
        taxonomy.check_labels(["other", "support"])
    with pytest.raises(InputError, match="no labels"):
        taxonomy.check_labels([])
    with pytest.raises(InputError, match="duplicate"):
        taxonomy.check_labels(["threat", "threat"])


def test_label_lookup() -> None:
    taxonomy = Taxonomy.model_validate(
        {
            "name": "t",
            "fallback": "other",
            "labels": [{"name": "a", "definition": "A."}, {"name": "other", "definition": "O."}],
        }
    )
    assert taxonomy.label("a").definition == "A."
    with pytest.raises(InputError, match="did you mean 'a'"):
        taxonomy.label("aa")
