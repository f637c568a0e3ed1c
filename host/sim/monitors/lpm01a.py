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
  ``trigdelay`` when ``pwr auto`` powers the target at start). Current output = charge over
  the period × fs, plus seeded Gaussian noise (``noise_a``, A rms; set it at construction or
  as an attribute); energy output = ``front_end.supply_voltage_v()`` × that current / fs,
  in J. ``volt`` sets that supply (``set_supply``: the LPM01A powers the board), so the
  board runs at the voltage the host configured. Readings are 0 while the target is
  unpowered (``pwr off``). Values are quantised as the format carries them: 4 significant
  digits (ascii_dec), 12-bit mantissa (bin_hexa); negative readings clip to 0 (neither
  format has a sign for the mantissa).
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
  forces the overrun error record. bin_hexa streams start with an 0xF7 voltage frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from tinyjoule.firmware_protocol import lpm01a_commands as commands
from tinyjoule.host.sim.monitors.base import SerialMonitorDevice

FIRMWARE_VERSION = "1.0.7"
BOARD_ID = "3932216-1412969234-2031668"
MAX_COMMAND_BYTES = 256
OVERRUN_TEXT = "error: buffer overrun, acquisition stopped"
_END_TEXT = b"\r\nPowerShield > Acquisition completed\r\n\r\n"
_BIN_END = b"\xf0\xf4\xff\xff"


class AnalogFrontEnd(Protocol):
    """What the instrument measures: the bench's DUT supply current and timestamp pin.

    A front end may also have ``set_supply_voltage_v(volts)`` (the bench's ``BoardFrontEnd``
    does): a monitor that powers the board calls it when its output voltage is set."""

    def supply_voltage_v(self) -> float: ...

    def charge_c(self, start_s: float, end_s: float) -> float: ...

    def charge_per_period_c(self, t0: float, fs: float, k0: int, n: int) -> np.ndarray: ...

    def falling_edges_s(self, start_s: float, end_s: float) -> list[float]: ...

    def rising_edges_s(self, start_s: float, end_s: float) -> list[float]: ...


def set_supply(front_end: object, voltage_v: float) -> None:
    """The monitor now supplies the board at ``voltage_v``: tell the front end, if it can be
    told (test fakes may have a fixed voltage). Only the voltage follows: the board still
    draws the profile's amperes at any voltage [tinyjoule simplification; a real board's
    current changes with its supply], so energy scales with the voltage set."""
    setter = getattr(front_end, "set_supply_voltage_v", None)
    if setter is not None:
        setter(voltage_v)


# -- the two sample formats, device side ----------------------------------------------------
def quantise_ascii(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mantissa 1000-9999 or 0, exponent -99..99) with value ≈ mantissa × 10^exponent."""
    v = np.clip(np.asarray(values, np.float64), 0.0, None)
    positive = v >= 1e-96
    safe = np.where(positive, v, 1.0)
    exponent = np.floor(np.log10(safe)).astype(np.int64) - 3
    for _ in range(2):
        mantissa = np.rint(_scale10(safe, -exponent))
        exponent = np.where(mantissa >= 10000, exponent + 1, exponent)
        exponent = np.where(mantissa < 1000, exponent - 1, exponent)
    mantissa = np.rint(_scale10(safe, -exponent))
    big = mantissa >= 10000
    mantissa = np.where(big, 1000, mantissa)
    exponent = np.where(big, exponent + 1, exponent)
    exponent = np.clip(exponent, -99, 99)
    return np.where(positive, mantissa, 0).astype(np.int64), np.where(positive, exponent, 0)


def _scale10(v: np.ndarray, power: np.ndarray) -> np.ndarray:
    magnitude = 10.0 ** np.abs(power).astype(np.float64)
    return np.where(power >= 0, v * magnitude, v / magnitude)


def ascii_records(values: np.ndarray) -> np.ndarray:
    """``dddd±dd\\r\\n`` for every value, as an (n, 9) uint8 array."""
    mantissa, exponent = quantise_ascii(values)
    out = np.empty((len(mantissa), 9), np.uint8)
    for col, div in enumerate((1000, 100, 10, 1)):
        out[:, col] = mantissa // div % 10 + 48
    out[:, 4] = np.where(exponent < 0, 45, 43)
    magnitude = np.abs(exponent)
    out[:, 5] = magnitude // 10 + 48
    out[:, 6] = magnitude % 10 + 48
    out[:, 7] = 13
    out[:, 8] = 10
    return out


def bin_words(values: np.ndarray) -> np.ndarray:
    """The 16-bit word (as an integer) for every value: the largest exponent 0-14 that keeps
    the rounded mantissa within 12 bits; values beyond 4095 saturate."""
    v = np.clip(np.asarray(values, np.float64), 0.0, 4095.0)
    safe = np.where(v > 0, v, 1.0)
    exponent = np.clip(np.floor(np.log(4095.5 / safe) / np.log(16.0)), 0, 14).astype(np.int64)
    for _ in range(2):
        mantissa = np.rint(safe * 16.0**exponent)
        exponent = np.where((mantissa > 4095) & (exponent > 0), exponent - 1, exponent)
        up = np.minimum(exponent + 1, 14)
        fits = (np.rint(safe * 16.0**up) <= 4095) & (exponent < 14)
        exponent = np.where(fits, up, exponent)
    mantissa = np.minimum(np.rint(safe * 16.0**exponent), 4095).astype(np.int64)
    return np.where(v > 0, (exponent << 12) | mantissa, 0)


def bin_records(values: np.ndarray) -> np.ndarray:
    """Big-endian sample words for every value, as an (n, 2) uint8 array."""
    return bin_words(values).astype(">u2").view(np.uint8).reshape(-1, 2)


def _frame(kind: int, payload: bytes = b"") -> bytes:
    return bytes((0xF0, kind)) + payload + b"\xff\xff"


# -- device state ---------------------------------------------------------------------------
@dataclass(slots=True)
class DeviceSettings:
    """The firmware's acquisition settings (power-up defaults, spec 1.3)."""

    voltage_mv: int = 3300
    freq_hz: int = 100
    acqtime_s: float = 10.0  # 0: endless
    acqmode: str = "dyn"
    funcmode: str = "optim"
    output: str = "current"
    stream_format: str = "ascii_dec"
    trigsrc: str = "sw"
    trigdelay_s: float = 1e-3
    eventsrc: str | None = None  # "fal" or "ris" once ``eventsrc d7 ...`` was sent
    currthres_a: float = 1e-3
    pwr: str = "auto"
    pwrend: str = "on"


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


