"""Mutation tests: the end-to-end checks against the simulator's truth must fail when the
measurement is wrong. Each test breaks one thing the way a real bug would (a 1 % gain error
in what the simulated monitor renders, the host's edge offset 0 instead of 1, boundary
samples counted whole) and runs exactly the checks of ``test_runner_energy``; at least one
window must then be out of its allowance."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from truth_check import PROFILES, deviations, energy_run, profile_file

from tinyjoule.host.measurement import integration
from tinyjoule.host.sim.analog import BoardFrontEnd
from tinyjoule.host.sim.board_profile import REFERENCE_BOARD


def _worst_deviation(sessions: Path, folder: Path) -> float:
    """The largest deviation over the reference board and the sharp-shaped boards."""
    worst = 0.0
    scenarios = [(None, REFERENCE_BOARD.current_noise_a)]
    scenarios += [(profile_file(folder, name), 0.0) for name in sorted(PROFILES)]
    for profile, noise in scenarios:
        for result in energy_run(sessions, ("kws01", "ic01"), profile=profile, output="current"):
            worst = max(worst, *deviations(result, noise))
    return worst


def test_unmutated_runs_stay_within_their_allowance(sessions, tmp_path) -> None:
    assert _worst_deviation(sessions, tmp_path) <= 1.0


def test_a_one_percent_gain_error_is_caught(sessions, tmp_path, monkeypatch) -> None:
    render = BoardFrontEnd.charge_per_period_c
    monkeypatch.setattr(
        BoardFrontEnd, "charge_per_period_c", lambda self, *a: render(self, *a) * 1.01
    )
    assert _worst_deviation(sessions, tmp_path) > 1.0


def test_an_edge_offset_of_zero_is_caught(sessions, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(integration, "EDGE_SAMPLE_OFFSET", 0)
    assert _worst_deviation(sessions, tmp_path) > 1.0


def test_whole_boundary_samples_are_caught(sessions, tmp_path, monkeypatch) -> None:
    halves = integration.window_energy

    def whole(a, inner, b, start, end, unit, fs, volts, model):
        window = halves(a, inner, b, start, end, unit, fs, volts, model)
        scale = volts / fs if unit == "A" else 1.0
        return dataclasses.replace(window, energy_j=window.energy_j + 0.5 * scale * (a + b))

    monkeypatch.setattr(integration, "window_energy", whole)
    assert _worst_deviation(sessions, tmp_path) > 1.0


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_the_sharp_profiles_are_what_they_say(tmp_path, name) -> None:
    text = profile_file(tmp_path, name).read_text()
    above = PROFILES[name]["active_current_a"] > PROFILES[name]["uart_current_a"]
    assert ("inference_above" in name) == above and "timestamp_pulse_s = 1e-06" in text
