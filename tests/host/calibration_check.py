"""The end-to-end check of a calibrated simulated energy run against the simulator's truth.

The simulated LPM01A of the issue reads 3 % high, adds 5 µA, runs its clock 200 ppm fast
and has 2 µA of noise. The truth (``sim_truth_energy_uj``) is the board's activity log
integrated in closed form (``sim.activity``), which knows nothing of those errors. A
calibrated run passes when every window and the median lie within their own expanded
uncertainty of the truth and within 0.1 % of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinyjoule.host.calibrate.session import CalibrateRequest, Outcome, calibrate
from tinyjoule.host.calibrate.workflows import Target
from tinyjoule.host.instruments.registry import parse_monitor
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run

MONITOR = "sim:lpm01a?gain=1.03&offset_ua=5&timebase_ppm=200&noise_ua=2&seed=1"
WITHIN = 1e-3  # 0.1 % of the truth


class QuietUi:
    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)

    def confirm(self, text: str) -> None:
        raise AssertionError(f"a simulated calibration asked a person: {text}")


def calibrate_simulated(folder: Path | None = None, monitor: str = MONITOR, **options) -> Outcome:
    options = {"seconds": 2.0, "timebase_seconds": 6.0, **options}
    request = CalibrateRequest(Target(parse_monitor(monitor), 1.8), folder=folder, **options)
    return calibrate(request, QuietUi())


def energy_run(sessions: Path, monitor: str = MONITOR, **request: Any) -> dict[str, Any]:
    summary = run(
        RunRequest(
            mode="energy",
            workloads=("kws01",),
            monitor=parse_monitor(monitor),
            sessions_root=sessions,
            index=False,
            **request,
        )
    )
    return summary["workloads"][0]


def deviations(result: dict[str, Any]) -> list[float]:
    """For every window and the median: |measured - truth| / min(U, 0.1 % of the truth);
    a calibrated run passes when none is above 1."""
    out = []
    for w in result["windows"]:
        truth = w["sim_truth_energy_uj"]
        allowed = min(w["uncertainty_uj"], WITHIN * truth)
        out.append(abs(w["energy_uj"] - truth) / allowed)
    truth = result["sim_truth_uj_per_inference"]
    allowed = min(result["uncertainty_uj_per_inference"], WITHIN * truth)
    out.append(abs(result["median_uj_per_inference"] - truth) / allowed)
    return out
