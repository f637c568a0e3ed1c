"""Energy mode faults: one clear error each, and what was measured stays on disk."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pytest

from tinyjoule.errors import (
    DeviceConnectionError,
    MeasurementError,
    ProtocolError,
    ResponseTimeout,
)
from tinyjoule.host.runner import session_run
from tinyjoule.host.runner.session_run import RunRequest, run
from tinyjoule.host.sim.simulated_bench import (
    MonitorFault,
    SimBenchConfig,
    SimFault,
    SimulatedBench,
)

ORIGINAL = SimulatedBench


def _with_faults(monkeypatch: pytest.MonkeyPatch, **faults) -> None:
    """Every simulated bench the runner builds gets ``faults``."""

    def build(config: SimBenchConfig) -> SimulatedBench:
        values = {f: getattr(config, f) for f in config.__dataclass_fields__}
        return ORIGINAL(SimBenchConfig(**{**values, **faults}))

    monkeypatch.setattr(session_run, "SimulatedBench", build)


def _run(sessions: Path, workload: str = "ad01") -> dict:
    return run(RunRequest(mode="energy", workloads=(workload,), sessions_root=sessions))


def _saved(sessions: Path, workload: str = "ad01") -> tuple[dict, dict]:
    (folder,) = list(sessions.iterdir())
    data = json.loads((folder / workload / "results.json").read_text())
    with h5py.File(folder / workload / "trace.h5", "r") as f:
        trace = {
            "complete": bool(f.attrs["complete"]),
            "windows": f["windows"].shape[0],
            "samples": f["samples"].shape[0],
        }
    return data, trace


def test_overrun_mid_run_keeps_measured_windows(monkeypatch, sessions) -> None:
    # ad01 windows are ~11.5 s at 1 kHz: an overrun after 40 s lands in the fourth window
    _with_faults(monkeypatch, monitor_fault=MonitorFault("overrun", after_samples=40_000))
    with pytest.raises(MeasurementError, match="overrun"):
        _run(sessions)
    data, trace = _saved(sessions)
    assert data["complete"] is False and "overrun" in data["error"]
    assert 1 <= len(data["windows"]) < 5
    assert trace["complete"] is False and trace["windows"] == len(data["windows"])
    assert trace["samples"] >= 30_000


@pytest.mark.parametrize("after", [36_000, 46_050])
def test_dropped_samples_inside_a_window(monkeypatch, sessions, after) -> None:
    """46_050 lies in the last second of the second kept window (it ends at 46_225): the drop
    shows only in the next TimeStamp record, after the window was measured."""
    _with_faults(monkeypatch, monitor_fault=MonitorFault("drop", after_samples=after, count=5))
    with pytest.raises(MeasurementError, match="samples were lost inside the window"):
        _run(sessions)
    data, _ = _saved(sessions)
    assert data["complete"] is False and len(data["windows"]) >= 1


def test_missing_timestamp_event(monkeypatch, sessions) -> None:
    # pulse 1 is the boot pulse; 2 and 3 bracket the first window (run twice: too short at
    # first), so pulse 6 is the second edge of the second window kept
    _with_faults(monkeypatch, pin_faults=((7, "skip"),))
    monkeypatch.setattr("tinyjoule.host.runner.energy_mode.EVENT_TIMEOUT_S", 0.5)
    with pytest.raises(MeasurementError, match="timestamp event"):
        _run(sessions)


def test_drop_in_the_last_window_is_caught_at_the_end(monkeypatch, sessions) -> None:
    _with_faults(monkeypatch, monitor_fault=MonitorFault("drop", after_samples=102_800, count=3))
    with pytest.raises(MeasurementError, match="samples were lost inside the window"):
        _run(sessions)


def test_extra_timestamp_event(monkeypatch, sessions) -> None:
    _with_faults(monkeypatch, pin_faults=((6, "double"),))
    with pytest.raises(MeasurementError, match="timestamp event"):
        _run(sessions)
    data, _ = _saved(sessions)
    assert data["complete"] is False


def test_dut_reset_mid_energy_run(monkeypatch, sessions) -> None:
    _with_faults(monkeypatch, fault=SimFault("reset", 150))
    with pytest.raises(ProtocolError, match="rebooted"):
        _run(sessions)
    data, trace = _saved(sessions)
    assert data["complete"] is False and trace["complete"] is False


def test_monitor_unplugged_mid_run(monkeypatch, sessions) -> None:
    _with_faults(monkeypatch, monitor_fault=MonitorFault("unplug", after_samples=30_000))
    with pytest.raises(DeviceConnectionError, match="LPM01A"):
        _run(sessions)
    data, trace = _saved(sessions)
    assert data["complete"] is False and len(data["windows"]) >= 1
    assert trace["windows"] == len(data["windows"])


def test_silent_monitor(monkeypatch, sessions) -> None:
    _with_faults(monkeypatch, monitor_fault=MonitorFault("silent"))
    with pytest.raises(ResponseTimeout, match="LPM01A"):
        _run(sessions)


def test_stale_stream_at_start_is_flushed(monkeypatch, sessions) -> None:
    _with_faults(monkeypatch, monitor_fault=MonitorFault("stale"))
    result = _run(sessions)["workloads"][0]
    assert result["median_uj_per_inference"] == pytest.approx(
        result["sim_truth_uj_per_inference"], rel=1e-3
    )


def test_short_windows_are_run_again_longer(sessions) -> None:
    result = run(
        RunRequest(mode="energy", workloads=("kws01",), sessions_root=sessions, iterations=20)
    )["workloads"][0]
    assert all(w["duration_s"] >= 10.0 for w in result["windows"])
    log = Path(result["windows"] and sessions).glob("*/kws01/log.txt")
    assert "shorter than 10 s" in next(log).read_text()
