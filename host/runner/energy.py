"""Energy mode: microjoules per inference between the two timestamp edges of each ``infer``.

The monitor powers the DUT and streams samples and timestamp events; the pump thread keeps
them flowing. For every window: exactly two new events (none in between windows), consecutive
event counters, no dropped samples, at least 10 s and 10 inferences (iterations raised as in
performance mode). The result is the median energy per inference over 5 windows with its
uncertainty, mean power, and (simulated bench only) the simulator's exact truth.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tinyjoule.firmware_protocol.errors import MeasurementError, MeasurementTimeout
from tinyjoule.host.dut_link import DutLink, InferReply
from tinyjoule.host.energy import UncertaintyModel, WindowEnergy
from tinyjoule.host.monitor_pump import MonitorPump
from tinyjoule.host.results import WorkloadRecord
from tinyjoule.host.runner.windows import WindowPlan, median, run_windows
from tinyjoule.host.trace_file import TraceWriter
from tinyjoule.tinyml_workloads.workloads import Workload

EVENT_TIMEOUT_S = 5.0
SAMPLES_TIMEOUT_S = 10.0

TruthFn = Callable[[], float]  # energy in J the simulated board drew in the last window


@dataclass(frozen=True, slots=True)
class EnergyWindow:
    input_name: str
    inferences: int
    warmups: int
    energy: WindowEnergy
    sim_truth_j: float | None

    @property
    def duration_s(self) -> float:
        return self.energy.duration_s

    @property
    def uj_per_inference(self) -> float:
        return self.energy.energy_uj / self.inferences

    def to_dict(self) -> dict[str, Any]:
        e = self.energy
        out: dict[str, Any] = {
            "input": self.input_name,
            "inferences": self.inferences,
            "warmups": self.warmups,
            "energy_uj": e.energy_uj,
            "uncertainty_uj": e.uncertainty_j * 1e6,
            "edge_uncertainty_uj": e.edge_uncertainty_j * 1e6,
            "uj_per_inference": self.uj_per_inference,
            "uncertainty_uj_per_inference": e.uncertainty_j * 1e6 / self.inferences,
            "mean_power_mw": e.mean_power_w * 1e3,
            "duration_s": e.duration_s,
            "latency_ms": e.duration_s * 1e3 / self.inferences,
            "start_sample": e.start_index,
            "end_sample": e.end_index,
        }
        if self.sim_truth_j is not None:
            out["sim_truth_energy_uj"] = self.sim_truth_j * 1e6
        return out


class EnergyMeasurer:
    """Turns each ``infer`` into a checked :class:`EnergyWindow` using the pump's data."""

    def __init__(
        self,
        pump: MonitorPump,
        voltage_v: float,
        model: UncertaintyModel,
        writer: TraceWriter | None,
        truth: TruthFn | None,
    ) -> None:
        self.pump = pump
        self.voltage_v = voltage_v
        self.model = model
        self.writer = writer
        self.truth = truth
        self.expected_events: int | None = None  # set before the first infer
        self.last_counter: int | None = None

    def before_infer(self) -> None:
        self.pump.sync()
        count = self.pump.event_count()
        if self.expected_events is None:
            self.expected_events = count  # boot and probe pulses are not windows
            return
        if count != self.expected_events:
            extra = self.pump.events[self.expected_events :]
            where = ", ".join(str(e.sample_index) for e in extra)
            raise MeasurementError(
                f"{self.pump.device}: {count - self.expected_events} timestamp event(s) outside "
                f"any inference window (at sample {where}); the timestamp line is noisy or the "
                "firmware pulses it elsewhere — check the wiring and the level shifter"
            )

    def measure(self, name: str, reply: InferReply) -> EnergyWindow:
        assert self.expected_events is not None, "before_infer() runs before every infer"
        first = self.expected_events
        try:
            events = self.pump.wait_for_events(first + 2, EVENT_TIMEOUT_S)
        except MeasurementTimeout as exc:
            got = self.pump.event_count() - first
            raise MeasurementTimeout(
                f"{self.pump.device}: 'infer {reply.iterations} {reply.warmups}' on {name} gave "
                f"{got} of its 2 timestamp events within {EVENT_TIMEOUT_S:g} s; check the "
                "timestamp wire to the monitor's event input (LPM01A: Arduino D7; PPK2: logic "
                "input D0-D7 with the DUT's VCC on its VCC pin; Joulescope: GPI0) and that the "
                "firmware is built for energy mode"
            ) from exc
        start, end = events[first], events[first + 1]
        self.expected_events += 2
        if len(events) > self.expected_events:
            raise MeasurementError(
                f"{self.pump.device}: {len(events) - first} timestamp events "
                f"during 'infer {reply.iterations} {reply.warmups}' on {name}, expected 2; "
                "check the timestamp wiring"
            )
        for event in (start, end):
            counter, last = event.counter, self.last_counter
            # the next counter value, or 0 where the instrument's counter wrapped
            if counter is not None and last is not None and counter not in (last + 1, 0):
                raise MeasurementError(
                    f"{self.pump.device}: timestamp event counter jumped from {last} to "
                    f"{counter}: an event was lost, so the window boundaries are unknown; "
                    "run again"
                )
            if counter is not None:
                self.last_counter = counter
        energy = self.pump.window(
            start.sample_index, end.sample_index, self.voltage_v, self.model, SAMPLES_TIMEOUT_S
        )
        dropped = self.pump.dropped_between(start.sample_index - 1, end.sample_index)
        if dropped:
            raise MeasurementError(
                f"{self.pump.device}: {dropped} sample(s) dropped inside the window for {name}; "
                "lower the sample rate, use the binary stream format, or free the USB bus"
            )
        truth = self.truth() if self.truth is not None else None
        return EnergyWindow(name, reply.iterations, reply.warmups, energy, truth)


