"""A simulated bench: host, optional IO manager and DUT wired together on one virtual clock.

The host is modelled as infinitely quick: it writes at the virtual time at which it read the
last byte it has seen. Every write runs the whole causal chain at once (bytes crossing links
at their baud, the DUT running commands, the IO manager relaying lines), so reads never wait.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from serial import SerialException

from tinyjoule.errors import ConfigurationError
from tinyjoule.firmware_protocol.io_manager_device import IoManagerFirmware
from tinyjoule.host.sim.analog import BoardFrontEnd
from tinyjoule.host.sim.board_profile import REFERENCE_BOARD, BoardProfile
from tinyjoule.host.sim.dut import SimulatedDut
from tinyjoule.host.sim.links import HostPort, garble
from tinyjoule.host.sim.timeline import Scheduler, UartLine
from tinyjoule.tinyml_workloads.model_info import read_model_info
from tinyjoule.tinyml_workloads.reference import ReferenceModel
from tinyjoule.tinyml_workloads.workloads import Workload, get_workload

IO_MANAGER_HOST_BAUD = 115200
MONITOR_BAUD = 3686400  # nominal on USB CDC; the host's setting does not matter
# What leaves each simulated monitor streaming, as an earlier run that died would have.
STALE_START = {
    "lpm01a": b"htc\nfreq 1k\noutput energy\nacqtime 0\nstart\n",
    "ppk2": b"\x06",  # average start
}


def monitor_powers_target(kind: str) -> bool:
    """Whether the simulated monitor supplies the DUT (a Joulescope only measures)."""
    return kind != "js220"


def make_js220(bench: SimulatedBench, config: SimBenchConfig):
    """A simulated JS220 (a fake vendor driver) measuring the bench's board."""
    from tinyjoule.host.sim.monitors.js220 import SimulatedJs220Driver

    driver = SimulatedJs220Driver(
        bench.front_end,
        lambda: bench.host_time_s,
        noise_a=config.profile.current_noise_a,
        seed=config.profile.seed,
        lock=bench.lock,
    )
    fault = config.monitor_fault
    if fault is not None:
        if fault.kind != "drop":
            raise ConfigurationError(
                f"the simulated JS220 cannot simulate a {fault.kind!r} fault; only 'drop'"
            )
        driver.inject_gap(fault.after_samples, fault.count)
    return driver


def make_simulated_monitor(kind: str, front_end: BoardFrontEnd, noise_a: float, seed: int):
    """The device side of a simulated monitor measuring ``front_end`` (with seeded noise)."""
    if kind == "lpm01a":
        from tinyjoule.host.sim.monitors.lpm01a import SimulatedLpm01a

        return SimulatedLpm01a(front_end, noise_a=noise_a, seed=seed)
    if kind == "ppk2":
        from tinyjoule.host.sim.monitors.ppk2 import SimulatedPpk2

        return SimulatedPpk2(front_end, noise_a=noise_a, seed=seed)
    raise ConfigurationError(f"there is no simulated monitor {kind!r}; use lpm01a, ppk2 or js220")


IO_MANAGER_KINDS = ("arduino", "h573")


@dataclass(frozen=True, slots=True)
class SimFault:
    """A fault to inject, for testing how the host copes: after ``after_commands`` commands
    have reached the DUT, it goes ``"silent"`` (answers nothing more) or ``"reset"`` (reboots
    while running the next command, printing its boot banner)."""

    kind: str
    after_commands: int


@dataclass(frozen=True, slots=True)
class MonitorFault:
    """A simulated-monitor fault: ``"silent"`` (never answers), ``"stale"`` (still streaming
    from an earlier run when the host opens it), ``"overrun"`` or ``"drop"`` (``count``
    samples lost) after ``after_samples`` samples, or ``"unplug"`` (the port goes away once
    ``after_samples`` samples have streamed)."""

    kind: str
    after_samples: int = 0
    count: int = 0


@dataclass(frozen=True, slots=True)
class SimBenchConfig:
    """What to simulate: which firmware (workload and mode), wiring, bauds and board."""

    workload_id: str = "kws01"
    firmware_mode: str = "performance"  # "performance" or "energy" (EE_CFG_ENERGY_MODE)
    io_manager: str | None = None  # None (DUT on its own USB UART), "arduino" or "h573"
    dut_baud: int | None = None  # None: the reference firmware's baud for the mode
    model_path: Path | None = None  # None: the workload's stand-in model
    profile: BoardProfile = REFERENCE_BOARD
    fault: SimFault | None = None
    monitor: str | None = None  # "lpm01a": a simulated monitor powers and measures the board
    monitor_fault: MonitorFault | None = None
    pin_faults: tuple[tuple[int, str], ...] = ()  # (pulse number from 1, "skip" | "double")

    def resolved_dut_baud(self, workload: Workload) -> int:
        if self.dut_baud is not None:
            return self.dut_baud
        if self.firmware_mode == "energy":
            return workload.baud_energy
        return workload.baud_performance


