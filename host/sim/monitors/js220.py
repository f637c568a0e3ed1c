"""A simulated Joulescope JS220: a stand-in for ``pyjoulescope_driver.Driver`` on the bench.

It has the methods tinyjoule's Joulescope driver uses (``device_paths``, ``open``, ``close``,
``publish``, ``query``, ``subscribe``, ``unsubscribe``, ``finalize``), with the vendor
binding's errors (RuntimeError "jsdrv_publish failed 5 | topic"), and measures a board through
an ``AnalogFrontEnd`` on the bench's virtual clock ``now_s``. While a signal is on
(``s/i/ctrl`` = 1 ...), its thread, and ``catch_up()``, which the simulated bench calls before
each host write (everything seen before the host acts reaches it first, as a USB link does in
milliseconds), hand the subscribers every whole sample up to ``now_s()`` as the real driver's
messages: ``sample_id`` at the 2 MHz base rate (from an arbitrary device
count), ``sample_rate`` 2 MHz, ``decimate_factor`` 2 MHz / ``h/fs`` for current and voltage
(float32 ``data``), and GPI bits at the full 2 MHz (``decimate_factor`` 1, as the JS220 sends
them unless on-instrument GPI downsampling is set), packed 8 per byte LSB first.

Current sample n is the exact mean current over base samples [n·D, (n+1)·D) plus seeded
Gaussian noise; voltage is ``front_end.supply_voltage_v()`` plus noise: the JS220 measures the
board's supply, it does not provide it. The timestamp pin idles high and is wired to GPI
``pin_channel``; a bit shows the pin's level at its base sample. ``inject_gap`` withholds
samples on every signal, as a USB drop does, so the next message's ``sample_id`` jumps; a
gap that never ends is an instrument that stopped streaming (``monitor_fault=stop@N``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.sim.analog import AnalogFrontEnd
from tinyjoule.host.sim.instrument_errors import NO_ERRORS, InstrumentErrors

BASE_RATE_HZ = 2_000_000
SAMPLE_ID_AT_ZERO = 7_340_032_123
"""The device's base-sample count at virtual time 0 (it has been on for a while)."""
FIRMWARE_VERSION = (1, 3, 2)
RATES_HZ = (2_000_000, 1_000_000, 500_000, 200_000, 100_000, 50_000, 20_000, 10_000, 5_000,
            2_000, 1_000, 500, 200, 100, 50, 20, 10, 5, 2, 1)  # fmt: skip
SIGNALS = {"s/i": (1, 0), "s/v": (2, 0), **{f"s/gpi/{n}": (5, n) for n in (0, 1, 2, 3, 7)}}
"""Simulated signals and their (field_id, index); others are refused."""
MESSAGE_SAMPLES = 4096  # float samples per message at most
MESSAGE_BYTES = 1 << 15  # GPI bytes per message at most (131 ms at 2 MHz)
MAX_STEP_BASE = 1 << 22  # base samples per delivery step (2.1 s; 512 kB of GPI bits)
STOP_GAP_SAMPLES = 1 << 50  # a gap no run outlasts: the instrument stopped (``stop``)
_TIME64_PER_S = 1 << 30
_ERR_PARAMETER_INVALID, _ERR_NOT_FOUND, _ERR_IN_USE, _ERR_CLOSED = 5, 16, 21, 22


Callback = Callable[[str, Any], None]


@dataclass(slots=True)
class _Port:
    """One enabled signal: ``next`` is the number of its next sample (output rate for i/v,
    bit for GPI); ``level`` is the GPI level before it, unknown after withheld bits
    (``after_gap``: the edges in a gap were not seen)."""

    subtopic: str
    decimate: int
    next: int
    level: int = 1
    after_gap: bool = False


