"""Energy mode with the simulated Joulescope JS220 (``--monitor sim:js220``): the measured
energy per inference against the simulator's truth, within the JS220's stated uncertainty."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pytest
from truth_check import assert_matches_truth

from tinyjoule.host.instruments.base import MonitorConfig
from tinyjoule.host.instruments.joulescope import ACCURACY_RELATIVE
from tinyjoule.host.instruments.registry import parse_monitor
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run


def _energy(sessions: Path, workload: str, config: MonitorConfig | None = None) -> dict:
    request = RunRequest(
        mode="energy",
        workloads=(workload,),
        monitor=parse_monitor("sim:js220"),
        monitor_config=config,
        sessions_root=sessions,
    )
    return run(request)


@pytest.mark.parametrize("workload", ["kws01", "vww01", "ic01", "ad01"])
def test_energy_matches_the_truth_within_the_stated_uncertainty(sessions, workload) -> None:
    result = _energy(sessions, workload)["workloads"][0]
    assert result["complete"] and len(result["windows"]) == 5
    median, truth = result["median_uj_per_inference"], result["sim_truth_uj_per_inference"]
    uncertainty = result["uncertainty_uj_per_inference"]
    assert abs(median - truth) <= uncertainty
    assert uncertainty >= ACCURACY_RELATIVE * median  # the JS220's reading accuracy
    for window in result["windows"]:
        assert window["duration_s"] >= 10.0 and window["inferences"] >= 10
    assert_matches_truth([result])


def test_energy_at_another_rate_on_a_chosen_edge_also_matches(sessions) -> None:
    config = MonitorConfig(
        voltage_v=1.8, output="energy", sample_rate_hz=10_000, event_edge="rising"
    )
    result = _energy(sessions, "ad01", config)["workloads"][0]
    assert (
        abs(result["median_uj_per_inference"] - result["sim_truth_uj_per_inference"])
        <= (result["uncertainty_uj_per_inference"])
    )


def test_current_output_is_refused_because_the_voltage_is_not_set_by_it(sessions) -> None:
    """With current samples the energy would use --voltage, which a Joulescope does not set."""
    from tinyjoule.errors import ConfigurationError

    config = MonitorConfig(voltage_v=3.3, output="current", event_edge="rising")
    with pytest.raises(ConfigurationError, match="does not supply the board"):
        _energy(sessions, "ad01", config)


def test_the_session_says_a_js220_measured_an_externally_powered_board(sessions) -> None:
    summary = _energy(sessions, "kws01")
    folder = Path(summary["session"]) / "kws01"
    data = json.loads((folder / "results.json").read_text())
    assert data["monitor"]["kind"] == "js220" and data["monitor"]["powers_target"] is False
    with h5py.File(folder / "trace.h5", "r") as f:
        assert f.attrs["complete"] and f.attrs["unit"] == "J"
        assert f.attrs["instrument"] == "js220" and not f.attrs["powers_target"]
        edges = f["events"][:, 1]
        assert len(edges) >= 10 and set(edges.tolist()) == {1}  # rising GPI0 edges
        assert f["drops"].shape[0] == 0
