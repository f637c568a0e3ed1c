"""Performance mode end to end against the simulated bench, in process and via an IO manager."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run
from tinyjoule.host.sim.config import SimBenchConfig


def _perf(sim_url, sessions: Path, workload: str, **config) -> tuple[dict, object]:
    bench, url = sim_url(SimBenchConfig(workload_id=workload, **config))
    spec = (
        BenchSpec(io_url=url, io_kind=config["io_manager"])
        if config.get("io_manager")
        else (BenchSpec(dut_url=url))
    )
    request = RunRequest(
        mode="performance",
        workloads=(workload,),
        bench=spec,
        sessions_root=sessions,
        dataset_root=_dataset(workload),
    )
    return run(request), bench


def _dataset(workload: str) -> Path:
    from tinyjoule.host.runner.datasets import synthetic_dataset
    from tinyjoule.tinyml_workloads.workloads import get_workload

    wl = get_workload(workload)
    return synthetic_dataset(wl, 5, wl.standin_model_path).folder


@pytest.mark.parametrize("workload", ["kws01", "ad01"])
def test_performance_matches_the_simulated_latency(sim_url, sessions, workload) -> None:
    summary, bench = _perf(sim_url, sessions, workload)
    result = summary["workloads"][0]
    assert summary["complete"] and result["complete"]
    windows = result["windows"]
    assert len(windows) == 5
    assert all(w["duration_s"] >= 10.0 for w in windows)
    timed = [b for b in bench.dut.batches if not b.warmup]
    # the last 5 timed batches are the windows kept (earlier ones were too short and re-run)
    for window, batch in zip(windows, timed[-5:], strict=False):
        # the first stamp is read, then its line is printed (blocking) before the inferences
        lap_line = f"m-lap-us-{window['laps_us'][0]}\r\n"
        truth_s = batch.end_s - batch.start_s + len(lap_line) * bench.dut.byte_time_s()
        assert window["inferences"] == batch.count
        assert window["duration_s"] == pytest.approx(truth_s, abs=2e-6)
    latency_ms = bench.dut.latency_s * 1e3
    assert result["median_latency_ms"] == pytest.approx(latency_ms, rel=5e-3)
    assert result["median_throughput_ips"] == pytest.approx(1e3 / latency_ms, rel=5e-3)


def test_session_folder_holds_transcript_and_checker_lines(sim_url, sessions, monkeypatch) -> None:
    """A board that does not name itself a simulator, as a real one: the checker's lines."""
    monkeypatch.setattr("tinyjoule.host.sim.dut.simulator_vendor", lambda vendor: vendor)
    summary, _ = _perf(sim_url, sessions, "ad01")
    assert not summary["simulated"]
    folder = Path(summary["session"]) / "ad01"
    text = (folder / "results.txt").read_text()
    assert " ulp-mlperf: Median throughput is " in text
    # a block per window, as the MLCommons runner writes it
    assert text.count("Performance results for window") == 5
    assert text.count("Runtime requirements have been met.") == 5
    import re

    # the submission checker's own pattern, line by line (re.match: a prefix is required)
    pattern = r".* Median throughput is\s+([\d.]+) inf\./sec\."
    assert any(re.match(pattern, line) for line in text.splitlines())
    transcript = (folder / "transcript.log").read_text()
    assert "infer " in transcript and "m-lap-us-" in transcript
    data = json.loads((folder / "results.json").read_text())
    assert data["complete"] is True and len(data["windows"]) == 5


@pytest.mark.parametrize(("kind", "dut_baud"), [("h573", None), ("arduino", 9600)])
def test_performance_through_an_io_manager(sim_url, sessions, kind, dut_baud) -> None:
    """The H573 board is set to the firmware's baud with setbaud; the Arduino talks 9600."""
    summary, bench = _perf(sim_url, sessions, "ad01", io_manager=kind, dut_baud=dut_baud)
    result = summary["workloads"][0]
    assert result["complete"]
    assert result["median_latency_ms"] == pytest.approx(bench.dut.latency_s * 1e3, rel=5e-3)


def test_a_simulated_dut_behind_a_port_marks_the_session_simulated(sim_url, sessions) -> None:
    """The runner opens ``sim://`` as it would a port, so only the DUT's own name tells:
    the session is simulated, and its results.txt holds no line the checker would take."""
    summary, _ = _perf(sim_url, sessions, "ad01")
    folder = Path(summary["session"]) / "ad01"
    record = json.loads((folder / "results.json").read_text())
    assert record["dut"]["vendor"] == "STMicroelectronics (tinyjoule simulator)"
    assert summary["simulated"] and record["simulated"] and record["provenance"]["simulated"]
    text = (folder / "results.txt").read_text()
    assert text.startswith("tinyjoule performance results: SIMULATED BENCH")
    assert "ulp-mlperf" not in text and text.count("Performance results for window") == 5


def test_a_simulated_dut_that_fails_the_handshake_is_marked_too(sim_url, sessions) -> None:
    """It named itself, then turned out to run another model than asked: the run stops, and
    what it kept (record, summary) is marked simulated all the same."""
    from tinyjoule.errors import ConfigurationError
    from tinyjoule.tinyml_workloads.workloads import get_workload

    baud = get_workload("ad01").baud_performance
    _bench, url = sim_url(SimBenchConfig(workload_id="kws01", dut_baud=baud))
    request = RunRequest(
        mode="performance",
        workloads=("ad01",),
        bench=BenchSpec(dut_url=url),
        sessions_root=sessions,
        dataset_root=_dataset("ad01"),
    )
    with pytest.raises(ConfigurationError, match="firmware runs model 'kws01'"):
        run(request)
    (folder,) = [p for p in sessions.iterdir() if p.is_dir()]
    record = json.loads((folder / "ad01" / "results.json").read_text())
    assert record["simulated"] and not record["complete"]
    assert json.loads((folder / "summary.json").read_text())["simulated"]
