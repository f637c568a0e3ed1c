"""The calibration workflows, each measuring through the same path as an energy run (the
time base and the event latency are in ``host.calibrate.timebase``).

- **zero and gain** (``measure_references``): the monitor streams fast current samples
  (``MonitorFacts.calibration_settings``) into a pump; for each reference the output is
  switched off, the reference connected, the output switched on, and after a settling time
  the samples of ``seconds`` are gathered into reading statistics. The open output is the
  zero point (the offset with its uncertainty); the loads and the zero point make the
  gain/offset fit. The instrument's own self-calibration runs first, before streaming.
- **time base** and **event latency**: against the DUT's µs timer and its timestamp pin
  (``host.calibrate.timebase``).

References beyond the instrument's range are refused before anything is connected; a load
that draws nothing, one far from its stated value and an offset hidden by clipped readings
are refused with the cause and the fix.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinyjoule.calibration.budget import reading_quantum
from tinyjoule.calibration.fit import (
    GainPoint,
    ReadingStats,
    fit_gain,
)
from tinyjoule.calibration.references import OPEN, Reference
from tinyjoule.errors import ConfigurationError, MeasurementError
from tinyjoule.host.bench.opening import BenchRequest, open_bench
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.calibrate.fixtures import PromptFixture, ReferenceFixture, Ui
from tinyjoule.host.calibrate.readings import SegmentCollector
from tinyjoule.host.clock import SYSTEM_CLOCK, Clock
from tinyjoule.host.instruments.base import EnergyMonitor, MonitorConfig, MonitorInfo
from tinyjoule.host.instruments.facts import MonitorFacts
from tinyjoule.host.instruments.registry import MonitorChoice, monitor_facts
from tinyjoule.host.measurement.pump import MonitorPump
from tinyjoule.host.runner.monitor_setup import make_driver
from tinyjoule.host.transcript import Transcript
from tinyjoule.tinyml_workloads.workloads import Workload

ZERO_CLIPPED_LIMIT = 0.05  # readings at exactly 0 beyond this: the offset is hidden


@dataclass(frozen=True)
class Target:
    """The monitor to calibrate and how to reach it."""

    choice: MonitorChoice
    voltage_v: float
    bench_url: str = "sim://"  # for a simulated monitor: the bench it sits on
    driver_options: Mapping[str, Any] = field(default_factory=dict)
    transcript: Transcript = field(default_factory=lambda: Transcript(None))

    @property
    def facts(self) -> MonitorFacts:
        return monitor_facts(self.choice.kind)

    def config(self) -> MonitorConfig:
        return self.facts.config(self.voltage_v, **self.facts.calibration_settings)


@dataclass
class CalBench:
    """What a workflow needs of the bench: the monitor's URL, the DUT's link (time base),
    who connects references, whether it is simulated."""

    monitor_url: str
    link: BenchSpec | None
    fixture: ReferenceFixture | None
    simulated: bool
    monitor_options: Mapping[str, Any] = field(default_factory=dict)


@contextmanager
def calibration_bench(
    target: Target, mode: str, workload: Workload, ui: Ui, ask: bool, dut: BenchSpec | None
) -> Iterator[CalBench]:
    """A simulated bench for the target's simulated monitor (``mode``'s firmware on its
    DUT), or the real ports."""
    choice = target.choice
    if choice.simulated:
        request = BenchRequest(workload=workload, mode=mode, monitor=choice)
        with open_bench(BenchSpec(bench_url=target.bench_url), request) as bench:
            yield CalBench(
                bench.monitor_url or "",
                bench.link,
                bench.references,
                True,
                bench.monitor_options,
            )
        return
    assert choice.port is not None
    yield CalBench(choice.port, dut, PromptFixture(ui, choice.kind.upper(), ask), False)


@dataclass
class Measured:
    """What a zero/gain session measured."""

    info: MonitorInfo
    config: MonitorConfig
    self_calibration: dict[str, Any]
    points: list[tuple[Reference, ReadingStats, float]]  # reference, readings, quantum (A)


def check_ranges(references: Sequence[Reference], facts: MonitorFacts, voltage_v: float) -> None:
    if facts.current_range_a is None:
        return
    low, high = facts.current_range_a
    for ref in references:
        if ref.kind == "open":
            continue
        current = ref.current_a(voltage_v)
        if low <= current <= high:
            continue
        if ref.kind == "resistor":
            fix = (
                f"use a resistor between {voltage_v / high:.4g} Ω and {voltage_v / low:.4g} Ω "
                f"at {voltage_v:g} V"
            )
        else:
            fix = f"use a reference current between {low:.3g} A and {high:.3g} A"
        raise ConfigurationError(
            f"reference {ref.label}: it draws {current:.4g} A at {voltage_v:g} V, outside the "
            f"{facts.title}'s range {low:.3g} A to {high:.3g} A; {fix}"
        )


def sample_quantum(facts: MonitorFacts, config: MonitorConfig, samples: Any) -> float:
    """The resolution step of raw samples of the size of ``samples`` (their unit)."""
    typical = float(np.median(np.abs(samples))) if len(samples) else 0.0
    return reading_quantum(facts.resolution.get(config.stream_format), typical)


def _quantum_a(facts: MonitorFacts, config: MonitorConfig, mean_a: float) -> float:
    rule = facts.resolution.get(config.stream_format)
    if config.output == "current":
        return reading_quantum(rule, abs(mean_a))
    per_j = config.sample_rate_hz / config.voltage_v  # A per J-per-sample
    return reading_quantum(rule, abs(mean_a) / per_j) * per_j


def measure_references(
    target: Target,
    bench: CalBench,
    references: Sequence[Reference],
    seconds: float,
    settle_s: float,
    ui: Ui,
) -> Measured:
    """Readings of every reference, in order (see the module docstring)."""
    facts, config = target.facts, target.config()
    check_ranges(references, facts, target.voltage_v)
    fixture = bench.fixture
    if fixture is None:
        raise ConfigurationError(f"{target.choice.label}: nobody to connect the references")
    self_calibration: dict[str, Any] = {}
    points: list[tuple[Reference, ReadingStats, float]] = []
    options = {**target.driver_options, **bench.monitor_options}
    monitor = make_driver(
        target.choice, bench.monitor_url, target.transcript.summarising(), options
    )
    info = monitor.open()
    try:
        monitor.configure(config)
        info = getattr(monitor, "info", None) or info
        self_calibration.update(monitor.self_calibrate())
        ui.say(f"self-calibration: {self_calibration.get('note')}")
        device = f"{info.kind.upper()} ({info.port})"
        clock = getattr(monitor, "clock", SYSTEM_CLOCK)
        for ref in references:
            fixture.connect(ref, target.voltage_v)
            ui.say(f"measuring {ref.label} for {seconds:g} s")
            stats, dropped = _acquire(monitor, device, clock, config, settle_s, seconds)
            if dropped or stats.count < 10:
                raise MeasurementError(
                    f"{device}: {stats.count} samples of {ref.label} arrived"
                    + (f" and {dropped} were lost" if dropped else "")
                    + "; free the USB bus (or lower the rate) and calibrate again"
                )
            points.append((ref, stats, _quantum_a(facts, config, stats.mean)))
        if not fixture.simulated:
            fixture.connect(None, target.voltage_v)
    finally:
        with contextlib.suppress(Exception):
            monitor.power(False)
        monitor.close()
    return Measured(info, config, self_calibration, points)


def _acquire(
    monitor: EnergyMonitor,
    device: str,
    clock: Clock,
    config: MonitorConfig,
    settle_s: float,
    seconds: float,
) -> tuple[ReadingStats, int]:
    """One acquisition with the output on: the readings of ``seconds`` after ``settle_s``."""
    collector = SegmentCollector(config.voltage_v)
    pump = MonitorPump(monitor, device, None, clock, None, [collector])
    monitor.power(True)
    try:
        monitor.start()
        pump.start()
        try:
            clock.sleep(settle_s)
            pump.sync()
            collector.begin(pump.samples_in(), int(seconds * config.sample_rate_hz))
            clock.sleep(seconds)
            pump.sync()
            stats = collector.end(pump.samples_in())
        finally:
            pump.stop()
        if pump.error is not None:
            raise pump.error
    finally:
        monitor.power(False)
    return stats, collector.dropped


def settings_of(config: MonitorConfig) -> dict[str, Any]:
    return {
        "sample_rate_hz": config.sample_rate_hz,
        "output": config.output,
        "stream_format": config.stream_format,
        "voltage_v": config.voltage_v,
    }


def zero_clipped(measured: Measured) -> bool:
    """Whether the open output's readings are clipped at 0 (their mean is then biased)."""
    return any(
        r.kind == "open" and s.zero_fraction > ZERO_CLIPPED_LIMIT for r, s, _ in measured.points
    )


