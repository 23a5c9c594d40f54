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
    # a quiet machine unless a test says otherwise: the real load must not decide whether a probe is re-measured
    monkeypatch.setattr(device, "machine_load", lambda: {"load_1m": 0.1, "cores": 2})
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


def _load(monkeypatch, load_1m: float, cores: int = 2) -> None:
    monkeypatch.setattr(device, "machine_load", lambda: {"load_1m": load_1m, "cores": cores})


def test_probe_records_the_load_it_was_measured_under(real_probe, monkeypatch):
    _load(monkeypatch, 0.3)
    probe = device.cpu_probe()
    assert probe["load"] == {"before": 0.3, "after": 0.3, "cores": 2, "busy": False}


def test_probe_taken_under_load_is_measured_again_once_the_machine_is_quiet(real_probe, monkeypatch):
    _load(monkeypatch, 3.5)  # 3.5 runnable on 2 cores: the rates are partly another process's
    assert device.cpu_probe()["load"]["busy"] is True
    assert device.cpu_probe()["cached"] is True  # still busy: measuring again would be no better
    assert len(real_probe) == 1
    _load(monkeypatch, 0.2)
    quiet = device.cpu_probe()
    assert (quiet["cached"], quiet["load"]["busy"], len(real_probe)) == (False, False, 2)
    _load(monkeypatch, 3.5)  # a quiet probe is kept whatever the load later
    assert device.cpu_probe()["cached"] is True and len(real_probe) == 2


def test_a_busy_probe_says_so_in_the_reason(monkeypatch):
    load = {"before": 1.2, "after": 3.4, "cores": 2, "busy": True}
    probe = {"identity": {"cpu_flags": []}, "float32_gflops": 100.0, "bfloat16_gflops": 90.0, "load": load}
    monkeypatch.setattr(device, "cpu_probe", lambda: probe)
    assert "probe taken at load 3.4 on 2 cores" in device.choose_dtype("auto", "cpu").reason


def test_an_encoder_is_not_held_to_the_one_row_rate(monkeypatch):
    probe = {
        "identity": {"cpu_flags": ["avx512_bf16"]},
        **{"float32_gflops": 150.0, "bfloat16_gflops": 450.0},
        **{"float32_m1_gflops": 20.0, "bfloat16_m1_gflops": 0.5},
    }
    monkeypatch.setattr(device, "cpu_probe", lambda: probe)
    assert device.choose_dtype("auto", "cpu").dtype == "float32"  # a generator decodes one row at a time
    encoder = device.choose_dtype("auto", "cpu", decodes=False)
    assert encoder.dtype == "bfloat16" and "encoder" in encoder.reason
