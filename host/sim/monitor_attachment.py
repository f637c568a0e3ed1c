"""A simulated monitor wired into a simulated bench: its port, its power switch, its faults.

The device itself (``sim.monitors``) only knows its protocol and what it measures through the
board's front end. Here it is attached: a serial instrument gets the bench's ``monitor``
port, a vendor-driver instrument (the JS220) is handed to the host's driver as its
``driver_factory``; a monitor that powers the target boots or unpowers the DUT when its
output switches; and the faults a test or user asked for (``sim.config.MonitorFault``)
are applied, the port-level ones (silent, unplugged) here, the stream-level ones
(overrun, drop, a stale stream left running) by the device. Instrument errors (gain,
offset, time base, noise: ``sim.instrument_errors``) are handed to the device.

A calibration can connect a reference load to the monitor's output instead of the board
(``connect_load``): while it is connected and the output is on, the output draws
``voltage / ohms`` (nothing for an open output) and the board stays unpowered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from serial import SerialException

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.instruments.registry import load_object, monitor_facts
from tinyjoule.host.sim.config import MonitorFault
from tinyjoule.host.sim.instrument_errors import InstrumentErrors
from tinyjoule.host.sim.links import HostPort

if TYPE_CHECKING:
    from tinyjoule.host.sim.simulated_bench import SimulatedBench

MONITOR_BAUD = 3686400  # nominal on USB CDC; the host's setting does not matter
STALE_START_S = 0.5
"""How long a stale stream has been running when the host opens the monitor."""
MAX_RENDER_BYTES = 1 << 20
"""The most stream bytes rendered ahead of what the host has read (bounds memory)."""


class MonitorAttachment:
    """The simulated monitor of kind ``kind`` measuring ``bench``'s board."""

    def __init__(self, bench: SimulatedBench, kind: str, fault: MonitorFault | None) -> None:
        facts = monitor_facts(kind)
        if facts.simulator is None:
            raise ConfigurationError(
                f"monitor {kind!r} has no simulator; --monitor sim:KIND works for kinds that "
                "name one in their facts"
            )
        device_class = load_object(facts.simulator, f"the simulated {kind}")
        self.bench = bench
        self.kind = kind
        self.fault = fault
        self.powers_target = facts.powers_target
        self.device: Any = device_class.for_bench(bench)  # type: ignore[attr-defined]
        self.errors = InstrumentErrors.from_options(bench.config.monitor_errors)
        self._give_errors(kind)
        self.serial = bool(getattr(self.device, "serial", True))
        self.port = HostPort("monitor", MONITOR_BAUD) if self.serial else None
        self.dut_powered = not self.powers_target
        self.load: tuple[float | None] | None = None  # (ohms or None for open) when connected
        if fault is not None and fault.kind not in ("silent", "unplug"):
            if fault.kind == "stale":  # left streaming by an earlier run that died
                self.device.receive(getattr(self.device, "stale_start", b""), 0.0)
                bench.clock.advance_to(STALE_START_S)
            else:
                self.device.apply_fault(fault)

    def _give_errors(self, kind: str) -> None:
        errors, profile = self.errors, self.bench.config.profile
        if errors.reading_or_clock:
            if not getattr(self.device, "simulates_errors", False):
                raise ConfigurationError(
                    f"the simulated {kind} does not simulate instrument errors (gain, "
                    "offset_ua, timebase_ppm); leave them out of its URL"
                )
            self.device.errors = errors
        if errors.noise_a is not None or errors.seed is not None:
            set_noise = getattr(self.device, "set_noise", None)
            if set_noise is None:
                raise ConfigurationError(
                    f"the simulated {kind} cannot take noise_ua or seed; leave them out of its URL"
                )
            set_noise(
                profile.current_noise_a if errors.noise_a is None else errors.noise_a,
                profile.seed if errors.seed is None else errors.seed,
            )

    # -- reference loads -----------------------------------------------------------------
    def connect_load(self, ohms: float | None, connected: bool = True) -> None:
        """Connect a load of ``ohms`` (None: nothing, the open output) to the monitor's
        output instead of the board; ``connected=False`` puts the board back."""
        bench = self.bench
        power = bench.dut.power
        now = max(bench.clock.now(), power.times_s[-1])
        self.load = (ohms,) if connected else None
        if self.load is not None:
            on = self.dut_powered if self.powers_target else True
            power.set_current(now, self._load_current() if on else 0.0)
            if not self.powers_target:
                self.dut_powered = True
        else:
            power.set_current(now, 0.0)
            if self.dut_powered:  # the board is back on a live output: it boots
                bench.dut.boot(now)
                bench.scheduler.run()

    def _load_current(self) -> float:
        assert self.load is not None
        ohms = self.load[0]
        return 0.0 if ohms is None else self.bench.front_end.supply_voltage_v() / ohms

    def driver_options(self) -> dict[str, Any]:
        """Keyword arguments for the host's driver: a vendor-driver instrument is handed
        over as the driver's ``driver_factory``."""
        if self.serial:
            return {}
        return {"driver_factory": lambda: self.device}

    # -- the host's port (called under the bench lock) ----------------------------------
    def write(self, data: bytes) -> None:
        if self.fault is not None and self.fault.kind == "silent":
            return
        self._check_plugged()
        bench = self.bench
        now = max(bench.clock.now(), bench.dut.time_s if not self.dut_powered else 0.0)
        self.device.receive(data, now)
        self.fill()
        powered = bool(self.device.target_powered)
        if self.load is not None and powered != self.dut_powered:  # a reference load
            self.dut_powered = powered
            current = self._load_current() if powered else 0.0
            bench.dut.power.set_current(max(now, bench.dut.power.times_s[-1]), current)
        elif powered and not self.dut_powered:
            self.dut_powered = True
            bench.dut.boot(now)
            bench.scheduler.run()
        elif not powered and self.dut_powered:
            self.dut_powered = False
            bench.dut.power.set_current(max(now, bench.dut.power.times_s[-1]), 0.0)

    def fill(self, want: int = 1) -> None:
        """Move what the device has sent by now to the port, until ``want`` bytes wait (and
        at most ``MAX_RENDER_BYTES`` at a time)."""
        assert self.port is not None
        now = self.bench.clock.now()
        while self.port.waiting() < want:
            data = self.device.output(now, MAX_RENDER_BYTES)
            if not data:
                return
            self.port.deliver(data, now)

    def read(self, size: int) -> bytes:
        assert self.port is not None
        self._check_plugged()
        self.fill(min(size, MAX_RENDER_BYTES))
        data, _ = self.port.take(size, MONITOR_BAUD)
        return data

    def waiting(self) -> int:
        assert self.port is not None
        self.fill()
        return self.port.waiting()

    def catch_up(self) -> None:
        """A callback-driven device delivers what it has seen so far (before host writes)."""
        catch_up = getattr(self.device, "catch_up", None)
        if catch_up is not None:
            catch_up()

    def _check_plugged(self) -> None:
        fault = self.fault
        if (
            fault is not None
            and fault.kind == "unplug"
            and (self.device.samples_streamed >= fault.after_samples)
        ):
            raise SerialException(f"simulated {self.kind}: device disconnected")
