"""A simulated bench: host, optional IO manager, DUT and monitor on one virtual clock.

For a streaming workload (sww01) the DUT runs the SWW firmware (``sim.sww_dut``) behind an
H573 interface board that plays audio from its simulated SD card (``sim.sww_audio``) and
captures the DUT's wake-word and processing pins (``firmware_protocol.interface_audio_device``).

The host is modelled as infinitely quick: it writes at the virtual time at which it read the
last byte it has seen. Every write runs the whole causal chain at once (bytes crossing links
at their baud, the DUT running commands, the IO manager relaying lines). A read takes the
bytes that arrive within its timeout and moves the bench's clock (``sim.virtual_clock``) to
when they did; bytes still on the wire after that are not there yet, as on a real port, so
a host that gives up at its deadline does not see a late reply early.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tinyjoule.errors import ConfigurationError
from tinyjoule.firmware_protocol.interface_audio_device import InterfaceAudio
from tinyjoule.firmware_protocol.io_manager_device import IoManagerFirmware
from tinyjoule.host.sim.analog import BoardFrontEnd
from tinyjoule.host.sim.config import IO_MANAGER_KINDS, SimBenchConfig
from tinyjoule.host.sim.dut import SimulatedDut
from tinyjoule.host.sim.links import HostPort, garble
from tinyjoule.host.sim.monitor_attachment import MonitorAttachment
from tinyjoule.host.sim.sww_audio import SimulatedAudioPlayer
from tinyjoule.host.sim.sww_dut import SimulatedSwwDut
from tinyjoule.host.sim.timeline import Scheduler, UartLine
from tinyjoule.host.sim.virtual_clock import VirtualClock
from tinyjoule.tinyml_workloads.model_info import read_model_info
from tinyjoule.tinyml_workloads.reference import ReferenceModel
from tinyjoule.tinyml_workloads.workloads import get_workload

IO_MANAGER_HOST_BAUD = 115200


def runaway_line(size: int) -> bytes:
    """A line of ``size`` bytes ending in ``m-ready`` (then ``\\r\\n``): a results line the
    firmware never stopped printing, the way a missing terminator in a print loop looks."""
    body = b"m-results-[" + b"0.000," * (size // 6 + 1)
    return body[: size - len(b"m-ready")] + b"m-ready\r\n"


def faulty_prediction(
    predict: Callable[[bytes], tuple[float, ...]], fault: tuple[str, float] | None
) -> Callable[[bytes], tuple[float, ...]]:
    """The DUT's results with a model fault: outputs scaled (a quantisation mismatch),
    rolled by whole classes (a label mix-up), or NaN from the Nth inference on (a broken
    model: C's printf then prints ``nan``), printed to three decimals as before."""
    if fault is None:
        return predict
    kind, value = fault
    calls = [0]

    def wrong(data: bytes) -> tuple[float, ...]:
        values = np.asarray(predict(data), dtype=np.float64)
        calls[0] += 1
        if kind == "nan":
            return tuple(float("nan") if calls[0] >= value else round(float(v), 3) for v in values)
        values = values * value if kind == "scale" else np.roll(values, int(value))
        return tuple(round(float(v), 3) for v in values)

    return wrong


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
        self.workload = get_workload(config.workload_id)
        stream = self.workload.flow == "stream"
        if stream and config.io_manager != "h573":
            raise ConfigurationError(
                f"simulated bench: {config.workload_id} needs the H573 interface board in "
                "front of the DUT (it plays the audio and records the detections); use "
                "io=h573 or io=auto"
            )
        fault = config.fault
        if fault is not None and fault.kind == "banner_on_open" and config.io_manager:
            raise ConfigurationError(
                "simulated bench: fault=banner_on_open is a DUT that resets when its own port "
                "opens; it needs io=none (the host opens the IO manager's port, not the DUT's)"
            )
        self.config = config
        self._commands_seen = 0
        self._fault_done = False
        self._in_reset_until = -1.0  # the DUT ignores what arrives until then
        self.lock = threading.RLock()
        model_path = config.model_path or self.workload.standin_model_path
        self.model = ReferenceModel(model_path, self.workload)
        self.scheduler = Scheduler()
        self.clock = VirtualClock()
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
            self.audio: InterfaceAudio | None = None
            if stream:
                self.player = SimulatedAudioPlayer(self.scheduler, config.sww.play_limit_s)
                self.audio = InterfaceAudio(self.player, lambda: self.scheduler.now_s)
            self.io_manager = IoManagerFirmware(
                config.io_manager,
                emit_to_host=lambda data: io_tx.send(data, self.scheduler.now_s),
                send_to_dut=self._io_to_dut,
                on_setbaud=self._io_setbaud,
                audio=self.audio,
            )
            self._io_dut_line = UartLine(self.scheduler, self.io_manager.dut_baud, self._to_dut)
            dut_tx = UartLine(self.scheduler, dut_baud, self._dut_to_io)
            self._host_lines = {
                "io": UartLine(self.scheduler, IO_MANAGER_HOST_BAUD, self._to_io_manager)
            }
        self.dut: SimulatedDut | SimulatedSwwDut
        if stream:
            self.dut = SimulatedSwwDut(
                model_info=read_model_info(model_path),
                profile=config.profile,
                baud=dut_baud,
                transmit=dut_tx.send,
                options=config.sww,
            )
            self.dut.board = self.audio
            self.player.dut = self.dut
        else:
            self.dut = self._classic_dut(config, model_path, dut_baud, dut_tx.send)
        self.front_end = BoardFrontEnd(
            self.dut.power, self.dut.pin, config.profile.supply_voltage_v
        )
        self.monitor: MonitorAttachment | None = None
        if config.monitor is not None:
            self.monitor = MonitorAttachment(self, config.monitor, config.monitor_fault)
            if self.monitor.serial:
                assert self.monitor.port is not None
                self.ports["monitor"] = self.monitor.port
        if self.monitor is None or not self.monitor.powers_target:
            self.dut.boot(0.0)  # powered from USB or a bench supply as soon as it exists
            self.scheduler.run()
        else:
            self.dut.power.set_current(0.0, 0.0)  # unpowered until the monitor says `pwr on`
        self.dut.pin_faults = dict(config.pin_faults)

    def _classic_dut(
        self,
        config: SimBenchConfig,
        model_path: Path,
        dut_baud: int,
        transmit: Callable[[bytes, float], float],
    ) -> SimulatedDut:
        return SimulatedDut(
            workload=self.workload,
            predict=faulty_prediction(self.model.results_vector, config.model_fault),
            model_info=read_model_info(model_path),
            profile=config.profile,
            timestamp_mode=config.firmware_mode,
            baud=dut_baud,
            transmit=transmit,
        )

    # -- wiring -----------------------------------------------------------------------------
    def _to_dut(self, data: bytes, arrival_s: float) -> None:
        fault = self.config.fault
        if arrival_s < self._in_reset_until:
            return  # the MCU is held in reset or still in its bootloader
        if fault is not None and fault.kind != "banner_on_open":
            self._commands_seen += data.count(b"%")
            if self._commands_seen > fault.after_commands:
                if fault.kind == "silent":
                    return
                if not self._fault_done:
                    self._fault_done = True
                    if fault.kind == "longline":
                        self.dut.print_raw(runaway_line(int(fault.value)), arrival_s)
                    elif fault.kind == "late":
                        self.dut.receive(data, arrival_s, busy_s=fault.value)
                    else:
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
    def host_opened(self, port: str) -> None:
        """The host opened ``port``. A ``banner_on_open`` board resets (its USB bridge pulls
        the reset line, as DTR does on many boards): what it sent before is lost, and it
        boots, banner and all, the fault's seconds later."""
        fault = self.config.fault
        if fault is None or fault.kind != "banner_on_open" or port != "dut":
            return
        with self.lock:
            now = self.clock.now()
            boot_s = now + fault.value
            self.ports[port].clear()
            self._in_reset_until = boot_s
            self.scheduler.at(boot_s, lambda: self.dut.boot(boot_s))

    @property
    def host_time_s(self) -> float:
        return self.clock.now()

    def host_write(self, port: str, data: bytes, host_baud: int) -> None:
        with self.lock:
            if port == "monitor":
                assert self.monitor is not None
                self.monitor.write(data)
                return
            if self.monitor is not None:  # a callback-driven monitor: deliver what it saw
                self.monitor.catch_up()
            line = self._host_lines[port]
            line.send(garble(data, host_baud, line.baud), self.clock.now())
            self.scheduler.run()

    def host_read(self, port: str, size: int, host_baud: int, within_s: float = math.inf) -> bytes:
        """Up to ``size`` bytes that arrive within ``within_s`` from now (the clock moves to
        when they did), ``b""`` if none does."""
        with self.lock:
            if port == "monitor":
                assert self.monitor is not None
                return self.monitor.read(size)
            horizon = self.clock.now() + within_s
            self.scheduler.run(horizon)  # what happens by then without the host (a boot)
            data, last_s = self.ports[port].take(size, host_baud, horizon)
        self.clock.advance_to(last_s)
        return data

    def host_waiting(self, port: str) -> int:
        """Bytes that have arrived by now."""
        with self.lock:
            if port == "monitor":
                assert self.monitor is not None
                return self.monitor.waiting()
            return self.ports[port].waiting(self.clock.now())

    def host_flush_input(self, port: str) -> None:
        with self.lock:
            self.ports[port].clear(self.clock.now())

    def monitor_driver_options(self) -> dict:
        return {} if self.monitor is None else self.monitor.driver_options()

    @property
    def dut_time_s(self) -> float:
        return self.dut.time_s

    def last_window_j(self, rising: bool = False) -> float:
        """Exact energy drawn between the last two falling (or rising) edges of the pin,
        from the board's activity log (``sim.activity``), not from what monitors sample.
        The SWW DUT's stream is the one between its last two pulses, whether a pin fault
        kept one from the wire or not (``intended_pin``)."""
        pin = getattr(self.dut, "intended_pin", self.dut.pin)
        edges = [e.time_s for e in pin.edges if e.rising == rising]
        if len(edges) < 2:
            raise ValueError("the simulated board has not pulsed its timestamp pin twice yet")
        charge = self.dut.activity.charge_c(edges[-2], edges[-1], self.dut.currents_a)
        return self.front_end.supply_voltage_v() * charge

    # -- calibration ----------------------------------------------------------------------
    def connect_load(self, ohms: float | None, connected: bool = True) -> None:
        """A reference load of ``ohms`` (None: open) on the monitor's output instead of the
        board, as a person connecting a resistor does; ``connected=False``: the board again."""
        with self.lock:
            if self.monitor is None:
                raise ConfigurationError("the simulated bench has no monitor to load")
            self.monitor.connect_load(ohms, connected)
