"""The LPM01A driver: exact (sent, received) pairs on a scripted port, and end to end against
the simulated LPM01A on a virtual clock (both formats, both outputs, faults)."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
import sim_port
from fake_front_end import FakeFrontEnd
from serial import SerialException
from sim_port import SimPort

from tinyjoule.errors import (
    ConfigurationError,
    DeviceConnectionError,
    MeasurementError,
    ProtocolError,
    ResponseTimeout,
)
from tinyjoule.host.instruments.base import MonitorConfig
from tinyjoule.host.instruments.lpm01a import Lpm01a
from tinyjoule.host.instruments.lpm01a_binary import WORD_VALUES
from tinyjoule.host.instruments.serial_link import MAX_REPLY_BYTES, READ_CHUNK
from tinyjoule.host.measurement.stream import Event, MonitorStatus, SampleBlock, SampleDrop
from tinyjoule.host.sim.monitors.lpm01a import SimulatedLpm01a
from tinyjoule.host.sim.monitors.lpm01a_formats import bin_words, quantise_ascii

URL = "fake://lpm"
DEVICE = f"LPM01A ({URL})"


def ack(command: str, value: str = "") -> bytes:
    return f"\r\nPowerShield > ack {command}{' ' + value if value else ''}\r\n\r\n".encode()


class ScriptPort(sim_port.ScriptPort):
    """Scripted LPM01A commands are text; each is sent with its newline."""

    def __init__(self, script: list[tuple[str, bytes]], stale: bytes = b"") -> None:
        super().__init__(script, stale, frame=lambda command: command.encode() + b"\n")


OPEN = [
    ("stop", b"6409-07\r\n6410-07\r\nevent 07 ris\r\n\r\nPowerShield > Acquisition completed\r\n"),
    ("htc", b"33930-08\r\n3340-08PowerShield > ack htc\r\n\r\n"),  # stale data glued to the ack
    ("powershield", ack("powershield", "3932216-1412969234-2031668")),
    ("version", ack("version", "1.0.7")),
    ("status", ack("status", "ok")),
]
CONFIGURE = [
    'lcd 1 "tinyjoule"', "pwr off", "acqtime inf", "acqmode dyn", "trigdelay 0", "trigsrc sw",
    "eventsrc d7 fal", "output energy", "format ascii_dec", "freq 1k", "volt 1800m",
]  # fmt: skip
CLOSE = [("pwr off", ack("pwr off")), ("hrc", ack("hrc"))]


def driver(port, **kwargs) -> Lpm01a:
    kwargs.setdefault("quiet_s", 0.01)
    return Lpm01a(URL, open_port=lambda url, baud: port, **kwargs)


def test_a_whole_session_is_these_exact_pairs() -> None:
    stream = b"\r\nPowerShield > ack start\r\n\r\n" + b"1800-09\r\n" * 3 + b"event 00 ris\r\n"
    stream += b"1801-09\r\nTimeStamp: 001s 000ms, buff 03%\r\n\x001802-09\r\n"
    script = [*OPEN, *((c, ack(c)) for c in CONFIGURE), ("pwr on nostatus", ack("pwr on nostatus"))]
    script += [
        ("start", stream),
        ("stop", b"1803-09\r\n\r\nPowerShield > Acquisition completed\r\n"),
    ]
    script += [*CLOSE]
    port = ScriptPort(script, stale=b"9999-09\r\n" * 100)
    monitor = driver(port)
    info = monitor.open()
    assert (info.kind, info.port, info.firmware_version) == ("lpm01a", URL, "1.0.7")
    assert info.serial_number == "3932216-1412969234-2031668" and info.powers_target
    monitor.configure(MonitorConfig(voltage_v=1.8, sample_rate_hz=1000, output="energy"))
    monitor.power(True)
    monitor.start()
    items = monitor.read(0.5)
    items += monitor.stop()
    values = np.concatenate([i.samples for i in items if isinstance(i, SampleBlock)])
    assert values.tolist() == [1800e-09] * 3 + [1801e-09, 1802e-09, 1803e-09]
    assert all(i.unit == "J" for i in items if isinstance(i, SampleBlock))
    assert [i for i in items if not isinstance(i, SampleBlock)] == [
        Event(3, None, 0),
        MonitorStatus(4, 3),
    ]
    monitor.close()
    assert port.used_up and port.closed
    assert monitor.accuracy_relative == 0.02


def test_an_error_reply_raises_with_both_texts_and_the_fix() -> None:
    script = [*OPEN, *((c, ack(c)) for c in CONFIGURE[:6])]
    refusal = b"\r\nPowerShield > error eventsrc d7 fal\r\n\r\nPowerShield > Error detail: "
    script += [("eventsrc d7 fal", refusal + b"command not supported\r\n\r\n")]
    monitor = driver(ScriptPort(script))
    monitor.open()
    with pytest.raises(ProtocolError) as info:
        monitor.configure(MonitorConfig())
    message = str(info.value)
    assert DEVICE in message and "'eventsrc d7 fal'" in message and "1.0.6" in message
    assert "error eventsrc d7 fal" in message and "command not supported" in message


def test_a_silent_monitor_times_out_quickly_naming_port_command_and_fix() -> None:
    monitor = driver(ScriptPort([("stop", b""), ("htc", b"")]), reply_timeout_s=0.2)
    start = time.monotonic()
    with pytest.raises(ResponseTimeout) as info:
        monitor.open()
    assert time.monotonic() - start < 1.0
    message = str(info.value)
    assert DEVICE in message and "'htc'" in message and "USB cable" in message
    assert "close other programs using the port" in message


class StreamingPort(ScriptPort):
    """A board that ignores ``stop``: stale stream lines keep coming around the replies."""

    def read(self, size: int = 1) -> bytes:
        self.incoming += b"6409-07\r\n6409-07" + b"\r\n" * (len(self.incoming) % 2)
        return super().read(size)


def test_a_board_that_keeps_streaming_still_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tinyjoule.host.instruments.lpm01a_console.DRAIN_LIMIT_S", 0.05)
    port = StreamingPort([("stop", b""), *OPEN[1:]])
    info = driver(port).open()
    assert info.firmware_version == "1.0.7" and port.used_up
    assert info.extra["stale_bytes_flushed"] > 0


def test_configuration_limits_are_checked_before_anything_is_sent() -> None:
    monitor = driver(ScriptPort(OPEN))
    monitor.open()
    bad = [
        MonitorConfig(sample_rate_hz=10000, stream_format="ascii_dec", output="current"),
        MonitorConfig(sample_rate_hz=20000, stream_format="bin_hexa", output="energy"),
        MonitorConfig(sample_rate_hz=3000),
        MonitorConfig(voltage_v=5.0),
        MonitorConfig(event_edge="both"),
    ]
    for config in bad:
        with pytest.raises(ConfigurationError, match=r"LPM01A \(fake://lpm\)"):
            monitor.configure(config)


def test_query_values_on_the_line_after_the_ack_are_found_too() -> None:
    script = [*OPEN[:2], ("powershield", ack("powershield") + b"PowerShield present 42-43-44\r\n")]
    script += [("version", ack("version") + b"1.0.6\r\n"), OPEN[4]]
    info = driver(ScriptPort(script)).open()
    assert (info.serial_number, info.firmware_version) == ("42-43-44", "1.0.6")


def test_old_firmware_is_refused_with_the_fix() -> None:
    script = [*OPEN[:3], ("version", ack("version", "1.0.5")), OPEN[4]]
    monitor = driver(ScriptPort(script))
    monitor.open()
    with pytest.raises(ConfigurationError, match="STM32CubeProgrammer"):
        monitor.configure(MonitorConfig())


def test_port_that_cannot_open_and_unplugged_mid_run() -> None:
    def busy(url: str, baud: int):
        raise SerialException("[Errno 16] Device or resource busy: '/dev/ttyACM0'")

    with pytest.raises(DeviceConnectionError, match="close other programs using the port"):
        Lpm01a("/dev/ttyACM0", open_port=busy).open()

    port = ScriptPort([*OPEN, ("start", ack("start"))])
    monitor = driver(port)
    monitor.open()
    monitor.start()

    def unplugged(size: int = 1) -> bytes:
        raise SerialException("device reports readiness to read but returned no data")

    port.read = unplugged
    with pytest.raises(DeviceConnectionError, match=r"LPM01A \(fake://lpm\).*unplugged"):
        monitor.read(0.1)
    monitor.close()  # never raises
    assert port.closed


# -- a board that never stops sending: every wait still ends ---------------------------------
# These check that nothing hangs, not speed: the bounds are the timeout plus a generous 2 s.
STREAM_CHUNK = b"1234-06\r\n" * 100


class EndlessPort(ScriptPort):
    """Answers its script (writes after it are ignored); from the write of ``after`` on
    (None: from the start) every read also brings ``chunk``, forever: a board streaming
    and ignoring 'stop'."""

    def __init__(self, script=(), chunk: bytes = STREAM_CHUNK, after: str | None = None) -> None:
        super().__init__(list(script))
        self.chunk = chunk
        self.after = after
        self.streaming = after is None

    def write(self, data: bytes) -> int:
        if self.script:
            super().write(data)
        self.streaming = self.streaming or data == f"{self.after}\n".encode()
        return len(data)

    def read(self, size: int = 1) -> bytes:
        if self.streaming:
            time.sleep(0.001)
            self.incoming += self.chunk
        return super().read(max(size, len(self.incoming)))


@pytest.mark.parametrize("chunk", [STREAM_CHUNK, b"\xa5" * 1000], ids=["lines", "no-newline"])
def test_open_ends_on_a_board_that_never_stops_sending(
    monkeypatch: pytest.MonkeyPatch, chunk: bytes
) -> None:
    monkeypatch.setattr("tinyjoule.host.instruments.lpm01a_console.DRAIN_LIMIT_S", 0.2)
    port = EndlessPort(chunk=chunk)
    monitor = driver(port, reply_timeout_s=0.5)
    start = time.monotonic()
    with pytest.raises(ResponseTimeout) as info:
        monitor.open()
    assert time.monotonic() - start < 0.2 + 0.5 + 2
    message = str(info.value)
    assert DEVICE in message and "'htc'" in message and "kept sending" in message
    assert "ignoring 'stop'" in message and "unplug and replug" in message
    assert port.closed
    if b"\n" not in chunk:  # the partial line is capped, the rest counted
        assert monitor.discarded_reply_bytes > MAX_REPLY_BYTES


def test_a_query_ends_on_a_board_that_starts_streaming() -> None:
    port = EndlessPort([*OPEN[:2], ("powershield", b"")], after="powershield")
    monitor = driver(port, reply_timeout_s=0.5)
    start = time.monotonic()
    with pytest.raises(ResponseTimeout, match=r"'powershield' within 0.5 s although it kept"):
        monitor.open()
    assert time.monotonic() - start < 0.5 + 2


def test_a_query_value_wait_ends_among_stream_lines() -> None:
    """An ack without the value: the wait for a value line ends among stream lines."""
    script = [*OPEN[:2], ("powershield", ack("powershield")), *OPEN[3:]]
    port = EndlessPort(script, after="powershield")
    start = time.monotonic()
    info = driver(port, reply_timeout_s=0.5).open()
    assert time.monotonic() - start < 0.5 + 2
    assert info.serial_number is None and info.firmware_version == "1.0.7"


def test_stop_and_read_end_on_a_board_that_ignores_stop() -> None:
    script = [*OPEN, ("start", ack("start"))]
    port = EndlessPort(script, chunk=b"PowerShield > not a sample\r\n" * 20, after="start")
    monitor = driver(port, stop_timeout_s=0.5)
    monitor.open()
    monitor.start()
    start = time.monotonic()
    assert monitor.read(0.3) == []  # text only: no items, but the read still ends
    assert time.monotonic() - start < 0.3 + 2
    port.chunk = STREAM_CHUNK
    start = time.monotonic()
    with pytest.raises(ResponseTimeout) as info:
        monitor.stop()
    assert time.monotonic() - start < 0.5 + 2
    message = str(info.value)
    assert DEVICE in message and "after 'stop'" in message and "ignored 'stop'" in message
    monitor.close()  # never raises, and does not hang either
    assert port.closed


# -- against the simulated LPM01A -----------------------------------------------------------


def session(fmt: str, output: str, **device_kwargs) -> tuple[Lpm01a, SimPort]:
    t0 = 0.25
    device = SimulatedLpm01a(FakeFrontEnd(1.234e-3, [t0 + 0.0125, t0 + 1.5]), **device_kwargs)
    port = SimPort(device)
    monitor = driver(port)
    monitor.open()
    monitor.configure(MonitorConfig(1.8, 1000, output, fmt))
    monitor.power(True)
    port.now = t0
    monitor.start()
    return monitor, port


def collect(monitor: Lpm01a, items: list) -> tuple[np.ndarray, list]:
    while True:
        more = monitor.read(0.05)
        if not more:
            break
        items += more
    blocks = [i for i in items if isinstance(i, SampleBlock)]
    assert all(b.first_index == a.end_index for a, b in itertools.pairwise(blocks))
    values = np.concatenate([b.samples for b in blocks]) if blocks else np.zeros(0)
    return values, [i for i in items if not isinstance(i, SampleBlock)]


@pytest.mark.parametrize("fmt", ["ascii_dec", "bin_hexa"])
@pytest.mark.parametrize("output", ["current", "energy"])
def test_measures_the_simulated_board_exactly(fmt: str, output: str) -> None:
    monitor, port = session(fmt, output)
    port.now += 2.0005
    values, others = collect(monitor, [])
    port.now += 0.0004
    values2, others2 = collect(monitor, monitor.stop())
    reading = 1.234e-3 if output == "current" else 1.8 * 1.234e-3 / 1000
    if fmt == "ascii_dec":
        mantissa, exponent = quantise_ascii(np.array([reading]))
        expected = float(f"{mantissa[0]}e{exponent[0]}")
    else:
        expected = WORD_VALUES[bin_words(np.array([reading]))[0]]
    assert len(values) + len(values2) == 2000 and (values == expected).all()
    assert others + others2 == [
        Event(13, None, 0), MonitorStatus(1000, 0), Event(1501, None, 1), MonitorStatus(2000, 0)
    ]  # fmt: skip
    monitor.close()
    assert not port.device.target_powered and not port.device.host_controlled
    assert port.device.commands_received[-2:] == ["pwr off", "hrc"]


def test_stream_reads_take_what_comes_in_the_poll_not_only_what_is_waiting() -> None:
    """While streaming, a read asks for READ_CHUNK bytes (a real port returns what came
    within its poll time): a pty or USB port hands over a few KB at a time, and decoding
    every few KB on its own cost the pty path a quarter of its speed."""
    monitor, port = session("ascii_dec", "current")
    sizes: list[int] = []
    read = port.read
    port.read = lambda size=1: sizes.append(size) or read(size)  # type: ignore[method-assign]
    port.now += 2.0
    values, _ = collect(monitor, [])
    assert len(values) == 2000 and sizes and set(sizes) == {READ_CHUNK}
    monitor.close()


@pytest.mark.parametrize("fmt", ["ascii_dec", "bin_hexa"])
def test_overrun_and_drops_through_the_driver(fmt: str) -> None:
    monitor, port = session(fmt, "current")
    port.device.inject_drop(1200, 9)
    port.now += 2.5
    _, others = collect(monitor, [])
    assert SampleDrop(first_index=1000, count=9) in others
    port.device.inject_overrun(3000)
    port.now += 1.0
    with pytest.raises(MeasurementError, match="lower the sample rate or use bin_hexa"):
        collect(monitor, [])
    with pytest.raises(MeasurementError):
        monitor.read(0.01)
    assert monitor.stop() == []
    monitor.start()  # the monitor is usable again
    port.now += 0.5
    values, _ = collect(monitor, [])
    assert len(values) == 500
    monitor.close()


def test_rising_buffer_load_is_reported() -> None:
    monitor, port = session("ascii_dec", "energy", buffer_bytes=40_000)
    port.now += 4.0
    _, others = collect(monitor, [])
    assert [i.buffer_percent for i in others if isinstance(i, MonitorStatus)] == [22, 45, 67, 90]
    monitor.stop()
    monitor.close()
