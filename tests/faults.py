"""Fault injection for tests: run a real subprocess, let it reach a named point, then kill or interrupt it.

The child prints ``AT <point>`` and sleeps where the test wants it stopped (a hook the child script installs
around a real function, never a mock of the behaviour under test); the parent then signals the child's whole
process group, as a terminal's Ctrl-C or an OOM killer would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# A shell starts background jobs with SIGINT ignored, and Python keeps an inherited SIG_IGN: Ctrl-C is
# simulated as a user's terminal delivers it, so the child gets Python's default handler back.
PAUSE = """
import os as _os, signal as _signal, sys as _sys, time as _time
_signal.signal(_signal.SIGINT, _signal.default_int_handler)
def pause(point):
    if point == _os.environ.get("FAULT_STOP"):
        print("AT", point, file=_sys.stderr, flush=True)
        _time.sleep(600)
"""


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def run_child(
    script: str,
    args: list[str],
    *,
    stop: str | None = None,
    sig: int = signal.SIGKILL,
    env: dict | None = None,
) -> Outcome:
    """Run ``python -c PAUSE+script args``; when it reports ``AT stop``, send ``sig`` to its process group."""
    environment = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + str(REPO), **(env or {})}
    environment["FAULT_STOP"] = stop or ""
    child = subprocess.Popen(
        [sys.executable, "-c", PAUSE + script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=REPO,
        start_new_session=True,
    )
    assert child.stderr is not None and child.stdout is not None
    err = []
    for line in child.stderr:
        err.append(line)
        if stop and line.startswith(f"AT {stop}"):
            os.killpg(child.pid, sig)
            break
    try:
        out, rest = child.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        raise
    return Outcome(child.returncode, out, "".join(err) + rest)
