"""Calibration end to end over pseudo-terminals: the real serial path, as on a real bench.

The simulated boards are served on ptys (with the bench's clock following the wall clock,
so a monitor streams while only it is read). ``tinyjoule calibrate`` runs as its own
process against ``lpm01a:/dev/pts/N`` as if it were a real LPM01A: it asks a person to
connect each reference and press Enter; this test is that person, connecting the simulated
resistors. The time base runs against a second served board with its performance firmware.
The simulated LPM01A says it is simulated in its serial number, so the record is marked
simulated. Then an energy run over the ptys uses the record and lands within 0.1 % of the
simulator's truth and within its expanded uncertainty.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from calibration_check import MONITOR

from tinyjoule.calibration import store
from tinyjoule.calibration.references import OPEN, parse_reference
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.instruments.registry import parse_monitor
from tinyjoule.host.runner.datasets import synthetic_dataset
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run
from tinyjoule.host.sim.config import SimBenchConfig
from tinyjoule.host.sim.pty_server import PtyServer
from tinyjoule.host.sim.references import SimulatedReferences
from tinyjoule.host.sim.simulated_bench import SimulatedBench
from tinyjoule.tinyml_workloads.workloads import get_workload

LOADS = ("1kohm±0.01%", "68ohm±0.01%")
CLI = [sys.executable, "-m", "tinyjoule.host.cli.app"]


def _bench(firmware: str) -> SimulatedBench:
    errors = parse_monitor(MONITOR).options
    return SimulatedBench(
        SimBenchConfig(
            workload_id="kws01",
            firmware_mode=firmware,
            io_manager="h573" if firmware == "energy" else None,
            monitor="lpm01a",
            monitor_errors=errors,
        )
    )


def _answer_prompts(proc: subprocess.Popen, references: SimulatedReferences) -> list[str]:
    """Do what each prompt asks on the simulated bench, then press Enter."""
    asked = []
    assert proc.stderr is not None and proc.stdin is not None
    for line in proc.stderr:
        if not line.startswith(">>>"):
            continue
        asked.append(line)
        if "disconnect everything" in line:
            references.connect(OPEN, 1.8)
        elif "reconnect the board" in line:
            references.connect(None, 1.8)
        else:
            (load,) = [text for text in LOADS if f"connect the {text} resistor" in line]
            references.connect(parse_reference(load), 1.8)
        proc.stdin.write("\n")
        proc.stdin.flush()
    return asked


def test_calibrate_then_measure_over_pseudo_terminals(sessions) -> None:
    env = {**os.environ, "COLUMNS": "1000"}
    energy = _bench("energy")
    with PtyServer(energy, pace=1.0) as server:
        monitor = f"lpm01a:{server.paths['monitor']}"
        proc = subprocess.Popen(
            [*CLI, "calibrate", "zero", "gain", "--monitor", monitor, "--seconds", "0.5",
             *(a for load in LOADS for a in ("--load", load)), "--sessions", str(sessions)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env,
        )  # fmt: skip
        try:
            asked = _answer_prompts(proc, SimulatedReferences(energy, seed=1))
            out = proc.stdout.read() if proc.stdout else ""
            assert proc.wait(timeout=120) == 0, out
        finally:
            proc.kill()
        assert len(asked) == 4 and "press Enter" in asked[0]  # open, two loads, the board
        assert "made with the simulator" in out

        performance = _bench("performance")
        with PtyServer(performance, pace=1.0) as timing:
            done = subprocess.run(
                [*CLI, "calibrate", "timebase", "--monitor",
                 f"lpm01a:{timing.paths['monitor']}", "--dut", timing.paths["dut"],
                 "--timebase-seconds", "4", "--dut-clock-ppm", "1", "--json"],
                capture_output=True, text=True, env=env, timeout=180,
            )  # fmt: skip
        assert done.returncode == 0, done.stderr
        (path,) = store.calibration_folder().glob("lpm01a_*.json")
        record = store.load(path)
        assert record.simulated and record.workflows == ["offset", "gain", "timebase"]
        assert record.gain["gain"] == pytest.approx(1.03, rel=3e-4)
        assert record.timebase["timebase_ppm"] == pytest.approx(200.0, abs=2.0)
        assert record.timebase["reference"]["accuracy_ppm"] == 1.0

        wl = get_workload("kws01")
        result = run(
            RunRequest(
                mode="energy",
                workloads=(wl.id,),
                bench=BenchSpec(io_url=server.paths["io"], io_kind="h573", io_setbaud_wait_s=0),
                monitor=parse_monitor(monitor),
                sessions_root=sessions,
                dataset_root=synthetic_dataset(wl, 5, wl.standin_model_path).folder,
                index=False,
            )
        )["workloads"][0]
    assert result["calibration"]["applied"], result["calibration"]
    last, truth_uj = result["windows"][-1], energy.last_window_j() * 1e6
    assert abs(last["energy_uj"] - truth_uj) <= min(last["uncertainty_uj"], 1e-3 * truth_uj)
