"""Serve a simulated bench on pseudo-terminals, so any program can open it like a real board.

Each host-facing port of the bench gets a pty pair; a thread moves bytes between the master
side and the bench. The baud a client sets on the slave (termios) is honoured: a client at the
wrong baud gets garbage, as with a real UART.

The bench's virtual clock moves when a client reads the DUT's replies (they arrive when the
DUT has done its work). With ``pace`` set it also follows the wall clock (``pace`` virtual
seconds per real second) whenever it lags behind, so a client that only listens to a
monitor, as a calibration does, sees its samples stream in.
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import threading
import time
import tty
from dataclasses import dataclass, field

from tinyjoule.host.sim.simulated_bench import SimulatedBench

_SPEEDS = {
    getattr(termios, f"B{rate}"): rate
    for rate in (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1000000, 2000000)
    if hasattr(termios, f"B{rate}")
}


def _client_baud(fd: int, link_baud: int) -> int:
    """The baud the client configured on the slave; non-standard rates count as a match."""
    try:
        speed = termios.tcgetattr(fd)[5]
    except termios.error:
        return link_baud
    return _SPEEDS.get(speed, link_baud)


@dataclass
class PtyServer:
    """Pseudo-terminals onto ``bench``; ``paths`` maps port name to the slave device path."""

    bench: SimulatedBench
    pace: float | None = None  # virtual seconds per real second when idle; None: none
    paths: dict[str, str] = field(default_factory=dict)
    _fds: list[int] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> dict[str, str]:
        for name, port in self.bench.ports.items():
            master, slave = os.openpty()
            tty.setraw(slave)
            self._fds += [master, slave]
            self.paths[name] = os.ttyname(slave)
            thread = threading.Thread(
                target=self._pump, args=(name, port.link_baud, master, slave), daemon=True
            )
            self._threads.append(thread)
            thread.start()
        if self.pace:
            thread = threading.Thread(target=self._follow_wall_clock, daemon=True)
            self._threads.append(thread)
            thread.start()
        return self.paths

    def _follow_wall_clock(self) -> None:
        clock, pace = self.bench.clock, float(self.pace or 0.0)
        start_wall, start_virtual = time.monotonic(), clock.now()
        while not self._stop.wait(0.02):
            clock.advance_to(start_virtual + (time.monotonic() - start_wall) * pace)

    def _pump(self, name: str, link_baud: int, master: int, slave: int) -> None:
        self._send_pending(name, link_baud, master, slave)
        while not self._stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                # streaming ports (a monitor) have new data whenever the bench's clock moves
                self._send_pending(name, link_baud, master, slave)
                continue
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if data:
                self.bench.host_write(name, data, _client_baud(slave, link_baud))
                self._send_pending(name, link_baud, master, slave)

    def _send_pending(self, name: str, link_baud: int, master: int, slave: int) -> None:
        while True:
            data = self.bench.host_read(name, 65536, _client_baud(slave, link_baud))
            if not data:
                return
            view = memoryview(data)
            while view:
                written = os.write(master, view)
                view = view[written:]

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=1.0)
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()

    def __enter__(self) -> PtyServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
