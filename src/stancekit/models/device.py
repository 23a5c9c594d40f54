"""Device and dtype choice for inference. torch is imported on first use, so `import stancekit` stays fast.

``dtype: auto`` is chosen by what the machine measurably does, not by assumption: on a CPU, bf16 when a small
bf16 matrix multiply beats fp32 by a clear margin (AMX or AVX512-BF16 make it 3-7x faster; without them torch
emulates bf16 and it loses), fp32 otherwise; on CUDA, bf16 where supported, else fp16. The CPU probe takes
about a second and is cached per machine (CPU model, its bf16/int8 flags, torch version and thread count) in
stancekit's home, so later processes only read a small JSON file. A probe records the load average it was
measured under; one measured on a busy machine is measured again by the first process that finds the machine
quiet (:func:`cpu_probe`). Every choice carries its reason, which results record as their ``numerics`` metadata.

Generators decode one row at a time, so for them bf16 must also hold up on a one-row product; encoders (the
classifier) never multiply fewer rows than a statement has tokens, so ``decodes=False`` skips that rule.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from stancekit.errors import ConfigError, StancekitError

# bf16 must beat fp32 by this factor on the probe to be chosen: within it, fp32's exactness wins.
BF16_MIN_SPEEDUP = 1.3
# ... and must not decode (one row of activations) clearly slower: on some CPUs and thread counts torch's
# bf16 matrix-vector kernel is many times slower than fp32's, and batch-1 decoding is all matrix-vector.
BF16_MIN_DECODE = 0.8
PROBE_SHAPE = (256, 896, 2432)  # (m, k, n): a prompt pass through a slice of the generator's MLP
CPU_FLAGS = ("amx_bf16", "amx_int8", "amx_tile", "avx512_bf16", "avx512_vnni", "avx512f", "avx2")
PROBE_VERSION = 4  # 4: the load average is recorded with the rates
# A probe uses every core; measured while the 1-minute load average exceeded this share of the cores, its rates
# are partly another process's, so it is re-measured once the machine is quiet.
PROBE_MAX_LOAD = 0.5


def select_device(name: str) -> str:
    """``auto`` is CUDA when available, else the CPU; a CUDA device asked for where there is none is an error."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"device '{name}' requested but CUDA is not available.", fix="set device: cpu or auto."
        )
    return name


@dataclass(frozen=True)
class DtypeChoice:
    """The compute dtype, how it was chosen, and the measurements behind it (recorded in results)."""

    dtype: str  # "float32", "bfloat16", "float16"
    device: str
    requested: str
    reason: str
    probe: dict[str, Any] = field(default_factory=dict)

    @property
    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.dtype)

    def metadata(self) -> dict[str, Any]:
        return asdict(self)


def cpu_identity() -> dict[str, Any]:
    """CPU model, the flags that decide bf16/int8 speed, torch's kernel level, version and threads."""
    import torch

    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() in ("flags", "Features"):
                    flags = set(value.split())
                    break
    except OSError:
        pass
    return {
        "cpu_model": model,
        "cpu_flags": [f for f in CPU_FLAGS if f in flags],
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }


