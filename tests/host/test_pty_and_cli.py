"""The real serial code path over pseudo-terminals, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import h5py
import pytest
from truth_check import allowance_uj
from typer.testing import CliRunner

from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.cli.app import app
from tinyjoule.host.runner.datasets import synthetic_dataset
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run
from tinyjoule.host.sim.config import SimBenchConfig
from tinyjoule.host.sim.pty_server import PtyServer
from tinyjoule.host.sim.simulated_bench import SimulatedBench
from tinyjoule.tinyml_workloads.workloads import get_workload

runner = CliRunner()


@pytest.mark.parametrize("io_manager", [None, "h573"])
def test_performance_run_over_pseudo_terminals(sessions, io_manager) -> None:
    wl = get_workload("ad01")
    bench = SimulatedBench(SimBenchConfig(workload_id=wl.id, io_manager=io_manager))
    dataset = synthetic_dataset(wl, 5, wl.standin_model_path).folder
    with PtyServer(bench) as server:
        if io_manager is None:
            spec = BenchSpec(dut_url=server.paths["dut"])
        else:
            spec = BenchSpec(io_url=server.paths["io"], io_kind=io_manager, io_setbaud_wait_s=0)
        summary = run(
            RunRequest(
                mode="performance",
                workloads=(wl.id,),
                bench=spec,
                sessions_root=sessions,
                dataset_root=dataset,
            )
        )
    result = summary["workloads"][0]
    assert result["complete"]
    assert result["median_latency_ms"] == pytest.approx(bench.dut.latency_s * 1e3, rel=5e-3)
    assert summary["simulated"] and "not a measurement" in summary["note"]


def test_sim_serve_prints_ports_another_program_can_open(tmp_path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tinyjoule.host.cli.app",
            "sim",
            "serve",
            "-w",
            "kws01",
            "--duration",
            "20",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        name, path, baud = proc.stdout.readline().split()
        assert name == "dut" and path.startswith("/dev/") and baud == "115200"
        import serial

        port = serial.Serial(path, baudrate=115200, timeout=2)
        port.reset_input_buffer()
        time.sleep(0.1)
        port.reset_input_buffer()
        port.write(b"profile%")
        reply = b""
        deadline = time.monotonic() + 5
        while b"m-ready" not in reply and time.monotonic() < deadline:
            reply += port.read(64)
        assert b"m-model-[kws01]\r\nm-ready\r\n" in reply
        port.close()
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_cli_run_json_keys_are_stable(tmp_path) -> None:
    result = runner.invoke(
        app,
        ["run", "--mode", "performance", "-w", "ad01", "--json", "--sessions", str(tmp_path / "s")],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    (entry,) = summary["workloads"]
    for key in ("workload", "mode", "median_latency_ms", "median_throughput_ips", "windows"):
        assert key in entry
    assert {"inferences", "duration_s"} <= set(entry["windows"][0])


def test_cli_accuracy_json(tmp_path) -> None:
    result = runner.invoke(
        app,
        [
            "run",
            "--mode",
            "accuracy",
            "-w",
            "kws01",
            "--accuracy-files",
            "6",
            "--json",
            "--sessions",
            str(tmp_path / "s"),
        ],
    )
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout)["workloads"][0]
    assert entry["reference_agreement_percent"] == pytest.approx(100.0)
    assert entry["mode"] == "accuracy" and entry["synthetic_dataset"]


def test_cli_error_is_one_clear_line(tmp_path) -> None:
    result = runner.invoke(
        app,
        [
            "run",
            "-w",
            "kws01",
            "--dut",
            "/dev/tinyjoule-nope",
            "--dataset",
            str(tmp_path),
            "--sessions",
            str(tmp_path / "s"),
        ],
    )
    assert result.exit_code == 1
    assert "error:" in result.output and "Traceback" not in result.output


def test_cli_unknown_workload(tmp_path) -> None:
    result = runner.invoke(app, ["run", "-w", "xyz01", "--sessions", str(tmp_path / "s")])
    assert result.exit_code == 1 and "xyz01" in result.output


def test_cli_model_info_json() -> None:
    model = get_workload("ic01").standin_model_path
    result = runner.invoke(app, ["model-info", str(model), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert abs(info["total_macs"] - 12.5e6) / 12.5e6 < 0.02


def test_cli_devices_json() -> None:
    result = runner.invoke(app, ["devices", "--json"])
    assert result.exit_code == 0
    assert isinstance(json.loads(result.stdout), list)


def test_energy_run_over_pseudo_terminals(sessions) -> None:
    """The LPM01A driver and the IO manager over real ptys, against the simulated bench."""
    from tinyjoule.host.instruments.registry import parse_monitor

    wl = get_workload("ad01")
    bench = SimulatedBench(
        SimBenchConfig(
            workload_id=wl.id, firmware_mode="energy", io_manager="h573", monitor="lpm01a"
        )
    )
    dataset = synthetic_dataset(wl, 5, wl.standin_model_path).folder
    with PtyServer(bench) as server:
        spec = BenchSpec(io_url=server.paths["io"], io_kind="h573", io_setbaud_wait_s=0)
        request = RunRequest(
            mode="energy",
            workloads=(wl.id,),
            bench=spec,
            monitor=parse_monitor(f"lpm01a:{server.paths['monitor']}"),
            sessions_root=sessions,
            dataset_root=dataset,
        )
        summary = run(request)
    result = summary["workloads"][0]
    last, truth_uj = result["windows"][-1], bench.last_window_j() * 1e6
    noise = bench.config.profile.current_noise_a
    assert abs(last["energy_uj"] - truth_uj) <= allowance_uj(
        last, truth_uj, result["monitor"], noise
    )
    # Behind real ports, the simulated DUT's name still says what it is: nothing of this
    # session passes for a measurement (summary, record, provenance, trace, results.txt).
    folder = Path(summary["session"]) / wl.id
    record = json.loads((folder / "results.json").read_text())
    assert summary["simulated"] and record["simulated"] and record["provenance"]["simulated"]
    assert "marked simulated" in (folder / "log.txt").read_text()
    with h5py.File(folder / "trace.h5") as f:
        assert f.attrs["simulated"] and json.loads(f.attrs["provenance"])["simulated"]
    text = (folder / "results.txt").read_text()
    assert text.startswith("tinyjoule energy results: SIMULATED BENCH")
    assert "ulp-mlperf" not in text
