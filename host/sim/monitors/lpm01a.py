"""A simulated ST X-NUCLEO-LPM01A: the device side of the PowerShield protocol, byte for byte.

``receive(data, now_s)`` takes host bytes at virtual time ``now_s``; ``output(until_s)``
returns everything the device has sent by ``until_s``: command replies (due at once) and the
stream of every whole sample period ending by then, in wire order. It measures a board
through an ``AnalogFrontEnd`` (the bench's model of the DUT supply current and timestamp pin).

Replies follow captured real traffic (``\\r\\nPowerShield > ack htc\\r\\n\\r\\n``); ``stop``
during an acquisition answers ``PowerShield > Acquisition completed`` (after an 0xF4 frame
in bin_hexa) and no ``ack``, as the MLCommons runner observed. Rate limits (spec 1.6) are
checked at ``start`` [unverified: the firmware may check them at ``freq``/``format``].

Stream conventions (the decoders in ``tinyjoule.host.instruments`` rely on them):

- Sample k covers ``[t0 + k/fs, t0 + (k+1)/fs)``, t0 = the time ``start`` arrived (plus
  ``trigdelay`` when ``pwr auto`` powers the target at start). Current output = charge
  over the period × fs, plus seeded Gaussian noise (``noise_a``, A rms, ``add_noise``; set
  it at construction or as an attribute); energy output = ``front_end.supply_voltage_v()``
  × that current / fs, in J. ``volt`` sets that supply (``set_supply``: the LPM01A powers
  the board), so the board runs at the voltage the host configured. Readings are 0 while
  the target is unpowered (``pwr off``). Values are quantised as the format carries them:
  4 significant digits (ascii_dec), 12-bit mantissa (bin_hexa); negative readings clip to
  0 (neither format has a sign for the mantissa).
- An edge of the configured polarity at time t is reported by ``event NN ris`` (NN counts
  from 00; the word is always ``ris``, as the real firmware prints it) right after the sample
  whose period contains t, i.e. before sample ``k = floor((t - t0) * fs) + 1``. In bin_hexa
  the same text travels in an 0xF2 info frame [tinyjoule assumption, unverified].
- One ``TimeStamp: SSSs MMMms, buff NN%`` (bin_hexa: 0xF3 frame) before every sample whose
  true index is a multiple of fs, i.e. once per second; in ascii_dec a ``\\x00`` follows it
  (a quirk of the real board). ``buff`` models a device buffer of ``buffer_bytes`` filled by
  what the host has not yet taken with ``output``; None (default) reports 0 % and never
  overruns. A full buffer ends the acquisition with an overrun error record.
- ``inject_drop`` withholds samples while stamps keep the true count; ``inject_overrun``
  forces the overrun error record; ``inject_stop`` hangs the board after a sample count (no
  sample, record or reply more). bin_hexa streams start with an 0xF7 voltage frame.
- Instrument errors (``errors``, ``sim.instrument_errors``): the sample clock runs at
  ``errors.rate(fs)`` (sample k covers ``[t0 + k/rate, t0 + (k+1)/rate)``, events follow
  the same clock), every reading is ``gain x current + offset`` plus the noise, and energy
  output is that reading x V / fs with the nominal fs, as the instrument believes it.
  ``calib`` (self-calibration) acknowledges and changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tinyjoule.firmware_protocol import lpm01a_commands as commands
from tinyjoule.host.sim.analog import AnalogFrontEnd
from tinyjoule.host.sim.monitors.base import SerialMonitorDevice
from tinyjoule.host.sim.monitors.lpm01a_console import DeviceSettings, PowerShieldSettings
from tinyjoule.host.sim.monitors.lpm01a_formats import _frame, ascii_records, bin_records

FIRMWARE_VERSION = "1.0.7"
BOARD_ID = "SIM3932216-1412969234-2031668"
"""The board ID `powershield` reports; "SIM" says it is simulated (calibration records made
with it are marked simulated, even over a pseudo-terminal)."""
MAX_COMMAND_BYTES = 256
OVERRUN_TEXT = "error: buffer overrun, acquisition stopped"
_END_TEXT = b"\r\nPowerShield > Acquisition completed\r\n\r\n"
_BIN_END = b"\xf0\xf4\xff\xff"
RENDER_BLOCK = 1 << 16
"""Samples computed at a time: the temporaries stay in the CPU's cache."""