def _gemm_gflops(dtype: Any, repeats: int = 7, m: int | None = None) -> float:
    """Rate of ``linear`` (weights stored out x in, as in the models) on ``m`` rows of activations."""
    import torch

    m, k, n = (m or PROBE_SHAPE[0]), PROBE_SHAPE[1], PROBE_SHAPE[2]
    x, weight = torch.randn(m, k, dtype=dtype), torch.randn(n, k, dtype=dtype)
    for _ in range(2):
        torch.nn.functional.linear(x, weight)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.nn.functional.linear(x, weight)
        times.append(time.perf_counter() - start)
    return 2 * m * k * n / sorted(times)[len(times) // 2] / 1e9


def measure_cpu() -> dict[str, Any]:
    """Time fp32 and bf16 GEMMs once (medians, interleaved so a load change hits both)."""
    import torch

    rates: dict[str, list[float]] = {
        name: [] for name in ("float32", "bfloat16", "float32_m1", "bfloat16_m1")
    }
    for _ in range(3):
        rates["float32"].append(_gemm_gflops(torch.float32))
        rates["bfloat16"].append(_gemm_gflops(torch.bfloat16))
        # one row: a decoding step at batch 1, which some CPUs' bf16 kernels run far slower than fp32
        rates["float32_m1"].append(_gemm_gflops(torch.float32, repeats=15, m=1))
        rates["bfloat16_m1"].append(_gemm_gflops(torch.bfloat16, repeats=15, m=1))
    return {f"{name}_gflops": round(sorted(v)[1], 2) for name, v in rates.items()}


def machine_load() -> dict[str, Any]:
    """The 1-minute load average and the cores this process may run on."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this platform: taken as quiet
        load = 0.0
    return {"load_1m": round(load, 2), "cores": cores}


def is_busy(load: dict[str, Any]) -> bool:
    return load["load_1m"] > PROBE_MAX_LOAD * load["cores"]


def _probe_path(identity: dict[str, Any]) -> Any:
    from stancekit.models.embedded import stancekit_home

    key = hashlib.sha256(json.dumps([PROBE_VERSION, identity], sort_keys=True).encode()).hexdigest()[:16]
    return stancekit_home() / "probes" / f"cpu-{key}.json"


def cpu_probe() -> dict[str, Any]:
    """The machine's identity and its measured fp32/bf16 GEMM rates, measured once and cached on disk.

    The probe keeps the load average before and after measuring (``load``). A cached probe measured on a busy
    machine (1-minute load above ``PROBE_MAX_LOAD`` per core) is measured again when the machine is quiet now,
    and the quiet measurement replaces it; while the machine stays busy the cached probe is used (measuring
    again under load would cost a second per process for rates no better). An unwritable cache only costs
    re-measuring in each process.
    """
    identity = cpu_identity()
    path = _probe_path(identity)
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        busy_then = cached.get("load", {}).get("busy", False)
        if cached.get("identity") == identity and not (busy_then and not is_busy(machine_load())):
            return {**cached, "cached": True}
    except (OSError, ValueError):
        pass
    before = machine_load()
    rates = measure_cpu()
    after = machine_load()
    load = {"before": before["load_1m"], "after": after["load_1m"], "cores": after["cores"]}
    load["busy"] = is_busy(before) or is_busy(after)
    probe = {"identity": identity, **rates, "shape_mkn": list(PROBE_SHAPE), "load": load}
    try:
        from stancekit.io import write_atomic

        write_atomic(path, json.dumps(probe, indent=2))
    except (OSError, StancekitError):  # an unusable home: measure again next time
        pass
    return {**probe, "cached": False}


def choose_dtype(name: str, device: str, *, decodes: bool = True) -> DtypeChoice:
    """The dtype for ``name`` (``auto`` or an explicit one) on ``device``, with the reason.

    ``decodes``: the model generates token by token (one-row products), as the summariser does; an encoder
    passes False, and bf16's one-row rate is then not asked for.
    """
    import torch

    if name != "auto":
        return DtypeChoice(name, device, name, "set in the config")
    if device.startswith("cuda"):
        if torch.cuda.is_bf16_supported():
            return DtypeChoice("bfloat16", device, name, "CUDA device with bf16 support")
        return DtypeChoice("float16", device, name, "CUDA device without bf16: fp16")
    if device != "cpu":
        return DtypeChoice("float32", device, name, f"device {device!r}: fp32, not measured")
    probe = cpu_probe()
    fp32, bf16 = probe["float32_gflops"], probe["bfloat16_gflops"]
    speedup = bf16 / fp32 if fp32 else 0.0
    flags = ", ".join(probe["identity"]["cpu_flags"]) or "none"
    measured = f"bf16 GEMM {bf16:.0f} GFLOP/s vs fp32 {fp32:.0f} ({speedup:.2f}x; flags: {flags})"
    load = probe.get("load")
    if load and load.get("busy"):
        measured += f"; probe taken at load {max(load['before'], load['after']):.1f} on {load['cores']} cores"
    if not decodes:
        measured += ", encoder: one-row rate not needed"
    elif "bfloat16_m1_gflops" in probe:  # probes from before version 2 lack the one-row rates
        m1 = probe["bfloat16_m1_gflops"] / probe["float32_m1_gflops"] if probe["float32_m1_gflops"] else 0.0
        measured += f", one row {m1:.2f}x"
        if m1 < BF16_MIN_DECODE:
            return DtypeChoice("float32", device, name, f"{measured}: bf16 decodes slower, fp32", probe)
    if speedup >= BF16_MIN_SPEEDUP:
        return DtypeChoice("bfloat16", device, name, f"{measured} >= {BF16_MIN_SPEEDUP}x: bf16", probe)
    return DtypeChoice("float32", device, name, f"{measured} < {BF16_MIN_SPEEDUP}x: fp32", probe)


def select_dtype(name: str, device: str) -> Any:
    """The torch dtype of :func:`choose_dtype`."""
    return choose_dtype(name, device).torch_dtype
