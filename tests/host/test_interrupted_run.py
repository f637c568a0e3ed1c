"""SIGTERM does what Ctrl-C does, for real: ``tinyjoule run`` in a subprocess on the simulated
bench gets the signal after its first window. It stops the monitor and powers the target
off, writes results.json and summary.json saying "interrupted by SIGTERM", says what was
kept, prints the JSON of what was measured with ``--json``, and exits 143 (SIGINT: 130)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from session_checks import (
    assert_incomplete,
    assert_monitor_stopped_and_target_off,
    assert_trace_holds_windows,
    only_session,
)

from tinyjoule.errors import RunInterrupted
from tinyjoule.host.cli.early_stop import signals_interrupt

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
# ~1800 s of bench time a window: about half a second of wall time each
RUN = [sys.executable, "-m", "tinyjoule.host.cli.app", "run", "-w", "kws01",
       "--iterations", "50000"]  # fmt: skip
DEADLINE_S = 120


def _start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, Path]:
    sessions = tmp_path / "sessions"
    out, err = (tmp_path / "stdout").open("w"), (tmp_path / "stderr").open("w")
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "400"}
    proc = subprocess.Popen([*RUN, "--sessions", str(sessions), *extra], stdout=out,
                            stderr=err, env=env)  # fmt: skip
    return proc, sessions


def _windows_so_far(sessions: Path) -> int:
    try:
        results = json.loads(next(sessions.glob("*/kws01/results.json")).read_text())
    except (StopIteration, OSError, ValueError):
        return 0
    return len(results.get("windows") or [])


def _interrupt_after_first_window(proc: subprocess.Popen, sessions: Path, signum: int) -> int:
    """Send ``signum`` once results.json holds a window; the exit code."""
    deadline = time.monotonic() + DEADLINE_S
    try:
        while _windows_so_far(sessions) < 1:
            assert proc.poll() is None, "the run ended before it could be interrupted"
            assert time.monotonic() < deadline, "no window within the deadline"
            time.sleep(0.05)
        proc.send_signal(signum)
        return proc.wait(timeout=DEADLINE_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _check_kept(tmp_path: Path, sessions: Path, error: str) -> tuple[str, dict]:
    folder = only_session(sessions)
    stderr = " ".join((tmp_path / "stderr").read_text().split())
    assert error in stderr and "Traceback" not in stderr
    assert f"kept in {folder}, marked incomplete: kws01 " in stderr
    _, results = assert_incomplete(folder, "kws01", error)
    windows = len(results["windows"])
    assert 1 <= windows < 5 and f"kws01 {windows} of 5 windows and its trace.h5" in stderr
    assert_monitor_stopped_and_target_off(folder / "kws01" / "transcript.log")
    assert_trace_holds_windows(folder / "kws01" / "trace.h5", results)
    return stderr, results


def test_sigterm_stops_the_run_as_ctrl_c_does(tmp_path: Path) -> None:
    proc, sessions = _start(tmp_path, "--json")
    assert _interrupt_after_first_window(proc, sessions, signal.SIGTERM) == 143
    _, results = _check_kept(tmp_path, sessions, "interrupted by SIGTERM")
    printed = json.loads((tmp_path / "stdout").read_text())  # what was measured
    assert printed["complete"] is False and printed["error"] == "interrupted by SIGTERM"
    assert printed["workloads"][0]["windows"] == results["windows"]


def test_ctrl_c_says_what_was_kept(tmp_path: Path) -> None:
    proc, sessions = _start(tmp_path)
    assert _interrupt_after_first_window(proc, sessions, signal.SIGINT) == 130
    _check_kept(tmp_path, sessions, "interrupted by SIGINT (Ctrl-C)")


def test_signals_raise_once_then_wait_and_the_handlers_come_back() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with (
        pytest.raises(RunInterrupted, match="interrupted by SIGTERM") as caught,
        signals_interrupt(),
    ):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
    assert caught.value.signal_name == "SIGTERM"
    assert {s: signal.getsignal(s) for s in before} == before
    with signals_interrupt():
        with pytest.raises(RunInterrupted, match=r"SIGINT \(Ctrl-C\)"):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        os.kill(os.getpid(), signal.SIGINT)  # during the cleanup: noted, not raised
        time.sleep(0.1)
        assert signal.getsignal(signal.SIGINT) == before[signal.SIGINT]  # a third quits
    assert {s: signal.getsignal(s) for s in before} == before