class SimulatedBench:
    """The simulated board(s); ``ports`` are what a host opens (``dut`` or ``io``)."""

    def __init__(self, config: SimBenchConfig) -> None:
        if config.firmware_mode not in ("performance", "energy"):
            raise ConfigurationError(
                f"simulated DUT: firmware mode {config.firmware_mode!r} does not exist; "
                "use 'performance' or 'energy'"
            )
        if config.io_manager not in (None, *IO_MANAGER_KINDS):
            raise ConfigurationError(
                f"simulated IO manager {config.io_manager!r} is unknown; "
                f"use one of {', '.join(IO_MANAGER_KINDS)}"
            )
        self.config = config
        self._commands_seen = 0
        self._fault_done = False
        self.lock = threading.RLock()
        self.workload = get_workload(config.workload_id)
        model_path = config.model_path or self.workload.standin_model_path
        self.model = ReferenceModel(model_path, self.workload)
        self.scheduler = Scheduler()
        self.host_time_s = 0.0
        dut_baud = config.resolved_dut_baud(self.workload)
        self.ports: dict[str, HostPort] = {}

        if config.io_manager is None:
            port = HostPort("dut", dut_baud)
            self.ports["dut"] = port
            dut_tx = UartLine(self.scheduler, dut_baud, port.deliver)
            self._host_lines = {"dut": UartLine(self.scheduler, dut_baud, self._to_dut)}
        else:
            port = HostPort("io", IO_MANAGER_HOST_BAUD)
            self.ports["io"] = port
            io_tx = UartLine(self.scheduler, IO_MANAGER_HOST_BAUD, port.deliver)
            self.io_manager = IoManagerFirmware(
                config.io_manager,
                emit_to_host=lambda data: io_tx.send(data, self.scheduler.now_s),
                send_to_dut=self._io_to_dut,
                on_setbaud=self._io_setbaud,
            )
            self._io_dut_line = UartLine(self.scheduler, self.io_manager.dut_baud, self._to_dut)
            dut_tx = UartLine(self.scheduler, dut_baud, self._dut_to_io)
            self._host_lines = {
                "io": UartLine(self.scheduler, IO_MANAGER_HOST_BAUD, self._to_io_manager)
            }
        self.dut = SimulatedDut(
            workload=self.workload,
            predict=self.model.results_vector,
            model_info=read_model_info(model_path),
            profile=config.profile,
            timestamp_mode=config.firmware_mode,
            baud=dut_baud,
            transmit=dut_tx.send,
        )
        self.front_end = BoardFrontEnd(
            self.dut.power, self.dut.pin, config.profile.supply_voltage_v
        )
        self.monitor = None
        if config.monitor is None or not monitor_powers_target(config.monitor):
            self.dut.boot(0.0)  # powered from USB or a bench supply as soon as it exists
            self.scheduler.run()
        if config.monitor == "js220":  # USB, not a serial port: the driver gets this object
            self.monitor = make_js220(self, config)
        elif config.monitor is not None:
            self.dut.power.set_current(0.0, 0.0)  # unpowered until the monitor says `pwr on`
            self.monitor = make_simulated_monitor(
                config.monitor, self.front_end, config.profile.current_noise_a, config.profile.seed
            )
            self.ports["monitor"] = HostPort("monitor", MONITOR_BAUD)
            self._apply_monitor_fault(config.monitor_fault)
        self.dut.pin_faults = dict(config.pin_faults)
        self._dut_powered = config.monitor is None or not monitor_powers_target(config.monitor)

    # -- wiring -----------------------------------------------------------------------------
    def _to_dut(self, data: bytes, arrival_s: float) -> None:
        fault = self.config.fault
        if fault is not None:
            self._commands_seen += data.count(b"%")
            if self._commands_seen > fault.after_commands:
                if fault.kind == "silent":
                    return
                if not self._fault_done:
                    self._fault_done = True
                    self.dut.boot(arrival_s)
                    return
        self.dut.receive(data, arrival_s)

    def _to_io_manager(self, data: bytes, arrival_s: float) -> None:
        self.io_manager.receive_from_host(data)

    def _io_to_dut(self, data: bytes) -> None:
        line = self._io_dut_line
        line.send(garble(data, line.baud, self.dut.baud), self.scheduler.now_s)

    def _dut_to_io(self, data: bytes, arrival_s: float) -> None:
        self.io_manager.receive_from_dut(garble(data, self.dut.baud, self._io_dut_line.baud))

    def _io_setbaud(self, baud: int) -> None:
        self._io_dut_line.baud = self.io_manager.dut_baud

    # -- host side --------------------------------------------------------------------------
    def host_write(self, port: str, data: bytes, host_baud: int) -> None:
        with self.lock:
            if port == "monitor":
                self._monitor_write(data)
                return
            catch_up = getattr(self.monitor, "catch_up", None)
            if catch_up is not None:  # a callback-driven monitor: deliver what it saw so far
                catch_up()
            line = self._host_lines[port]
            line.send(garble(data, host_baud, line.baud), self.host_time_s)
            self.scheduler.run()

    def host_idle(self, seconds: float) -> None:
        """The host waits ``seconds`` doing nothing (on the virtual clock)."""
        with self.lock:
            self.host_time_s += seconds

    def host_read(self, port: str, size: int, host_baud: int) -> bytes:
        with self.lock:
            if port == "monitor":
                return self._monitor_read(size)
            data, last_s = self.ports[port].take(size, host_baud)
            self.host_time_s = max(self.host_time_s, last_s)
            return data

    def host_waiting(self, port: str) -> int:
        with self.lock:
            if port == "monitor":
                self._monitor_fill()
            return self.ports[port].waiting()

    def host_flush_input(self, port: str) -> None:
        with self.lock:
            self.ports[port].clear()

    @property
    def dut_time_s(self) -> float:
        return self.dut.time_s

    # -- the simulated monitor --------------------------------------------------------------
    def _apply_monitor_fault(self, fault: MonitorFault | None) -> None:
        assert self.monitor is not None
        if fault is None:
            return
        if fault.kind == "overrun":
            self.monitor.inject_overrun(fault.after_samples)
        elif fault.kind == "drop":
            self.monitor.inject_drop(fault.after_samples, fault.count)
        elif fault.kind == "stale":  # left streaming by an earlier run that died
            start = STALE_START.get(self.config.monitor or "", b"")
            self.monitor.receive(start, 0.0)
            self.host_time_s = 0.5
        elif fault.kind not in ("silent", "unplug"):
            raise ConfigurationError(f"unknown simulated monitor fault {fault.kind!r}")

    def _unplugged(self) -> bool:
        fault = self.config.monitor_fault
        if fault is None or fault.kind != "unplug" or self.monitor is None:
            return False
        return self.monitor.samples_streamed >= fault.after_samples

    def _monitor_write(self, data: bytes) -> None:
        assert self.monitor is not None
        fault = self.config.monitor_fault
        if fault is not None and fault.kind == "silent":
            return
        if self._unplugged():
            raise SerialException(f"simulated {self.config.monitor}: device disconnected")
        now = max(self.host_time_s, self.dut.time_s if not self._dut_powered else 0.0)
        self.monitor.receive(data, now)
        self._monitor_fill()
        powered = bool(self.monitor.target_powered)
        if powered and not self._dut_powered:
            self._dut_powered = True
            self.dut.boot(now)
            self.scheduler.run()
        elif not powered and self._dut_powered:
            self._dut_powered = False
            self.dut.power.set_current(max(now, self.dut.power.times_s[-1]), 0.0)

    def _monitor_fill(self) -> None:
        assert self.monitor is not None
        self.ports["monitor"].deliver(self.monitor.output(self.host_time_s), self.host_time_s)

    def _monitor_read(self, size: int) -> bytes:
        if self._unplugged():
            raise SerialException(f"simulated {self.config.monitor}: device disconnected")
        self._monitor_fill()
        data, _ = self.ports["monitor"].take(size, MONITOR_BAUD)
        return data

    def last_window_truth_j(self, rising: bool = False) -> float:
        """Exact energy drawn between the last two falling (or rising) edges of the pin."""
        edges = [e.time_s for e in self.dut.pin.edges if e.rising == rising]
        if len(edges) < 2:
            raise ValueError("the simulated board has not pulsed its timestamp pin twice yet")
        return self.front_end.supply_voltage_v() * self.front_end.charge_c(edges[-2], edges[-1])