@dataclass(slots=True)
class _Acquisition:
    t0: float
    fs: int
    stream_format: str
    output: str
    edge: str | None
    total: int | None  # samples of a finite acquisition
    next_k: int = 0  # true index of the next sample to render
    taken_k: int = 0  # what the host had taken at its last ``output`` call
    events: int = 0


@dataclass(slots=True)
class _Injections:
    drops: list[tuple[int, int]] = field(default_factory=list)
    overrun_at: int | None = None
    stop_at: int | None = None


class SimulatedLpm01a(PowerShieldSettings, SerialMonitorDevice):
    """The PowerShield firmware over a virtual clock; see the module docstring."""

    stale_start = b"htc\nfreq 1k\noutput energy\nacqtime 0\nstart\n"
    simulates_errors = True

    def __init__(
        self,
        front_end: AnalogFrontEnd,
        *,
        noise_a: float = 0.0,
        seed: int = 0,
        buffer_bytes: int | None = None,
        firmware_version: str = FIRMWARE_VERSION,
        board_id: str = BOARD_ID,
        nul_after_timestamp: bool = True,
    ) -> None:
        super().__init__(front_end, noise_a=noise_a, seed=seed)
        self.buffer_bytes = buffer_bytes
        self.firmware_version = firmware_version
        self.board_id = board_id
        self.nul_after_timestamp = nul_after_timestamp
        self.commands_received: list[str] = []
        self._reset()

    def _reset(self) -> None:
        """The state after power-up (and after ``psrst``)."""
        self.settings = DeviceSettings()
        self.host_controlled = False
        self.lcd = ["", ""]
        self._acq: _Acquisition | None = None
        self._auto_powered = False
        self._inject = _Injections()
        self._inbuf = b""
        self._queue: list[bytes] = []

    # -- what the bench reads -------------------------------------------------------------
    @property
    def acquiring(self) -> bool:
        return self._acq is not None

    @property
    def samples_streamed(self) -> int:
        """Samples of the running acquisition already handed to the host."""
        return 0 if self._acq is None else self._acq.taken_k

    @property
    def hung(self) -> bool:
        """Stopped by ``inject_stop``: it sends nothing more and ignores commands."""
        stop, acq = self._inject.stop_at, self._acq
        return stop is not None and acq is not None and acq.next_k >= stop

    def receive(self, data: bytes, now_s: float) -> None:
        """Host bytes arriving at ``now_s``; replies are queued for ``output``."""
        self._render(now_s)
        if self.hung:
            return
        self._inbuf += bytes(data)
        while b"\n" in self._inbuf:
            line, self._inbuf = self._inbuf.split(b"\n", 1)
            text = " ".join(line.decode("latin-1").split())
            if text:
                self.commands_received.append(text)
                self._command(text, now_s)
        if len(self._inbuf) > MAX_COMMAND_BYTES:
            self._inbuf = b""

    def output(self, until_s: float, max_bytes: int | None = None) -> bytes:
        """Everything sent by ``until_s``: queued replies, then the stream of every whole
        sample period ending at or before ``until_s`` (about ``max_bytes`` of it at most;
        the rest comes with the next call)."""
        self._render(until_s, max_bytes)
        if self._acq is not None:
            self._acq.taken_k = self._acq.next_k
        out = b"".join(self._queue)
        self._queue.clear()
        return out

    def inject_drop(self, after_samples: int, count: int) -> None:
        """Withhold the samples with true index ``after_samples`` ... ``+ count - 1``."""
        self._inject.drops.append((after_samples, after_samples + count))

    def inject_overrun(self, after_samples: int) -> None:
        """End the acquisition with an overrun error record after ``after_samples`` samples."""
        self._inject.overrun_at = after_samples

    def inject_stop(self, after_samples: int) -> None:
        """Hang once ``after_samples`` samples are out: nothing more, not even replies."""
        self._inject.stop_at = after_samples

    def _cmd_start(self, text: str, args: list[str], now_s: float) -> None:
        s = self.settings
        self._check_rates(s)
        delay = s.trigdelay_s if s.pwr == "auto" else 0.0
        total = None if s.acqtime_s == 0 else max(1, round(s.acqtime_s * s.freq_hz))
        edge = s.eventsrc
        self._acq = _Acquisition(now_s + delay, s.freq_hz, s.stream_format, s.output, edge, total)
        self._auto_powered = True
        self._ack(text)
        if s.stream_format == "bin_hexa":
            self._queue.append(_frame(0xF7, s.voltage_mv.to_bytes(2, "big")))

    def _check_rates(self, s: DeviceSettings) -> None:
        token = commands.FREQ_TOKENS[s.freq_hz]
        if s.output == "energy" and s.freq_hz > commands.ENERGY_MAX_HZ:
            raise ValueError(f"output energy is limited to 10k, freq is {token}")
        if s.stream_format != "ascii_dec" or s.freq_hz <= commands.ASCII_ENDLESS_MAX_HZ:
            return
        limit = commands.ASCII_TIMED_MAX_S.get(s.freq_hz)
        if limit is None:
            raise ValueError(f"format ascii_dec is limited to 20k, freq is {token}; use bin_hexa")
        if s.acqtime_s == 0 or s.acqtime_s > limit:
            raise ValueError(
                f"acqtime max is {commands.format_number(limit)} with ascii_dec at {token}; "
                "use bin_hexa for an endless acquisition"
            )

    def _cmd_stop(self, text: str, args: list[str], now_s: float) -> None:
        if self._acq is None:
            self._ack(text)
        else:
            self._finish()

    # -- the stream -------------------------------------------------------------------------
    def _finish(self) -> None:
        acq = self._acq
        assert acq is not None
        if acq.stream_format == "bin_hexa":
            self._queue.append(_BIN_END)
        self._queue.append(_END_TEXT)
        self._end()

    def _end(self) -> None:
        self._acq = None
        self._auto_powered = self.settings.pwrend == "on"
        self._inject = _Injections()

    def _render(self, until_s: float, max_bytes: int | None = None) -> None:
        acq = self._acq
        if acq is None or until_s < acq.t0:
            return
        k_end = math.floor((until_s - acq.t0) * self.errors.rate(acq.fs) + 1e-9)
        if max_bytes is not None:
            per_sample = 9 if acq.stream_format == "ascii_dec" else 2
            k_end = min(k_end, acq.next_k + max(1, max_bytes // per_sample))
        if acq.total is not None:
            k_end = min(k_end, acq.total)
        if self._inject.stop_at is not None:
            k_end = min(k_end, self._inject.stop_at)
        overrun = self._overrun_index(acq)
        if overrun is not None:
            k_end = min(k_end, overrun)
        if k_end > acq.next_k:
            self._queue.append(self._samples(acq, acq.next_k, k_end))
            acq.next_k = k_end
        if overrun is not None and acq.next_k >= overrun:
            self._queue.append(self._text_record(acq, OVERRUN_TEXT, 0xF1))
            self._end()
        elif acq.total is not None and acq.next_k >= acq.total:
            self._finish()

    def _overrun_index(self, acq: _Acquisition) -> int | None:
        limits = [self._inject.overrun_at] if self._inject.overrun_at is not None else []
        if self.buffer_bytes is not None:
            per_sample = 9 if acq.stream_format == "ascii_dec" else 2
            limits.append(acq.taken_k + self.buffer_bytes // per_sample + 1)
        return min(limits) if limits else None

    def _values(self, acq: _Acquisition, k0: int, n: int) -> np.ndarray:
        """What samples k0 ... k0 + n - 1 read before encoding (A or J per period)."""
        if not self.target_powered:
            return np.zeros(n)
        rate = self.errors.rate(acq.fs)
        values = self.front_end.charge_per_period_c(acq.t0, rate, k0, n)
        values *= rate
        self.errors.read(values)
        self.add_noise(values)
        if acq.output == "energy":
            values *= self.front_end.supply_voltage_v() / acq.fs
        return values

    def _samples(self, acq: _Acquisition, k0: int, k1: int) -> bytes:
        n = k1 - k0
        size, encode = (9, ascii_records) if acq.stream_format == "ascii_dec" else (2, bin_records)
        encoded = np.empty((n, size), np.uint8)
        for a in range(0, n, RENDER_BLOCK):  # in cache-sized blocks
            b = min(n, a + RENDER_BLOCK)
            encoded[a:b] = encode(self._values(acq, k0 + a, b - a))
        data = memoryview(encoded).cast("B")
        inserts: dict[int, list[bytes]] = {}
        for k, record in self._records(acq, k0, k1):
            inserts.setdefault(k, []).append(record)
        cuts = set(inserts)
        for first, end in self._inject.drops:
            cuts.update(b for b in (first, end) if k0 < b < k1)
        out: list[bytes] = []
        previous = k0
        for cut in sorted(cuts | {k1}):
            if not any(first <= previous < end for first, end in self._inject.drops):
                out.append(data[(previous - k0) * size : (cut - k0) * size])
            out.extend(inserts.get(cut, ()))
            previous = cut
        return b"".join(out)

    def _records(self, acq: _Acquisition, k0: int, k1: int) -> list[tuple[int, bytes]]:
        """Events and stamps going before samples k0+1 ... k1, in stream order."""
        records: list[tuple[int, bytes]] = []
        if acq.edge is not None:
            edges_of = self.front_end.falling_edges_s
            if acq.edge == "ris":
                edges_of = self.front_end.rising_edges_s
            rate = self.errors.rate(acq.fs)
            start, end = acq.t0 + k0 / rate, acq.t0 + k1 / rate
            for t in sorted(edges_of(start, end)):
                k = min(max(math.floor((t - acq.t0) * rate + 1e-9) + 1, k0 + 1), k1)
                text = f"event {acq.events:02d} ris"
                acq.events += 1
                records.append((k, self._text_record(acq, text, 0xF2)))
        first_second = k0 // acq.fs + 1
        for k in range(first_second * acq.fs, k1 + 1, acq.fs):
            records.append((k, self._stamp(acq, k)))
        records.sort(key=lambda record: record[0])
        return records

    def _stamp(self, acq: _Acquisition, k: int) -> bytes:
        ms = k * 1000 // acq.fs
        percent = 0
        if self.buffer_bytes is not None:
            per_sample = 9 if acq.stream_format == "ascii_dec" else 2
            percent = min(100, (k - acq.taken_k) * per_sample * 100 // self.buffer_bytes)
        if acq.stream_format == "bin_hexa":
            return _frame(0xF3, ms.to_bytes(4, "big") + bytes((percent,)))
        line = f"TimeStamp: {ms // 1000:03d}s {ms % 1000:03d}ms, buff {percent:02d}%\r\n"
        return line.encode() + (b"\x00" if self.nul_after_timestamp else b"")

    def _text_record(self, acq: _Acquisition, text: str, kind: int) -> bytes:
        if acq.stream_format == "bin_hexa":
            return _frame(kind, text.encode())
        if kind == 0xF1:
            return b"\r\n" + commands.PROMPT.encode() + text.encode() + b"\r\n"
        return text.encode() + b"\r\n"