def run_energy(
    link: DutLink,
    workload: Workload,
    inputs: Sequence[tuple[str, bytes]],
    measurer: EnergyMeasurer,
    record: WorkloadRecord,
    on_window: Callable[[], None],
    iterations: int | None = None,
) -> dict[str, Any]:
    plan = WindowPlan(
        iterations=iterations or workload.energy_iterations, warmups=workload.energy_warmups
    )
    windows: list[EnergyWindow] = []

    def keep(window: EnergyWindow) -> None:
        windows.append(window)
        if measurer.writer is not None:
            e = window.energy
            measurer.writer.add_window(
                e.start_index, e.end_index, window.inferences, e.energy_j, e.uncertainty_j
            )
        record.update(windows=[w.to_dict() for w in windows])
        on_window()

    run_windows(
        link, inputs, plan, measurer.measure, keep, record.log, before_infer=measurer.before_infer
    )
    summary = summarise(windows)
    record.update(**summary)
    record.write_checker_lines(
        [f"Median energy cost is {summary['median_uj_per_inference']:.3f} uJ/inf."]
    )
    return summary


def _median_window_value(windows: Sequence[EnergyWindow], key: Callable[[EnergyWindow], float]):
    """The value ``key`` takes at the median: that window's, or the mean of the middle two."""
    ranked = sorted(windows, key=lambda w: w.uj_per_inference)
    n = len(ranked)
    if n % 2:
        return key(ranked[n // 2])
    return 0.5 * (key(ranked[n // 2 - 1]) + key(ranked[n // 2]))


def summarise(windows: Sequence[EnergyWindow]) -> dict[str, Any]:
    if not windows:
        raise MeasurementError("no complete energy window to summarise")
    out: dict[str, Any] = {
        "median_uj_per_inference": median([w.uj_per_inference for w in windows]),
        "uncertainty_uj_per_inference": _median_window_value(
            windows, lambda w: w.energy.uncertainty_j * 1e6 / w.inferences
        ),
        "mean_power_mw": median([w.energy.mean_power_w * 1e3 for w in windows]),
        "median_latency_ms": median([w.duration_s * 1e3 / w.inferences for w in windows]),
        "median_throughput_ips": median([w.inferences / w.duration_s for w in windows]),
    }
    out["uncertainty_mean_power_mw"] = out["mean_power_mw"] * (
        out["uncertainty_uj_per_inference"] / out["median_uj_per_inference"]
    )
    if all(w.sim_truth_j is not None for w in windows):
        out["sim_truth_uj_per_inference"] = median(
            [w.sim_truth_j * 1e6 / w.inferences for w in windows]  # type: ignore[operator]
        )
    return out
