"""The measured numeric path: `dtype: auto` follows the probe's rates, the probe is cached per machine."""

from __future__ import annotations

import json

import pytest

import stancekit.models.device as device


@pytest.fixture
def real_probe(monkeypatch, tmp_path):
    """The real cpu_probe, writing into a temporary home, with the timing replaced by fixed rates."""
    monkeypatch.undo()  # drop conftest's fixed probe
    monkeypatch.setenv("STANCEKIT_HOME", str(tmp_path))
    calls = []

    def measure():
        calls.append(1)
        return {"float32_gflops": 150.0, "bfloat16_gflops": 600.0}

    monkeypatch.setattr(device, "measure_cpu", measure)
    return calls


@pytest.mark.parametrize(
    ("fp32", "bf16", "expected"),
    [(150.0, 600.0, "bfloat16"), (150.0, 160.0, "float32"), (150.0, 40.0, "float32")],
)
def test_auto_on_cpu_follows_the_measured_rates(monkeypatch, fp32, bf16, expected):
    probe = {"identity": {"cpu_flags": ["avx512_bf16"]}, "float32_gflops": fp32, "bfloat16_gflops": bf16}
    monkeypatch.setattr(device, "cpu_probe", lambda: probe)
    choice = device.choose_dtype("auto", "cpu")
    assert choice.dtype == expected
    assert f"{bf16:.0f} GFLOP/s" in choice.reason and "avx512_bf16" in choice.reason
    assert choice.metadata()["probe"]["float32_gflops"] == fp32


def test_auto_on_cpu_keeps_fp32_where_bf16_decodes_slower(monkeypatch):
    probe = {
        "identity": {"cpu_flags": ["avx512_bf16"]},
        **{"float32_gflops": 150.0, "bfloat16_gflops": 600.0},
        **{"float32_m1_gflops": 20.0, "bfloat16_m1_gflops": 5.0},
    }
    monkeypatch.setattr(device, "cpu_probe", lambda: probe)
    choice = device.choose_dtype("auto", "cpu")
    assert choice.dtype == "float32" and "one row 0.25x" in choice.reason


def test_an_explicit_dtype_is_kept_and_not_measured(monkeypatch):
    monkeypatch.setattr(device, "cpu_probe", lambda: pytest.fail("explicit dtypes must not probe"))
    choice = device.choose_dtype("float32", "cpu")
    assert (choice.dtype, choice.reason) == ("float32", "set in the config")
    assert str(device.select_dtype("bfloat16", "cpu")) == "torch.bfloat16"


def test_probe_is_measured_once_and_cached_per_machine(real_probe, tmp_path):
    first = device.cpu_probe()
    second = device.cpu_probe()
    assert len(real_probe) == 1  # the second call read the cache
    assert (first["cached"], second["cached"]) == (False, True)
    assert first["identity"] == second["identity"] == device.cpu_identity()
    files = list((tmp_path / "probes").glob("cpu-*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["bfloat16_gflops"] == 600.0


def test_probe_of_another_machine_is_not_reused(real_probe, monkeypatch):
    device.cpu_probe()
    identity = device.cpu_identity()
    monkeypatch.setattr(device, "cpu_identity", lambda: {**identity, "cpu_model": "another CPU"})
    assert device.cpu_probe()["cached"] is False
    assert len(real_probe) == 2


def test_unwritable_home_still_gives_a_probe(real_probe, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("STANCEKIT_HOME", str(blocker))  # a file: nothing can be cached below it
    assert device.cpu_probe()["bfloat16_gflops"] == 600.0
    assert device.cpu_probe()["cached"] is False
