"""pyserial URL handler for ``sim://BENCH/PORT``: a simulated bench opened like a real port.

``register_bench`` names a :class:`SimulatedBench`; ``serial.serial_for_url("sim://NAME/dut")``
then gives a pyserial object whose reads and writes go to that bench. The host code above
cannot tell it from hardware, except that the port carries the bench's ``clock``: a read
that finds nothing lets the read timeout pass on that clock, not on the wall. pyserial finds
this module through ``sim.backend.SimBackend.serial_handler_package``.
"""

from __future__ import annotations

import itertools
import math
import threading
import urllib.parse

import serial
from serial.serialutil import PortNotOpenError, SerialBase, SerialException

from tinyjoule.host.sim.simulated_bench import SimulatedBench
from tinyjoule.host.sim.virtual_clock import VirtualClock

_BENCHES: dict[str, SimulatedBench] = {}
_REGISTRY_LOCK = threading.Lock()
_NAMES = itertools.count(1)


def install() -> None:
    """Let ``serial.serial_for_url`` find the ``sim://`` handler."""
    if "tinyjoule.host.sim" not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append("tinyjoule.host.sim")


def register_bench(bench: SimulatedBench, name: str | None = None) -> str:
    """Make ``bench`` reachable as ``sim://NAME/...``; returns NAME."""
    install()
    with _REGISTRY_LOCK:
        name = name or f"bench{next(_NAMES)}"
        _BENCHES[name] = bench
    return name


def bench_named(name: str) -> SimulatedBench:
    """The bench registered as ``name`` (KeyError if there is none)."""
    with _REGISTRY_LOCK:
        return _BENCHES[name]


def name_of(bench: SimulatedBench) -> str:
    """The name ``bench`` was registered under."""
    with _REGISTRY_LOCK:
        for name, candidate in _BENCHES.items():
            if candidate is bench:
                return name
    raise KeyError("this simulated bench is not registered; call register_bench() first")


def unregister_bench(name: str) -> None:
    with _REGISTRY_LOCK:
        _BENCHES.pop(name, None)


def bench_url(name: str, port: str) -> str:
    return f"sim://{name}/{port}"


class Serial(SerialBase):
    """A pyserial port onto one host-facing port of a registered simulated bench."""

    def open(self) -> None:
        if self._port is None:
            raise SerialException("sim port: no URL given; use sim://BENCH/dut or sim://BENCH/io")
        parts = urllib.parse.urlsplit(self._port)
        name, port = parts.netloc, parts.path.strip("/")
        with _REGISTRY_LOCK:
            bench = _BENCHES.get(name)
        if bench is None:
            raise SerialException(
                f"{self._port}: no simulated bench named {name!r} is running in this process; "
                "start one with SimulatedBench(...) and register_bench(), or use "
                "'tinyjoule sim serve' and its pseudo-terminal paths"
            )
        if port not in bench.ports:
            raise SerialException(
                f"{self._port}: the simulated bench has no port {port!r}; "
                f"it has {', '.join(sorted(bench.ports))}"
            )
        self._bench = bench
        self._bench_port = port
        self.is_open = True
        bench.host_opened(port)

    def close(self) -> None:
        self.is_open = False

    def _reconfigure_port(self) -> None:
        """Nothing to do: the bench reads ``self.baudrate`` on every transfer."""

    def from_url(self, url: str) -> str:
        return url

    @property
    def in_waiting(self) -> int:
        self._check_open()
        return self._bench.host_waiting(self._bench_port)

    @property
    def clock(self) -> VirtualClock:
        return self._bench.clock

    def read(self, size: int = 1) -> bytes:
        self._check_open()
        looked_s = self._bench.clock.now()
        within = math.inf if self._timeout is None else self._timeout
        data = self._bench.host_read(self._bench_port, size, self.baudrate, within)
        if not data and self._timeout:
            # Nothing arrives within the read timeout: it passes on the bench's clock, as it
            # would on a real port. A reader thread waits for the clock to move past the time
            # it looked (time that passed since is never skipped), then looks again at what
            # its instrument streamed meanwhile; a DUT port has already looked that far.
            self._bench.clock.sleep(self._timeout, since_s=looked_s)
            if self._bench_port == "monitor":
                data = self._bench.host_read(self._bench_port, size, self.baudrate)
        return data

    def write(self, data: bytes) -> int:
        self._check_open()
        payload = bytes(data)
        self._bench.host_write(self._bench_port, payload, self.baudrate)
        return len(payload)

    def reset_input_buffer(self) -> None:
        self._check_open()
        self._bench.host_flush_input(self._bench_port)

    def reset_output_buffer(self) -> None:
        self._check_open()

    def flush(self) -> None:
        self._check_open()

    def _check_open(self) -> None:
        if not self.is_open:
            raise PortNotOpenError()
