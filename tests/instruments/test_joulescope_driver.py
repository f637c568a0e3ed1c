"""The Joulescope driver against a recording fake of ``pyjoulescope_driver.Driver``: the exact
calls it makes, recorded data messages in and exact items out, and every bad input (missing
device, missing package, failing USB, impossible settings)."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import numpy as np
import pytest

from tinyjoule.errors import (
    ConfigurationError,
    DeviceConnectionError,
    MeasurementError,
    ResponseTimeout,
)
from tinyjoule.host.instruments.base import MonitorConfig
from tinyjoule.host.instruments.joulescope import ACCURACY_RELATIVE, Joulescope, Js110, Js220
from tinyjoule.host.instruments.joulescope_vendor import list_joulescopes, version_text
from tinyjoule.host.measurement.stream import Event, SampleBlock, SampleDrop

PATH = "u/js220/001234"
BASE = 2_000_000


class RecordingDriver:
    """Records every call; ``fail`` maps a method name to the exception it raises; ``send``
    plays a data message to the subscribers as the vendor driver's thread would."""

    def __init__(self, paths: list[str] | None = None, **fail: BaseException) -> None:
        self.paths = [PATH] if paths is None else paths
        self.fail = fail
        self.calls: list[tuple[Any, ...]] = []
        self.subscribers: dict[str, Any] = {}

    def _record(self, name: str, *args: Any) -> None:
        self.calls.append((name, *args))
        if name in self.fail:
            raise self.fail[name]

    def device_paths(self, timeout: float | None = None) -> list[str]:
        self._record("device_paths")
        return list(self.paths)

    def open(self, device_prefix: str, mode: str | None = None, timeout: float | None = None):
        self._record("open", device_prefix, mode)

    def close(self, device_prefix: str, timeout: float | None = None) -> None:
        self._record("close", device_prefix)

    def publish(self, topic: str, value: Any, timeout: float | None = None) -> None:
        self._record("publish", topic, value)

    def query(self, topic: str, timeout: float | None = None) -> Any:
        self._record("query", topic)
        return (1 << 24) | (3 << 16) | 2  # 1.3.2

    def subscribe(self, topic: str, flags: Any, fn: Any, timeout: float | None = None) -> None:
        self._record("subscribe", topic, flags)
        self.subscribers[topic] = fn

    def unsubscribe(self, topic: str, fn: Any, timeout: float | None = None) -> None:
        self._record("unsubscribe", topic)
        assert self.subscribers.pop(topic) == fn  # the same callable that subscribed

    def finalize(self, timeout: float | None = None) -> None:
        self._record("finalize")

    def send(self, subtopic: str, sample_id: int, decimate: int, data: Any) -> None:
        topic = f"{PATH}/{subtopic}/!data"
        field = {"s/i": (1, 0), "s/v": (2, 0)}.get(subtopic, (5, 0))
        self.subscribers[topic](
            topic,
            {
                "sample_id": sample_id,
                "utc": 0,
                "field_id": field[0],
                "index": field[1],
                "sample_rate": BASE,
                "decimate_factor": decimate,
                "time_map": {"offset_time": 0, "offset_counter": 0, "counter_rate": 2e6},
                "data": np.asarray(data),
            },
        )


def started(driver: RecordingDriver, config: MonitorConfig | None = None, cls=Js220, url=""):
    js = cls(url, driver_factory=lambda: driver)
    js.open()
    js.configure(config or MonitorConfig(event_edge="rising", event_channel=0))
    js.start()
    return js


def f32(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float32)


def bits(*values: int) -> np.ndarray:
    return np.packbits(np.array(values, np.uint8), bitorder="little")


