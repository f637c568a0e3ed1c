"""The PPK2 driver: exact (sent, received) byte pairs on a scripted port, bad input (silent
port, debug-shell port, broken calibration, impossible settings, unplugging), and end to
end against the simulated PPK2 on a virtual clock: exact amperes and event indices."""

from __future__ import annotations

import itertools
import math
import time
from types import SimpleNamespace

import numpy as np
import pytest
from fake_front_end import FakeFrontEnd
from serial import SerialException
from sim_port import ScriptPort, SimPort

from tinyjoule.errors import (
    ConfigurationError,
    DeviceConnectionError,
    MeasurementError,
    ResponseTimeout,
)
from tinyjoule.firmware_protocol.ppk2_protocol import Ppk2CalibrationError, current_table
from tinyjoule.host.instruments.base import MonitorConfig
from tinyjoule.host.instruments.ppk2 import ACCURACY_RELATIVE, Ppk2
from tinyjoule.host.instruments.serial_link import MAX_REPLY_BYTES
from tinyjoule.host.measurement.stream import Event, SampleBlock, SampleDrop
from tinyjoule.host.sim.monitors.ppk2 import SIM_CALIBRATION, SimulatedPpk2

URL = "fake://ppk2"
DEVICE = f"PPK2 ({URL})"
TABLE = current_table(SIM_CALIBRATION, 1800)


def metadata(fault: str | None = None) -> bytes:
    device = SimulatedPpk2(front_end=None)  # type: ignore[arg-type]
    device.inject_calibration(fault)
    return device.metadata()


def words(adcs, rng=2, start=0, logic=1) -> bytes:
    logic = [logic] * len(adcs) if isinstance(logic, int) else logic
    packed = [a | rng << 14 | ((start + k) % 64) << 18 | g << 24 for k, (a, g) in
              enumerate(zip(adcs, logic, strict=True))]  # fmt: skip
    return np.array(packed, "<u4").tobytes()


OPEN = [(b"\x07", b""), (b"\x19", metadata())]
CONFIGURE = [(b"\x0c\x00", b""), (b"\x11\x02", b""), (b"\x0d\x07\x08", b"")]  # 1.8 V source
CLOSE = [(b"\x07", b""), (b"\x0c\x00", b"")]


def driver(port, **kwargs) -> Ppk2:
    kwargs.setdefault("quiet_s", 0.01)
    return Ppk2(URL, open_port=lambda url, baud: port, **kwargs)


def drain(monitor: Ppk2, items: list) -> list:
    while more := monitor.read(0.05):
        items += more
    return items


def test_a_whole_session_is_these_exact_pairs() -> None:
    stream = words([5000, 5001, 5002], logic=[1, 1, 0]) + words([5003, 5004], start=3)[:6]
    script = [*OPEN, *CONFIGURE, (b"\x0c\x01", b""), (b"\x06", stream)]
    script += [(b"\x07", words([5003, 5004], start=3)[6:]), *CLOSE]
    script[0] = (b"\x07", words([1, 2, 3]))  # a stream left running by an earlier run
    port = ScriptPort(script, stale=words([4, 5]))
    monitor = driver(port)
    info = monitor.open()
    assert info.extra["stale_bytes_flushed"] == 12
    assert (info.kind, info.port, info.firmware_version) == ("ppk2", URL, "unknown")
    assert info.extra["metadata"]["HW"] == "54350" and info.extra["calibration_defaults"] == []
    monitor.configure(Ppk2.facts.config(1.8))
    assert monitor.info is not None and monitor.info.powers_target
    monitor.power(True)
    monitor.start()
    items = drain(monitor, [])
    items += monitor.stop()
    values = np.concatenate([i.samples for i in items if isinstance(i, SampleBlock)])
    assert values.tolist() == TABLE[2][[5000, 5001, 5002, 5003, 5004]].tolist()
    assert [i for i in items if not isinstance(i, SampleBlock)] == [Event(3, rising=False)]
    monitor.close()
    assert port.used_up and port.closed
    assert monitor.accuracy_relative == ACCURACY_RELATIVE


