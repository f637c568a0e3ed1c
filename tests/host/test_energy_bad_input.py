"""Energy mode faults: one clear error each, and what was measured stays on disk."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pytest
from truth_check import assert_matches_truth

from tinyjoule.errors import (
    DeviceConnectionError,
    MeasurementError,
    ProtocolError,
    ResponseTimeout,
)
from tinyjoule.host.bench.spec import simulated_bench
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run


def _run(sessions: Path, workload: str = "ad01", **faults: str) -> dict:
    """An energy run on a simulated bench with ``faults`` (``sim://`` URL options)."""
    bench = simulated_bench(**faults)
    return run(
        RunRequest(mode="energy", workloads=(workload,), bench=bench, sessions_root=sessions)
    )


def _saved(sessions: Path, workload: str = "ad01") -> tuple[dict, dict]:
    (folder,) = [p for p in sessions.iterdir() if p.is_dir()]
    data = json.loads((folder / workload / "results.json").read_text())
    with h5py.File(folder / workload / "trace.h5", "r") as f:
        trace = {
            "complete": bool(f.attrs["complete"]),
            "windows": f["windows"].shape[0],
            "samples": f["samples"].shape[0],
        }
    return data, trace


def test_overrun_mid_run_keeps_measured_windows(sessions) -> None:
    # ad01 windows are ~11.5 s at 1 kHz, 7.5 s apart: an overrun after 60 s lands in the third
    with pytest.raises(MeasurementError, match="overrun"):
        _run(sessions, monitor_fault="overrun@60000")
    data, trace = _saved(sessions)
    assert data["complete"] is False and "overrun" in data["error"]
    assert 1 <= len(data["windows"]) < 5
    assert trace["complete"] is False and trace["windows"] == len(data["windows"])
    assert trace["samples"] >= 30_000


@pytest.mark.parametrize("after", [40_000, 49_150])
def test_dropped_samples_inside_a_window(sessions, after) -> None:
    """49_150 lies in the last second of the second kept window (it ends at 49_341): the drop
    shows only in the next TimeStamp record, after the window was measured."""
    with pytest.raises(MeasurementError, match="samples were lost inside the window"):
        _run(sessions, monitor_fault=f"drop:5@{after}")
    data, _ = _saved(sessions)
    assert data["complete"] is False and len(data["windows"]) >= 1


def test_missing_timestamp_event(sessions) -> None:
    # pulse 1 is the boot pulse; 2 and 3 bracket the first window (run twice: too short at
    # first), so pulse 6 is the second edge of the second window kept
    with pytest.raises(MeasurementError, match="timestamp event"):
        _run(sessions, pin_fault="7:skip")


def test_drop_in_the_last_window_is_caught_at_the_end(sessions) -> None:
    with pytest.raises(MeasurementError, match="samples were lost inside the window"):
        _run(sessions, monitor_fault="drop:3@102800")


def test_extra_timestamp_event(sessions) -> None:
    with pytest.raises(MeasurementError, match="timestamp event"):
        _run(sessions, pin_fault="6:double")
    data, _ = _saved(sessions)
    assert data["complete"] is False


def test_dut_reset_mid_energy_run(sessions) -> None:
    with pytest.raises(ProtocolError, match="rebooted"):
        _run(sessions, fault="reset@150")
    data, trace = _saved(sessions)
    assert data["complete"] is False and trace["complete"] is False


def test_monitor_unplugged_mid_run(sessions) -> None:
    with pytest.raises(DeviceConnectionError, match="LPM01A"):
        _run(sessions, monitor_fault="unplug@45000")
    data, trace = _saved(sessions)
    assert data["complete"] is False and len(data["windows"]) >= 1
    assert trace["windows"] == len(data["windows"])


def test_silent_monitor(sessions) -> None:
    with pytest.raises(ResponseTimeout, match="LPM01A"):
        _run(sessions, monitor_fault="silent")


def test_stale_stream_at_start_is_flushed(sessions) -> None:
    assert_matches_truth(_run(sessions, monitor_fault="stale")["workloads"])


def test_short_windows_are_run_again_longer(sessions) -> None:
    result = run(
        RunRequest(mode="energy", workloads=("kws01",), sessions_root=sessions, iterations=20)
    )["workloads"][0]
    assert all(w["duration_s"] >= 10.0 for w in result["windows"])
    log = Path(result["windows"] and sessions).glob("*/kws01/log.txt")
    assert "shorter than 10 s" in next(log).read_text()
