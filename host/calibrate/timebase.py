"""The time base and the event latency, measured against the DUT (``host.calibrate.workflows``
describes every workflow).

- **time base** (``measure_timebase``): the board runs its *performance* firmware, powered by
  the monitor; each ``infer N 0`` prints two ``m-lap-us-`` stamps, the second read exactly
  when the batch ends, where the supply current steps (``edges``). The monitor's sample
  position of each step against the DUT's µs timer gives the monitor's clock rate.
- **event latency** (``measure_event_latency``, where the bench has the *energy* firmware
  too): with the monitor reporting rising timestamp edges, the edge ending each batch's
  closing pulse is where the current steps to the UART's level; the event's sample index
  minus the step's position is the latency from edge to reported event, which tinyjoule's
  window convention expects within (0, 1] sample (an event at k: the edge in sample k - 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from tinyjoule.calibration.fit import TimebasePoint, fit_timebase
from tinyjoule.errors import ConfigurationError, MeasurementError
from tinyjoule.firmware_protocol.dut_codec import lap_delta_us
from tinyjoule.host.bench.dut import open_dut
from tinyjoule.host.calibrate.edges import Step, last_step
from tinyjoule.host.calibrate.fixtures import Ui
from tinyjoule.host.calibrate.workflows import CalBench, Target, sample_quantum, settings_of
from tinyjoule.host.instruments.base import MonitorConfig, MonitorInfo
from tinyjoule.host.instruments.facts import MonitorFacts
from tinyjoule.host.measurement.pump import MonitorPump
from tinyjoule.host.runner.monitor_setup import energy_bench
from tinyjoule.tinyml_workloads.workloads import Workload

DUT_TIMER_U_US = 1.0 / math.sqrt(12.0)  # a 1 µs counter: rounding within one step
BATCH_S = 3.0  # one inference batch of the time-base workflow
MIN_TIMEBASE_POINTS = 3
STEP_WAIT_S = 5.0


def _find_step(
    pump: MonitorPump,
    first: int,
    middle: tuple[int, int],
    facts: MonitorFacts,
    config: MonitorConfig,
    wait_s: float = STEP_WAIT_S,
) -> Step:
    """The step ending the plateau around ``middle``, once its samples are in (a monitor
    behind a slow link may deliver them a little after the DUT's reply)."""
    waited = 0.0
    while True:
        pump.sync()
        samples = pump.held(first, pump.samples_in())
        try:
            return last_step(samples, first, middle, sample_quantum(facts, config, samples))
        except MeasurementError:
            if waited >= wait_s:
                raise
        pump.clock.sleep(0.1)
        waited += 0.1


@dataclass
class TimebaseMeasured:
    info: MonitorInfo
    section: dict[str, Any]


def _reference_clock(simulated: bool, clock_ppm: float | None) -> tuple[dict[str, Any], float]:
    """What the DUT's timer is worth as a reference: (description, standard u in ppm)."""
    if simulated and clock_ppm is None:
        what = "the simulated DUT's µs timer: the simulator's own clock, exact"
        return {"what": what, "accuracy_ppm": 0.0, "distribution": "exact"}, 0.0
    ppm = 50.0 if clock_ppm is None else clock_ppm
    what = f"the DUT's µs timer, within ±{ppm:g} ppm" + (
        " (tinyjoule's assumption for a crystal; give --dut-clock-ppm)"
        if clock_ppm is None
        else " (--dut-clock-ppm)"
    )
    return {"what": what, "accuracy_ppm": ppm, "distribution": "rectangular"}, ppm / math.sqrt(3)


def _monitor_bench(target: Target, bench: CalBench, config: MonitorConfig) -> Any:
    """The target's monitor opened, powering the DUT, with its pump and no trace file."""
    return energy_bench(
        target.choice,
        bench.monitor_url,
        config,
        None,
        {},
        transcript=target.transcript.summarising(),
        driver_options={**target.driver_options, **bench.monitor_options},
        simulated=bench.simulated,
    )


def measure_timebase(
    target: Target,
    bench: CalBench,
    workload: Workload,
    seconds: float,
    ui: Ui,
    clock_ppm: float | None,
) -> TimebaseMeasured:
    """The monitor's sample clock against the DUT's µs timer (see the module docstring)."""
    facts, config = target.facts, target.config()
    if bench.link is None:
        raise ConfigurationError(
            f"{target.choice.label}: the time base needs the board's performance-mode firmware "
            "on a DUT port (--dut PORT), powered by the monitor"
        )
    fs = config.sample_rate_hz
    with _monitor_bench(target, bench, config) as eb:
        link = open_dut(bench.link, "performance", workload, target.transcript)
        try:
            identity = link.handshake(None, "performance")
            ui.say(f"time base: DUT {identity.vendor} runs {identity.model_id}")
            link.load(bytes(workload.input_bytes))
            first = link.infer(1, 0, 60.0)
            per_inference_s = lap_delta_us(*first.laps_us[:2]) * 1e-6
            keep_s = 0.8 * eb.pump.integrator.keep_samples / fs
            batch_s = min(BATCH_S, keep_s / 2, max(seconds / MIN_TIMEBASE_POINTS, 0.2))
            iterations = max(1, round(batch_s / max(per_inference_s, 1e-6)))
            count = max(
                MIN_TIMEBASE_POINTS, math.ceil(seconds / (iterations * per_inference_s)) + 1
            )
            ui.say(f"time base: {count} batches of infer {iterations} 0 ({seconds:g} s)")
            points: list[TimebasePoint] = []
            origin_us, previous = 0.0, None
            for _ in range(count):
                eb.pump.sync()
                first_sample = eb.pump.samples_in()  # the batch starts after this sample
                reply = link.infer(iterations, 0, 60.0 + 3.0 * iterations * per_inference_s)
                if len(reply.laps_us) != 2:
                    raise MeasurementError(
                        f"{link.device}: 'infer' printed {len(reply.laps_us)} m-lap-us- stamps, "
                        "not 2; the time base needs the performance-mode firmware"
                    )
                start_us, end_us = reply.laps_us
                origin_us += 0.0 if previous is None else lap_delta_us(previous, end_us)
                previous = end_us
                batch = lap_delta_us(start_us, end_us) * 1e-6 * fs
                middle = (first_sample + int(0.25 * batch), first_sample + int(0.75 * batch))
                step = _find_step(eb.pump, first_sample, middle, facts, config)
                points.append(
                    TimebasePoint(origin_us, DUT_TIMER_U_US, step.position, step.u_samples)
                )
        finally:
            link.close()
        info = eb.info
    fit = fit_timebase(points, fs)
    reference, reference_u = _reference_clock(bench.simulated, clock_ppm)
    section = {
        "timebase_ppm": fit.timebase_ppm,
        "standard_uncertainty_ppm": math.hypot(fit.fit_u_ppm, reference_u),
        "fit_u_ppm": fit.fit_u_ppm,
        "reference_u_ppm": reference_u,
        "model": "the monitor's sample clock runs timebase_ppm fast (+) or slow (-)",
        "reference": reference,
        "dut": {"vendor": identity.vendor, "model": identity.model_id},
        "method": "end of each inference batch: the DUT's second m-lap-us- stamp against the "
        "supply-current step in the monitor's samples",
        "points": [
            {
                "dut_us": p.dut_us,
                "monitor_samples": p.monitor_samples,
                "monitor_standard_uncertainty_samples": p.monitor_u_samples,
            }
            for p in points
        ],
        "residuals_us": list(fit.residuals_us),
        "birge_ratio": fit.birge_ratio,
        "span_s": fit.span_s,
        "settings": settings_of(config),
    }
    return TimebaseMeasured(info, section)


def measure_event_latency(
    target: Target, bench: CalBench, workload: Workload, ui: Ui, batches: int = 3
) -> dict[str, Any]:
    """Edge-to-event latency from the closing pulse of ``batches`` batches (see the module
    docstring); needs the board's energy-mode firmware on ``bench.link``."""
    facts = target.facts
    config = replace(target.config(), event_edge="rising")
    assert bench.link is not None
    fs = config.sample_rate_hz
    latencies: list[float] = []
    uncertainties: list[float] = []
    with _monitor_bench(target, bench, config) as eb:
        link = open_dut(bench.link, "energy", workload, target.transcript)
        try:
            link.handshake(None, "energy")
            link.load(bytes(workload.input_bytes))
            eb.pump.sync()
            seen = eb.pump.event_count()
            iterations = 1
            for n in range(batches + 1):
                link.infer(iterations, 0, 60.0)
                events = eb.pump.wait_for_events(seen + 2, 5.0)[seen:]
                seen += len(events)
                if len(events) != 2:
                    raise MeasurementError(
                        f"{eb.pump.device}: {len(events)} timestamp events for one 'infer', not "
                        "2; check the timestamp wire (event latency)"
                    )
                start, end = events[0].sample_index, events[1].sample_index
                if n == 0:  # size the batches to about 0.3 s
                    iterations = max(1, round(0.3 * fs / max(end - start, 1)))
                    continue
                middle = (start + (end - start) // 4, start + 3 * (end - start) // 4)
                step = _find_step(eb.pump, start, middle, facts, config)
                latencies.append(end - step.position)
                uncertainties.append(step.u_samples)
        finally:
            link.close()
    mean = sum(latencies) / len(latencies)
    spread = max(latencies) - min(latencies)
    consistent = all(-0.05 <= v <= 1.05 for v in latencies)
    section = {
        "latency_samples": mean,
        "latency_us": mean / fs * 1e6,
        "spread_samples": spread,
        "standard_uncertainty_samples": math.sqrt(
            sum(u * u for u in uncertainties) / len(uncertainties)
        ),
        "values_samples": latencies,
        "sample_rate_hz": fs,
        "convention": "an event at sample k means the edge fell in sample k - 1: a latency in "
        "(0, 1] sample",
        "consistent_with_convention": consistent,
        "applied": False,
    }
    if not consistent:
        ui.say(
            f"WARNING event latency {mean:.2f} samples at {fs:g} Hz is outside (0, 1] sample: "
            "the monitor reports timestamp edges later (or earlier) than tinyjoule's window "
            "convention assumes; energy windows may be shifted by that much"
        )
    return section
