"""sww01 when something is wrong: one clear error each, and what was measured is kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tinyjoule.errors import (
    ConfigurationError,
    MeasurementError,
    ProtocolError,
    ResponseTimeout,
    TinyJouleError,
)
from tinyjoule.host.bench.dut import open_dut
from tinyjoule.host.bench.spec import BenchSpec, simulated_bench
from tinyjoule.host.instruments.registry import parse_monitor
from tinyjoule.host.link.sww_link import SwwLink
from tinyjoule.host.results.session import Session
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run
from tinyjoule.host.sim.config import SimBenchConfig
from tinyjoule.host.transcript import Transcript
from tinyjoule.tinyml_workloads.sww_clips import write_synthetic_clip_lists
from tinyjoule.tinyml_workloads.workloads import WORKLOADS


@pytest.fixture
def lists(tmp_path: Path) -> Path:
    return write_synthetic_clip_lists(tmp_path / "datasets")


def _fails(
    tmp_path: Path, dataset: Path | None, error: type[TinyJouleError], match: str, **sim: str
) -> dict[str, Any]:
    """Run sww01 in energy mode, expect ``error``; the workload's results.json as kept."""
    session = Session(tmp_path / "sessions", "energy")
    request = RunRequest(
        workloads=("sww01",),
        bench=simulated_bench(**sim),
        monitor=parse_monitor("sim:lpm01a"),
        dataset_root=dataset,
        sessions_root=tmp_path / "sessions",
    )
    with pytest.raises(error, match=match):
        run(request, session=session)
    if session.discarded:  # a configuration error before any device was talked to
        assert not session.folder.exists()
        return {}
    kept = json.loads((session.folder / "sww01" / "results.json").read_text())
    assert kept["complete"] is False and match.split("\\")[0] in kept["error"].replace("\n", " ")
    return kept


def _edit(lists: Path, name: str, tmp_path: Path, **change: Any) -> Path:
    data = json.loads((lists / name).read_text())
    data[0].update(change)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("windows", "match"),
    [([], "detection_windows is empty"), ([[1.0, 2.0], [1.9, 2.5]], "overlap")],
)
def test_a_clip_list_that_cannot_be_scored_stops_before_the_stream(
    tmp_path: Path, lists: Path, windows: list, match: str
) -> None:
    path = _edit(lists, "sww_short_test.json", tmp_path, detection_windows=windows)
    # nothing was measured and no device was talked to: no session folder is left
    assert _fails(tmp_path, path, ConfigurationError, match) == {}


def test_a_wav_the_board_cannot_play(tmp_path: Path, lists: Path) -> None:
    path = _edit(lists, "sww_short_test.json", tmp_path, wav_file="not_on_card.wav")
    kept = _fails(tmp_path, path, ConfigurationError, "could not play not_on_card.wav")
    assert "SD card" in kept["error"] and "tinyjoule_synthetic_short_10s.wav" in kept["error"]
    assert kept["dut"]["model"] == "sww01"  # what was learnt is kept


def test_a_dut_that_never_echoes(tmp_path: Path, lists: Path) -> None:
    """The SWW DUT stops answering at once (``fault=silent@0``): 'name' gets nothing."""
    kept = _fails(
        tmp_path,
        lists / "sww_short_test.json",
        ResponseTimeout,
        "never echoed 'Received command: name'",
        fault="silent@0",
    )
    assert "115200" in kept["error"]


def test_a_dut_with_other_firmware_answers_without_the_echo(tmp_path: Path, sim_url) -> None:
    """A kws01 reference DUT behind the board: it replies, but never echoes."""
    _, url = sim_url(SimBenchConfig(workload_id="kws01", io_manager="h573"))
    spec = BenchSpec(io_url=url, io_kind="h573")
    channel = open_dut(spec, "performance", WORKLOADS["kws01"], Transcript(tmp_path / "t")).channel
    link = SwwLink(channel)
    with pytest.raises(ProtocolError, match="without the echo 'Received command: name'"):
        link.identify("sww01")
    link.close()


def test_no_detections_at_all(tmp_path: Path, lists: Path) -> None:
    kept = _fails(
        tmp_path,
        lists / "sww_short_test.json",
        MeasurementError,
        "not even the sync mark",
        sww_fault="unwired",
    )
    (clip,) = kept["clips"]
    assert clip["detections_ms"] == [] and len(clip["duty_cycle_starts_ticks"]) == 100
    assert clip["energy_bounds"] == "timestamp_edges" and clip["energy_uj"] > 0
    assert "true_positives" not in clip and clip["duty_cycle"] > 0


def test_a_stream_that_ends_early(tmp_path: Path, lists: Path) -> None:
    kept = _fails(
        tmp_path,
        lists / "sww_med_test.json",
        MeasurementError,
        "ended early: the board finished playing after 30.0 s of the clip's 120 s",
        sww_fault="short@30",
    )
    (clip,) = kept["clips"]
    assert clip["played_s"] == pytest.approx(30.0, abs=0.01)
    assert clip["duration_s"] == pytest.approx(30.25, abs=0.05)  # the energy is kept
    assert clip["true_positives"] == 2 and clip["false_negatives"] == 4  # 2 words in 30 s


def test_sww01_needs_the_interface_board_and_a_real_bench_its_clip_lists(
    tmp_path: Path, lists: Path
) -> None:
    with pytest.raises(ConfigurationError, match="H573 interface board"):
        run(RunRequest(mode="accuracy", workloads=("sww01",), sessions_root=tmp_path,
                       bench=simulated_bench(io="none")))  # fmt: skip
    direct = BenchSpec(dut_url="loop://")
    with pytest.raises(ConfigurationError, match="--io PORT --io-kind h573"):
        run(RunRequest(mode="accuracy", workloads=("sww01",), sessions_root=tmp_path,
                       bench=direct, dataset_root=lists))  # fmt: skip
    with pytest.raises(ConfigurationError, match="needs the clip lists; pass --dataset"):
        run(RunRequest(mode="accuracy", workloads=("sww01",), sessions_root=tmp_path,
                       bench=BenchSpec(io_url="loop://", io_kind="h573")))  # fmt: skip


def test_a_lost_stop_edge_falls_back_and_an_extra_one_is_an_error(
    tmp_path: Path, lists: Path
) -> None:
    """Pulse 3 is the closing ``stop`` (1: the stop before start, 2: start)."""
    short = lists / "sww_short_test.json"
    (w,) = run(RunRequest(workloads=("sww01",), bench=simulated_bench(pin_fault="3:skip"),
                          monitor=parse_monitor("sim:lpm01a"), dataset_root=short,
                          sessions_root=tmp_path / "a"))["workloads"]  # fmt: skip
    (clip,) = w["clips"]
    assert (clip["energy_bounds"], clip["timestamp_events"]) == ("dut_replies", 1)
    assert abs(clip["energy_uj"] - clip["sim_truth_energy_uj"]) <= clip["uncertainty_uj"]
    kept = _fails(
        tmp_path / "b", short, MeasurementError, "3 timestamp events", pin_fault="3:double"
    )
    assert kept["clips"][0]["true_positives"] == 3  # the detections are kept


def test_sim_serve_refuses_a_stream_a_real_time_program_would_see_end_at_once() -> None:
    from typer.testing import CliRunner

    from tinyjoule.host.cli.app import app

    result = CliRunner().invoke(app, ["sim", "serve", "-w", "sww01", "--io-manager", "h573"])
    assert result.exit_code == 1 and "tinyjoule run -w sww01" in result.output
