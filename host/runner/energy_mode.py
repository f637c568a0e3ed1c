"""Energy mode: microjoules per inference between the two timestamp edges of each ``infer``.

The monitor powers the DUT and streams samples and timestamp events; the pump thread keeps
them flowing. For every window: exactly two new events (none in between windows), consecutive
event counters, no dropped samples, at least 10 s and 10 inferences (iterations raised as in
performance mode). The result is the median energy per inference over 5 windows with its
uncertainty, mean power, and (simulated bench only) the simulator's exact truth.

Every figure carries its GUM budget (``calibration.budget``): each window's energy, and the
median energy per inference (the median window's terms per inference plus the
window-to-window scatter). ``uncertainty_*`` values are expanded uncertainties, k = 2.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tinyjoule.calibration.budget import median_budget
from tinyjoule.errors import MeasurementError, MeasurementTimeout
from tinyjoule.host.link.dut_link import DutLink, InferReply
from tinyjoule.host.measurement.integration import UncertaintyModel, WindowEnergy
from tinyjoule.host.measurement.pump import MonitorPump
from tinyjoule.host.measurement.trace_file import TraceWriter
from tinyjoule.host.results.session import WorkloadRecord
from tinyjoule.host.runner.windows import WindowPlan, median, run_windows, value_at_median
from tinyjoule.tinyml_workloads.workloads import Workload

EVENT_TIMEOUT_S = 5.0
SAMPLES_TIMEOUT_S = 10.0
STATUS_WAIT_S = 2.5  # the LPM01A sends a TimeStamp status once a second
STATUS_POLL_S = 0.25

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
        if e.budget is not None:
            out["combined_standard_uncertainty_uj"] = e.budget.combined_standard_uncertainty_uj
            out["coverage_factor"] = e.budget.coverage_factor
            out["uncertainty_budget"] = e.budget.to_dict()
        if self.sim_truth_j is not None:
            out["sim_truth_energy_uj"] = self.sim_truth_j * 1e6
            out["sim_truth_within_uncertainty"] = bool(
                abs(e.energy_j - self.sim_truth_j) <= e.uncertainty_j
            )
        return out


class EnergyMeasurer:
    """Turns each ``infer`` into a checked :class:`EnergyWindow` using the pump's data.

    Events are consumed two per ``infer``; any other event is an error. Drops are checked
    when a window is measured and again later: a monitor that reveals drops only in its
    periodic status records (the LPM01A's TimeStamp, once a second) can report one inside a
    window a second after it ended, so every kept window is checked again before the next
    ``infer`` and once more at the end, after waiting for a status record past the last one.
    """

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
        self.consumed_events: int | None = None  # set before the first infer
        self.last_counter: int | None = None
        self.kept: list[EnergyWindow] = []
        self.drop_check_complete = True

    def _check_no_stray_events(self) -> None:
        assert self.consumed_events is not None
        count = self.pump.event_count()
        if count != self.consumed_events:
            extra = self.pump.events[self.consumed_events :]
            where = ", ".join(str(e.sample_index) for e in extra)
            raise MeasurementError(
                f"{self.pump.device}: {count - self.consumed_events} timestamp event(s) outside "
                f"any inference window (at sample {where}); the timestamp line is noisy or the "
                "firmware pulses it elsewhere — check the wiring and the level shifter"
            )

    def _check_drops(self, window: EnergyWindow) -> None:
        e = window.energy
        dropped = self.pump.dropped_between(e.start_index - 1, e.end_index)
        if dropped:
            raise MeasurementError(
                f"{self.pump.device}: samples were lost inside the window for "
                f"{window.input_name} (up to {dropped} between samples {e.start_index - 1} and "
                f"{e.end_index}); lower the sample rate, use the binary stream format, or free "
                "the USB bus"
            )

    def _raise_if_stopped(self, infer: str, exc: MeasurementTimeout) -> None:
        """A wait that timed out with no samples either: the monitor stopped streaming (not
        a timestamp-wire fault), named with what to check."""
        stopped = self.pump.stopped_streaming()
        if stopped is not None:
            raise MeasurementTimeout(
                f"{stopped} during {infer}; check its USB cable and power (a loose cable, a "
                "USB hub or the computer's power saving suspending it) and that no other "
                "program opened it, then run again; the windows measured so far are kept"
            ) from exc

    def before_infer(self) -> None:
        self.pump.sync()
        if self.consumed_events is None:
            self.consumed_events = self.pump.event_count()  # boot and probe pulses: no windows
            return
        self._check_no_stray_events()
        for window in self.kept:
            self._check_drops(window)

    def keep(self, window: EnergyWindow) -> None:
        self.kept.append(window)

    def measure(self, name: str, reply: InferReply) -> EnergyWindow:
        assert self.consumed_events is not None, "before_infer() runs before every infer"
        first = self.consumed_events
        self.pump.sync()  # everything the monitor saw until m-ready is in
        infer = f"'infer {reply.iterations} {reply.warmups}' on {name}"
        try:
            events = self.pump.wait_for_events(first + 2, EVENT_TIMEOUT_S)
        except MeasurementTimeout as exc:
            self._raise_if_stopped(infer, exc)
            got = self.pump.event_count() - first
            raise MeasurementTimeout(
                f"{self.pump.device}: 'infer {reply.iterations} {reply.warmups}' on {name} gave "
                f"{got} of its 2 timestamp events within {EVENT_TIMEOUT_S:g} s; check the "
                "timestamp wire to the monitor's event input (LPM01A: Arduino D7; PPK2: logic "
                "input D0-D7 with the DUT's VCC on its VCC pin; Joulescope: GPI0) and that the "
                "firmware is built for energy mode"
            ) from exc
        start, end = events[first], events[first + 1]
        self.consumed_events = first + 2
        if len(events) > self.consumed_events:
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
        try:
            energy = self.pump.window(
                start.sample_index, end.sample_index, self.voltage_v, self.model, SAMPLES_TIMEOUT_S
            )
        except MeasurementTimeout as exc:
            self._raise_if_stopped(infer, exc)
            raise
        truth = self.truth() if self.truth is not None else None
        window = EnergyWindow(name, reply.iterations, reply.warmups, energy, truth)
        self._check_drops(window)
        return window

    def finish(self) -> None:
        """After the last window: wait for the monitor to vouch for it, then check all again."""
        if self.kept and self.pump.last_status_index is not None:
            last_end = self.kept[-1].energy.end_index
            waited = 0.0
            while (self.pump.last_status_index or 0) < last_end and waited < STATUS_WAIT_S:
                self.pump.clock.sleep(STATUS_POLL_S)
                waited += STATUS_POLL_S
                self.pump.sync()
            self.drop_check_complete = (self.pump.last_status_index or 0) >= last_end
        self.pump.sync()
        if self.consumed_events is not None:
            self._check_no_stray_events()
        for window in self.kept:
            self._check_drops(window)


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
        measurer.keep(window)
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
    measurer.finish()
    if not measurer.drop_check_complete:
        record.log(
            "WARNING no status record from the monitor after the last window: samples lost "
            "at its very end could not be ruled out"
        )
    summary = summarise(windows)
    summary["drop_check_complete"] = measurer.drop_check_complete
    record.update(**summary)
    record.write_mode_results(summary)
    return summary


def summarise(windows: Sequence[EnergyWindow]) -> dict[str, Any]:
    if not windows:
        raise MeasurementError("no complete energy window to summarise")
    out: dict[str, Any] = {
        "median_uj_per_inference": median([w.uj_per_inference for w in windows]),
        "uncertainty_uj_per_inference": value_at_median(
            windows,
            lambda w: w.uj_per_inference,
            lambda w: w.energy.uncertainty_j * 1e6 / w.inferences,
        ),
        "mean_power_mw": median([w.energy.mean_power_w * 1e3 for w in windows]),
        "median_latency_ms": median([w.duration_s * 1e3 / w.inferences for w in windows]),
        "median_throughput_ips": median([w.inferences / w.duration_s for w in windows]),
    }
    if all(w.energy.budget is not None for w in windows):
        budget = median_budget(
            [w.energy.budget.scaled(1.0 / w.inferences, "uj_per_inference") for w in windows],  # type: ignore[union-attr]
            [w.uj_per_inference for w in windows],
        )
        out["uncertainty_uj_per_inference"] = budget.expanded_uncertainty_uj
        out["combined_standard_uncertainty_uj_per_inference"] = (
            budget.combined_standard_uncertainty_uj
        )
        out["coverage_factor"] = budget.coverage_factor
        out["uncertainty_budget"] = budget.to_dict()
    out["uncertainty_mean_power_mw"] = out["mean_power_mw"] * (
        out["uncertainty_uj_per_inference"] / out["median_uj_per_inference"]
    )
    if all(w.sim_truth_j is not None for w in windows):
        truth = median([w.sim_truth_j * 1e6 / w.inferences for w in windows])  # type: ignore[operator]
        out["sim_truth_uj_per_inference"] = truth
        out["sim_truth_within_uncertainty"] = bool(
            abs(out["median_uj_per_inference"] - truth) <= out["uncertainty_uj_per_inference"]
        )
    return out
