"""A simulated monitor that powers the board sets the board's supply voltage: the measured
uJ/inference at a voltage other than the board profile's (3.0 V, not 1.8 V) still equals
the simulator's truth (voltage x charge at the front end's voltage).

The simulated board draws the profile's amperes at any voltage (a simplification: a real
board's current changes with its supply), so the energy scales with the voltage set."""

from __future__ import annotations

from pathlib import Path

import pytest
from truth_check import assert_matches_truth

from tinyjoule.host.instruments.registry import monitor_facts, parse_monitor
from tinyjoule.host.runner.request import DEFAULT_SUPPLY_V, RunRequest
from tinyjoule.host.runner.run import run
from tinyjoule.host.sim.board_profile import REFERENCE_BOARD

VOLTS = 3.0


def measure(sessions: Path, kind: str, **overrides) -> dict:
    request = RunRequest(
        mode="energy",
        workloads=("ad01",),
        monitor=parse_monitor(f"sim:{kind}"),
        monitor_config=monitor_facts(kind).config(VOLTS, **overrides),
        sessions_root=sessions,
    )
    result = run(request)["workloads"][0]
    assert result["complete"]
    return result


@pytest.mark.parametrize(
    ("kind", "overrides"),
    [
        ("lpm01a", {"output": "current"}),
        ("lpm01a", {"output": "energy"}),
        ("ppk2", {"stream_format": "source"}),
    ],
    ids=["lpm01a-current", "lpm01a-energy", "ppk2-source"],
)
def test_the_monitor_sets_the_board_supply(sessions: Path, kind: str, overrides: dict) -> None:
    assert REFERENCE_BOARD.supply_voltage_v != VOLTS  # else this test proves nothing
    assert DEFAULT_SUPPLY_V != VOLTS
    assert_matches_truth([measure(sessions, kind, **overrides)])


def test_the_truth_follows_the_voltage_set(sessions: Path) -> None:
    """Energy output alone agrees with the truth even if the board kept the profile's
    voltage (both would use it); the truth itself must scale with the voltage set."""
    at_volts = measure(sessions, "lpm01a", output="energy")
    request = RunRequest(
        mode="energy",
        workloads=("ad01",),
        monitor=parse_monitor("sim:lpm01a"),
        sessions_root=sessions,
    )  # no monitor_config: the defaults, at the default supply
    at_profile = run(request)["workloads"][0]
    charge = at_profile["sim_truth_uj_per_inference"] / DEFAULT_SUPPLY_V
    assert at_volts["sim_truth_uj_per_inference"] / VOLTS == pytest.approx(charge, rel=1e-9)
