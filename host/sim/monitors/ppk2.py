"""A simulated Nordic PPK2: its opcodes and sample stream, byte for byte, on a virtual clock.

``receive(data, now_s)`` takes host bytes at virtual time ``now_s``; ``output(until_s)``
returns everything sent by then: the metadata reply (due at once) and the 4-byte word of
every whole sample period ending by ``until_s``. It measures a board through the same
``AnalogFrontEnd`` as the simulated LPM01A.

Stream model (the decoder in ``tinyjoule.host.instruments.ppk2_decoder`` relies on it):

- Sample k covers ``[t0 + k/fs, t0 + (k+1)/fs)`` at fs = 100 kHz, t0 = when ``0x06``
  arrived. Its current is the exact charge of the period x fs plus seeded Gaussian noise
  (``noise_a``, A rms); 0 while the DUT is switched off (``0x0C 0``). ``target_powered`` is
  the ``0x0C`` switch in both modes (in ampere-meter mode the bench's external supply
  feeds the DUT through the PPK2) [tinyjoule assumption]. In source mode the regulator
  voltage (``0x0D``) is the board's supply (``set_supply``; the board's current does not
  change with it); in ampere mode the front end's voltage is left as it is.
- Auto-ranging [tinyjoule model of the firmware's switch points]: a sample is measured in
  the lowest range whose full scale (its top code) exceeds the current by 25 %; the range
  only drops to a lower one once the current is below half that range's full scale. The
  range is settled when streaming starts. The first sample in a new range reads the
  settling transient: the current plus ``TRANSIENT`` x the step from the previous sample
  (the spike the host's filter hides).
- The reading is the ADC code whose decoded current (``current_table`` of the metadata's
  calibration at the set source voltage) is nearest, clipped to the range's codes.
- Logic byte: D0-D7, the timestamp pin on ``pin_channel`` (idle high), the other inputs
  ``other_logic``. A pin edge at t is seen from sample ``floor((t - t0) * fs)`` on, so the
  decoder's event index is the LPM01A simulator's (edge during sample k -> index k + 1).
- Counter: bits 18-23 count every sample the device produces, mod 64, from power-up (not
  reset by ``0x06``). ``inject_drop`` / ``inject_overrun`` withhold samples, leaving a
  counter gap; the PPK2 reports nothing else. ``inject_stop`` hangs it after a sample count
  (nothing more is sent, commands are ignored).

Instrument errors (``errors``, ``sim.instrument_errors``) act before ranging: the sample
clock runs at ``errors.rate(fs)`` (sample periods and logic edges follow it) and the
current read is ``gain x current + offset`` plus the noise; the metadata's calibration is
the firmware's own and does not know them.

The metadata reply imitates a real dump (spec 3.3); ``inject_calibration`` corrupts it as
users have seen: ``"missing"`` (only ``END``), ``"zero"`` (R0-R4 = 0), ``"erased"``
(every value ``-nan``), ``"absurd"`` (R0 = 3.1e27, O1 = -2.8e15, as in DevZone 92921).
Opcodes whose arguments are not documented are skipped as single bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tinyjoule.firmware_protocol.ppk2_protocol import (
    ADC_CODES,
    ADC_MULT,
    ARGUMENT_BYTES,
    RANGES,
    SAMPLE_RATE_HZ,
    SOURCE_MODE,
    Calibration,
    Op,
    calibration_from_metadata,
    current_table,
    decode_source_voltage,
    format_metadata,
    parse_metadata,
)
from tinyjoule.host.sim.analog import AnalogFrontEnd, set_supply
from tinyjoule.host.sim.monitors.base import SerialMonitorDevice

SIM_CALIBRATION = Calibration(
    r=(1015.2, 102.05, 10.31, 0.9624, 0.0521),
    gs=(0.0, 121.3, 19.87, 2.514, 0.0791),
    gi=(1.0, 0.9702, 0.9611, 0.9523, 0.9548),
    o=(31.25, 24.5, 19.75, 15.5, 41.0),
    s=(-1.1e-08, -6.2e-08, -5.07e-07, -4.95e-06, 0.002391),
    i=(4.1e-08, 3.52e-07, 5.9e-05, -0.000251, -0.007588),
    ug=(1.0,) * RANGES,
)
"""A plausible unit's calibration (the simulator's own; every value prints exactly).
The simulator measures with the values its metadata prints, as read back by the host."""
HARDWARE_ID = 54350
INITIAL_VDD_MV = 3300
UP_MARGIN = 1.25
DOWN_FRACTION = 0.5
TRANSIENT = 0.5
OVERRUN_DROP = 4000
"""Samples lost when ``inject_overrun`` fires (40 ms, a full buffer) [tinyjoule model];
the 6-bit counter shows 4000 mod 64 = 32 of them."""
RENDER_BLOCK = 1 << 15
CALIBRATION_FAULTS = ("missing", "zero", "erased", "absurd")


@dataclass(slots=True)
class _Acquisition:
    t0: float
    next_k: int = 0  # index of the next sample to render
    taken_k: int = 0  # what the host had taken at its last ``output`` call


@dataclass(slots=True)
class _Injections:
    drops: list[tuple[int, int]] = field(default_factory=list)
    stop_at: int | None = None


class SimulatedPpk2(SerialMonitorDevice):
    """The PPK2 firmware over a virtual clock; see the module docstring."""

    stale_start = b"\x06"  # average start
    simulates_errors = True

    def __init__(
        self,
        front_end: AnalogFrontEnd,
        *,
        noise_a: float = 0.0,
        seed: int = 0,
        calibration: Calibration = SIM_CALIBRATION,
        pin_channel: int = 0,
        other_logic: int = 0,
    ) -> None:
        if not 0 <= pin_channel <= 7:
            raise ValueError(f"pin_channel must be 0-7 (D0-D7), not {pin_channel}")
        super().__init__(front_end, noise_a=noise_a, seed=seed)
        self.calibration_fault: str | None = None
        self.mode = SOURCE_MODE
        self.vdd_mv = INITIAL_VDD_MV
        self.calibration = calibration
        self.calibration = calibration_from_metadata(parse_metadata(self.metadata()))
        self.pin_channel = pin_channel
        self.other_logic = other_logic & ~(1 << pin_channel) & 0xFF
        self.commands_received: list[bytes] = []
        self.skipped_bytes = 0
        self.dut_power = False
        self._counter = 0
        self._range = 0
        self._last_current = 0.0
        self._level = 1
        self._acq: _Acquisition | None = None
        self._inject = _Injections()
        self._inbuf = b""
        self._queue: list[bytes] = []
        self._set_table()

    # -- what the bench reads -------------------------------------------------------------
    @property
    def acquiring(self) -> bool:
        return self._acq is not None

    @property
    def target_powered(self) -> bool:
        return self.dut_power

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
        """Host bytes arriving at ``now_s``; the stream is rendered up to then first."""
        self._render(now_s)
        if self.hung:
            return
        self._inbuf += bytes(data)
        while self._inbuf:
            op = self._inbuf[0]
            size = ARGUMENT_BYTES.get(op)
            if size is None:
                self.skipped_bytes += 1
                self._inbuf = self._inbuf[1:]
                continue
            if len(self._inbuf) < 1 + size:
                return
            command, self._inbuf = self._inbuf[: 1 + size], self._inbuf[1 + size :]
            self.commands_received.append(command)
            self._command(command, now_s)

    def output(self, until_s: float, max_bytes: int | None = None) -> bytes:
        """Everything sent by ``until_s`` (about ``max_bytes`` of the stream at most; the rest
        comes with the next call)."""
        self._render(until_s, max_bytes)
        if self._acq is not None:
            self._acq.taken_k = self._acq.next_k
        out = b"".join(self._queue)
        self._queue.clear()
        return out

    def inject_drop(self, after_samples: int, count: int) -> None:
        """Withhold the samples with index ``after_samples`` ... ``+ count - 1`` of the running
        or next acquisition (forgotten when it stops)."""
        self._inject.drops.append((after_samples, after_samples + count))

    def inject_overrun(self, after_samples: int) -> None:
        """A full device buffer: ``OVERRUN_DROP`` samples lost after ``after_samples``."""
        self.inject_drop(after_samples, OVERRUN_DROP)

    def inject_stop(self, after_samples: int) -> None:
        """Hang once ``after_samples`` samples are out: nothing more, commands ignored."""
        self._inject.stop_at = after_samples

    def inject_calibration(self, kind: str | None) -> None:
        """Corrupt the metadata reply: one of ``CALIBRATION_FAULTS``, or None to repair it."""
        if kind is not None and kind not in CALIBRATION_FAULTS:
            raise ValueError(f"calibration fault must be one of {CALIBRATION_FAULTS}")
        self.calibration_fault = kind

    def metadata(self) -> bytes:
        """The reply to ``0x19``, with any injected calibration fault."""
        if self.calibration_fault == "missing":
            return b"END\n"
        values: dict[str, object] = {"Calibrated": 0}
        cal = self.calibration.as_metadata()
        for name in ("R", "GS", "GI", "O"):
            values.update({f"{name}{r}": f"{cal[f'{name}{r}']:.4f}" for r in range(RANGES)})
        values.update({"VDD": self.vdd_mv, "HW": HARDWARE_ID, "mode": self.mode})
        for name, digits in (("S", 9), ("I", 9), ("UG", 2)):
            values.update({f"{name}{r}": f"{cal[f'{name}{r}']:.{digits}f}" for r in range(RANGES)})
        values["IA"] = 58
        if self.calibration_fault == "zero":
            values.update({f"R{r}": "0.0000" for r in range(RANGES)})
        elif self.calibration_fault == "erased":
            values.update({k: "-nan" for k in cal})
        elif self.calibration_fault == "absurd":
            values.update({"R0": "3095044895830869060112875520.0000", "R1": "0.0000"})
            values.update({"O1": "-2814926129201152.0000"})
        return format_metadata(values)

    # -- commands ---------------------------------------------------------------------------
    def _command(self, command: bytes, now_s: float) -> None:
        op, args = command[0], command[1:]
        if op == Op.AVERAGE_START and self._acq is None:
            self._acq = _Acquisition(now_s)
            self._level = self._pin_level(now_s)
        elif op == Op.AVERAGE_STOP and self._acq is not None:
            self._acq = None
            self._inject = _Injections()  # injections count samples of one acquisition
        elif op == Op.DEVICE_RUNNING_SET:
            self.dut_power = args[0] == 1
        elif op == Op.REGULATOR_SET:
            self.vdd_mv = decode_source_voltage(args[0], args[1])
            self._set_table()
            self._supply_board()
        elif op == Op.SET_POWER_MODE and args[0] in (1, 2):
            self.mode = args[0]
            self._supply_board()
        elif op == Op.GET_META_DATA:
            self._queue.append(self.metadata())

    def _supply_board(self) -> None:
        """In source mode the PPK2 powers the board at ``vdd_mv``; in ampere mode the bench's
        external supply does, and its voltage is left alone."""
        if self.mode == SOURCE_MODE:
            set_supply(self.front_end, self.vdd_mv / 1000)

    # -- the stream -------------------------------------------------------------------------
    def _set_table(self) -> None:
        """Decoded currents, nearest-code bounds and range thresholds at the set voltage."""
        self._table = current_table(self.calibration, self.vdd_mv)
        inner = (self._table[:, 1:] + self._table[:, :-1]) / 2
        edge = np.full((RANGES, 1), np.inf)
        self._midpoints = np.hstack([-edge, inner, edge])
        full_scale = self._table[:, -1]
        self._up = full_scale / UP_MARGIN
        self._down = full_scale * DOWN_FRACTION

    def _pin_level(self, t: float) -> int:
        """The timestamp pin's level at ``t`` (idle high)."""
        falling = self.front_end.falling_edges_s(0.0, t)
        rising = self.front_end.rising_edges_s(0.0, t)
        if not falling:
            return 1
        return 1 if rising and rising[-1] > falling[-1] else 0

    def _render(self, until_s: float, max_bytes: int | None = None) -> None:
        acq = self._acq
        if acq is None or until_s < acq.t0:
            return
        k_end = math.floor((until_s - acq.t0) * self.errors.rate(SAMPLE_RATE_HZ) + 1e-9)
        if max_bytes is not None:
            k_end = min(k_end, acq.next_k + max(1, max_bytes // 4))
        if self._inject.stop_at is not None:
            k_end = min(k_end, self._inject.stop_at)
        while k_end > acq.next_k:  # in cache-sized blocks
            k1 = min(k_end, acq.next_k + RENDER_BLOCK)
            words = self._words(acq, acq.next_k, k1)
            self._counter = (self._counter + k1 - acq.next_k) % 64
            self._queue.append(self._withhold(words, acq.next_k, k1).tobytes())
            acq.next_k = k1

    def _words(self, acq: _Acquisition, k0: int, k1: int) -> np.ndarray:
        n = k1 - k0
        fs = self.errors.rate(SAMPLE_RATE_HZ)
        current = self.front_end.charge_per_period_c(acq.t0, fs, k0, n) * fs
        self.errors.read(current)
        self.add_noise(current)
        if not self.target_powered:
            current = np.zeros(n)
        if k0 == 0 and n:  # ranging ran before streaming: the first sample's range is settled
            self._range = min(int(np.searchsorted(self._up, abs(current[0]))), RANGES - 1)
            self._last_current = float(current[0])
        range_before = self._range
        ranges = self._auto_range(current)
        reading = self._transients(current, ranges, range_before)
        codes = self._codes(reading, ranges)
        logic = self._logic(acq, k0, k1)
        counter = (self._counter + np.arange(n, dtype=np.int64)) % 64
        words = codes | (ranges << 14) | (counter << 18) | (logic << 24)
        return words.astype("<u4")

    def _auto_range(self, current: np.ndarray) -> np.ndarray:
        """Ranges with hysteresis: up to the lowest range that fits with margin, down only
        once the current fits comfortably in the lower range."""
        n = len(current)
        magnitude = np.abs(current)
        r = self._range
        if n and magnitude.max() <= self._up[r] and (r == 0 or magnitude.min() > self._down[r - 1]):
            return np.full(n, r, np.int64)  # the usual case: no sample leaves the range
        lowest = np.minimum(np.searchsorted(self._up, magnitude), RANGES - 1)
        down_to = np.minimum(np.searchsorted(self._down, magnitude), RANGES - 1)
        down_to = np.maximum(down_to, lowest)
        breaks = np.flatnonzero((lowest[1:] != lowest[:-1]) | (down_to[1:] != down_to[:-1])) + 1
        ranges = np.empty(n, np.int64)
        starts = [0, *breaks.tolist()]
        ends = [*breaks.tolist(), n]
        for s, e in zip(starts, ends, strict=True):
            r = min(max(r, int(lowest[s])), int(down_to[s]))
            ranges[s:e] = r
        if n:
            self._range = int(ranges[-1])
        return ranges

    def _transients(self, current: np.ndarray, ranges: np.ndarray, range_before: int) -> np.ndarray:
        """Readings: the current, with the settling spike on every first sample in a range."""
        if not len(current):
            return current
        previous_range = np.concatenate([[range_before], ranges[:-1]])
        previous_current = np.concatenate([[self._last_current], current[:-1]])
        switched = ranges != previous_range
        self._last_current = float(current[-1])
        if not switched.any():
            return current
        return np.where(switched, current + TRANSIENT * (current - previous_current), current)

    def _codes(self, reading: np.ndarray, ranges: np.ndarray) -> np.ndarray:
        """The ADC code whose current is nearest each reading in its range (clipped to the
        range's codes): the formula inverted, then settled on the table's midpoints."""
        if len(reading) and bool((ranges == ranges[0]).all()):
            return self._codes_in(int(ranges[0]), reading)
        codes = np.empty(len(reading), np.int64)
        for r in np.unique(ranges).tolist():
            mask = ranges == r
            codes[mask] = self._codes_in(r, reading[mask])
        return codes

    def _codes_in(self, r: int, reading: np.ndarray) -> np.ndarray:
        c = self.calibration
        target = reading / c.ug[r] - (c.s[r] * self.vdd_mv / 1000 + c.i[r])
        if c.gs[r]:
            root = np.sqrt(np.maximum(c.gi[r] ** 2 + 4 * c.gs[r] * target, 0.0))
            x = (root - c.gi[r]) / (2 * c.gs[r])
        else:
            x = target / c.gi[r]
        estimate = np.rint((x * c.r[r] / ADC_MULT + c.o[r]) / 4)
        code = np.clip(estimate, 0, ADC_CODES - 1).astype(np.int64)
        bounds = self._midpoints[r]  # bounds[k], bounds[k + 1]: where code k is nearest
        code += reading >= bounds[code + 1]
        code -= reading < bounds[code]
        return np.clip(code, 0, ADC_CODES - 1)

    def _logic(self, acq: _Acquisition, k0: int, k1: int) -> np.ndarray:
        """The logic byte of samples k0 ... k1 - 1: the pin level after every edge seen by
        then, plus the other inputs."""
        fs = self.errors.rate(SAMPLE_RATE_HZ)
        start, end = acq.t0 + k0 / fs, acq.t0 + k1 / fs
        edges = [(t, 0) for t in self.front_end.falling_edges_s(start, end)]
        edges += [(t, 1) for t in self.front_end.rising_edges_s(start, end)]
        level = np.full(k1 - k0, self._level, np.int64)
        for t, new in sorted(edges):
            k = min(max(math.floor((t - acq.t0) * fs + 1e-9), k0), k1 - 1)
            level[k - k0 :] = new
            self._level = new
        return (level << self.pin_channel) | self.other_logic

    def _withhold(self, words: np.ndarray, k0: int, k1: int) -> np.ndarray:
        if not self._inject.drops:
            return words
        keep = np.ones(k1 - k0, bool)
        for first, end in self._inject.drops:
            lo, hi = max(first, k0), min(end, k1)
            if lo < hi:
                keep[lo - k0 : hi - k0] = False
        return words[keep]
