"""sww01 end to end on the simulated bench: the stream, its scores, the mean power against the
simulator's truth, every monitor, every mode, the session's files and what they may claim."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import pytest
from typer.testing import CliRunner

from tinyjoule.host.bench.spec import simulated_bench
from tinyjoule.host.cli.app import app
from tinyjoule.host.instruments.registry import parse_monitor
from tinyjoule.host.results.result_lines import checker_accepts, sww_lines
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run
from tinyjoule.host.sim.board_profile import REFERENCE_BOARD
from tinyjoule.tinyml_workloads.sww_clips import LONG_TEST, write_synthetic_clip_lists

NOISE_SIGMAS = 5.0


@pytest.fixture
def lists(tmp_path: Path) -> Path:
    return write_synthetic_clip_lists(tmp_path / "datasets")


def _run(sessions: Path, dataset: Path, mode: str = "energy", monitor: str = "lpm01a",
         **sim: str) -> dict[str, Any]:  # fmt: skip
    request = RunRequest(
        mode=mode,
        workloads=("sww01",),
        bench=simulated_bench(**sim),
        monitor=parse_monitor(f"sim:{monitor}"),
        dataset_root=dataset,
        sessions_root=sessions,
    )
    return run(request)


def _within_truth(clip: dict[str, Any], noise_a: float, fs: float, volts: float) -> None:
    """|measured - truth| within the edge bound plus 5 sigma of the simulated noise."""
    noise_uj = volts * noise_a * (clip["duration_s"] * fs) ** 0.5 / fs * 1e6
    allowed = clip["edge_uncertainty_uj"] + NOISE_SIGMAS * noise_uj
    assert abs(clip["energy_uj"] - clip["sim_truth_energy_uj"]) <= allowed


def test_energy_run_scores_the_stream_and_measures_its_mean_power(
    tmp_path: Path, lists: Path
) -> None:
    summary = _run(tmp_path / "s", lists / "sww_med_test.json",
                   sww_misses="1", sww_false_alarms="2")  # fmt: skip
    (w,) = summary["workloads"]
    assert w["complete"] and w["flow"] == "stream"
    assert (w["true_positives"], w["false_negatives"], w["false_positives"]) == (5, 1, 2)
    assert w["duty_cycle"] == pytest.approx(0.00677 / 0.032, rel=0.01)
    assert w["period_s"] == pytest.approx(0.032, abs=1e-5)
    assert w["throughput_inf_per_s"] == pytest.approx(1 / 0.00677, rel=0.01)
    (clip,) = w["clips"]
    assert clip["energy_bounds"] == "timestamp_edges" and clip["timestamp_events"] == 2
    assert clip["duration_s"] == pytest.approx(120.25, abs=0.05)  # start to stop
    _within_truth(clip, REFERENCE_BOARD.current_noise_a, 1000.0, 1.8)
    assert w["mean_power_mw"] == pytest.approx(w["sim_truth_mean_power_mw"], rel=1e-3)
    assert "meets_target" not in w and "quality_note" in w  # synthetic data: no verdict
    folder = Path(summary["session"]) / "sww01"
    text = (folder / "results.txt").read_text()
    assert "5 true positives, 1 false negatives, 2 false positives" in text
    assert "tinyjoule_synthetic_med_120s.wav (120 s): 5 hits" in text
    assert not any(checker_accepts(line) for line in text.splitlines())
    with h5py.File(folder / "trace.h5") as f:
        assert f.attrs["complete"] and f.attrs["flow"] == "stream" and f.attrs["simulated"]
        assert len(f["windows"]) == 1
        assert f["samples"].shape[0] >= 120_000
    assert json.loads((folder / "results.json").read_text())["clips"][0]["detections_ms"]


def test_json_names_and_the_cli_table(tmp_path: Path, lists: Path) -> None:
    args = ["run", "-w", "sww01", "--dataset", str(lists / "sww_short_test.json"),
            "--sessions", str(tmp_path)]  # fmt: skip
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    (w,) = json.loads(result.stdout)["workloads"]
    for key in ("true_positives", "false_negatives", "false_positives", "duty_cycle",
                "period_s", "throughput_inf_per_s", "mean_power_mw"):  # fmt: skip
        assert isinstance(w[key], (int, float)), key
    table = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "SIMULATED / UNOFFICIAL" in table.output and "streaming wake word" in table.output
    assert "sww01" in table.output and "TP" in table.output


@pytest.mark.parametrize("monitor", ["js220", "ppk2"])
def test_monitors_that_see_the_1_us_pulses_and_one_that_cannot(
    tmp_path: Path, lists: Path, monitor: str
) -> None:
    summary = _run(tmp_path, lists / "sww_short_test.json", monitor=monitor)
    (w,) = summary["workloads"]
    (clip,) = w["clips"]
    assert w["complete"], w.get("error")
    log = (Path(summary["session"]) / "sww01" / "log.txt").read_text()
    if monitor == "js220":  # GPI0 sampled at 2 MHz: sees them
        assert clip["energy_bounds"] == "timestamp_edges" and "timestamp_pulse_warning" not in w
        assert w["mean_power_mw"] == pytest.approx(w["sim_truth_mean_power_mw"], rel=2e-3)
        return
    # the PPK2 samples its logic inputs at 100 kHz: warned before, bounded by replies, flagged
    assert "sees timestamp pulses of 10 µs" in w["timestamp_pulse_warning"]
    assert (clip["energy_bounds"], w["energy_bounds"], clip["timestamp_events"]) == (
        "dut_replies",
        "dut_replies",
        0,
    )
    assert "start/stop replies" in log
    assert abs(clip["energy_uj"] - clip["sim_truth_energy_uj"]) <= clip["uncertainty_uj"]


@pytest.mark.parametrize("mode", ["performance", "accuracy"])
def test_the_same_stream_without_a_monitor(tmp_path: Path, lists: Path, mode: str) -> None:
    (w,) = _run(tmp_path, lists / "sww_short_test.json", mode=mode)["workloads"]
    assert w["complete"] and w["true_positives"] == 3 and "throughput_inf_per_s" in w
    assert "mean_power_mw" not in w and "monitor" not in w


def test_the_quality_rule_on_a_real_long_test(tmp_path: Path, lists: Path) -> None:
    """A long test without the synthetic mark (as a user's list is) gets a verdict; 9
    misses fail it."""
    data = json.loads((lists / LONG_TEST).read_text())
    for clip in data:
        del clip["synthetic"]
    real = tmp_path / "real" / "sww01"
    real.mkdir(parents=True)
    (real / LONG_TEST).write_text(json.dumps(data))
    (good,) = _run(tmp_path / "a", real.parent, mode="accuracy")["workloads"]
    assert (good["true_positives"], good["meets_target"], good["synthetic_dataset"]) == (
        50,
        True,
        False,
    )
    (bad,) = _run(tmp_path / "b", real.parent, mode="accuracy", sww_misses="9")["workloads"]
    assert (bad["false_negatives"], bad["meets_target"]) == (9, False)


def test_every_workload_runs_with_all_and_the_default_stays_four(tmp_path: Path) -> None:
    summary = run(RunRequest(mode="performance", workloads=("all",), sessions_root=tmp_path))
    ids = [w["workload"] for w in summary["workloads"]]
    assert ids == ["kws01", "vww01", "ic01", "ad01", "ic02", "sww01"]
    assert all(w["complete"] for w in summary["workloads"])
    assert summary["workloads"][-1]["clip_list"] == LONG_TEST  # the 20-minute stream
    assert RunRequest().workloads == ("kws01", "vww01", "ic01", "ad01")


def test_official_sww_lines_pass_the_checker_and_unofficial_ones_never() -> None:
    summary = {"true_positives": 47, "false_negatives": 3, "false_positives": 2}
    summary |= {"duty_cycle": 0.2112, "period_s": 0.032, "throughput_inf_per_s": 147.9}
    summary |= {"mean_power_mw": 25.6221, "energy_uj": 30746401.81, "duration_s": 1200.002}
    prefix = "1201.120102 ulp-mlperf: "
    official = sww_lines(summary, True)
    assert official[0] == "Accuracy: 47 True positives, 3 False negatives, 2 False positives"
    assert sum(checker_accepts(prefix + line) for line in official) == 5
    assert "  Power         : 25.6221 mW." in official
    why = "simulated bench: not a measurement of a real board"
    for line in sww_lines(summary, False, why):
        assert not checker_accepts("1201.120102 tinyjoule-unofficial: " + line)


def test_a_simulated_board_behind_ports_marks_the_stream_simulated(
    tmp_path: Path, lists: Path, sim_url
) -> None:
    """The runner opens ``sim://`` ports as real ones; the DUT's own name still marks the
    session, and the trace, simulated."""
    from tinyjoule.host.bench.spec import BenchSpec
    from tinyjoule.host.sim.config import SimBenchConfig

    config = SimBenchConfig(
        workload_id="sww01", io_manager="h573", firmware_mode="energy", monitor="lpm01a"
    )
    _bench, io = sim_url(config)
    request = RunRequest(
        mode="energy",
        workloads=("sww01",),
        bench=BenchSpec(io_url=io, io_kind="h573", io_setbaud_wait_s=0),
        monitor=parse_monitor(f"lpm01a:{io.rpartition('/')[0]}/monitor"),  # sim://NAME/...
        dataset_root=lists / "sww_short_test.json",
        sessions_root=tmp_path,
    )
    summary = run(request)
    (w,) = summary["workloads"]
    assert w["complete"] and summary["simulated"]
    with h5py.File(Path(summary["session"]) / "sww01" / "trace.h5") as f:
        assert f.attrs["simulated"]
