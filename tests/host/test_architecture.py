"""The architecture's promises, checked: the real path imports no simulator module, a new
monitor is one plugin module plus one for its simulator, and every workload in the table
runs without edits elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from toy_monitor_plugin import write_plugin

from tinyjoule.host.runner.datasets import synthetic_dataset
from tinyjoule.tinyml_workloads.workloads import WORKLOADS, get_workload

REAL_PATH_RUN = """
import json, sys
from tinyjoule.host.cli.app import app
assert not [m for m in sys.modules if m.startswith("tinyjoule.host.sim")], "CLI import"
try:
    app(["run", "--mode", "performance", "-w", "ad01", "--dut", sys.argv[1],
         "--dataset", sys.argv[2], "--sessions", sys.argv[3], "--json"])
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps(sorted(m for m in sys.modules if m.startswith("tinyjoule.host.sim"))))
"""


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(extra.values()), "NO_COLOR": "1"}


def test_the_real_path_imports_no_simulator_module(tmp_path: Path) -> None:
    """A performance run against a real port (a pseudo-terminal served by another process)
    loads the CLI, the bench, the link and the runner, and not one module of host.sim."""
    wl = get_workload("ad01")
    dataset = synthetic_dataset(wl, 5, wl.standin_model_path).folder
    server = subprocess.Popen(
        [sys.executable, "-m", "tinyjoule.host.cli.app", "sim", "serve", "-w", "ad01",
         "--duration", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        name, path, _baud = server.stdout.readline().split()
        assert name == "dut"
        out = subprocess.run(
            [sys.executable, "-c", REAL_PATH_RUN, path, str(dataset), str(tmp_path / "s")],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert out.returncode == 0, out.stderr
    summary, imported = _split(out.stdout)
    assert summary["workloads"][0]["complete"]
    assert imported == []


def _split(stdout: str) -> tuple[dict, list]:
    """The run's JSON summary and the list printed after it."""
    head, _, last = stdout.strip().rpartition("\n")
    return json.loads(head), json.loads(last)


def test_a_monitor_plugin_needs_no_project_file(tmp_path: Path) -> None:
    """A third-party package registers a toy monitor (and its simulator) through the entry
    point; an energy run uses it, and measures the simulated board's truth."""
    plugin = write_plugin(tmp_path / "site")
    sessions = tmp_path / "sessions"
    command = [sys.executable, "-m", "tinyjoule.host.cli.app"]
    run = subprocess.run(
        [*command, "run", "-w", "ad01", "--monitor", "sim:toy", "--json", "--sessions",
         str(sessions)],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(plugin=str(plugin)),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)["workloads"][0]
    assert result["complete"] and result["monitor"]["kind"] == "toy"
    assert result["median_uj_per_inference"] == pytest.approx(
        result["sim_truth_uj_per_inference"], rel=1e-4
    )
    # the toy's facts reach every place that lists monitors
    listing = subprocess.run(
        [*command, "run", "--monitor", "sim:nothing", "-w", "ad01", "--sessions", str(sessions)],
        capture_output=True,
        text=True,
        env=_env(plugin=str(plugin)),
    )
    assert run.returncode == 0 and "sim:toy" in listing.stderr


def test_every_workload_in_the_table_runs_on_the_simulated_bench(tmp_path: Path) -> None:
    """Runner, simulator and re-scoring take their workload lists from the table."""
    from tinyjoule.host.rescore.records import workload_from_path
    from tinyjoule.host.runner.request import RunRequest
    from tinyjoule.host.runner.run import run

    for workload in WORKLOADS.values():
        assert workload_from_path(Path("x") / workload.results_folder / "energy") == workload.id
    summary = run(
        RunRequest(mode="performance", workloads=tuple(WORKLOADS), sessions_root=tmp_path)
    )
    assert [w["workload"] for w in summary["workloads"]] == list(WORKLOADS)
    assert all(w["complete"] for w in summary["workloads"])


def test_the_cli_help_lists_the_table_s_workloads() -> None:
    from typer.testing import CliRunner

    from tinyjoule.host.cli.app import app

    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert all(wid in result.stdout for wid in WORKLOADS), textwrap.shorten(result.stdout, 200)
