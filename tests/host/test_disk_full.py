"""A disk that fills during an energy run, for real: a simulated run writes its session onto
a 4 MB file system (``small_fs``). One clear error naming the file and the space left, exit
code 1 and no crash, the monitor stopped and the target powered off, results.json and
summary.json saying why, the trace readable with what it flushed, no ``*.tmp``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from session_checks import (
    assert_incomplete,
    assert_monitor_stopped_and_target_off,
    assert_trace_holds_windows,
    only_session,
)
from small_fs import small_file_system

from tinyjoule.errors import StorageError
from tinyjoule.host.disk_space import LineFile
from tinyjoule.host.results.session import _write_atomic

# ~713k samples (~1 MB of trace) a window at 1 kHz: a window or two fit on 4 MB, the run does not
RUN = ["run", "-w", "kws01", "--iterations", "20000", "--json"]
NO_MARGIN = """
import sys
from tinyjoule.host.measurement import trace_file
trace_file.MIN_FREE_BYTES = 0  # the disk fills under HDF5 itself
from tinyjoule.host.cli.app import app
app(sys.argv[1:])
"""


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    with small_file_system(tmp_path) as folder:
        yield folder


def _run(sessions: Path, script: str | None = None) -> subprocess.CompletedProcess:
    command = ["-c", script] if script else ["-m", "tinyjoule.host.cli.app"]
    return subprocess.run(
        [sys.executable, *command, *RUN, "--sessions", str(sessions)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "400"},
    )


def _check_disk_full_run(
    done: subprocess.CompletedProcess, sessions: Path, mount: Path, full: str
) -> dict:
    """The run stopped at the first file the disk refused (``full``, a regex); what it kept."""
    assert done.returncode == 1, (done.returncode, done.stderr[-3000:])  # -11: a segfault
    message = " ".join(done.stderr.split())
    folder = only_session(sessions)
    space = rf"\(\d[\d.]* (bytes|kB|MB) free on {re.escape(str(mount))}[,)]"
    assert re.match(rf"error: {full}: the disk is full {space}", message), message
    assert "--sessions a folder on a disk with room" in message and "not written" not in message
    assert "Traceback" not in done.stderr and message.count("error:") == 1
    assert f"kept in {folder}, marked incomplete: kws01 " in message
    printed = json.loads(done.stdout)  # --json: what was measured, marked incomplete
    assert printed["complete"] is False and "the disk is full" in printed["error"]
    _, results = assert_incomplete(folder, "kws01", "the disk is full")
    assert len(results["windows"]) >= 1
    assert not (folder / ".space-reserve").exists()
    return assert_trace_holds_windows(folder / "kws01" / "trace.h5", results)


def test_a_disk_that_fills_stops_the_run_cleanly(small_fs: Path) -> None:
    """The trace stops while 1 MB is still free: it closes whole, saying why, and the
    monitor's last commands still reach the transcript."""
    sessions = small_fs / "sessions"
    trace = _check_disk_full_run(_run(sessions), sessions, small_fs, r"trace file \S+/trace\.h5")
    assert trace["finite"] and "the disk is full" in trace["attrs"]["error"]
    transcript = only_session(sessions) / "kws01" / "transcript.log"
    assert_monitor_stopped_and_target_off(transcript)


def test_a_disk_filled_under_hdf5_keeps_the_trace_of_its_last_flush(small_fs: Path) -> None:
    """Without the margin the disk fills under HDF5 (or under results.json, whichever writes
    first): no crash, the trace as it was last flushed, the results files written after the
    session's reserve is given back."""
    sessions = small_fs / "sessions"
    done = _run(sessions, NO_MARGIN)
    trace = _check_disk_full_run(done, sessions, small_fs, r"(trace file )?\S+")
    assert trace["finite"]  # nothing unflushed half-read


def test_results_on_a_full_disk_keep_their_last_version_and_no_tmp(small_fs: Path) -> None:
    path = small_fs / "results.json"
    _write_atomic(path, '{"complete": false}\n')
    log = LineFile(small_fs / "log.txt")
    log.write("before\n")
    filler = small_fs / "filler"
    with filler.open("wb") as f, pytest.raises(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()
    with pytest.raises(StorageError, match=r"results\.json: the disk is full \(0 bytes free on"):
        _write_atomic(path, '{"complete": false, "error": "x"}\n' + " " * 100_000)
    assert path.read_text() == '{"complete": false}\n'
    assert not list(small_fs.glob("*.tmp"))
    log.write("after" * 10_000 + "\n")  # never raises: a device command must go on
    assert log.error is not None and "log.txt: the disk is full" in str(log.error)
    log.close()
