"""Streaming wake word runs (sww01): one audio stream per clip instead of 5 timed windows.

For each clip of the list, as the MLCommons runner's ``stream`` step does and with every
step checked: DUT ``stop`` then ``start`` (its timestamp pulse opens the energy window),
board ``record_detections``, ``play <wav>`` (it blocks for the clip; the timeout is its
length plus 10 s on the bench's clock), 0.25 s, DUT ``stop`` (the closing pulse, its target
activations), then the board's detections and duty-cycle capture. The clip is scored as the
reference runner scores it (``tinyml_workloads.sww_scoring``); in energy mode the monitor
integrates the whole stream (``sww_energy``). What a clip gave is written to results.json
before any problem with it (a stream that ended early, no detections, no duty-cycle data,
lost edges or samples) is raised, so nothing measured is lost. The same stream runs in
every mode; energy mode adds the mean power. Real benches need the H573 interface board.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tinyjoule.errors import ConfigurationError, MeasurementError, ProtocolError, TinyJouleError
from tinyjoule.host.bench.dut import open_dut
from tinyjoule.host.bench.opening import OpenedBench
from tinyjoule.host.instruments.registry import monitor_facts
from tinyjoule.host.link.sww_link import SwwLink
from tinyjoule.host.results.result_lines import sww_clip_lines, sww_lines
from tinyjoule.host.results.session import WorkloadRecord
from tinyjoule.host.runner.datasets import clip_list
from tinyjoule.host.runner.energy_setup import note_buffer_load, recorded_energy_bench
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.steps import Progress, link_spec, note_simulator, progress_counter
from tinyjoule.host.runner.sww_energy import StreamEnergy, StreamEnergyMeter, pulse_warning
from tinyjoule.tinyml_workloads.sww_clips import OFFICIAL_LONG_WAKEWORDS, Clip, ClipList
from tinyjoule.tinyml_workloads.sww_scoring import (
    MAX_FALSE_NEGATIVES,
    MAX_FALSE_POSITIVES,
    DetectionScore,
    DutyCycle,
    combine_duty_cycles,
    duty_cycle,
    meets_quality_target,
    score_detections,
)
from tinyjoule.tinyml_workloads.workloads import Workload

AFTER_PLAY_S = 0.25
EARLY_END_TOLERANCE_S = 0.5


@dataclass
class ClipRun:
    clip: Clip
    data: dict[str, Any]
    score: DetectionScore | None = None
    duty: DutyCycle | None = None
    energy: StreamEnergy | None = None
    problems: list[TinyJouleError] = field(default_factory=list)


def run_stream(
    request: RunRequest,
    workload: Workload,
    record: WorkloadRecord,
    progress: Progress,
    bench: OpenedBench,
) -> dict[str, Any]:
    if request.dataset_root is None and not bench.simulated:
        raise ConfigurationError(
            f"{workload.id}: a real bench needs the clip lists; pass --dataset PATH (the "
            "folder holding sww01/*.json, or one list such as sww01/sww_long_test.json)"
        )
    clips = clip_list(request.dataset_root)
    synthetic = request.dataset_root is None or clips.synthetic
    record.mark_source(bench.simulated, synthetic_dataset=synthetic)
    record.update(
        flow="stream",
        clip_list=clips.name,
        clip_list_path=str(clips.path),
        wakewords=clips.wakewords,
        stream_length_s=clips.length_s,
        provenance=_provenance(request, workload, bench, clips, synthetic),
    )
    if bench.link.io_url is None or bench.link.io_kind != "h573":
        raise ConfigurationError(
            f"{bench.link.label}: {workload.id} needs the STM32H573I-DK interface board (it "
            "plays the audio and records the detections and duty cycle); pass --io PORT "
            '--io-kind h573 (the DUT behind it), or [io_manager] kind = "h573" in the board file'
        )
    if request.mode != "energy":
        return _stream(request, workload, clips, record, progress, bench, None)
    warning = pulse_warning(monitor_facts(request.monitor.kind))
    if warning is not None:
        record.log(f"WARNING {warning}")
        record.update(timestamp_pulse_warning=warning)
    rising = request.resolved_monitor_config().event_edge == "rising"
    with recorded_energy_bench(request, workload, record, bench, {"flow": "stream"}) as monitor:
        truth = None
        if bench.truth is not None:
            truth = lambda: bench.truth.last_window_j(rising)  # noqa: E731
        summary = _stream(
            request, workload, clips, record, progress, bench, StreamEnergyMeter(monitor, truth)
        )
        note_buffer_load(monitor.pump.max_buffer_percent, record)
        return summary


def _provenance(
    request: RunRequest, workload: Workload, bench: OpenedBench, clips: ClipList, synthetic: bool
) -> dict[str, Any]:
    """What ran: the software, the model (given, or the simulated DUT's stand-in), the clip
    list with its SHA-256, and where the figures come from."""
    from tinyjoule.host.results.provenance import model_facts, sha256_of, software
    from tinyjoule.tinyml_workloads.model_info import read_model_info

    facts: dict[str, Any] = {
        "software": software(),
        "simulated": bench.simulated,
        "synthetic_dataset": synthetic,
        "dataset": {
            "clip_list": str(clips.path),
            "sha256": sha256_of(clips.path) if clips.path.is_file() else None,
            "synthetic": synthetic,
        },
    }
    model = request.model_path or (workload.standin_model_path if bench.simulated else None)
    if model is not None and model.is_file():
        facts["model"] = model_facts(model, read_model_info(model).total_macs)
        facts["model"]["given_with"] = "--model" if request.model_path else "simulated stand-in"
    return facts


def _stream(
    request: RunRequest,
    workload: Workload,
    clips: ClipList,
    record: WorkloadRecord,
    progress: Progress,
    bench: OpenedBench,
    meter: StreamEnergyMeter | None,
) -> dict[str, Any]:
    link = SwwLink(
        open_dut(link_spec(bench, request), request.mode, workload, record.transcript).channel
    )
    try:
        try:
            vendor, model = link.identify(workload.id)
        finally:  # a DUT that named itself and then failed a check is marked all the same
            note_simulator(link.vendor or "", record, meter.bench.writer if meter else None)
        record.update(dut={"vendor": vendor, "model": model, "device": link.device})
        record.log(f"DUT {vendor} runs {model} (streaming wake word firmware)")
        step = progress_counter(progress, workload.id, len(clips.clips))
        runs: list[ClipRun] = []
        for clip in clips.clips:
            clip_run = stream_clip(link, clip, clips, meter, record)
            runs.append(clip_run)
            record.update(clips=[r.data for r in runs])
            if clip_run.problems:
                raise clip_run.problems[0]
            step()
        synthetic = bool(record.data.get("synthetic_dataset"))
        summary = summarise(runs, clips, synthetic)
        record.update(**summary)
        lines = sww_lines(summary, record.official, record.why_unofficial)
        head = (
            []
            if record.official
            else [f"tinyjoule {request.mode} results: {record.why_unofficial.upper()}"]
        )
        record.write_results_txt(head + sww_clip_lines(summary["clips"]), lines)
        return summary
    finally:
        link.close()


def _check_card(link: SwwLink, clip: Clip, record: WorkloadRecord) -> list[str]:
    files = link.files()
    if not any(clip.wav_file.casefold() in f.casefold() for f in files):
        record.log(
            f"WARNING the interface board does not list {clip.wav_file} on its SD card "
            f"(ls: {', '.join(files[:8]) or 'nothing'}); trying to play it anyway"
        )
    return files


def stream_clip(
    link: SwwLink,
    clip: Clip,
    clips: ClipList,
    meter: StreamEnergyMeter | None,
    record: WorkloadRecord,
) -> ClipRun:
    """One clip, start to stop; problems after the stream are collected, not raised."""
    name = clip.wav_file
    run = ClipRun(clip, {"wav_file": name, "length_s": clip.length_s,
                         "wakewords": len(clip.windows)})  # fmt: skip
    files = _check_card(link, clip, record)
    link.dut("stop")  # a stream left running by an earlier run ends here
    if meter is not None:
        meter.before_start()
    if link.dut("start").busy:
        raise ProtocolError(
            f"{link.device}: the DUT refused 'start' as already streaming, right after 'stop'; "
            "reset it and run again"
        )
    if meter is not None:
        meter.after_start()
    link.record_detections()
    record.log(f"playing {name} ({clip.length_s:g} s, {len(clip.windows)} wake words)")
    played = link.play(name, clip.length_s)
    if not played.outcome.succeeded:
        link.dut("stop")
        raise ConfigurationError(
            f"{link.board_device}: the interface board could not play {name} (it said: "
            f"{played.outcome.problem}); the wav must be on its SD card (FAT32; it lists "
            f"{', '.join(files[:8]) or 'nothing'}): copy it there or fix {clips.path}"
        )
    run.data["played_s"] = played.elapsed_s
    link.clock.sleep(AFTER_PLAY_S)
    stopped = link.dut("stop")
    if meter is not None:
        meter.after_stop()
    run.data["dut_target_activations"] = list(stopped.activations or ())
    detections = link.detections()
    capture = link.dutycycle()
    run.data.update(
        detections_ms=list(detections),
        duty_cycle_starts_ticks=list(capture.starts_ticks),
        duty_cycle_stops_ticks=list(capture.stops_ticks),
    )
    if played.elapsed_s < clip.length_s - EARLY_END_TOLERANCE_S:
        run.problems.append(
            MeasurementError(
                f"{link.board_device}: the stream of {name} ended early: the board finished "
                f"playing after {played.elapsed_s:.1f} s of the clip's {clip.length_s:g} s; "
                "the wav on its card is shorter than the clip list says, or playback stopped "
                "(check the card and the list, then run again); what was recorded is kept"
            )
        )
    if not stopped.stopped:
        problem = f"'stop' answered {list(stopped.lines)!r} without 'Streaming stopped.'"
        run.problems.append(
            ProtocolError(f"{link.device}: {problem}; the DUT was not streaming (did it reset?)")
        )
    _score(run, detections, capture, record)
    if meter is not None:
        try:
            run.energy = meter.measure(name)
            run.data.update(run.energy.to_dict())
            if run.energy.bounds == "dut_replies":
                record.log(
                    f"WARNING {name}: {run.energy.events_seen} of the 2 timestamp edges arrived; "
                    "the stream's energy is bounded by the DUT's start/stop replies instead "
                    "(energy_bounds = dut_replies)"
                )
        except MeasurementError as exc:
            run.problems.append(exc)
    return run


def _score(run: ClipRun, detections: tuple[int, ...], capture, record: WorkloadRecord) -> None:
    name = run.clip.wav_file
    try:
        run.score = score_detections(detections, run.clip.windows)
    except MeasurementError as exc:
        run.problems.append(MeasurementError(f"{name}: {exc}"))
    else:
        tp, fn, fp = run.score.counts
        run.data.update(
            true_positives=tp,
            false_negatives=fn,
            false_positives=fp,
            sync_ms=run.score.sync_ms,
            missed_windows_s=list(run.score.false_negatives),
            false_positive_times_s=list(run.score.false_positives),
        )
        record.log(f"{name}: {tp} true positives, {fn} false negatives, {fp} false positives")
        activations = len(run.data.get("dut_target_activations", ()))
        if activations != len(detections) - 1:
            record.log(
                f"note: the DUT reports {activations} target activations, the board recorded "
                f"{len(detections) - 1} detections after the sync mark"
            )
    try:
        run.duty = duty_cycle(capture.starts_ticks, capture.stops_ticks)
    except MeasurementError as exc:
        run.problems.append(MeasurementError(f"{name}: {exc}"))
        return
    d = run.duty
    run.data.update(duty_cycle=d.duty, period_s=d.period_s, processing_time_s=d.on_time_s,
                    throughput_inf_per_s=d.throughput_inf_per_s)  # fmt: skip
    if d.period_varies:
        record.log(
            f"WARNING {name}: the processing period varies by {d.period_spread:.1%} "
            "(more than 2 %): frames are late or dropped"
        )


def summarise(runs: list[ClipRun], clips: ClipList, synthetic: bool) -> dict[str, Any]:
    """Totals over the clips: counts, duty cycle, mean power; the quality verdict."""
    counts = [r.score.counts for r in runs if r.score is not None]
    tp, fn, fp = (sum(c[i] for c in counts) for i in range(3))
    duty = combine_duty_cycles([r.duty for r in runs if r.duty is not None])
    out: dict[str, Any] = {
        "flow": "stream",
        "clips": [r.data for r in runs],
        "true_positives": tp,
        "false_negatives": fn,
        "false_positives": fp,
        "wakewords": clips.wakewords,
        "duty_cycle": duty.duty,
        "period_s": duty.period_s,
        "processing_time_s": duty.on_time_s,
        "throughput_inf_per_s": duty.throughput_inf_per_s,
        "duty_cycle_frames": duty.frames,
        "quality_target": {
            "max_false_positives": MAX_FALSE_POSITIVES,
            "max_false_negatives": MAX_FALSE_NEGATIVES,
            "wakewords": OFFICIAL_LONG_WAKEWORDS,
        },
    }
    if clips.is_long_test and not synthetic:
        out["meets_target"] = meets_quality_target(tp, fn, fp, OFFICIAL_LONG_WAKEWORDS)
    else:
        out["quality_note"] = (
            "no verdict: the quality rule (<= 8 false positives, <= 8 false negatives, "
            "TP + FN = 50) is for the official long test on real data"
        )
    energies = [r.energy for r in runs if r.energy is not None]
    if energies:
        total_j = sum(e.energy.energy_j for e in energies)
        duration = sum(e.energy.duration_s for e in energies)
        bound_j = sum(e.energy.uncertainty_j for e in energies)  # gain errors add up
        bounds = {e.bounds for e in energies}
        out.update(
            energy_uj=total_j * 1e6,
            uncertainty_uj=bound_j * 1e6,
            duration_s=duration,
            mean_power_mw=total_j / duration * 1e3,
            uncertainty_mean_power_mw=bound_j / duration * 1e3,
            energy_bounds="timestamp_edges" if bounds == {"timestamp_edges"} else "dut_replies",
        )
        if all(e.sim_truth_j is not None for e in energies):
            truth = sum(e.sim_truth_j for e in energies)  # type: ignore[misc]
            out["sim_truth_mean_power_mw"] = truth / duration * 1e3
    return out
