"""The source of a third-party monitor plugin, written to a temp folder by the tests: a toy
monitor (driver + simulator) registered through the ``tinyjoule.monitors`` entry point.

Its protocol is text lines: the host sends ``volt V``, ``power on|off``, ``start`` and
``stop``, each answered ``ok``; while streaming the device sends ``s <amperes>`` per sample
(1 kHz) and ``e`` right after the sample during which the timestamp pin fell.
"""

from __future__ import annotations

from pathlib import Path

DRIVER = '''
"""A toy energy monitor: one module is all a new monitor needs."""
from tinyjoule.errors import ResponseTimeout
from tinyjoule.host.instruments.base import MonitorInfo
from tinyjoule.host.instruments.facts import MonitorFacts
from tinyjoule.host.instruments.serial_link import SerialLink
from tinyjoule.host.instruments.streaming import StreamingMonitor
from tinyjoule.host.measurement.stream import Event, SampleBlock
from tinyjoule.host.ports import open_serial_url

import numpy as np


class ToyMonitor(StreamingMonitor):
    facts = MonitorFacts(
        kind="toy",
        title="Toy monitor",
        sample_rate_hz=1000.0,
        output="current",
        stream_format="text",
        stream_formats=("text",),
        outputs=("current",),
        accuracy_relative=0.01,
        simulator="toy_monitor.sim:ToyDevice",
    )

    def __init__(self, url, transcript=None):
        super().__init__(f"toy ({url})")
        self.url = url
        self.link = None
        self._tail = b""
        self._index = 0

    def _is_open(self):
        return self.link is not None

    def _connect(self):
        self.link = SerialLink(open_serial_url(self.url, 115200), self.device, lost="replug it")
        self.clock = self.link.clock
        return MonitorInfo(kind="toy", port=self.url, firmware_version="1")

    def _command(self, text):
        self.link.write(text.encode() + b"\\n", text)
        reply = b""
        for data in self.link.chunks(self.clock.now() + 2.0):
            reply += data
            if b"ok\\n" in reply:
                return
        raise ResponseTimeout(f"{self.device}: no ok to {text!r}")

    def _apply(self, config):
        self._command(f"volt {config.voltage_v}")

    def _switch_power(self, on):
        self._command("power on" if on else "power off")

    def _begin_stream(self):
        self._tail, self._index = b"", 0
        self._command("start")

    def _read_stream(self, deadline):
        for data in self.link.chunks(deadline, stream=True):
            self._feed(data)
            if self._pending:
                return

    def _feed(self, data):
        lines = (self._tail + data).split(b"\\n")
        self._tail = lines.pop()
        values = []
        for line in lines:
            if line.startswith(b"s "):
                values.append(float(line[2:]))
            elif line == b"e":
                self._flush(values)
                values = []
                self._emit([Event(self._index)])
        self._flush(values)

    def _flush(self, values):
        if values:
            block = SampleBlock(np.array(values), self._index, 1000.0, "A")
            self._index += len(values)
            self._emit([block])

    def _end_stream(self, failed):
        self.link.write(b"stop\\n", "stop")
        for data in self.link.chunks(self.clock.now() + 0.5, stream=True):
            if b"ok\\n" in data:
                data = data.replace(b"ok\\n", b"")
                self._feed(data)
                return
            self._feed(data)

    def _release(self):
        self._command("power off")

    def _disconnect(self):
        link, self.link = self.link, None
        if link is not None:
            link.close()
'''

SIMULATOR = '''
"""The toy monitor's simulator: one more module."""
import math

from tinyjoule.host.sim.monitors.base import SerialMonitorDevice


class ToyDevice(SerialMonitorDevice):
    stale_start = b"start\\n"

    def __init__(self, front_end, *, noise_a=0.0, seed=0):
        super().__init__(front_end, noise_a=noise_a, seed=seed)
        self.target_powered = False
        self.samples_streamed = 0
        self._t0 = None
        self._next = 0
        self._out = []
        self._in = b""

    def receive(self, data, now_s):
        self._render(now_s)
        self._in += data
        while b"\\n" in self._in:
            line, self._in = self._in.split(b"\\n", 1)
            words = line.decode().split()
            if words[:1] == ["volt"]:
                self.front_end.set_supply_voltage_v(float(words[1]))
            elif words == ["power", "on"]:
                self.target_powered = True
            elif words == ["power", "off"]:
                self.target_powered = False
            elif words == ["start"]:
                self._t0, self._next = now_s, 0
            elif words == ["stop"]:
                self._t0 = None
            self._out.append(b"ok\\n")

    def output(self, until_s, max_bytes=None):
        self._render(until_s)
        out, self._out = b"".join(self._out), []
        return out

    def _render(self, until_s):
        if self._t0 is None:
            return
        end = math.floor((until_s - self._t0) * 1000 + 1e-9)
        if end <= self._next:
            return
        n = end - self._next
        charge = self.front_end.charge_per_period_c(self._t0, 1000.0, self._next, n)
        falls = self.front_end.falling_edges_s(
            self._t0 + self._next / 1000, self._t0 + end / 1000
        )
        after = {math.floor((t - self._t0) * 1000 + 1e-9) for t in falls}
        for i, q in enumerate(charge):
            k = self._next + i
            value = float(q) * 1000 if self.target_powered else 0.0
            self._out.append(f"s {value!r}\\n".encode())
            if k in after:
                self._out.append(b"e\\n")
        self._next = end
        self.samples_streamed = end

    def inject_drop(self, after_samples, count):
        raise ValueError("the toy monitor cannot drop samples")

    def inject_overrun(self, after_samples):
        raise ValueError("the toy monitor cannot overrun")
'''


def write_plugin(root: Path) -> Path:
    """The plugin as an installed distribution under ``root`` (put ``root`` on sys.path)."""
    package = root / "toy_monitor"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A toy tinyjoule monitor plugin."""\n')
    (package / "driver.py").write_text(DRIVER)
    (package / "sim.py").write_text(SIMULATOR)
    info = root / "toy_monitor-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-monitor\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[tinyjoule.monitors]\ntoy = toy_monitor.driver:ToyMonitor\n"
    )
    return root
