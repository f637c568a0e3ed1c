"""The command line behaves like its peers, and what a new user tripped over is mended."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import h5py
from typer.testing import CliRunner

import tinyjoule
from tinyjoule.host.cli.app import app
from tinyjoule.tinyml_workloads.model_info import ModelInfo, TensorInfo, format_table
from tinyjoule.tinyml_workloads.workloads import WORKLOADS

runner = CliRunner()
CLI = [sys.executable, "-m", "tinyjoule.host.cli.app"]


def test_version_and_short_help() -> None:
    assert tinyjoule.__version__ and tinyjoule.__version__ != "0+unknown"
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"tinyjoule {tinyjoule.__version__}"
    assert runner.invoke(app, ["-h"]).exit_code == 0
    assert "--windows" in runner.invoke(app, ["run", "-h"], env={"COLUMNS": "200"}).stdout


def test_no_command_shows_the_help_and_fails() -> None:
    out = subprocess.run(CLI, capture_output=True, text=True)
    assert out.returncode == 2 and "Commands" in out.stdout and "run" in out.stdout


def test_shell_completion_is_offered() -> None:
    assert "--show-completion" in runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).stdout


def test_the_window_table_on_request(tmp_path: Path) -> None:
    args = ["run", "-w", "ad01", "--windows", "--sessions", str(tmp_path)]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "ad01 (simulated, synthetic data): windows" in result.stdout
    numbered = {m for m in re.findall(r"^│\s*([1-9])\s*│", result.stdout, re.MULTILINE)}
    assert numbered == {"1", "2", "3", "4", "5"}


def test_tables_are_not_cut_when_piped(tmp_path: Path) -> None:
    out = subprocess.run(
        [*CLI, "run", "-w", "kws01", "--sessions", str(tmp_path)],
        capture_output=True,
        text=True,
        env={k: v for k, v in __import__("os").environ.items() if k != "COLUMNS"},
    )
    assert out.returncode == 0, out.stderr
    assert "…" not in out.stdout and "sim truth" in out.stdout


def test_model_info_says_float_tensors_are_not_quantised_and_gives_sizes() -> None:
    info = ModelInfo(
        path=Path("m.tflite"),
        inputs=(TensorInfo("x", (1, 4), "float32", 0.0, 0),),
        outputs=(TensorInfo("y", (1, 2), "int8", 0.5, -3),),
        ops=(),
        total_macs=0,
        total_params=0,
        size_bytes=1234,
        weights_bytes=1000,
        activation_bytes=64,
    )
    text = format_table(info)
    assert "float32 [1x4]  not quantised" in text and "scale=0 " not in text
    assert "size: 1,234 bytes (weights 1,000); activations at peak: 64 bytes" in text


def test_model_info_json_reports_size_weights_and_activations() -> None:
    path = WORKLOADS["kws01"].standin_model_path
    data = json.loads(runner.invoke(app, ["model-info", str(path), "--json"]).stdout)
    assert data["size_bytes"] == path.stat().st_size
    assert 0 < data["weights_bytes"] < data["size_bytes"] and data["activation_bytes"] > 0


def test_the_dataset_hint_names_a_command_that_works(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = runner.invoke(
        app, ["run", "--mode", "accuracy", "-w", "kws01", "--dataset", str(missing), "--sessions",
              str(tmp_path / "s")], env={"COLUMNS": "300"},
    )  # fmt: skip
    assert result.exit_code == 1
    hint = f"tinyjoule dataset synthetic -w kws01 {missing}"
    assert hint in " ".join(result.output.split())
    made = runner.invoke(app, ["dataset", "synthetic", "-w", "kws01", "--files", "3", str(missing)])
    assert made.exit_code == 0 and (missing / "kws01" / "y_labels.csv").is_file()


def test_sim_serve_refuses_a_monitor_it_cannot_serve() -> None:
    result = runner.invoke(app, ["sim", "serve", "--monitor", "js220", "--duration", "0.1"])
    assert result.exit_code == 1 and "not a serial device" in " ".join(result.output.split())


def test_accuracy_progress_counts_files(tmp_path: Path) -> None:
    from tinyjoule.host.runner.request import RunRequest
    from tinyjoule.host.runner.run import run

    seen: list[tuple[int, int]] = []
    request = RunRequest(
        mode="accuracy", workloads=("ad01",), accuracy_files=4, sessions_root=tmp_path
    )
    run(request, lambda label, done, total: seen.append((done, total)))
    assert seen[-1] == (4, 4)


def test_trace_tables_name_their_columns(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "-w", "ad01", "--json", "--sessions", str(tmp_path)])
    session = Path(json.loads(result.stdout)["session"])
    with h5py.File(session / "ad01" / "trace.h5") as f:
        assert list(f["events"].attrs["columns"]) == ["sample_index", "edge", "counter"]
        assert list(f["windows"].attrs["columns"])[3] == "energy_j"