# -- the call sequence -----------------------------------------------------------------------
def test_open_configure_start_stop_close_make_exactly_these_calls() -> None:
    driver = RecordingDriver()
    js = started(driver)
    js.stop()
    js.close()
    p = PATH
    assert driver.calls == [
        ("device_paths",),
        ("open", p, "defaults"),
        ("query", f"{p}/c/fw/version"),
        ("publish", f"{p}/s/i/range/mode", "auto"),
        ("publish", f"{p}/c/gpio/vref", "3v3"),
        ("publish", f"{p}/h/fs", 1000),
        ("subscribe", f"{p}/s/i/!data", ["pub"]),
        ("subscribe", f"{p}/s/v/!data", ["pub"]),
        ("subscribe", f"{p}/s/gpi/0/!data", ["pub"]),
        ("publish", f"{p}/s/i/ctrl", 1),
        ("publish", f"{p}/s/v/ctrl", 1),
        ("publish", f"{p}/s/gpi/0/ctrl", 1),
        ("publish", f"{p}/s/i/ctrl", 0),
        ("publish", f"{p}/s/v/ctrl", 0),
        ("publish", f"{p}/s/gpi/0/ctrl", 0),
        ("unsubscribe", f"{p}/s/i/!data"),
        ("unsubscribe", f"{p}/s/v/!data"),
        ("unsubscribe", f"{p}/s/gpi/0/!data"),
        ("close", p),
        ("finalize",),
    ]


def test_current_output_trigger_input_external_vref_and_a_fast_rate() -> None:
    driver = RecordingDriver()
    config = MonitorConfig(
        output="current", sample_rate_hz=100_000, event_edge="falling", event_channel=7
    )
    started(driver, config, url="001234?vref=external")
    sent = [c[1:] for c in driver.calls if c[0] in ("publish", "subscribe")]
    assert sent == [
        (f"{PATH}/s/i/range/mode", "auto"),
        (f"{PATH}/c/gpio/vref", "external"),
        (f"{PATH}/h/fs", 100_000),
        (f"{PATH}/s/i/!data", ["pub"]),
        (f"{PATH}/s/gpi/7/!data", ["pub"]),
        (f"{PATH}/s/i/ctrl", 1),
        (f"{PATH}/s/gpi/7/ctrl", 1),
    ]


def test_the_js110_gets_no_js220_settings() -> None:
    path = "u/js110/000415"
    driver = RecordingDriver([path])
    js = Js110("", driver_factory=lambda: driver)
    info = js.open()
    js.configure(MonitorConfig(sample_rate_hz=2_000_000, event_channel=1))
    assert driver.calls[1:] == [("open", path, "defaults"), ("publish", f"{path}/h/fs", 2_000_000)]
    assert info.kind == "js110" and info.firmware_version == "unknown"


def test_info_says_it_measures_but_does_not_power_the_board() -> None:
    js = Js220("1234", driver_factory=RecordingDriver)
    info = js.open()
    assert (info.kind, info.port, info.serial_number) == ("js220", PATH, "001234")
    assert info.firmware_version == "1.3.2" and info.powers_target is False
    assert "does not power the board" in info.extra["description"]
    assert js.device == f"JS220 ({PATH})" and js.accuracy_relative == ACCURACY_RELATIVE
    js.power(True)  # nothing to switch, nothing sent
    js.close()


def test_version_text() -> None:
    assert version_text((1 << 24) | (2 << 16) | 513) == "1.2.513"
    assert version_text(None) == "unknown" and version_text("1.0") == "1.0"


# -- recorded data in, items out -------------------------------------------------------------
def test_recorded_messages_give_exact_blocks_and_events() -> None:
    driver = RecordingDriver()
    js = started(driver)
    n0 = 3_670_017  # the first 1 kHz sample after the device's count 7_340_032_123
    driver.send("s/i", n0 * 2000, 2000, f32(0.0183, 0.0183, 0.0234, 0.0234))
    driver.send("s/v", n0 * 2000, 2000, f32(1.8, 1.8, 1.8, 1.8))
    # GPI at 2 MHz from a base id inside sample n0: low from base id n0*2000 + 2*2000 + 10
    gpi_start = n0 * 2000 + 2 * 2000
    driver.send("s/gpi/0", gpi_start, 1, bits(*([1] * 10 + [0] * 14 + [1] * 8)))
    items = js.read(0.5)
    (block,) = [i for i in items if isinstance(i, SampleBlock)]
    assert block.first_index == 0 and block.unit == "J" and block.sample_rate_hz == 1000.0
    expected = f32(0.0183, 0.0183, 0.0234, 0.0234).astype(float) * np.float32(1.8) / 1000
    np.testing.assert_array_equal(block.samples, expected)
    # falling at base gpi_start+10 (ignored), rising at gpi_start+24: inside sample 2 -> 3
    assert [i for i in items if isinstance(i, Event)] == [Event(3, rising=True)]
    assert js.mean_voltage_v == pytest.approx(1.8)
    assert js.read(0.01) == []


