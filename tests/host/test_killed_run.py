"""SIGKILL (or a power loss) leaves a trace.h5 that opens, for real: ``tinyjoule run`` in a
subprocess is killed the moment its trace appears (no sample yet), and once it holds
samples but before any window. Plain h5py opens it; the samples read (possibly none) and
the attributes needed to read them are there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import h5py
import pytest
from session_checks import trace_facts

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
# a first window of ~100k s of bench time: many seconds of wall time before the first one
RUN = [sys.executable, "-m", "tinyjoule.host.cli.app", "run", "-w", "kws01",
       "--iterations", "3000000", "--json"]  # fmt: skip
DEADLINE_S = 60
T = TypeVar("T")


def _start(sessions: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*RUN, "--sessions", str(sessions)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait_for(proc: subprocess.Popen, found: Callable[[], T], what: str, poll_s: float) -> T:
    deadline = time.monotonic() + DEADLINE_S
    while not (value := found()):
        assert proc.poll() is None, f"the run ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within {DEADLINE_S} s"
        time.sleep(poll_s)
    return value


def _trace(sessions: Path) -> Path | None:
    return next(sessions.glob("*/kws01/trace.h5"), None)


def _samples_now(sessions: Path) -> int:
    """Samples a reader sees in the live trace (0 while it cannot be read)."""
    try:
        with h5py.File(_trace(sessions), "r") as f:
            return f["samples"].shape[0]
    except (OSError, KeyError, TypeError):
        return 0


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


KNOWN_GAP = ("addr overflow", "filter returned failure")
"""What h5py says of a trace killed during a flush (README, fault matrix: a known gap, not
fixed yet). Such a run is reported as xfail, visibly, never as a pass."""


def _assert_readable(path: Path) -> dict:
    try:
        trace = trace_facts(path)
    except OSError as exc:
        if any(text in str(exc) for text in KNOWN_GAP):
            pytest.xfail(f"killed during a flush, the known gap: {exc}")
        raise
    attrs = trace["attrs"]
    assert attrs["sample_rate_hz"] == 1000.0 and attrs["unit"] == "J"
    assert attrs["supply_voltage_v"] > 0 and not attrs["complete"]
    # the trace was renamed before anything was written to it; a JSON file's ``.tmp`` may stay
    # (killed between writing it and the rename), beside the last whole version of that file
    assert not path.with_name(path.name + ".tmp").exists()
    for tmp in path.parent.glob("*.json.tmp"):
        whole = tmp.with_suffix("")
        assert not whole.exists() or isinstance(json.loads(whole.read_text()), dict)
    return trace


def test_killed_as_the_trace_appears(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    proc = _start(sessions)
    try:
        path = _wait_for(proc, lambda: _trace(sessions), "trace.h5", 0.0005)
        _kill(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    trace = _assert_readable(path)
    assert trace["samples"] >= 0 and len(trace["windows"]) == 0


def test_killed_while_streaming_keeps_the_samples_flushed(tmp_path: Path) -> None:
    """The trace is flushed every second while it streams, not only after a window."""
    sessions = tmp_path / "sessions"
    proc = _start(sessions)
    try:
        _wait_for(proc, lambda: _trace(sessions), "trace.h5", 0.01)
        seen = _wait_for(proc, lambda: _samples_now(sessions), "flushed samples", 0.1)
        _kill(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    trace = _assert_readable(_trace(sessions))
    assert trace["samples"] >= seen > 0 and trace["finite"]
    assert len(trace["windows"]) == 0  # killed before any window: only the streaming flush