def test_ampere_mode_rising_edges_on_another_input() -> None:
    configure = [(b"\x0c\x00", b""), (b"\x11\x01", b""), (b"\x0d\x0c\xe4", b"")]
    stream = words([10] * 6, rng=0, logic=[0, 0, 8, 8, 0, 8])
    port = ScriptPort([*OPEN, *configure, (b"\x06", stream), (b"\x07", b"")])
    monitor = driver(port)
    monitor.open()
    config = MonitorConfig(3.3, 100_000, "current", "ampere", "rising", event_channel=3)
    monitor.configure(config)
    assert monitor.info is not None and not monitor.info.powers_target
    monitor.start()
    items = drain(monitor, []) + monitor.stop()
    assert [i for i in items if isinstance(i, Event)] == [Event(3, True), Event(6, True)]
    assert port.used_up


def test_a_silent_port_times_out_naming_the_command_and_the_data_port() -> None:
    monitor = driver(ScriptPort([(b"\x07", b""), (b"\x19", b"")]), reply_timeout_s=0.2)
    start = time.monotonic()
    with pytest.raises(ResponseTimeout) as info:
        monitor.open()
    assert time.monotonic() - start < 1.0
    message = str(info.value)
    assert DEVICE in message and "'get metadata' (0x19)" in message
    assert "location ends in 1" in message and "ppk2:auto" in message


def test_the_debug_shell_port_is_recognised() -> None:
    shell = b"\r\nuart:~$ \x07\x19\r\nuart:~$ "
    monitor = driver(ScriptPort([(b"\x07", b""), (b"\x19", shell)]), reply_timeout_s=0.2)
    with pytest.raises(ResponseTimeout, match=r"debug-shell port .* ends in 1"):
        monitor.open()


@pytest.mark.parametrize("fault", ["missing", "zero", "erased", "absurd"])
def test_broken_calibration_fails_open_and_releases_the_port(fault: str) -> None:
    port = ScriptPort([(b"\x07", b""), (b"\x19", metadata(fault))])
    with pytest.raises(Ppk2CalibrationError, match=r"PPK2 \(fake://ppk2\).*overrides"):
        driver(port).open()
    assert port.closed


def test_calibration_overrides_open_a_damaged_unit() -> None:
    fix = {f"R{r}": SIM_CALIBRATION.r[r] for r in range(5)} | {"O1": SIM_CALIBRATION.o[1]}
    port = ScriptPort([(b"\x07", b""), (b"\x19", metadata("absurd"))])
    monitor = driver(port, calibration_overrides=fix)
    monitor.open()
    assert monitor.calibration == SIM_CALIBRATION


def test_impossible_settings_are_refused_before_anything_is_sent() -> None:
    port = ScriptPort(OPEN)
    monitor = driver(port)
    monitor.open()
    good = Ppk2.facts.config(1.8)
    bad = {
        "output": MonitorConfig(1.8, 100_000, "energy", "source"),
        "100 kS/s": MonitorConfig(1.8, 1000, "current", "source"),
        "'source'": MonitorConfig(1.8, 100_000, "current", "ascii_dec"),
        "0.8-5.0 V": MonitorConfig(5.5, 100_000, "current", "source"),
        "D0-D7": MonitorConfig(1.8, 100_000, "current", "source", event_channel=8),
        "'falling'": MonitorConfig(1.8, 100_000, "current", "source", event_edge="both"),
    }
    for words_in_message, config in bad.items():
        with pytest.raises(ConfigurationError) as info:
            monitor.configure(config)
        assert str(info.value).startswith(DEVICE) and words_in_message in str(info.value)
    assert good.sample_rate_hz == 100_000 and good.output == "current"
    with pytest.raises(ConfigurationError, match="before configure"):
        monitor.power(True)
    with pytest.raises(ConfigurationError, match="before configure"):
        monitor.start()
    assert port.used_up


