"""Driver for the Joulescope JS220 and JS110 energy analyzers through ``pyjoulescope_driver``.

The Joulescope sits between an external supply and the board; it does not power the board
(spec 2.3). It streams current and the board's voltage, which become energy per sample
(i·v/fs, J) with the voltage measured at every sample, and the timestamp pin on a
general-purpose input (GPI0, rising edge, as the MLCommons runner uses it), whose edges
become events (``joulescope_stream``). The vendor package is imported only when a Joulescope
is opened (``joulescope_vendor``); a ``driver_factory`` stands in for it in tests and on a
simulated bench, whose clock the driver then keeps.

``url``: "" (the only Joulescope connected), a serial number ("001234") or a device path
("u/js220/001234"), optionally followed by ``?vref=external`` (JS220: GPI thresholds from the
board's IO voltage on the VREF pin instead of the internal 3.3 V).
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any

from tinyjoule.errors import (
    ConfigurationError,
    DeviceConnectionError,
    ResponseTimeout,
    TinyJouleError,
)
from tinyjoule.host.clock import clock_of
from tinyjoule.host.instruments.base import MonitorConfig, MonitorInfo
from tinyjoule.host.instruments.facts import MonitorFacts
from tinyjoule.host.instruments.joulescope_stream import StreamAssembler
from tinyjoule.host.instruments.joulescope_vendor import (
    CHECK,
    MODELS,
    DataCallback,
    DriverLike,
    import_vendor_driver,
    model_of,
    version_text,
)
from tinyjoule.host.instruments.streaming import StreamingMonitor

RATES_HZ = (1_000_000, 500_000, 200_000, 100_000, 50_000, 20_000, 10_000, 5_000, 2_000,
            1_000, 500, 200, 100, 50, 20, 10, 5, 2, 1)  # fmt: skip
"""``h/fs`` options (``js220_usb.c``); the JS110 also streams at 2 MHz."""
EVENT_CHANNELS = {"js220": (0, 1, 2, 3, 7), "js110": (0, 1)}  # 7: the JS220 trigger input
VREF_OPTIONS = ("3v3", "external")
ACCURACY_RELATIVE = 0.005
"""Energy reading accuracy taken as 0.5 %: the current gain error Jetperch quotes (0.3 %, JS110
2 A range, spec 2.3) plus the voltage gain error, rounded up. [unverified: the JS220 User's
Guide accuracy table was not checked; offsets (up to 1.5 mA in the 2 A range) matter only if
auto-ranging is off.]"""
DESCRIPTION = (
    "Joulescope between the external supply and the board: it does not power the board "
    "(switch the supply yourself); energy = measured current x measured voltage, sample by "
    "sample; timestamps from a GPI edge"
)


def _facts(kind: str, title: str, usb_id: tuple[int, int], simulator: str | None) -> MonitorFacts:
    return MonitorFacts(
        kind=kind,
        title=title,
        sample_rate_hz=1000.0,
        output="energy",
        stream_format="",
        event_edge="rising",  # the MLCommons runner's JS220 convention
        event_channel=0,
        powers_target=False,
        measures_voltage=True,
        accuracy_relative=ACCURACY_RELATIVE,
        accuracy_source="0.3 % current + voltage gain, rounded up [unverified]",
        usb_ids={usb_id: f"{title} (energy monitor; USB, not a serial port)"},
        port_when_omitted="",
        simulator=simulator,
        extra="joulescope",
        shortest_event_pulse_s=1 / 2_000_000,  # GPI bits at the 2 MHz base rate
        resolution={"": "relative:0.00002"},  # float32 samples of a 16-bit ADC [estimate]
        current_range_a=(1e-9, 10.0),  # its ranges 18 µA ... 10 A, auto (spec 2.3)
        calibration_settings={"sample_rate_hz": 100_000.0},
    )


class Joulescope(StreamingMonitor):
    """A JS220 or JS110; ``open`` → ``configure`` → ``start`` → ``read``… → ``stop``."""

    facts = _facts("joulescope", "Joulescope", (0x16D0, 0x10BA), None)
    models: tuple[str, ...] = MODELS
    label = "Joulescope"

    def __init__(
        self,
        url: str = "",
        *,
        driver_factory: Callable[[], DriverLike] | None = None,
        timeout_s: float = 2.0,
        open_timeout_s: float = 10.0,
    ) -> None:
        target, _, options = url.partition("?")
        super().__init__(f"{self.label} ({target.strip() or 'the only one connected'})")
        self.url = url
        self._target = target.strip()
        self._vref = "3v3"
        for option in filter(None, options.split("&")):
            key, _, value = option.partition("=")
            if key != "vref" or value not in VREF_OPTIONS:
                raise ConfigurationError(
                    f"{self.label} ({url}): unknown option {option!r}; the only option is "
                    f"vref={'|'.join(VREF_OPTIONS)}"
                )
            self._vref = value
        self.timeout_s = timeout_s
        self.open_timeout_s = open_timeout_s
        self._factory = driver_factory
        self._driver: DriverLike | None = None
        self._path = ""
        self._model = ""
        self._signals: dict[str, str] = {}  # "s/i" -> "i", "s/v" -> "v", "s/gpi/0" -> "gpi"
        self._topics: dict[str, str] = {}  # "<path>/s/i/!data" -> "i" ...
        self._assembler: StreamAssembler | None = None
        self._queue: deque[tuple[str, Any]] = deque()
        self._cond = self.clock.condition()
        self._accepting = False  # data callbacks are taken (subscribed and not stopping)
        self._on_data_fn: DataCallback = self._on_data  # one bound method, for unsubscribe

    @property
    def mean_voltage_v(self) -> float | None:
        """The board's mean measured voltage over the acquisition so far (energy output)."""
        return self._assembler.mean_voltage_v if self._assembler is not None else None

    # -- StreamingMonitor ---------------------------------------------------------------
    def _is_open(self) -> bool:
        return self._driver is not None

    def _connect(self) -> MonitorInfo:
        driver = self._driver = (self._factory or (lambda: import_vendor_driver(self.device)))()
        self.clock = clock_of(driver)
        self._cond = self.clock.condition()
        paths = self._call("list the connected Joulescopes", driver.device_paths, self.timeout_s)
        self._path = self._select(list(paths))
        self._model = model_of(self._path)
        self.device = f"{self._model.upper()} ({self._path})"
        self._call("open it", driver.open, self._path, "defaults", self.open_timeout_s)
        firmware = "unknown"
        if self._model == "js220":
            with contextlib.suppress(Exception):
                firmware = version_text(driver.query(f"{self._path}/c/fw/version", self.timeout_s))
        extra: dict[str, Any] = {"description": DESCRIPTION, "model": self._model.upper()}
        if self._model == "js220":
            extra["gpio_vref"] = self._vref
        return MonitorInfo(
            kind=self._model,
            port=self._path,
            firmware_version=firmware,
            serial_number=self._path.rsplit("/", 1)[-1],
            powers_target=False,
            extra=extra,
        )

    def _apply(self, config: MonitorConfig) -> None:
        if config.output not in ("energy", "current"):
            raise ConfigurationError(
                f"{self.device}: output {config.output!r} is unknown; use 'energy' (J per "
                "sample, measured voltage) or 'current' (A)"
            )
        rates = RATES_HZ if self._model == "js220" else (2_000_000, *RATES_HZ)
        if config.sample_rate_hz not in rates:
            raise ConfigurationError(
                f"{self.device}: sample rate {config.sample_rate_hz:g} Hz is not available; "
                f"use one of {', '.join(f'{r:g}' for r in sorted(rates))} Hz"
            )
        if config.event_edge not in ("rising", "falling"):
            raise ConfigurationError(
                f"{self.device}: event_edge {config.event_edge!r} is unknown; use 'rising' "
                "(the MLCommons runner's JS220 convention) or 'falling'"
            )
        channels = EVENT_CHANNELS.get(self._model, (0,))
        if (0 if config.event_channel is None else config.event_channel) not in channels:
            raise ConfigurationError(
                f"{self.device}: there is no GPI {config.event_channel}; wire the timestamp "
                f"pin to one of GPI {', '.join(map(str, channels))} (7 = trigger input)"
            )
        for subtopic, value in self.config_publishes(config):
            self._publish(subtopic, value)

    def config_publishes(self, config: MonitorConfig) -> list[tuple[str, Any]]:
        """The (subtopic, value) pairs ``configure`` sends, in order."""
        out: list[tuple[str, Any]] = []
        if self._model == "js220":
            out += [("s/i/range/mode", "auto"), ("c/gpio/vref", self._vref)]
        return [*out, ("h/fs", int(config.sample_rate_hz))]

    def _switch_power(self, on: bool) -> None:
        """Nothing to switch: the Joulescope does not power the board (spec 2.3)."""

    def _begin_stream(self) -> None:
        driver = self._driver_open()
        channel = 0 if self.config.event_channel is None else self.config.event_channel
        signals = {"s/i": "i", "s/v": "v"} if self.config.output == "energy" else {"s/i": "i"}
        signals[f"s/gpi/{channel}"] = "gpi"
        self._signals = signals
        self._topics = {f"{self._path}/{sub}/!data": key for sub, key in signals.items()}
        self._assembler = StreamAssembler(
            self.config.sample_rate_hz,
            self.config.output,
            self.config.event_edge == "rising",
            self.device,
        )
        with self._cond:
            self._queue.clear()
        for topic in self._topics:
            self._call(
                f"subscribe to {topic}",
                driver.subscribe,
                topic,
                ["pub"],
                self._on_data_fn,
                self.timeout_s,
            )
        self._accepting = True
        for subtopic in signals:
            self._publish(f"{subtopic}/ctrl", 1)

    def _read_stream(self, deadline: float) -> None:
        with self._cond:
            self.clock.wait(
                self._cond, lambda: bool(self._queue), max(0.0, deadline - self.clock.now())
            )
        self._emit(self._process())

    def _end_stream(self, failed: bool) -> None:
        driver = self._driver_open()
        self._accepting = False
        failure: TinyJouleError | None = None
        for subtopic in self._signals:
            try:
                self._publish(f"{subtopic}/ctrl", 0)
            except TinyJouleError as exc:
                failure = failure or exc
        for topic in self._topics:
            with contextlib.suppress(Exception):
                driver.unsubscribe(topic, self._on_data_fn, self.timeout_s)
        self._emit(self._process())
        if failure is not None:
            raise failure

    def _release(self) -> None:
        """Stop streaming; the device and vendor driver are released by ``_disconnect``."""
        driver = self._driver_open()
        if self._accepting:
            self._accepting = False
            for subtopic in self._signals:
                with contextlib.suppress(Exception):
                    driver.publish(f"{self._path}/{subtopic}/ctrl", 0, self.timeout_s)
            for topic in self._topics:
                with contextlib.suppress(Exception):
                    driver.unsubscribe(topic, self._on_data_fn, self.timeout_s)

    def _disconnect(self) -> None:
        driver, self._driver = self._driver, None
        self._accepting = False
        if driver is None:
            return
        if self._path:
            with contextlib.suppress(Exception):
                driver.close(self._path, self.timeout_s)
        with contextlib.suppress(Exception):
            driver.finalize(self.timeout_s)

    # -- data -------------------------------------------------------------------------------
    def _on_data(self, topic: str, value: Any) -> None:
        """Called on the vendor driver's thread: queue only, never call back into it."""
        key = self._topics.get(topic)
        if key is None or not self._accepting or not isinstance(value, dict):
            return
        with self._cond:
            self._queue.append((key, value))
            self._cond.notify_all()

    def _process(self) -> list:
        with self._cond:
            messages = list(self._queue)
            self._queue.clear()
        if self._assembler is None:
            return []
        for key, value in messages:
            self._assembler.add(key, value)
        return self._assembler.take()

    # -- the vendor driver ------------------------------------------------------------------
    def _select(self, paths: list[str]) -> str:
        found = [p for p in paths if model_of(p) in self.models]
        listed = ", ".join(paths) or "none"
        target = self._target
        if not target:
            if len(found) == 1:
                return found[0]
            if not found:
                raise DeviceConnectionError(
                    f"{self.device}: no {self.label} is connected (found: {listed}); plug it "
                    f"in and {CHECK}"
                )
            raise ConfigurationError(
                f"{self.device}: {len(found)} Joulescopes are connected ({', '.join(found)}); "
                f"choose one by serial number, e.g. --monitor {model_of(found[0])}:"
                f"{found[0].rsplit('/', 1)[-1]}"
            )
        if "/" in target:
            matches = [p for p in found if p.lower() == target.strip("/").lower()]
        else:
            matches = [p for p in found if _same_serial(p.rsplit("/", 1)[-1], target)]
        if len(matches) != 1:
            raise DeviceConnectionError(
                f"{self.device}: no {self.label} {target!r} is connected (found: {listed}); "
                f"give the serial number printed on its label; {CHECK}"
            )
        return matches[0]

    def _publish(self, subtopic: str, value: Any) -> None:
        driver = self._driver_open()
        topic = f"{self._path}/{subtopic}"
        self._call(f"set {subtopic} to {value!r}", driver.publish, topic, value, self.timeout_s)

    def _call(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except TinyJouleError:
            raise
        except TimeoutError as exc:
            raise ResponseTimeout(
                f"{self.device}: no answer when trying to {what} ({exc}); {CHECK}"
            ) from exc
        except Exception as exc:  # the binding raises RuntimeError with the jsdrv error code
            raise DeviceConnectionError(
                f"{self.device}: could not {what} ({exc}); {CHECK}"
            ) from exc

    def _driver_open(self) -> DriverLike:
        self._require_open("use")
        assert self._driver is not None
        return self._driver


def _same_serial(a: str, b: str) -> bool:
    a, b = a.strip().lower(), b.strip().lower()
    return a == b or (a.isdigit() and b.isdigit() and int(a) == int(b))


class Js220(Joulescope):
    """A JS220 only (``--monitor js220[:SERIAL]``)."""

    facts = _facts(
        "js220",
        "Joulescope JS220",
        (0x16D0, 0x10BA),
        "tinyjoule.host.sim.monitors.js220:SimulatedJs220Driver",
    )
    models = ("js220",)
    label = "JS220"


class Js110(Joulescope):
    """A JS110 only (``--monitor js110[:SERIAL]``)."""

    facts = _facts("js110", "Joulescope JS110", (0x16D0, 0x0E88), None)
    models = ("js110",)
    label = "JS110"