def pack_levels(n_bits: int, level: int, steps: list[tuple[int, int]]) -> np.ndarray:
    """``n_bits`` (a multiple of 8) packed LSB first: ``level``, then each (bit, new level)."""
    out = np.full(n_bits // 8, 0xFF if level else 0, dtype=np.uint8)
    for bit, new in steps:
        byte, offset = divmod(bit, 8)
        high = (0xFF << offset) & 0xFF
        out[byte] = (int(out[byte]) | high) if new else (int(out[byte]) & ~high & 0xFF)
        out[byte + 1 :] = 0xFF if new else 0
    return out


class SimulatedJs220Driver:
    """The fake driver with one JS220 attached; thread-safe under ``lock``. On a bench its
    thread follows the bench's virtual ``clock`` (a reader of it); alone it polls real time."""

    serial = False  # the host's driver gets this object, not a port
    simulates_errors = True
    errors: InstrumentErrors = NO_ERRORS
    """Instrument errors (``sim.instrument_errors``): its 2 MS/s clock runs at
    ``errors.rate``; current readings are ``gain x current + offset`` plus the noise."""

    @classmethod
    def for_bench(cls, bench: Any) -> SimulatedJs220Driver:
        profile = bench.config.profile
        return cls(
            bench.front_end,
            bench.clock.now,
            noise_a=profile.current_noise_a,
            seed=profile.seed,
            lock=bench.lock,
            clock=bench.clock,
        )

    def apply_fault(self, fault: Any) -> None:
        if fault.kind == "stop":  # a gap that never ends: no sample, no GPI bit more
            self.inject_gap(fault.after_samples, STOP_GAP_SAMPLES)
            return
        if fault.kind != "drop":
            raise ConfigurationError(
                f"the simulated JS220 cannot simulate a {fault.kind!r} fault; only 'drop' and "
                "'stop' (and silent, stale, unplug, which it does not have: it is not a serial "
                "port)"
            )
        self.inject_gap(fault.after_samples, fault.count)

    def __init__(
        self,
        front_end: AnalogFrontEnd,
        now_s: Callable[[], float],
        *,
        serial_number: str = "004711",
        noise_a: float = 0.0,
        noise_v: float = 0.5e-3,
        seed: int = 1,
        pin_channel: int = 0,
        lock: threading.RLock | None = None,
        poll_s: float = 0.005,
        clock: Any = None,
    ) -> None:
        self.front_end = front_end
        self.now_s = now_s
        self.clock = clock
        self.serial_number = serial_number
        self.device_path = f"u/js220/{serial_number}"
        self.noise_a = noise_a
        self.noise_v = noise_v
        self.pin_channel = pin_channel
        self.poll_s = poll_s
        self.lock = lock if lock is not None else threading.RLock()
        self.is_open = False
        self.fs = 2_000_000
        self.values: dict[str, Any] = {}
        self.published: list[tuple[str, Any]] = []  # every accepted publish, for tests
        self.error: BaseException | None = None  # what stopped the thread, if anything
        self._rng = np.random.default_rng(seed)
        self._subscribers: list[tuple[str, Callback]] = []
        self._ports: dict[str, _Port] = {}
        self._gaps: list[tuple[int, int]] = []  # withheld i/v sample numbers after the start
        self._origin: int | None = None  # i/v sample number of the first sample streamed
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # -- pyjoulescope_driver.Driver ---------------------------------------------------------
    def device_paths(self, timeout: float | None = None) -> list[str]:
        return [self.device_path]

    def open(
        self, device_prefix: str, mode: str | None = None, timeout: float | None = None
    ) -> None:
        with self.lock:
            if device_prefix.rstrip("/") != self.device_path:
                raise RuntimeError(f"jsdrv_open failed {_ERR_NOT_FOUND} | {device_prefix}")
            if self.is_open:
                raise RuntimeError(f"jsdrv_open failed {_ERR_IN_USE} | {device_prefix}")
            self.is_open = True
            self.fs = 2_000_000
            self.values = {"s/i/range/mode": "auto", "c/gpio/vref": "external"}
            self._ports.clear()
            self._origin = None
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sim-js220", daemon=True)
            self._thread.start()

    def close(self, device_prefix: str, timeout: float | None = None) -> None:
        with self.lock:
            self._check(device_prefix, "jsdrv_close")
            self.is_open = False
            self._ports.clear()

    def publish(self, topic: str, value: Any, timeout: float | None = None) -> None:
        with self.lock:
            subtopic = self._check(topic, "jsdrv_publish")
            if subtopic.endswith("/ctrl") and subtopic[: -len("/ctrl")] in SIGNALS:
                self._ctrl(subtopic[: -len("/ctrl")], value in (1, True, "on", "1"))
            elif subtopic == "h/fs" and value in RATES_HZ:
                self.fs = int(value)
                for port in self._ports.values():
                    if not port.subtopic.startswith("s/gpi"):
                        port.decimate = BASE_RATE_HZ // self.fs
                        port.next = -(-self._sample_id_now() // port.decimate)
            elif (subtopic, value) in (
                *(("s/i/range/mode", v) for v in ("auto", "manual", "off")),
                *(("c/gpio/vref", v) for v in ("external", "3v3")),
            ):
                self.values[subtopic] = value
            else:
                raise RuntimeError(f"jsdrv_publish failed {_ERR_PARAMETER_INVALID} | {topic}")
            self.published.append((subtopic, value))

    def query(self, topic: str, timeout: float | None = None) -> Any:
        with self.lock:
            subtopic = self._check(topic, "jsdrv_query")
            if subtopic == "c/fw/version":
                major, minor, patch = FIRMWARE_VERSION
                return (major << 24) | (minor << 16) | patch
            if subtopic == "h/fs":
                return self.fs
            if subtopic in self.values:
                return self.values[subtopic]
            raise RuntimeError(f"jsdrv_query failed {_ERR_NOT_FOUND} | {topic}")

    def subscribe(self, topic: str, flags: Any, fn: Callback, timeout: float | None = None) -> None:
        with self.lock:
            self._subscribers.append((topic, fn))

    def unsubscribe(self, topic: str, fn: Callback, timeout: float | None = None) -> None:
        with self.lock:
            self._subscribers = [(t, f) for t, f in self._subscribers if (t, f) != (topic, fn)]

    def finalize(self, timeout: float | None = None) -> None:
        self._stop.set()
        if self.clock is not None:
            self.clock.wake_readers()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        with self.lock:
            self.is_open = False
            self._ports.clear()
            self._subscribers.clear()

    # -- the simulation ---------------------------------------------------------------------
    def inject_gap(self, after_samples: int, count: int) -> None:
        """Withhold current/voltage samples ``after_samples`` ... ``+ count - 1`` (counted
        from the first one streamed) and the GPI bits of the same time, on every signal."""
        with self.lock:
            self._gaps.append((after_samples, after_samples + count))

    def catch_up(self) -> None:
        """Deliver every whole sample up to ``now_s()`` to the subscribers, now: in steps of
        at most ``MAX_STEP_BASE`` base samples, each taken in by the bench's other readers
        (the host's pump) before the next is made, so a long stretch of virtual time (a
        20-minute stream) never sits in memory at once."""
        while self._catch_up_step():
            if self.clock is not None:
                thread = self._thread
                self.clock.wait_for_readers(besides=(thread.ident,) if thread else ())

    def _catch_up_step(self) -> bool:
        """One bounded step; True when samples up to now remain."""
        with self.lock:
            if not self.is_open or not self._ports:
                return False
            now_id = self._sample_id_now()
            first = min(p.next * p.decimate for p in self._ports.values())
            more = now_id > first + MAX_STEP_BASE
            now_id = min(now_id, first + MAX_STEP_BASE)
            messages: list[tuple[str, dict[str, Any]]] = []
            for port in self._ports.values():
                if port.subtopic.startswith("s/gpi"):
                    messages += self._gpi_messages(port, now_id)
                else:
                    messages += self._float_messages(port, now_id)
            for subtopic, value in messages:
                topic = f"{self.device_path}/{subtopic}/!data"
                for prefix, fn in list(self._subscribers):
                    if topic == prefix or topic.startswith(prefix.rstrip("/") + "/"):
                        fn(topic, value)
            return more

    def _run(self) -> None:
        if self.clock is None:
            while not self._stop.wait(self.poll_s):
                if not self._deliver():
                    return
            return
        with self.clock.reader():
            while not self._stop.is_set():
                if not self._deliver():
                    return
                self.clock.sleep(self.poll_s)

    def _deliver(self) -> bool:
        try:
            self.catch_up()
        except Exception as exc:  # a broken callback or front end: stop like an unplug
            self.error = exc
            with self.lock:
                self._ports.clear()
            return False
        return True

    @property
    def _base_hz(self) -> float:
        """The true rate of the 2 MS/s clock (its nominal rate with the time-base error)."""
        return self.errors.rate(BASE_RATE_HZ)

    def set_noise(self, noise_a: float, seed: int) -> None:
        self.noise_a = noise_a
        self._rng = np.random.default_rng(seed)

    def _check(self, topic: str, what: str) -> str:
        prefix = self.device_path + "/"
        if not topic.startswith(prefix) and topic.rstrip("/") != self.device_path:
            raise RuntimeError(f"{what} failed {_ERR_NOT_FOUND} | {topic}")
        if not self.is_open:
            raise RuntimeError(f"{what} failed {_ERR_CLOSED} | {topic}")
        return topic[len(prefix) :]

    def _sample_id_now(self) -> int:
        return SAMPLE_ID_AT_ZERO + math.floor(self.now_s() * self._base_hz + 1e-6)

    def _ctrl(self, signal: str, on: bool) -> None:
        if not on:
            self._ports.pop(signal, None)
            return
        if signal in self._ports:
            return
        now_id = self._sample_id_now()
        if signal.startswith("s/gpi"):
            port = _Port(signal, 1, now_id, self._level_at(now_id))
        else:
            decimate = BASE_RATE_HZ // min(self.fs, 1_000_000)
            port = _Port(signal, decimate, -(-now_id // decimate))
            if self._origin is None:
                self._origin = port.next
        self._ports[signal] = port

    def _level_at(self, sample_id: int) -> int:
        """The pin's level at ``sample_id`` (edges exactly then may be applied again)."""
        t = (sample_id - SAMPLE_ID_AT_ZERO) / self._base_hz
        fall = self.front_end.falling_edges_s(0.0, t)
        rise = self.front_end.rising_edges_s(0.0, t)
        if not fall and not rise:
            return 1
        return int(bool(rise) and (not fall or rise[-1] >= fall[-1]))

    def _withheld(self) -> list[tuple[int, int]]:
        """Withheld ranges in base sample ids."""
        if self._origin is None:
            return []
        d = BASE_RATE_HZ // min(self.fs, 1_000_000)
        return [((self._origin + a) * d, (self._origin + b) * d) for a, b in self._gaps]

    def _runs(self, first: int, end: int, decimate: int, step: int) -> list[tuple[int, int]]:
        """[first, end) in samples of ``decimate`` base ids without the withheld ones, as runs
        of whole ``step``s from ``first`` (a withheld range shrinks to whole steps)."""
        runs, start = [], first
        for a, b in sorted(self._withheld()):
            a, b = -(-a // decimate), b // decimate
            a, b = first + -(-(a - first) // step) * step, first + (b - first) // step * step
            if a >= b:
                continue
            if b <= start or a >= end:
                continue
            if a > start:
                runs.append((start, a))
            start = max(start, b)
        if start < end:
            runs.append((start, first + (end - first) // step * step))
        return [(a, b) for a, b in runs if b > a]

    def _header(self, port: _Port, sample_id: int) -> dict[str, Any]:
        field_id, index = SIGNALS[port.subtopic]
        return {
            "sample_id": sample_id,
            "utc": (sample_id - SAMPLE_ID_AT_ZERO) * _TIME64_PER_S // BASE_RATE_HZ,
            "field_id": field_id,
            "index": index,
            "sample_rate": BASE_RATE_HZ,
            "decimate_factor": port.decimate,
            "time_map": {
                "offset_time": 0,
                "offset_counter": SAMPLE_ID_AT_ZERO,
                "counter_rate": float(BASE_RATE_HZ),
            },
        }

    def _float_messages(self, port: _Port, now_id: int) -> list[tuple[str, dict[str, Any]]]:
        d = port.decimate
        end = now_id // d  # samples whose period has ended
        out = []
        for a, b in self._runs(port.next, end, d, 1):
            for n in range(a, b, MESSAGE_SAMPLES):
                count = min(MESSAGE_SAMPLES, b - n)
                fs = self._base_hz / d
                if port.subtopic == "s/i":
                    t0 = (n * d - SAMPLE_ID_AT_ZERO) / self._base_hz
                    values = self.front_end.charge_per_period_c(t0, fs, 0, count) * fs
                    self.errors.read(values)
                    noise = self.noise_a
                else:
                    values = np.full(count, self.front_end.supply_voltage_v())
                    noise = self.noise_v
                if noise:
                    values = values + self._rng.normal(0.0, noise, count)
                value = self._header(port, n * d)
                value["data"] = values.astype(np.float32)
                out.append((port.subtopic, value))
        port.next = max(port.next, end)
        return out

    def _gpi_messages(self, port: _Port, now_id: int) -> list[tuple[str, dict[str, Any]]]:
        end = now_id + 1  # bits up to and including the current base sample
        out = []
        wired = port.subtopic == f"s/gpi/{self.pin_channel}"
        runs = self._runs(port.next, end, 1, 8)
        consumed = port.next + (end - port.next) // 8 * 8  # whole bytes, withheld ones too
        for a, b in runs:
            if wired and (a != port.next or port.after_gap):  # the edges in a gap: unseen
                port.level = self._level_at(a)
                port.after_gap = False
            for first in range(a, b, MESSAGE_BYTES * 8):
                n_bits = min(MESSAGE_BYTES * 8, b - first)
                steps = self._pin_steps(port, first, first + n_bits) if wired else []
                value = self._header(port, first)
                value["data"] = pack_levels(n_bits, port.level if wired else 0, steps)
                if steps:
                    port.level = steps[-1][1]
                out.append((port.subtopic, value))
            port.next = b
        if consumed > port.next:  # bits withheld up to the end: taken, as a stopped instrument's
            port.next, port.after_gap = consumed, True
        return out

    def _pin_steps(self, port: _Port, first: int, end: int) -> list[tuple[int, int]]:
        """(bit offset, new level) for the pin edges shown first by bits [first, end)."""
        t_first = (first - 1 - SAMPLE_ID_AT_ZERO) / self._base_hz
        t_end = (end - SAMPLE_ID_AT_ZERO) / self._base_hz
        edges = [(t, 0) for t in self.front_end.falling_edges_s(t_first, t_end)]
        edges += [(t, 1) for t in self.front_end.rising_edges_s(t_first, t_end)]
        steps = []
        for t, level in sorted(edges):
            bit = SAMPLE_ID_AT_ZERO + math.ceil(t * self._base_hz - 1e-6)
            if first <= bit < end:
                steps.append((bit - first, level))
        return steps
