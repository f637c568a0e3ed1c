"""Energy mode end to end on the simulated bench: every window against the simulator's truth
(``truth_check``), on the reference board and on boards whose load draws more or less than
their inference, in every stream format and output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import h5py
import pytest
from truth_check import PROFILES, assert_matches_truth, energy_run, profile_file

from tinyjoule.host.instruments.base import MonitorConfig
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run


def _energy(sessions: Path, workload: str, **config) -> dict:
    request = RunRequest(
        mode="energy",
        workloads=(workload,),
        sessions_root=sessions,
        monitor_config=MonitorConfig(voltage_v=1.8, **config) if config else None,
    )
    return run(request)


@pytest.mark.parametrize("workload", ["kws01", "vww01", "ic01", "ad01"])
def test_energy_matches_simulator_truth(sessions, workload) -> None:
    summary = _energy(sessions, workload)
    result = summary["workloads"][0]
    assert_matches_truth([result])
    assert len(result["windows"]) == 5
    for window in result["windows"]:
        assert window["duration_s"] >= 10.0 and window["inferences"] >= 10
    # the stated uncertainty covers the LPM01A's 2 % reading accuracy
    assert result["uncertainty_uj_per_inference"] >= 0.02 * result["median_uj_per_inference"]


@pytest.mark.parametrize("shape", sorted(PROFILES))
def test_sharp_board_shapes_match_the_truth(sessions, tmp_path, shape) -> None:
    """1 us pulses and currents that jump at the edges: the half boundary samples and their
    bound hold whether the load draws more than the inference or less."""
    profile = profile_file(tmp_path, shape)
    results = energy_run(sessions, ("kws01", "ic01"), profile=profile, output="current")
    assert_matches_truth(results, noise_a=0.0)


@pytest.mark.parametrize(
    ("output", "stream_format", "rate"),
    [
        ("current", "ascii_dec", 1000.0),
        ("energy", "bin_hexa", 1000.0),
        ("current", "bin_hexa", 100_000.0),
        ("energy", "ascii_dec", 5000.0),
    ],
)
def test_both_formats_and_outputs(sessions, output, stream_format, rate) -> None:
    summary = _energy(
        sessions, "ad01", output=output, stream_format=stream_format, sample_rate_hz=rate
    )
    assert_matches_truth(summary["workloads"])


def test_energy_session_files(sessions) -> None:
    summary = _energy(sessions, "kws01")
    folder = Path(summary["session"]) / "kws01"
    text = (folder / "results.txt").read_text()
    assert not re.search(r"Median energy cost is ([\d.]+) uJ/inf", text)  # simulated
    assert "median energy per inference" in text and "simulated bench" in text
    data = json.loads((folder / "results.json").read_text())
    assert data["complete"] and data["monitor"]["kind"] == "lpm01a"
    with h5py.File(folder / "trace.h5", "r") as f:
        assert f.attrs["complete"]
        assert f.attrs["unit"] == "J" and f.attrs["sample_rate_hz"] == 1000.0
        assert f.attrs["supply_voltage_v"] == pytest.approx(1.8)
        assert f["events"].shape[0] >= 10
        assert f["windows"].shape == (5, 5)
        assert f["samples"].shape[0] > 5 * 10_000
