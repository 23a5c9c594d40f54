"""Output paths: every writer checks its target before any work starts, and says what is wrong and the fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stancekit import io
from stancekit.errors import InputError
from stancekit.io import check_output_path, write_atomic


def test_a_file_target_that_is_an_existing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is an existing directory, but a file is wanted") as caught:
        check_output_path(tmp_path, "file", what="--output")
    assert str(tmp_path) in str(caught.value)
    assert "Fix:" in str(caught.value)


def test_a_directory_target_that_is_an_existing_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="is an existing file, but a directory is wanted") as caught:
        check_output_path(tmp_path / "f", "directory", what="--output-dir")
    assert f"--output-dir {tmp_path / 'f'}" in str(caught.value)


@pytest.mark.parametrize("kind", ["file", "directory"])
def test_a_parent_that_is_a_file_is_refused(tmp_path: Path, kind: str) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match=r"cannot be created: .*f is a file, not a directory"):
        check_output_path(tmp_path / "f" / "deeper" / "out", kind)


@pytest.mark.parametrize("kind", ["file", "directory"])
def test_a_directory_nothing_can_be_created_in_is_refused(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_access = os.access
    monkeypatch.setattr(
        io.os, "access", lambda p, mode: False if Path(p) == tmp_path else real_access(p, mode)
    )
    with pytest.raises(InputError, match=r"cannot be written: nothing can be created in .*permission denied"):
        check_output_path(tmp_path / "new" / "out", kind)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_a_read_only_directory_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(InputError, match="cannot be written"):
            check_output_path(locked / "out.md", "file")
    finally:
        locked.chmod(0o755)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_location_where_nothing_can_be_created_is_refused_even_for_root() -> None:
    with pytest.raises(InputError, match=r"cannot be written: nothing can be created in /proc"):
        check_output_path("/proc/stancekit-no-such/out.md", "file")


def test_good_targets_pass_and_missing_parents_are_allowed(tmp_path: Path) -> None:
    (tmp_path / "old.md").write_text("x")
    assert check_output_path(tmp_path / "old.md", "file") == tmp_path / "old.md"
    assert check_output_path(tmp_path / "a" / "b" / "new.md", "file") == tmp_path / "a" / "b" / "new.md"
    assert check_output_path(tmp_path, "directory") == tmp_path
    assert check_output_path(tmp_path / "runs" / "x", "directory") == tmp_path / "runs" / "x"
    assert not (tmp_path / "a").exists()  # checking creates nothing


def test_write_atomic_checks_first_and_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is an existing directory"):
        write_atomic(tmp_path, "text")
    assert list(tmp_path.iterdir()) == []
    write_atomic(tmp_path / "sub" / "out.md", "text")
    assert (tmp_path / "sub" / "out.md").read_text() == "text"


def test_write_atomic_gives_the_mode_a_new_file_gets(tmp_path: Path) -> None:
    # a results table a colleague cannot read is a lost result: mkstemp's 0600 must not leak through
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "table.csv", "a,b\n")
    finally:
        os.umask(old)
    assert (tmp_path / "table.csv").stat().st_mode & 0o777 == 0o644
