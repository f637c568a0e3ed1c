"""The end-to-end check of a simulated energy run against the simulator's truth.

The truth (``sim_truth_energy_uj`` per window) is the board's activity log integrated in
closed form (``sim.activity``), apart from what the monitors sample. A window passes when
``|measured - truth|`` is within its stated edge uncertainty (where the edges fell in their
samples: a hard bound), plus the instrument noise the simulator added (5 sigma of its sum
over the window) and float rounding. Board profiles for realistic and for sharp shapes live
here too, so the mutation tests run exactly the checks the end-to-end tests run.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from tinyjoule.host.bench.spec import simulated_bench
from tinyjoule.host.instruments.registry import monitor_facts, parse_monitor
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run
from tinyjoule.host.sim.board_profile import REFERENCE_BOARD

NOISE_SIGMAS = 5.0
PROFILES: dict[str, dict[str, float | str]] = {
    # inference draws far more than the UART and idle; 1 us pulses, as the spec's minimum
    "inference_above_load": {
        "idle_current_a": 0.0005,
        "uart_current_a": 0.001,
        "active_current_a": 0.04,
        "timestamp_pulse_s": 1e-6,
        "current_noise_a": 0.0,
    },
    # the 9600-baud load draws more than the inference, as on some published systems
    "load_above_inference": {
        "idle_current_a": 0.0005,
        "uart_current_a": 0.04,
        "active_current_a": 0.01,
        "timestamp_pulse_s": 1e-6,
        "current_noise_a": 0.0,
    },
}


def profile_file(folder: Path, name: str) -> Path:
    """A board profile TOML for ``sim://?profile=`` (values exact in ascii_dec current)."""
    path = folder / f"{name}.toml"
    lines = [f'name = "{name}"'] + [f"{k} = {v!r}" for k, v in PROFILES[name].items()]
    path.write_text("[profile]\n" + "\n".join(lines) + "\n")
    return path


def energy_run(
    sessions: Path,
    workloads: tuple[str, ...],
    *,
    monitor: str = "lpm01a",
    profile: Path | None = None,
    **config: Any,
) -> list[dict[str, Any]]:
    """A simulated energy run; the results of its workloads."""
    kind = monitor
    request = RunRequest(
        mode="energy",
        workloads=workloads,
        bench=simulated_bench(profile=str(profile) if profile else None),
        monitor=parse_monitor(f"sim:{kind}"),
        monitor_config=monitor_facts(kind).config(1.8, **config) if config else None,
        sessions_root=sessions,
    )
    return run(request)["workloads"]


def allowance_uj(window: dict[str, Any], truth_uj: float, monitor: dict, noise_a: float) -> float:
    """What a correct measurement of ``window`` may differ from the truth by."""
    fs, volts = monitor["sample_rate_hz"], monitor["supply_voltage_v"]
    noise_uj = volts * noise_a * math.sqrt(window["duration_s"] * fs) / fs * 1e6
    return window["edge_uncertainty_uj"] + NOISE_SIGMAS * noise_uj + 1e-9 * abs(truth_uj)


def deviations(result: dict[str, Any], noise_a: float) -> list[float]:
    """``|measured - truth| / allowed`` for every window of one workload's result."""
    out = []
    for w in result["windows"]:
        truth = w["sim_truth_energy_uj"]
        allowed = allowance_uj(w, truth, result["monitor"], noise_a)
        out.append(abs(w["energy_uj"] - truth) / allowed)
    return out


def assert_matches_truth(results: list[dict[str, Any]], noise_a: float | None = None) -> None:
    noise = REFERENCE_BOARD.current_noise_a if noise_a is None else noise_a
    for result in results:
        assert result["complete"], result.get("error")
        worst = max(deviations(result, noise))
        assert worst <= 1.0, (
            f"{result['workload']}: a window is {worst:.2f} x its allowance from the truth"
        )