def zero_section(measured: Measured, label: str) -> dict[str, Any]:
    """The offset from the open output's readings."""
    ref, stats, quantum = next(p for p in measured.points if p[0].kind == "open")
    if stats.zero_fraction > ZERO_CLIPPED_LIMIT:
        raise MeasurementError(
            f"{label}: with the output open, {stats.zero_fraction * 100:.0f} % of the readings "
            "are exactly 0 (negative readings clipped), so their mean hides the offset; "
            "calibrate the offset from the gain fit instead (two or more loads: tinyjoule "
            "calibrate gain --load ...)"
        )
    u_res = quantum / math.sqrt(12.0)
    return {
        "offset_a": stats.mean,
        "standard_uncertainty_a": math.hypot(stats.u_mean, u_res),
        "type_a_standard_uncertainty_a": stats.u_mean,
        "resolution_standard_uncertainty_a": u_res,
        "noise_rms_a": stats.std,
        "reference": ref.to_dict(),
        "readings": stats.to_dict(),
        "settings": settings_of(measured.config),
    }


def _check_load(
    ref: Reference,
    stats: ReadingStats,
    zero_a: float,
    voltage_v: float,
    label: str,
) -> None:
    expected = ref.current_a(voltage_v)
    drawn = stats.mean - zero_a
    if drawn < max(0.05 * expected, 5.0 * stats.u_mean):
        raise MeasurementError(
            f"{label}: reference {ref.label} draws nothing (the monitor reads "
            f"{stats.mean * 1e6:.3f} µA, {drawn * 1e6:.3f} µA above the open output, where "
            f"{expected * 1e6:.1f} µA was expected): an open wire or a loose contact; check "
            "that it is connected across the monitor's output, then calibrate again"
        )


