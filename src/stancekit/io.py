"""File output: one check of every output path before any work starts, and atomic writes.

A reader never sees a half-written file, and a failure leaves the old one intact. Every writer calls
:func:`check_output_path` first, so a path that cannot be written is refused with a message that names it, says
what is wrong and how to fix it, before a model is loaded or a prediction is made.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from stancekit.errors import InputError


def _nearest_existing(path: Path) -> Path:
    """``path`` itself if it exists, else its closest existing ancestor (missing ones are created later)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def _cannot_write(directory: Path) -> str | None:
    """Why nothing can be created in ``directory``, or None. Tries it: permission bits lie to root."""
    if not os.access(directory, os.W_OK | os.X_OK):
        return "permission denied"
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        return error.strerror or type(error).__name__
    return None


def check_output_path(
    path: str | Path,
    kind: Literal["file", "directory"],
    *,
    what: str = "output",
    fix: str | None = None,
) -> Path:
    """Check that ``path`` can be written as a ``kind`` before any work starts; return it as a Path.

    A file must not be an existing directory, a directory must not be an existing file, and the nearest
    existing ancestor (the parent, or a directory above it when the writer creates the missing ones) must be
    a directory in which files can be created. Raises :class:`~stancekit.errors.InputError` otherwise.
    """
    target = Path(path).expanduser()
    where = f"{what} {target}"
    other = fix or f"choose another {what} path."
    if kind == "file" and target.is_dir():
        raise InputError(
            "is an existing directory, but a file is wanted here.",
            where=where,
            fix=f"name a file, e.g. {target / 'analysis.md'}; or {other}",
        )
    if kind == "directory" and target.exists() and not target.is_dir():
        raise InputError(
            "is an existing file, but a directory is wanted here.",
            where=where,
            fix=f"remove or rename that file, or {other}",
        )
    parent = target if kind == "directory" and target.is_dir() else target.parent
    existing = _nearest_existing(parent)
    if not existing.is_dir():
        raise InputError(
            f"cannot be created: {existing} is a file, not a directory.",
            where=where,
            fix=f"use a path whose parent is a directory; or {other}",
        )
    reason = _cannot_write(existing)
    if reason is not None:
        raise InputError(
            f"cannot be written: nothing can be created in {existing} ({reason}).",
            where=where,
            fix=f"check that directory's permissions and free space; or {other}",
        )
    return target


def _umask() -> int:
    mask = os.umask(0)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write ``text`` (str as UTF-8, or bytes, e.g. a PNG) to ``path`` through a temporary file in the same
    directory and an atomic rename."""
    target = check_output_path(path, "file")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        binary = isinstance(text, bytes)
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file 0600; give it the mode any new file gets (0666 less the umask)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