def test_a_port_that_cannot_open_and_one_unplugged_mid_run() -> None:
    def busy(url: str, baud: int):
        raise SerialException("[Errno 16] Device or resource busy: '/dev/ttyACM3'")

    with pytest.raises(DeviceConnectionError) as info:
        Ppk2("/dev/ttyACM3", open_port=busy).open()
    message = str(info.value)
    assert "PPK2 (/dev/ttyACM3)" in message and "1915:c00a" in message
    assert "nRF Connect Power Profiler" in message

    port = ScriptPort([*OPEN, *CONFIGURE, (b"\x06", words([1, 2]))])
    monitor = driver(port)
    monitor.open()
    monitor.configure(Ppk2.facts.config(1.8))
    monitor.start()

    def unplugged(size: int = 1) -> bytes:
        raise SerialException("device reports readiness to read but returned no data")

    port.read = unplugged
    with pytest.raises(DeviceConnectionError, match=r"PPK2 \(fake://ppk2\).*unplugged"):
        monitor.read(0.1)
    monitor.close()  # never raises
    assert port.closed


def test_a_ppk2_that_keeps_streaming_after_stop() -> None:
    class Streaming(ScriptPort):
        streaming = False

        def write(self, data: bytes) -> int:
            self.streaming = self.streaming or data == b"\x06"
            return super().write(data)

        def read(self, size: int = 1) -> bytes:
            if not self.streaming:
                return super().read(size)
            time.sleep(0.002)
            return words([7] * 64)  # counters 0-63: one long run in sequence

    port = Streaming([*OPEN, *CONFIGURE, (b"\x06", b""), (b"\x07", b"")])
    monitor = driver(port, stop_timeout_s=0.2)
    monitor.open()
    monitor.configure(Ppk2.facts.config(1.8))
    monitor.start()
    with pytest.raises(ResponseTimeout, match=r"still streaming 0.2 s after 'stop' \(0x07\)"):
        monitor.stop()


class EndlessPort(ScriptPort):
    """Answers its script (writes after it are ignored); from the write of ``after`` on
    (None: from the start) every read also brings ``chunk``, forever: a PPK2 streaming
    and ignoring 'stop'."""

    def __init__(self, script=(), chunk: bytes = b"", after: bytes | None = None) -> None:
        super().__init__(list(script))
        self.chunk = chunk or words([7] * 100)
        self.after = after
        self.streaming = after is None

    def write(self, data: bytes) -> int:
        if self.script:
            super().write(data)
        self.streaming = self.streaming or data == self.after
        return len(data)

    def read(self, size: int = 1) -> bytes:
        if self.streaming:
            time.sleep(0.001)
            self.incoming += self.chunk
        return super().read(max(size, len(self.incoming)))


