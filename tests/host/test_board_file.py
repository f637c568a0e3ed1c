"""Board files: the DUT, IO manager and monitor of a bench, with clear errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.bench.board_file import load_board_file
from tinyjoule.host.cli.app import app
from tinyjoule.host.instruments.registry import parse_monitor
from tinyjoule.tinyml_workloads.workloads import get_workload


def test_examples_parse(tmp_path) -> None:
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "examples"
    direct = load_board_file(examples / "board_direct.toml")
    assert direct.dut_url == "/dev/ttyACM0" and direct.io_url is None
    assert direct.baud_for("energy", get_workload("kws01")) == 9600
    h573 = load_board_file(examples / "board_h573.toml")
    assert h573.io_url == "/dev/ttyACM1" and h573.io_kind == "h573"
    assert h573.monitor == "lpm01a:/dev/ttyACM2"


def test_one_integer_baud_applies_to_every_mode(tmp_path) -> None:
    board = tmp_path / "b.toml"
    board.write_text('[dut]\nport = "loop://"\nbaud = 57600\n')
    spec = load_board_file(board)
    assert spec.baud_for("accuracy", get_workload("ad01")) == 57600


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[dut\n", "not valid TOML"),
        ('[dut]\nport = "x"\nbaud = "fast"\n', "give a positive integer"),
        ("[dut]\n", "exactly one of a DUT port"),
        ('[io_manager]\nport = "x"\nkind = "uno"\n', "'uno' is unknown"),
    ],
)
def test_bad_board_files(tmp_path, text, match) -> None:
    board = tmp_path / "b.toml"
    board.write_text(text)
    with pytest.raises(ConfigurationError, match=match):
        load_board_file(board)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("ppk9:/dev/x", "unknown monitor 'ppk9'"),
        ("lpm01a", "say which port"),
        ("sim:js999", "no simulated 'js999'"),
    ],
)
def test_bad_monitor_choices(text, match) -> None:
    with pytest.raises(ConfigurationError, match=match):
        parse_monitor(text)


def test_cli_energy_json_keys(tmp_path) -> None:
    result = CliRunner().invoke(app, ["run", "-w", "ad01", "--json", "--sessions", str(tmp_path)])
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout)["workloads"][0]
    for key in (
        "median_uj_per_inference",
        "uncertainty_uj_per_inference",
        "mean_power_mw",
        "sim_truth_uj_per_inference",
        "windows",
        "workload",
        "mode",
    ):
        assert key in entry
    assert {"energy_uj", "inferences", "duration_s"} <= set(entry["windows"][0])
    assert entry["mode"] == "energy"


def test_cli_simulated_monitor_with_real_dut_is_refused(tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["run", "-w", "kws01", "--dut", "/dev/null", "--sessions", str(tmp_path)]
    )
    assert result.exit_code == 1 and "--monitor lpm01a:PORT" in result.output


def test_monitor_driver_options_reach_the_driver(tmp_path) -> None:
    from tinyjoule.host.instruments.registry import parse_monitor
    from tinyjoule.host.runner.monitor_setup import _make_driver

    board = tmp_path / "b.toml"
    board.write_text(
        '[dut]\nport = "loop://"\n[monitor]\nkind = "ppk2"\n'
        "[monitor.driver]\ncalibration_overrides = { R0 = 1003.5 }\n"
    )
    spec = load_board_file(board)
    assert spec.monitor == "ppk2"
    driver = _make_driver(parse_monitor(spec.monitor), "auto", None, spec.monitor_driver_options)
    assert driver.calibration_overrides == {"R0": 1003.5}
    with pytest.raises(ConfigurationError, match=r"no option speed.*calibration_overrides"):
        _make_driver(parse_monitor("ppk2"), "auto", None, {"speed": 3})
