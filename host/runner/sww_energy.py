"""Energy over a whole streaming wake word clip: from the DUT's ``start`` pulse to its ``stop``.

The SWW firmware pulses its timestamp pin for 1 µs on ``start`` and on ``stop``, so a clip is
one window of the monitor's stream, as long as the clip (20 minutes for the long test). The
pump integrates it block by block (memory does not grow with its length). A monitor whose
event input cannot see a 1 µs pulse is warned about before the run (its facts say how short
a pulse it is sure to see); if the two edges do not both arrive, the window falls back to the
samples the monitor had delivered when the DUT's ``start`` and ``stop`` replies came back,
flagged ``dut_replies``, with a timing bound of ``FALLBACK_EDGE_S`` at each end added to the
edge uncertainty. More than two edges means a noisy timestamp line: an error.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tinyjoule.errors import MeasurementError, MeasurementTimeout
from tinyjoule.host.instruments.facts import MonitorFacts
from tinyjoule.host.measurement.integration import WindowEnergy
from tinyjoule.host.runner.monitor_setup import EnergyBench

SWW_PULSE_S = 1e-6
SETTLE_S = 0.25
"""Wait before ``start`` so an earlier pulse (the ``stop`` before it) has been counted."""
EVENT_TIMEOUT_S = 2.0
SAMPLES_TIMEOUT_S = 10.0
FALLBACK_EDGE_S = 0.1
"""How far a reply-based bound may be from the pulse: a reply's transfer plus the monitor's
stream latency (USB buffering), tinyjoule's allowance."""
STATUS_WAIT_S = 2.5


def pulse_warning(facts: MonitorFacts, pulse_s: float = SWW_PULSE_S) -> str | None:
    """Why the monitor may miss the DUT's timestamp pulses, or None when it sees them."""
    shortest = facts.shortest_event_pulse_s
    if shortest is None:
        return (
            f"the {facts.title} does not say how short a timestamp pulse it sees; the SWW "
            f"firmware's pulses last {pulse_s * 1e6:g} µs: if they are missed, the stream's "
            "energy is bounded by the DUT's start/stop replies instead (flagged)"
        )
    if shortest > pulse_s:
        return (
            f"the {facts.title} sees timestamp pulses of {shortest * 1e6:g} µs or more, the SWW "
            f"firmware's last {pulse_s * 1e6:g} µs: they will likely be missed and the "
            "stream's energy bounded by the DUT's start/stop replies (flagged); use a monitor "
            "that sees them (an LPM01A, or a Joulescope on GPI0)"
        )
    return None


@dataclass(frozen=True, slots=True)
class StreamEnergy:
    energy: WindowEnergy
    bounds: str  # "timestamp_edges" or "dut_replies"
    events_seen: int
    sim_truth_j: float | None

    def to_dict(self) -> dict[str, Any]:
        e = self.energy
        out: dict[str, Any] = {
            "energy_uj": e.energy_uj,
            "uncertainty_uj": e.uncertainty_j * 1e6,
            "edge_uncertainty_uj": e.edge_uncertainty_j * 1e6,
            "duration_s": e.duration_s,
            "mean_power_mw": e.mean_power_w * 1e3,
            "start_sample": e.start_index,
            "end_sample": e.end_index,
            "energy_bounds": self.bounds,
            "timestamp_events": self.events_seen,
        }
        if self.sim_truth_j is not None:
            out["sim_truth_energy_uj"] = self.sim_truth_j * 1e6
            out["sim_truth_mean_power_mw"] = self.sim_truth_j / e.duration_s * 1e3
        return out


class StreamEnergyMeter:
    """Marks a clip's start and stop on the monitor's stream and integrates between them."""

    def __init__(self, bench: EnergyBench, truth: Callable[[], float] | None) -> None:
        self.bench = bench
        self.pump = bench.pump
        self.truth = truth
        self._first = 0
        self._start_mark = self._end_mark = 0

    def before_start(self) -> None:
        self.pump.clock.sleep(SETTLE_S)
        self.pump.sync()
        self._first = self.pump.event_count()

    def after_start(self) -> None:
        self.pump.sync()
        self._start_mark = self.pump.mark_now()

    def after_stop(self) -> None:
        self.pump.sync()
        self._end_mark = self.pump.mark_now()

    def measure(self, clip_name: str) -> StreamEnergy:
        pump, config = self.pump, self.bench.config
        with contextlib.suppress(MeasurementTimeout):  # fewer edges: the fallback below
            pump.wait_for_events(self._first + 2, EVENT_TIMEOUT_S)
        events = pump.events[self._first :]
        if len(events) > 2:
            where = ", ".join(str(e.sample_index) for e in events)
            raise MeasurementError(
                f"{pump.device}: {len(events)} timestamp events during the stream of "
                f"{clip_name} (at samples {where}), expected 2 (start and stop); the timestamp "
                "line is noisy or the firmware pulses it elsewhere: check the wiring"
            )
        if len(events) == 2:
            start, end, bounds = events[0].sample_index, events[1].sample_index, "timestamp_edges"
        else:
            start, end, bounds = self._start_mark, self._end_mark, "dut_replies"
        energy = pump.window(start, end, config.voltage_v, self.bench.model, SAMPLES_TIMEOUT_S)
        if bounds == "dut_replies":
            energy = _widened(energy, FALLBACK_EDGE_S)
        self._check_drops(energy, clip_name)
        truth = self.truth() if self.truth is not None else None  # between the pulses
        self.bench.writer.add_window(
            energy.start_index, energy.end_index, 1, energy.energy_j, energy.uncertainty_j
        )
        return StreamEnergy(energy, bounds, len(events), truth)

    def _check_drops(self, energy: WindowEnergy, clip_name: str) -> None:
        pump = self.pump
        if pump.last_status_index is not None:  # drops show in the next status record
            waited = 0.0
            while (pump.last_status_index or 0) < energy.end_index and waited < STATUS_WAIT_S:
                pump.clock.sleep(0.25)
                waited += 0.25
                pump.sync()
        dropped = pump.dropped_between(energy.start_index - 1, energy.end_index)
        if dropped:
            raise MeasurementError(
                f"{pump.device}: samples were lost during the stream of {clip_name} (up to "
                f"{dropped} between samples {energy.start_index - 1} and {energy.end_index}); "
                "lower the sample rate, use the binary stream format, or free the USB bus"
            )


def _widened(energy: WindowEnergy, edge_s: float) -> WindowEnergy:
    """The same window with ``edge_s`` of mean power added to each edge's bound."""
    timing = 2 * edge_s * energy.mean_power_w
    edge = energy.edge_uncertainty_j + timing
    rest = max(energy.uncertainty_j**2 - energy.edge_uncertainty_j**2, 0.0)
    return WindowEnergy(
        energy.start_index,
        energy.end_index,
        energy.sample_rate_hz,
        energy.energy_j,
        math.sqrt(rest + edge**2),
        edge,
    )