def test_open_ends_on_a_ppk2_that_never_stops_streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a speed test: the bound is the drain limit and the timeout plus a generous 2 s."""
    monkeypatch.setattr("tinyjoule.host.instruments.ppk2.DRAIN_LIMIT_S", 0.2)
    port = EndlessPort()
    monitor = driver(port, reply_timeout_s=0.5)
    start = time.monotonic()
    with pytest.raises(ResponseTimeout) as info:
        monitor.open()
    assert time.monotonic() - start < 0.2 + 0.5 + 2
    message = str(info.value)
    assert DEVICE in message and "'get metadata' (0x19)" in message
    assert "kept sending" in message and "unplug and replug the PPK2" in message
    assert port.closed and monitor.discarded_reply_bytes > 0


def test_the_metadata_wait_ends_when_the_ppk2_streams_instead() -> None:
    port = EndlessPort([(b"\x07", b""), (b"\x19", b"")], after=b"\x19")
    monitor = driver(port, reply_timeout_s=0.5)
    start = time.monotonic()
    with pytest.raises(ResponseTimeout, match=r"within 0.5 s after 'get metadata' \(0x19\)"):
        monitor.open()
    assert time.monotonic() - start < 0.5 + 2


def test_metadata_after_a_long_stale_stream_is_still_found() -> None:
    stale = words([7] * 64) * 40  # 10 kB: more than a reply keeps
    port = ScriptPort([(b"\x07", b""), (b"\x19", stale + metadata())])
    monitor = driver(port)
    info = monitor.open()
    assert monitor.calibration == SIM_CALIBRATION
    assert info.extra["reply_bytes_discarded"] == len(stale) + len(metadata()) - MAX_REPLY_BYTES


def test_a_stream_that_is_not_samples_voids_the_capture_until_restarted() -> None:
    junk = np.random.default_rng(5).integers(0, 256, 1000, dtype=np.uint8).tobytes()
    script = [*OPEN, *CONFIGURE, (b"\x06", words(range(20)) + junk), (b"\x07", b"")]
    port = ScriptPort([*script, (b"\x06", words([9] * 10)), (b"\x07", b"")])
    monitor = driver(port)
    monitor.open()
    monitor.configure(Ppk2.facts.config(1.8))
    monitor.start()
    with pytest.raises(MeasurementError, match=r"PPK2 \(fake://ppk2\): no PPK2 sample words"):
        drain(monitor, [])
    with pytest.raises(MeasurementError):
        monitor.read(0.01)
    assert monitor.stop() == []
    monitor.start()  # usable again
    values, _ = collect(monitor, monitor.stop())
    assert len(values) == 10 and port.used_up


def test_auto_finds_the_data_port(monkeypatch: pytest.MonkeyPatch) -> None:
    ports = [
        SimpleNamespace(device="/dev/ttyACM8", location="1-1:1.3", serial_number="A",
                        vid=0x1915, pid=0xC00A, description="PPK2", product="PPK2"),
        SimpleNamespace(device="/dev/ttyACM7", location="1-1:1.1", serial_number="A",
                        vid=0x1915, pid=0xC00A, description="PPK2", product="PPK2"),
    ]  # fmt: skip
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: ports)
    opened = []
    monitor = Ppk2("auto", open_port=lambda url, baud: opened.append(url) or ScriptPort(OPEN))
    info = monitor.open()
    assert opened == ["/dev/ttyACM7"] and info.port == "/dev/ttyACM7"
    assert info.serial_number == "A" and monitor.device == "PPK2 (/dev/ttyACM7)"


# -- against the simulated PPK2 --------------------------------------------------------------


T0 = 0.25


def session(front_end: FakeFrontEnd, config: MonitorConfig | None = None, **device_kwargs):
    device = SimulatedPpk2(front_end, **device_kwargs)
    port = SimPort(device)
    monitor = driver(port)
    monitor.open()
    monitor.configure(config or Ppk2.facts.config(1.8))
    monitor.power(True)
    port.now = T0
    monitor.start()
    return monitor, port


def collect(monitor: Ppk2, items: list) -> tuple[np.ndarray, list]:
    items = drain(monitor, items)
    blocks = [i for i in items if isinstance(i, SampleBlock)]
    assert all(b.first_index == a.end_index for a, b in itertools.pairwise(blocks))
    values = np.concatenate([b.samples for b in blocks]) if blocks else np.zeros(0)
    return values, [i for i in items if not isinstance(i, SampleBlock)]


def nearest(rng: int, current: float) -> float:
    return float(TABLE[rng][np.argmin(np.abs(TABLE[rng] - current))])


def test_measures_the_simulated_board_exactly() -> None:
    """1.234 mA reads as range 1's nearest code in every sample; edges at t0 + 12.5 ms and
    t0 + 1.5 s fall during samples 1250 and 150000: events 1251 and 150001."""
    front_end = FakeFrontEnd(1.234e-3, falling=[T0 + 0.0125, T0 + 1.5], rising=[T0 + 0.015])
    monitor, port = session(front_end)
    port.now += 2.000005
    values, others = collect(monitor, [])
    port.now += 0.00004
    values2, others2 = collect(monitor, monitor.stop())
    assert len(values) + len(values2) == 200_004
    assert (values == nearest(1, 1.234e-3)).all() and (values2 == values[0]).all()
    assert others + others2 == [Event(1251, rising=False), Event(150_001, rising=False)]
    assert values[0] == pytest.approx(1.234e-3, abs=TABLE[1][1] - TABLE[1][0])
    monitor.close()
    assert not port.device.target_powered and not port.device.acquiring
    assert port.device.commands_received[-2:] == [b"\x07", b"\x0c\x00"]


def test_rising_edges_on_d5_in_ampere_mode() -> None:
    front_end = FakeFrontEnd(20e-3, falling=[T0 + 0.1], rising=[T0 + 0.10251])
    config = MonitorConfig(1.8, 100_000, "current", "ampere", "rising", event_channel=5)
    monitor, port = session(front_end, config, pin_channel=5, other_logic=0b1000_0001)
    port.now += 0.5
    values, others = collect(monitor, monitor.stop())
    assert others == [Event(math.floor(0.10251 * 100_000) + 1, rising=True)]
    assert (values == nearest(2, 20e-3)).all() and port.device.mode == 1
    monitor.close()


def test_counter_gaps_from_the_device_are_reported_where_they_happened() -> None:
    monitor, port = session(FakeFrontEnd(5e-3, falling=[T0 + 0.3]))
    port.device.inject_drop(12_345, 17)
    port.device.inject_overrun(20_000)  # 4000 samples: the 6-bit counter shows 4000 % 64
    port.now += 0.5
    values, others = collect(monitor, monitor.stop())
    assert len(values) == 50_000 - 4000 + 32
    shifted = 30_001 - 4000 + 32  # the event is after the under-counted gap
    assert others == [SampleDrop(12_345, 17), SampleDrop(20_000, 32), Event(shifted, False)]
    assert monitor.decoder is not None and monitor.decoder.dropped_samples == 17 + 32
    monitor.close()


def test_a_damaged_simulated_unit_is_refused() -> None:
    device = SimulatedPpk2(FakeFrontEnd(1e-3))
    device.inject_calibration("absurd")
    with pytest.raises(Ppk2CalibrationError, match="zetta-ampere"):
        driver(SimPort(device)).open()


def step_up(at: float) -> FakeFrontEnd:
    """0.2 mA until ``at``, then 20 mA: range 0 -> range 2."""
    return FakeFrontEnd(steps=((0.0, 0.2e-3), (at, 20e-3)))


def test_a_range_switch_transient_is_hidden_by_the_spike_filter() -> None:
    step = T0 + 0.001  # exactly the start of sample 100
    raw_monitor, raw_port = session(step_up(step))
    raw_monitor.spike_filter = False
    raw_monitor.stop()
    raw_monitor.start()
    raw_port.now += 0.002
    raw, _ = collect(raw_monitor, raw_monitor.stop())
    low, high = nearest(0, 0.2e-3), nearest(2, 20e-3)
    assert (raw[:100] == low).all() and (raw[101:] == high).all()
    assert raw[100] == nearest(2, 20e-3 + 0.5 * (20e-3 - 0.2e-3))  # the settling spike
    monitor, port = session(step_up(step))
    port.now += 0.002
    values, _ = collect(monitor, monitor.stop())
    ema = low
    for k in (100, 101, 102):
        ema = 0.18 * raw[k] + 0.82 * ema
        assert values[k] == pytest.approx(ema, rel=1e-12)
    assert (values[103:] == high).all() and (values[:100] == low).all()
    assert max(values[100:103]) < high  # no spike above the new level
