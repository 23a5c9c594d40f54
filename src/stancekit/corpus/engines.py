"""Engines: where the per-batch function (:class:`DocumentAnalyser`) runs.

- ``local``: worker processes on this machine, each loading the models once (one worker runs in-process);
- ``ray``: Ray Data ``map_batches`` over an actor pool whose actors load the models once, on a local
  ``ray.init()`` or an existing cluster (``address``).

Both yield ``(shard, rows)`` as shards finish, in any order; the caller writes each shard and records it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Iterator
from typing import Any

from stancekit.corpus.analyser import DocumentAnalyser, ModelSettings
from stancekit.errors import ConfigError, InputError

Batch = tuple[int, dict[str, list[Any]]]  # (shard, columns position/id/text)

# Resident memory of one worker, measured on this machine's models (README, "Corpus runs"): spaCy sm and the
# MiniLM classifier take about 0.6 GiB; with the embedded Qwen summariser about 2.7 GiB.
WORKER_GIB = {False: 1.0, True: 3.0}
# Ray: each actor reserves half a CPU, so Ray Data's read tasks always find one (a pool of 1-CPU actors
# on a 2-CPU cluster starves them and the run hangs, `backpressured: ResourceBudget`).
RAY_ACTOR_CPUS = 0.5


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def available_memory_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def default_workers(summary: bool) -> int:
    """One worker per core, fewer when the memory would not hold that many copies of the models."""
    cores = available_cores()
    memory = available_memory_gib()
    by_memory = cores if memory is None else int(memory // WORKER_GIB[summary])
    return max(1, min(cores, by_memory))


# --------------------------------------------------------------------------------------------- local

_cached: tuple[tuple[str, str | None, int | None], DocumentAnalyser] | None = None


def _in_process(settings: ModelSettings) -> DocumentAnalyser:
    """The in-process analyser, kept for the next run with the same settings (a notebook's second call)."""
    global _cached
    key = (
        settings.classifier.fingerprint(),
        None if settings.summariser is None else settings.summariser.fingerprint(),
        settings.torch_threads,
    )
    if _cached is None or _cached[0] != key:
        _cached = None  # free the old models before loading new ones
        _cached = (key, DocumentAnalyser(settings))
    return _cached[1]


_worker: DocumentAnalyser | None = None


def _init_worker(settings: ModelSettings) -> None:
    # Ctrl-C reaches the whole process group; the parent decides, the workers just stop when told.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _worker
    _worker = DocumentAnalyser(settings)


def _run_shard(shard: int, columns: dict[str, list[Any]]) -> tuple[int, list[dict[str, Any]]]:
    assert _worker is not None
    return shard, _worker.analyse(columns["position"], columns["id"], columns["text"])


def run_local(
    settings: ModelSettings, batches: list[Batch], workers: int
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    if not batches:
        return
    if workers <= 1:
        analyser = _in_process(settings)
        for shard, columns in batches:
            yield shard, analyser.analyse(columns["position"], columns["id"], columns["text"])
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: torch and spaCy state must not be copied mid-flight from the parent
    executor = ProcessPoolExecutor(
        max_workers=min(workers, len(batches)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(settings,),
    )
    finished = False
    try:
        futures = [executor.submit(_run_shard, shard, columns) for shard, columns in batches]
        for future in as_completed(futures):
            yield future.result()
        finished = True
    finally:
        if finished:
            executor.shutdown(wait=True)
        else:  # interrupted or failed: do not wait for the shards in flight
            processes = list((getattr(executor, "_processes", None) or {}).values())
            executor.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                if process.is_alive():
                    process.terminate()
            for process in processes:
                process.join(timeout=10)


# --------------------------------------------------------------------------------------------- ray


def import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise ConfigError(
            "the ray engine needs Ray Data, which is not installed.",
            fix="pip install 'stancekit[ray]' (or use --engine local).",
        ) from None
    return ray


def check_ray_address(address: str | None, timeout: float = 5.0) -> None:
    """Refuse a Ray address that does not answer, before anything else starts."""
    if address is None or address in ("auto", "local"):
        return
    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise InputError(
            f"the Ray address {address!r} is not host:port.",
            where="--address",
            fix="pass the head node's address, e.g. 10.0.0.5:6379 or ray://10.0.0.5:10001, or 'auto'.",
        )
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            pass
    except OSError as error:
        raise InputError(
            f"the Ray cluster at {address} does not answer ({error.strerror or error}).",
            where="--address",
            fix="start it (ray start --head) or check the address; leave --address unset to start a local one.",
        ) from None


def start_ray(address: str | None) -> tuple[Any, bool]:
    """Connect to ``address`` (or start a local cluster); returns (ray, whether we started it)."""
    ray = import_ray()
    if ray.is_initialized():
        return ray, False
    check_ray_address(address)
    kwargs: dict[str, Any] = {
        "ignore_reinit_error": True,
        "log_to_driver": False,
        "logging_level": logging.WARNING,
    }
    if address is None:
        kwargs["include_dashboard"] = False
    else:
        kwargs["address"] = address
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError) as error:
        raise InputError(
            f"cannot connect to the Ray cluster at {address}: {error}",
            where="--address",
            fix="check the address, or leave --address unset to start a local cluster.",
        ) from None
    return ray, True


def ray_workers(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def run_ray(
    settings: ModelSettings, batches: list[Batch], workers: int, batch_size: int
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Run the batches on the connected Ray cluster; yields a shard once all its documents are back."""
    if not batches:
        return
    import ray.data

    items, shard_of, pending = [], {}, {}
    for shard, columns in batches:
        pending[shard] = len(columns["position"])
        for position, doc_id, text in zip(columns["position"], columns["id"], columns["text"], strict=True):
            items.append({"position": position, "id": doc_id, "text": text})
            shard_of[position] = shard
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # ours counts documents
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    dataset = ray.data.from_items(items).map_batches(
        DocumentAnalyser,
        fn_constructor_args=(settings,),
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=RAY_ACTOR_CPUS,
    )
    done: dict[int, list[dict[str, Any]]] = {shard: [] for shard in pending}
    for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
        for row in batch.to_pylist():
            shard = shard_of[row["position"]]
            done[shard].append(row)
            pending[shard] -= 1
            if pending[shard] == 0:
                yield shard, done.pop(shard)