class SimulatedLpm01a(SerialMonitorDevice):
    """The PowerShield firmware over a virtual clock; see the module docstring."""

    stale_start = b"htc\nfreq 1k\noutput energy\nacqtime 0\nstart\n"

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
        self._rng = np.random.default_rng(self.seed)
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
    def voltage_v(self) -> float:
        return self.settings.voltage_mv / 1000.0

    @property
    def target_powered(self) -> bool:
        if self.settings.pwr == "auto":
            return self._auto_powered
        return self.settings.pwr == "on"

    def receive(self, data: bytes, now_s: float) -> None:
        """Host bytes arriving at ``now_s``; replies are queued for ``output``."""
        self._render(now_s)
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

    # -- commands ---------------------------------------------------------------------------
    def _reply(self, line: str) -> None:
        self._queue.append(
            b"\r\n" + commands.PROMPT.encode() + line.encode("latin-1") + b"\r\n\r\n"
        )

    def _ack(self, text: str, value: str | None = None) -> None:
        self._reply(f"ack {text}" + (f" {value}" if value else ""))

    def _error(self, text: str, detail: str) -> None:
        self._queue.append(b"\r\n" + commands.PROMPT.encode() + f"error {text}\r\n".encode())
        self._reply(f"Error detail: {detail}")

    def _command(self, text: str, now_s: float) -> None:
        name, _, rest = text.partition(" ")
        args = rest.split()
        handler = getattr(self, f"_cmd_{name}", None)
        if name == "currthre":
            handler = self._cmd_currthres
        if handler is None:
            self._error(text, "command not recognized, send 'help' for the list")
            return
        if self._acq is not None and name not in ("stop", "pwr", "targrst", "status", "echo"):
            self._error(text, "acquisition in progress, send 'stop' first")
            return
        try:
            handler(text, args, now_s)
        except ValueError as exc:
            self._error(text, str(exc))

    def _choice(self, args: list[str], allowed: tuple[str, ...]) -> str:
        if len(args) != 1 or args[0] not in allowed:
            raise ValueError(f"argument must be one of {{{', '.join(allowed)}}}")
        return args[0]

    def _number(self, args: list[str], low: float, high: float, zero_ok: bool = False) -> float:
        if len(args) != 1:
            raise ValueError("one numerical argument expected")
        value = commands.parse_number(args[0])
        if (zero_ok and value == 0) or low - 1e-12 <= value <= high + 1e-12:
            return value
        raise ValueError(f"value out of range [{commands.format_number(low)}; "
                         f"{commands.format_number(high)}]")  # fmt: skip

    def _cmd_help(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text)
        self._queue.append((" ".join(sorted(commands.COMMANDS)) + "\r\n").encode())

    def _cmd_echo(self, text: str, args: list[str], now_s: float) -> None:
        self._reply(text)

    def _cmd_powershield(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text, self.board_id)

    def _cmd_version(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text, self.firmware_version)

    def _cmd_range(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text, "100n 10m" if self.settings.acqmode == "dyn" else "2n 200m")

    def _cmd_status(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text, "ok")

    def _cmd_htc(self, text: str, args: list[str], now_s: float) -> None:
        self.host_controlled = True
        self._ack(text)

    def _cmd_hrc(self, text: str, args: list[str], now_s: float) -> None:
        self.host_controlled = False
        self._ack(text)

    def _cmd_lcd(self, text: str, args: list[str], now_s: float) -> None:
        line, _, quoted = text[4:].partition(" ")
        if not self.host_controlled:
            raise ValueError("LCD available only when controlled by host, send 'htc' first")
        if line not in ("1", "2"):
            raise ValueError("LCD line must be 1 or 2")
        if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"' or len(quoted) > 18:
            raise ValueError("string must be surrounded by double quotes, 16 characters max")
        self.lcd[int(line) - 1] = quoted[1:-1]
        self._ack(text)

    def _cmd_psrst(self, text: str, args: list[str], now_s: float) -> None:
        self._reset()

    def _cmd_volt(self, text: str, args: list[str], now_s: float) -> None:
        if args == ["get"]:
            self._ack(text, f"{self.settings.voltage_mv}m")
            return
        volts = self._number(args, commands.MIN_VOLTAGE_V, commands.MAX_VOLTAGE_V)
        self.settings.voltage_mv = round(volts * 1000)
        set_supply(self.front_end, self.voltage_v)
        self._ack(text)

    def _cmd_freq(self, text: str, args: list[str], now_s: float) -> None:
        value = commands.parse_number(args[0]) if len(args) == 1 else -1.0
        if value not in commands.FREQ_TOKENS:
            raise ValueError(f"value must be among {{{', '.join(commands.FREQ_TOKENS.values())}}}")
        self.settings.freq_hz = int(value)
        self._ack(text)

    def _cmd_acqtime(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.acqtime_s = 0.0 if args == ["inf"] else self._number(args, 100e-6, 100, True)
        self._ack(text)

    def _cmd_acqmode(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.acqmode = self._choice(args, ("dyn", "stat"))
        self._ack(text)

    def _cmd_funcmode(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.funcmode = self._choice(args, ("optim", "high"))
        self._ack(text)

    def _cmd_output(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.output = self._choice(args, commands.OUTPUTS)
        self._ack(text)

    def _cmd_format(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.stream_format = self._choice(args, commands.STREAM_FORMATS)
        self._ack(text)

    def _cmd_trigsrc(self, text: str, args: list[str], now_s: float) -> None:
        if self._choice(args, ("sw", "d7")) == "d7":
            raise ValueError("tinyjoule simulator: trigger on D7 is not simulated, use 'sw'")
        self.settings.trigsrc = "sw"
        self._ack(text)

    def _cmd_trigdelay(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.trigdelay_s = self._number(args, 0, 30)
        self._ack(text)

    def _cmd_currthres(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.currthres_a = self._number(args, 100e-9, 50e-3, zero_ok=True)
        self._ack(text)

    def _cmd_eventsrc(self, text: str, args: list[str], now_s: float) -> None:
        if len(args) != 2 or args[0] != "d7" or args[1] not in ("fal", "ris"):
            raise ValueError("arguments must be 'd7' then one of {fal, ris}")
        self.settings.eventsrc = args[1]
        self._ack(text)

    def _cmd_pwr(self, text: str, args: list[str], now_s: float) -> None:
        if args[:1] == ["get"] and len(args) == 1:
            self._ack(text, "on" if self.target_powered else "off")
            return
        if (
            not args
            or args[0] not in ("auto", "on", "off")
            or args[1:] not in ([], ["nostatus"], ["status"])
        ):
            raise ValueError(
                "arguments must be one of {auto, on, off, get} then {nostatus, status}"
            )
        self.settings.pwr = args[0]
        self._ack(text)

    def _cmd_pwrend(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.pwrend = self._choice(args, ("on", "off"))
        self._ack(text)

    def _cmd_targrst(self, text: str, args: list[str], now_s: float) -> None:
        self._number(args, 10e-3, 1, zero_ok=True)
        self._ack(text)

    def _cmd_temp(self, text: str, args: list[str], now_s: float) -> None:
        unit = self._choice(args or ["degc"], ("degc", "degf"))
        self._ack(text, "25.0" if unit == "degc" else "77.0")

    def _cmd_autotest(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text, "ok")

    def _cmd_calib(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text)

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
        k_end = math.floor((until_s - acq.t0) * acq.fs + 1e-9)
        if max_bytes is not None:
            per_sample = 9 if acq.stream_format == "ascii_dec" else 2
            k_end = min(k_end, acq.next_k + max(1, max_bytes // per_sample))
        if acq.total is not None:
            k_end = min(k_end, acq.total)
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

    def _samples(self, acq: _Acquisition, k0: int, k1: int) -> bytes:
        n = k1 - k0
        current = self.front_end.charge_per_period_c(acq.t0, acq.fs, k0, n) * acq.fs
        if self.noise_a:
            current = current + self._rng.normal(0.0, self.noise_a, n)
        if not self.target_powered:
            current = np.zeros(n)
        values = current
        if acq.output == "energy":
            values = current * (self.front_end.supply_voltage_v() / acq.fs)
        if acq.stream_format == "ascii_dec":
            size, data = 9, ascii_records(values).tobytes()
        else:
            size, data = 2, bin_records(values).tobytes()
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
            start, end = acq.t0 + k0 / acq.fs, acq.t0 + k1 / acq.fs
            for t in sorted(edges_of(start, end)):
                k = min(max(math.floor((t - acq.t0) * acq.fs + 1e-9) + 1, k0 + 1), k1)
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
