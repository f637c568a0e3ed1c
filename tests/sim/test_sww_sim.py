"""The simulated streaming wake word bench against truths computed apart from it: frames and
processing time from the model's MACs, the board's captures, detections, the energy drawn."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.bench.dut import open_dut
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.link.sww_link import SwwLink
from tinyjoule.host.sim import protocol_sim
from tinyjoule.host.sim.board_profile import REFERENCE_BOARD
from tinyjoule.host.sim.config import SimBenchConfig, SwwOptions, parse_sim_url
from tinyjoule.host.sim.simulated_bench import SimulatedBench
from tinyjoule.host.transcript import Transcript
from tinyjoule.tinyml_workloads.model_info import read_model_info
from tinyjoule.tinyml_workloads.sww_clips import synthetic_clip_lists
from tinyjoule.tinyml_workloads.sww_scoring import duty_cycle, score_detections
from tinyjoule.tinyml_workloads.workloads import WORKLOADS

MED = synthetic_clip_lists()["sww_med_test.json"][0]
FEATURE_CYCLES = 120_000  # the simulator's stated cost of the features, 1 ms at 120 MHz


def _processing_s() -> float:
    info = read_model_info(WORKLOADS["sww01"].standin_model_path)
    cycles = sum(REFERENCE_BOARD.cycles_per_mac.get(op.op_type, 1.0) * op.macs for op in info.ops)
    return (cycles + FEATURE_CYCLES) / REFERENCE_BOARD.clock_hz


@pytest.fixture
def bench_link(tmp_path: Path) -> Iterator:
    names: list[str] = []

    def make(options: SwwOptions | None = None) -> tuple[SimulatedBench, SwwLink]:
        options = options or SwwOptions()
        bench = SimulatedBench(SimBenchConfig(workload_id="sww01", io_manager="h573", sww=options))
        name = protocol_sim.register_bench(bench)
        names.append(name)
        spec = BenchSpec(io_url=protocol_sim.bench_url(name, "io"), io_kind="h573")
        transcript = Transcript(tmp_path / f"{name}.log")
        return bench, SwwLink(open_dut(spec, "performance", WORKLOADS["sww01"], transcript).channel)

    yield make
    for name in names:
        protocol_sim.unregister_bench(name)


def _stream(link: SwwLink, bench: SimulatedBench, wav: str, length_s: float):
    link.dut("stop")
    link.dut("start")
    link.record_detections()
    played = link.play(wav, length_s)
    bench.clock.advance(0.25)
    stopped = link.dut("stop")
    return played, stopped, link.detections(), link.dutycycle()


def test_frames_every_32_ms_take_the_time_the_macs_say(bench_link) -> None:
    bench, link = bench_link()
    played, stopped, detections, capture = _stream(link, bench, MED.wav_file, MED.length_s)
    assert played.outcome.succeeded and played.elapsed_s == pytest.approx(MED.length_s, abs=0.01)
    assert bench.dut.frames_total == math.floor(MED.length_s / 0.032)
    assert bench.dut.processing_s == pytest.approx(_processing_s(), rel=1e-12)
    duty = duty_cycle(capture.starts_ticks, capture.stops_ticks)
    assert duty.frames == 100 and duty.period_s == pytest.approx(0.032, abs=1e-5)
    assert duty.on_time_s == pytest.approx(_processing_s(), abs=1e-5)  # 10 us ticks
    assert stopped.stopped and len(stopped.activations) == len(MED.windows)
    assert score_detections(detections, MED.windows).counts == (len(MED.windows), 0, 0)


@pytest.mark.parametrize(("misses", "false_alarms"), [(0, 0), (2, 3), (6, 0), (1, 99)])
def test_misses_and_false_alarms_as_told(bench_link, misses: int, false_alarms: int) -> None:
    bench, link = bench_link(SwwOptions(misses=misses, false_alarms=false_alarms))
    _, stopped, detections, _ = _stream(link, bench, MED.wav_file, MED.length_s)
    gaps = len(MED.windows) + 1  # before, between and after the words: all have room here
    alarms = min(false_alarms, gaps)
    assert len(detections) == 1 + len(MED.windows) - misses + 2 * alarms  # echoes debounced
    assert len(stopped.activations) == len(detections) - 1
    hits = len(MED.windows) - misses
    assert score_detections(detections, MED.windows).counts == (hits, misses, alarms)


def test_the_energy_between_the_pulses_is_the_frames_closed_form(bench_link) -> None:
    """Idle current throughout, plus the active excess for every frame's processing and the
    two 1 us pulses, plus the UART excess of at most the bytes around the pulses."""
    bench, link = bench_link()
    _stream(link, bench, MED.wav_file, MED.length_s)
    falls = bench.dut.pin.falling_times_s()
    start, stop = falls[-2], falls[-1]
    profile = REFERENCE_BOARD
    frames = math.floor(MED.length_s / 0.032)
    charge = profile.idle_current_a * (stop - start) + (
        profile.active_current_a - profile.idle_current_a
    ) * (frames * _processing_s() + 2e-6)
    uart_bound = (profile.uart_current_a - profile.idle_current_a) * 200 * 10 / 115200
    truth = bench.last_window_j() / profile.supply_voltage_v
    assert truth == pytest.approx(charge, abs=uart_bound)
    assert truth > charge  # the replies after start and before stop draw a little more


def test_an_unknown_wav_is_not_played_and_ls_lists_the_card(bench_link) -> None:
    bench, link = bench_link()
    assert link.files() == sorted(c.wav_file for cs in synthetic_clip_lists().values() for c in cs)
    played = link.play("nothere.wav", 10.0)
    assert not played.outcome.succeeded and "nothere.wav" in played.outcome.problem
    assert bench.player.playbacks == []


def test_faults_unwired_and_short(bench_link) -> None:
    bench, link = bench_link(SwwOptions(unwired=True, play_limit_s=30.0))
    played, _, detections, capture = _stream(link, bench, MED.wav_file, MED.length_s)
    assert played.elapsed_s == pytest.approx(30.0, abs=0.01)
    assert detections == () and len(capture.starts_ticks) == 100
    assert bench.dut.frames_total == math.floor(30.0 / 0.032)


def test_sim_url_options_and_the_interface_board_it_needs() -> None:
    options = parse_sim_url("sim://?sww_misses=3&sww_false_alarms=2&sww_fault=short@300")
    assert options.sww == SwwOptions(misses=3, false_alarms=2, play_limit_s=300.0)
    assert parse_sim_url("sim://?sww_fault=unwired").sww.unwired
    assert options.config("sww01", "accuracy", None, None).io_manager == "h573"
    assert options.config("kws01", "accuracy", None, None).io_manager is None
    for bad in ("sww_fault=short@x", "sww_fault=loose", "sww_misses=-1"):
        with pytest.raises(ConfigurationError, match="simulated bench"):
            parse_sim_url(f"sim://?{bad}")
    with pytest.raises(ConfigurationError, match="H573 interface board"):
        SimulatedBench(SimBenchConfig(workload_id="sww01", io_manager=None))