def test_a_sample_id_gap_is_counted_as_dropped_output_samples() -> None:
    driver = RecordingDriver()
    js = started(driver, MonitorConfig(output="current", event_edge="rising"))
    driver.send("s/i", 2000 * 500, 2000, f32(*[0.02] * 100))
    driver.send("s/i", 2000 * 640, 2000, f32(*[0.02] * 60))  # 540..639 never arrived
    items = js.read(0.5)
    assert SampleDrop(100, 40) in items
    block = next(i for i in items if isinstance(i, SampleBlock))
    assert len(block.samples) == 200 and block.samples[100:140].sum() == 0


def test_read_waits_for_data_from_the_driver_thread() -> None:
    driver = RecordingDriver()
    js = started(driver, MonitorConfig(output="current"))
    timer = threading.Timer(0.05, driver.send, ("s/i", 0, 2000, f32(0.01)))
    timer.start()
    t0 = time.monotonic()
    items = js.read(2.0)
    assert 0.03 < time.monotonic() - t0 < 1.5 and len(items) == 1
    timer.join()
    t0 = time.monotonic()
    assert js.read(0.05) == [] and time.monotonic() - t0 >= 0.04


def test_messages_after_stop_are_ignored_and_stop_returns_the_rest() -> None:
    driver = RecordingDriver()
    js = started(driver, MonitorConfig(output="current"))
    callback = driver.subscribers[f"{PATH}/s/i/!data"]
    driver.send("s/i", 0, 2000, f32(0.01, 0.02))
    rest = js.stop()
    assert [len(b.samples) for b in rest if isinstance(b, SampleBlock)] == [2]
    callback(f"{PATH}/s/i/!data", {"sample_id": 4000, "decimate_factor": 2000, "data": f32(1)})
    assert js.read(0.01) == []


def test_data_at_an_unexpected_rate_fails_the_read() -> None:
    driver = RecordingDriver()
    js = started(driver, MonitorConfig(output="current"))
    driver.send("s/i", 0, 2, f32(0.01))  # 1 MHz although 1 kHz was set
    with pytest.raises(MeasurementError, match=r"JS220 \(u/js220/001234\).*1e\+06 Hz"):
        js.read(0.1)


# -- choosing the device ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "u/js220/001234"),
        ("1234", "u/js220/001234"),
        ("001234", "u/js220/001234"),
        ("u/js220/001234", "u/js220/001234"),
    ],
)
def test_the_device_is_found_by_serial_or_path(url, expected) -> None:
    driver = RecordingDriver(["u/js110/000415", "u/js220/001234"])
    assert Js220(url, driver_factory=lambda: driver).open().port == expected


def test_a_missing_device_names_what_was_found_and_the_fix() -> None:
    driver = RecordingDriver(["u/js110/000415"])
    with pytest.raises(DeviceConnectionError) as err:
        Js220("", driver_factory=lambda: driver).open()
    text = str(err.value)
    assert text.startswith("JS220 (the only one connected): no JS220 is connected")
    assert "u/js110/000415" in text and "USB cable" in text and "udev" in text
    assert driver.calls[-1] == ("finalize",)  # the vendor driver is not left running


def test_a_wrong_serial_number_is_a_missing_device() -> None:
    with pytest.raises(DeviceConnectionError, match=r"no JS220 '009999' is connected"):
        Js220("009999", driver_factory=RecordingDriver).open()


def test_several_devices_need_a_serial_number() -> None:
    driver = RecordingDriver(["u/js220/000001", "u/js220/000002"])
    with pytest.raises(ConfigurationError, match=r"2 Joulescopes .* --monitor js220:000001"):
        Joulescope("", driver_factory=lambda: driver).open()


def test_no_joulescope_at_all() -> None:
    with pytest.raises(DeviceConnectionError, match=r"no Joulescope is connected \(found: none\)"):
        Joulescope("", driver_factory=lambda: RecordingDriver([])).open()


def test_list_joulescopes() -> None:
    driver = RecordingDriver(["u/js220/001234", "u/js320/000001", "u/js110/000415"])
    assert list_joulescopes(lambda: driver) == ["u/js220/001234", "u/js110/000415"]
    assert driver.calls[-1] == ("finalize",)


