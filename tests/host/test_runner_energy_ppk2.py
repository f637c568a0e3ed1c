"""Energy mode end to end with the simulated PPK2 (``--monitor sim:ppk2``): the measured
uJ/inference against the simulator's truth for all four workloads, and a counter gap."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pytest
from truth_check import assert_matches_truth

from tinyjoule.errors import MeasurementError
from tinyjoule.host.bench.spec import simulated_bench
from tinyjoule.host.instruments.ppk2 import ACCURACY_RELATIVE
from tinyjoule.host.instruments.registry import parse_monitor
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run


@pytest.mark.parametrize("workload", ["kws01", "vww01", "ic01", "ad01"])
def test_energy_with_the_simulated_ppk2_matches_the_truth(sessions: Path, workload: str) -> None:
    request = RunRequest(
        mode="energy",
        workloads=(workload,),
        monitor=parse_monitor("sim:ppk2"),
        sessions_root=sessions,
    )
    summary = run(request)
    result = summary["workloads"][0]
    assert result["complete"]
    truth = result["sim_truth_uj_per_inference"]
    measured = result["median_uj_per_inference"]
    uncertainty = result["uncertainty_uj_per_inference"]
    # within the stated uncertainty, which covers the PPK2's assumed accuracy ...
    assert abs(measured - truth) <= uncertainty
    assert uncertainty >= ACCURACY_RELATIVE * measured
    # ... and every window within its edge bound and the noise: no range switch in a window
    assert_matches_truth([result])
    assert len(result["windows"]) == 5
    for window in result["windows"]:
        assert window["duration_s"] >= 10.0 and window["inferences"] >= 10


def test_the_session_records_the_ppk2(sessions: Path) -> None:
    request = RunRequest(
        mode="energy",
        workloads=("ad01",),
        monitor=parse_monitor("sim:ppk2"),
        sessions_root=sessions,
    )
    summary = run(request)
    folder = Path(summary["session"]) / "ad01"
    data = json.loads((folder / "results.json").read_text())
    monitor = data["monitor"]
    assert monitor["kind"] == "ppk2" and monitor["powers_target"]
    assert monitor["sample_rate_hz"] == 100_000 and monitor["output"] == "current"
    assert monitor["stream_format"] == "source"
    assert monitor["accuracy_relative"] == ACCURACY_RELATIVE
    with h5py.File(folder / "trace.h5", "r") as f:
        assert f.attrs["complete"] and f.attrs["unit"] == "A"
        assert f.attrs["sample_rate_hz"] == 100_000.0
        assert f["samples"].shape[0] > 5 * 10 * 100_000


def test_a_counter_gap_inside_a_window_voids_that_window(sessions: Path) -> None:
    request = RunRequest(
        mode="energy",
        workloads=("ad01",),
        bench=simulated_bench(monitor_fault="drop:17@4000000"),  # 40 s in: window 4
        monitor=parse_monitor("sim:ppk2"),
        sessions_root=sessions,
    )
    with pytest.raises(MeasurementError, match=r"PPK2 \(sim://.*lost inside .*up to 17 "):
        run(request)
