"""A thread that keeps reading the energy monitor while the runner talks to the DUT.

Real monitors stream continuously and overrun if nobody reads them (the DUT conversation can
block for many seconds), so a pump thread moves every item into the integrator and the trace
file as it arrives, and keeps the timestamp events and drops for the runner to check.

Every wait is on the monitor's clock (``host.clock``): real time for real ports; on a
simulated bench the pump runs as the clock's reader, woken when data is ready, and the
runner's waits move virtual time only once the pump has read all there is.

With a calibration (``correction``: ``calibration.correction.StreamCorrection``) the
integrator corrects each block as it adds it (``measurement.integration``), while the trace
gets the raw samples. ``observers`` see every item as it arrives (calibration workflows
gather their statistics this way), on the pump's thread and under its lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from tinyjoule.calibration.correction import StreamCorrection
from tinyjoule.errors import (
    MeasurementError,
    MeasurementTimeout,
    TinyJouleError,
)
from tinyjoule.host.clock import SYSTEM_CLOCK, Clock
from tinyjoule.host.instruments.base import EnergyMonitor
from tinyjoule.host.measurement.integration import (
    EDGE_SAMPLE_OFFSET,
    StreamIntegrator,
    UncertaintyModel,
    WindowEnergy,
)
from tinyjoule.host.measurement.stream import (
    Event,
    MonitorStatus,
    SampleBlock,
    SampleDrop,
    StreamItem,
)
from tinyjoule.host.measurement.trace_file import TraceWriter

READ_POLL_S = 0.05
STOP_TIMEOUT_S = 5.0
BUFFER_WARNING_PERCENT = 80
STALL_S = 1.0
"""Seconds without a sample after which a monitor has stopped streaming (at least ten
sample periods: a monitor streams continuously, whatever the DUT does)."""
STALL_PERIODS = 10


class MonitorPump:
    """Reads ``monitor`` on a thread; the runner asks for events and windows."""

    def __init__(
        self,
        monitor: EnergyMonitor,
        device: str,
        writer: TraceWriter | None,
        clock: Clock = SYSTEM_CLOCK,
        correction: StreamCorrection | None = None,
        observers: list[Callable[[StreamItem], None]] | None = None,
    ) -> None:
        self.monitor = monitor
        self.device = device
        self.writer = writer
        self.clock = clock
        self.correction = correction
        self.observers = list(observers or [])
        self.integrator = StreamIntegrator(correction=correction)
        self.events: list[Event] = []
        self.drops: list[SampleDrop] = []
        self.max_buffer_percent = 0
        self._cycles = 0
        self.last_status_index: int | None = None  # monitors that report drops in status records
        self.last_sample_s = clock.now()  # when the last sample arrived (or the pump started)
        self.sample_rate_hz: float | None = None
        self._pending_drops: list[SampleDrop] = []
        self.error: TinyJouleError | None = None
        self._cond = clock.condition()
        self._stop = threading.Event()
        self._running = False
        self._reading = threading.Event()
        self._thread = threading.Thread(target=self._run, name="monitor-pump", daemon=True)

    def start(self) -> None:
        self.last_sample_s = self.clock.now()
        self._running = True
        self._thread.start()
        self._reading.wait(STOP_TIMEOUT_S)  # the clock knows its reader from here on

    def _run(self) -> None:
        try:
            with self.clock.reader():
                self._reading.set()
                while not self._stop.is_set():
                    self._dispatch(self.monitor.read(READ_POLL_S))
        except Exception as exc:  # the thread must never die silently
            self._fail(exc)
        finally:
            self._reading.set()
            with self._cond:
                self._running = False
                self._cond.notify_all()

    def _fail(self, exc: Exception) -> None:
        if not isinstance(exc, TinyJouleError):
            exc = MeasurementError(
                f"{self.device}: reading the monitor's stream failed ({type(exc).__name__}: "
                f"{exc}); the trace is kept up to here, marked incomplete"
            )
        with self._cond:
            if self.error is None:
                self.error = exc
            self._cond.notify_all()

    def _dispatch(self, items: list[StreamItem]) -> None:
        with self._cond:
            for item in items:
                for observe in self.observers:
                    observe(item)
                if isinstance(item, SampleBlock):
                    if len(item.samples):
                        self.last_sample_s = self.clock.now()
                        self.sample_rate_hz = item.sample_rate_hz
                    self.integrator.add(item)  # corrects, with a calibration
                    if self.writer is not None:
                        self.writer.add_block(item)  # the raw samples
                elif isinstance(item, Event):
                    self.integrator.mark_event(item.sample_index)
                    self.events.append(item)
                    if self.writer is not None:
                        self.writer.add_event(item)
                elif isinstance(item, SampleDrop):
                    # A counted drop lies somewhere before the status record that revealed it.
                    self._pending_drops.append(item)
                    if self.writer is not None:
                        self.writer.add_drop(item)
                elif isinstance(item, MonitorStatus):
                    self.max_buffer_percent = max(self.max_buffer_percent, item.buffer_percent)
                    self.last_status_index = item.sample_index
                    for drop in self._pending_drops:
                        span = max(item.sample_index - drop.first_index, drop.count)
                        self.drops.append(SampleDrop(drop.first_index, span))
                    self._pending_drops.clear()
            # Monitors that know where samples went missing send no status: take them as they are.
            if self._pending_drops and not any(isinstance(i, MonitorStatus) for i in items):
                self.drops.extend(self._pending_drops)
                self._pending_drops.clear()
            self._cycles += 1
            self._cond.notify_all()

    def sync(self, timeout_s: float = 5.0) -> None:
        """Return once the pump has read everything the monitor had sent before this call:
        where the clock can tell, once the pump has read all there is; on real time, once a
        whole read cycle that started after this call has ended."""
        with self._cond:
            target = self._cycles + 2

            def caught_up() -> bool:
                idle = self.clock.readers_idle()
                return self._cycles >= target if idle is None else idle

            self._wait_until(
                caught_up,
                timeout_s,
                lambda: (
                    f"the monitor stream stalled (no read completed within {timeout_s:g} s);"
                    " is it still connected?"
                ),
            )

    def _wait_until(
        self, done: Callable[[], bool], timeout_s: float, problem: Callable[[], str]
    ) -> None:
        """Wait (holding the condition) until ``done()``; the pump's own failure or the
        timeout raise. ``problem()`` says what did not happen."""
        finished = self.clock.wait(self._cond, lambda: self.error is not None or done(), timeout_s)
        self._raise_if_failed()
        if not finished:
            raise MeasurementTimeout(f"{self.device}: {problem()}")

    def _raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error

    def event_count(self) -> int:
        with self._cond:
            self._raise_if_failed()
            return len(self.events)

    def wait_for_events(self, total: int, timeout_s: float) -> list[Event]:
        """All events once at least ``total`` have arrived; raises after ``timeout_s``."""
        with self._cond:
            self._wait_until(
                lambda: len(self.events) >= total,
                timeout_s,
                lambda: (
                    f"expected {total} timestamp event(s), got {len(self.events)} within "
                    f"{timeout_s:g} s; check the timestamp wire to the monitor's event input "
                    "(LPM01A: Arduino D7; PPK2: logic input D0-D7; Joulescope: GPI0)"
                ),
            )
            return list(self.events)

    def window(
        self,
        start_event: int,
        end_event: int,
        voltage_v: float,
        model: UncertaintyModel,
        timeout_s: float,
    ) -> WindowEnergy:
        """The window's energy once its last sample is in (waits up to ``timeout_s``)."""
        with self._cond:
            self._wait_until(
                lambda: self.integrator.ready(end_event),
                timeout_s,
                lambda: (
                    f"samples up to index {end_event} did not arrive within {timeout_s:g} s"
                    f" (have {self.integrator.end_index}); is the monitor still streaming?"
                ),
            )
            return self.integrator.window(start_event, end_event, voltage_v, model)

    def mark_now(self) -> int:
        """An event index for "now" (the next sample to arrive is its boundary sample), for
        bounds taken from the host's side when there is no timestamp edge."""
        with self._cond:
            self._raise_if_failed()
            index = self.integrator.end_index + EDGE_SAMPLE_OFFSET
            self.integrator.mark_event(index)
            return index

    def stopped_streaming(self) -> str | None:
        """``"<monitor> stopped streaming at sample N (no samples for S s)"`` when no sample
        has arrived for ``STALL_S`` (and ten sample periods), else None."""
        with self._cond:
            silent_s = self.clock.now() - self.last_sample_s
            rate = self.sample_rate_hz
            if silent_s < max(STALL_S, STALL_PERIODS / rate if rate else 0.0):
                return None
            return (
                f"{self.device} stopped streaming at sample {self.integrator.end_index} "
                f"(no samples for {silent_s:.1f} s)"
            )

    def samples_in(self) -> int:
        """How many samples have reached the integrator (the next sample's index)."""
        with self._cond:
            return self.integrator.end_index

    def held(self, start: int, end: int):  # -> np.ndarray
        """A copy of the (corrected) samples ``start`` ... ``end - 1`` still held."""
        with self._cond:
            return self.integrator.held(start, end)

    def dropped_between(self, start: int, end: int) -> int:
        with self._cond:
            return sum(
                d.count
                for d in self.drops
                if d.first_index < end and d.first_index + d.count > start
            )

    def stop(self) -> None:
        """Stop the thread, then the acquisition; the last items are dispatched too."""
        self._stop.set()
        with self._cond:  # its read ends within READ_POLL_S on the clock
            self.clock.wait(self._cond, lambda: not self._running, STOP_TIMEOUT_S)
        self._thread.join(timeout=1.0)
        try:
            self._dispatch(self.monitor.stop())
        except Exception as exc:
            self._fail(exc)