def gain_section(measured: Measured, facts: MonitorFacts, label: str) -> dict[str, Any]:
    """The gain/offset fit over every point: the open output included, unless its readings
    are clipped at 0 (then the loads alone give the offset)."""
    voltage = measured.config.voltage_v
    clipped = zero_clipped(measured)
    used = [p for p in measured.points if not (clipped and p[0].kind == "open")]
    if clipped and len(used) < 2:
        raise MeasurementError(
            f"{label}: the open output reads exactly 0 for most samples (a negative offset "
            "clipped), so it cannot be a point of the fit; give two or more loads (--load)"
        )
    zero = next((s.mean for r, s, _ in used if r.kind == "open"), 0.0)
    points: list[GainPoint] = []
    for ref, stats, quantum in used:
        if ref.kind != "open":
            _check_load(ref, stats, zero, voltage, label)
        points.append(
            GainPoint(
                reference_a=ref.current_a(voltage),
                reference_u_a=ref.current_u_a(voltage),
                reading_a=stats.mean,
                reading_u_a=stats.u_mean,
                quantum_a=quantum,
                label=ref.label,
            )
        )
    try:
        fit = fit_gain(points)
    except MeasurementError as exc:
        raise MeasurementError(f"{label}: {exc}") from None
    off = fit.gain - 1.0
    if abs(off) > max(0.1, 5.0 * facts.accuracy_relative):
        raise MeasurementError(
            f"{label}: the loads read {off * 100:+.1f} % off their stated values, far beyond "
            f"the {facts.title}'s ±{facts.accuracy_relative * 100:g} %: they are not the "
            "values given (check the resistors' codes and the voltage), or another load is "
            "connected"
        )
    distributions = {r.distribution for r, _, _ in measured.points if r.kind != "open"}
    return {
        "gain": fit.gain,
        "gain_standard_uncertainty": fit.gain_u,
        "offset_a": fit.offset_a,
        "offset_standard_uncertainty_a": fit.offset_u_a,
        "model": "reading = gain x current + offset_a",
        "covariance": {
            "references": fit.covariance_references,
            "scatter": fit.covariance_scatter,
            "resolution": fit.covariance_resolution,
        },
        "reference_distribution": distributions.pop() if len(distributions) == 1 else "mixed",
        "points": [
            {
                "reference": ref.to_dict(),
                "reference_current_a": p.reference_a,
                "reference_standard_uncertainty_a": p.reference_u_a,
                "reading_a": p.reading_a,
                "reading_standard_uncertainty_a": p.reading_u_a,
                "resolution_step_a": p.quantum_a,
                "readings": stats.to_dict(),
                "residual_a": residual,
                "normalised_residual": normalised,
            }
            for (ref, stats, _), p, residual, normalised in zip(
                used, points, fit.residuals_a, fit.normalised_residuals, strict=True
            )
        ],
        "open_output_excluded": clipped,
        "degrees_of_freedom": fit.dof,
        "birge_ratio": fit.birge_ratio,
        "settings": settings_of(measured.config),
    }


def references_for(
    given: Sequence[Reference] | None, fixture: ReferenceFixture | None, label: str
) -> list[Reference]:
    """The open output first, then the loads: given ones, else the fixture's own."""
    loads = [r for r in (given or []) if r.kind != "open"]
    if not given and fixture is not None:
        loads = [r for r in fixture.builtin() if r.kind != "open"]
    if not loads:
        return [OPEN]
    if not given and fixture is None:
        raise ConfigurationError(f"{label}: give the reference loads with --load")
    return [OPEN, *loads]
