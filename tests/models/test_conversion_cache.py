"""The conversion cache: a manifest of sizes and sha256 at conversion, checked on load; damage re-converts.

A tiny fake pack stands in for the 0.5B generator: its "GGUF" is a few bytes (the real assembly and hash check
run on it) and its conversion copies the tiny Qwen2 of ``conftest`` into place, so everything around the
conversion (temporary directory, lock, marker, manifest, rename, clean-up) is the real code. The fault tests
start a real subprocess, stop it at a chosen point and kill its process group with SIGKILL.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from stancekit.errors import IntegrityError, ModelUnavailableError
from stancekit.models import embedded

REPO = Path(__file__).resolve().parents[2]
PAYLOAD = b"GGUF" + bytes(range(256)) * 4


def _fake_pack(tmp_path: Path) -> tuple[embedded.GgufPack, Path]:
    part = tmp_path / "parts" / "part01.bin"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(PAYLOAD)
    pack = embedded.GgufPack(
        name="tiny-fake",
        parts=(("tiny-fake-dist", "part01.bin"),),
        sha256=hashlib.sha256(PAYLOAD).hexdigest(),
        size=len(PAYLOAD),
    )
    return pack, part


@pytest.fixture
def fake(tmp_path, monkeypatch, tiny_causal):
    pack, part = _fake_pack(tmp_path)
    monkeypatch.setenv("STANCEKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(embedded, "locate_file", lambda dist, rel: part)
    calls = []

    def convert(directory: Path, gguf_name: str, out: Path, *, progress: bool) -> None:
        assert (directory / gguf_name).read_bytes() == PAYLOAD  # the assembled, hash-checked "GGUF"
        calls.append(out)
        shutil.copytree(tiny_causal, out)

    monkeypatch.setattr(embedded, "_convert_gguf", convert)
    return pack, calls


def _marker(directory: Path) -> dict:
    return json.loads((directory / "stancekit-pack.json").read_text())


def test_conversion_records_every_file_size_and_sha256(fake):
    pack, calls = fake
    target = embedded.ensure_converted(pack, progress=False)
    files = _marker(target)["files"]
    assert "model.safetensors" in files and "config.json" in files and "stancekit-pack.json" not in files
    for name, info in files.items():
        data = (target / name).read_bytes()
        assert info == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert embedded.ensure_converted(pack, progress=False) == target and len(calls) == 1  # cached


def test_a_truncated_safetensors_is_detected_and_converted_again(fake, capsys):
    pack, calls = fake
    target = embedded.ensure_converted(pack, progress=False)
    good = (target / "model.safetensors").read_bytes()
    (target / "model.safetensors").write_bytes(good[: len(good) // 2])  # a full disk, a bad copy
    assert embedded.ensure_converted(pack, progress=False) == target
    assert len(calls) == 2 and (target / "model.safetensors").read_bytes() == good
    assert "model.safetensors has" in capsys.readouterr().err  # says which file, then converts again
    assert not list(target.parent.glob(".tiny-fake-*"))  # the damaged copy was moved aside and deleted


def test_same_size_corruption_is_caught_by_the_hash(fake):
    pack, calls = fake
    target = embedded.ensure_converted(pack, progress=False)
    path = target / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # same size, new mtime: the per-process hash memo must not hide it
    path.write_bytes(bytes(data))
    assert embedded.cache_damage(target) == f"{path} does not have the sha256 recorded when it was converted"
    embedded.ensure_converted(pack, progress=False)
    assert len(calls) == 2 and embedded.cache_damage(target) is None


def test_an_old_marker_without_a_manifest_is_checked_and_upgraded(fake):
    pack, calls = fake
    target = embedded.ensure_converted(pack, progress=False)
    marker = _marker(target)
    recorded = marker.pop("files")
    (target / "stancekit-pack.json").write_text(json.dumps(marker))
    assert embedded.ensure_converted(pack, progress=False) == target and len(calls) == 1
    assert _marker(target)["files"] == recorded  # intact: hashed and given its manifest, not re-converted

    (target / "stancekit-pack.json").write_text(json.dumps(marker))  # old marker again, now truncated
    path = target / "model.safetensors"
    path.write_bytes(path.read_bytes()[:-10])
    assert "its header describes" in embedded.cache_damage(target)
    embedded.ensure_converted(pack, progress=False)
    assert len(calls) == 2 and embedded.cache_damage(target) is None


def test_damage_that_cannot_be_repaired_names_the_file_and_how_to_clear_it(fake, monkeypatch):
    pack, _ = fake
    target = embedded.ensure_converted(pack, progress=False)
    (target / "model.safetensors").write_bytes(b"\x00" * 12)

    def missing(dist, rel):
        raise ModelUnavailableError(f"the embedded pack '{dist}' is not installed.")

    monkeypatch.setattr(embedded, "locate_file", missing)
    with pytest.raises(IntegrityError) as caught:
        embedded.ensure_converted(pack, progress=False)
    message = str(caught.value)
    assert f"{target / 'model.safetensors'} has 12 bytes" in message
    assert f"rm -rf '{target}'" in message and "STANCEKIT_HOME" in message


# --------------------------------------------------------------------------------------------- kill -9

CHILD = textwrap.dedent(
    """
    import hashlib, os, shutil, sys, time
    from pathlib import Path
    from stancekit.models import embedded

    tiny, part, stop = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    payload = part.read_bytes()
    pack = embedded.GgufPack("tiny-fake", (("d", "p"),), hashlib.sha256(payload).hexdigest(), len(payload))
    embedded.locate_file = lambda dist, rel: part

    def pause(point):
        if point == stop:
            print("AT", point, flush=True)
            time.sleep(600)

    def convert(directory, gguf_name, out, *, progress):
        print("CONVERTING", flush=True)
        out.mkdir()
        for f in sorted(tiny.iterdir()):
            data = f.read_bytes()
            if f.name == "model.safetensors":
                (out / f.name).write_bytes(data[: len(data) // 2])
                pause("mid-write")
            (out / f.name).write_bytes(data)

    real_manifest, real_replace = embedded.record_manifest, os.replace
    def manifest(directory):
        pause("before-manifest")
        return real_manifest(directory)
    def replace(src, dst):
        if Path(dst) == embedded.converted_dir(pack):
            pause("before-rename")
        real_replace(src, dst)
    embedded._convert_gguf, embedded.record_manifest, embedded.os.replace = convert, manifest, replace
    print("DONE", embedded.ensure_converted(pack, progress=False), flush=True)
    """
)


def _run_child(tiny: Path, part: Path, home: Path, stop: str) -> tuple[int, str]:
    env = {**os.environ, "STANCEKIT_HOME": str(home), "PYTHONPATH": str(REPO / "src")}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tiny), str(part), stop],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    assert child.stdout is not None
    lines = []
    for line in child.stdout:
        lines.append(line)
        if line.startswith("AT "):
            os.killpg(child.pid, signal.SIGKILL)
            break
    child.wait(timeout=60)
    return child.returncode, "".join(lines) + child.stdout.read()


@pytest.mark.parametrize("stop", ["mid-write", "before-manifest", "before-rename"])
def test_a_conversion_killed_at_any_point_converts_cleanly_next_time(tmp_path, tiny_causal, stop):
    _, part = _fake_pack(tmp_path)
    home = tmp_path / "home"
    code, output = _run_child(tiny_causal, part, home, stop)
    assert code == -signal.SIGKILL and f"AT {stop}" in output
    target = home / "models" / f"tiny-fake-{hashlib.sha256(PAYLOAD).hexdigest()[:12]}"
    assert not (target / "stancekit-pack.json").exists()  # nothing a later run could trust

    code, output = _run_child(tiny_causal, part, home, "never")
    assert code == 0 and "CONVERTING" in output and f"DONE {target}" in output
    assert embedded.cache_damage(target) is None
    for f in tiny_causal.iterdir():
        assert (target / f.name).read_bytes() == f.read_bytes()
    assert not list(target.parent.glob(".tiny-fake-*"))  # the killed run's temporary directory is gone