# -- the package, the USB link ---------------------------------------------------------------
def test_a_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyjoulescope_driver", None)  # import raises ImportError
    with pytest.raises(ConfigurationError) as err:
        Js220("001234").open()
    assert str(err.value).startswith("JS220 (001234): the Python package pyjoulescope_driver")
    assert "pip install tinyjoule[joulescope]" in str(err.value)
    with pytest.raises(ConfigurationError, match=r"tinyjoule\[joulescope\]"):
        list_joulescopes()


def test_a_driver_that_cannot_start_is_a_connection_error(monkeypatch) -> None:
    class Broken:
        @staticmethod
        def Driver():  # the vendor class name
            raise RuntimeError("jsdrv_initialize failed 4")

    monkeypatch.setitem(sys.modules, "pyjoulescope_driver", Broken)
    with pytest.raises(DeviceConnectionError, match=r"driver did not start.*jsdrv_initialize"):
        Js220("").open()


def test_open_failure_names_the_device_and_releases_the_driver() -> None:
    driver = RecordingDriver(open=RuntimeError("jsdrv_open failed 21 | u/js220/001234"))
    with pytest.raises(DeviceConnectionError) as err:
        Js220("", driver_factory=lambda: driver).open()
    assert str(err.value).startswith(f"JS220 ({PATH}): could not open it (jsdrv_open failed 21")
    assert "close the Joulescope UI" in str(err.value)
    assert driver.calls[-1] == ("finalize",)


def test_a_publish_timeout_is_a_response_timeout() -> None:
    driver = RecordingDriver(publish=TimeoutError("jsdrv_publish timed out"))
    js = Js220("", driver_factory=lambda: driver)
    js.open()
    with pytest.raises(ResponseTimeout, match=r"no answer when trying to set s/i/range/mode"):
        js.configure(MonitorConfig())


def test_a_failing_stop_still_releases_everything() -> None:
    driver = RecordingDriver()
    js = started(driver, MonitorConfig(output="current"))
    driver.fail["publish"] = RuntimeError("jsdrv_publish failed 22")
    with pytest.raises(DeviceConnectionError, match="could not set s/i/ctrl to 0"):
        js.stop()
    assert ("unsubscribe", f"{PATH}/s/i/!data") in driver.calls
    js.close()
    assert driver.calls[-2:] == [("close", PATH), ("finalize",)]


def test_close_never_raises_and_calls_need_an_open_monitor() -> None:
    driver = RecordingDriver(close=RuntimeError("gone"), finalize=RuntimeError("gone"))
    js = started(driver)
    js.close()
    js.close()
    with pytest.raises(DeviceConnectionError, match=r"read\(\) on a closed monitor"):
        js.read(0.01)


# -- impossible settings ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("config", "message"),
    [
        (MonitorConfig(sample_rate_hz=3000), r"3000 Hz is not available; use one of 1, 2, 5"),
        (MonitorConfig(sample_rate_hz=2_000_000), r"2e\+06 Hz is not available"),
        (MonitorConfig(output="power"), r"output 'power' is unknown"),
        (MonitorConfig(event_edge="both"), r"event_edge 'both' is unknown"),
        (MonitorConfig(event_channel=5), r"no GPI 5; wire the timestamp pin to one of GPI 0, 1"),
    ],
)
def test_impossible_settings_are_refused_before_anything_is_sent(config, message) -> None:
    driver = RecordingDriver()
    js = Js220("", driver_factory=lambda: driver)
    js.open()
    with pytest.raises(ConfigurationError, match=message):
        js.configure(config)
    assert not [c for c in driver.calls if c[0] == "publish"]


def test_unknown_url_options_and_configuring_while_streaming() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown option 'vref=5v'.*vref=3v3\|external"):
        Js220("001234?vref=5v")
    js = started(RecordingDriver())
    with pytest.raises(ConfigurationError, match="during an acquisition"):
        js.configure(MonitorConfig())
    with pytest.raises(MeasurementError, match="while an acquisition is running"):
        js.start()


def test_a_package_that_does_not_load_says_reinstall(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str):
        raise ImportError("libusb-1.0.so.0: cannot open shared object file", name="_binding")

    monkeypatch.setattr("importlib.import_module", broken)
    with pytest.raises(ConfigurationError, match=r"installed but does not load.*force-reinstall"):
        Js220("").open()
