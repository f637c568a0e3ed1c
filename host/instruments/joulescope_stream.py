"""Joulescope ``!data`` messages to stream items: current/voltage alignment, drops, GPI edges.

Every ``!data`` message of pyjoulescope_driver has ``sample_id`` (counted at the 2 MHz base
rate whatever the output rate), ``sample_rate`` (that base rate), ``decimate_factor`` D
(base samples per message sample) and ``data``: float32 for current (A) and voltage (V),
packed bits for a GPI (8 per byte, least significant bit first). Output sample
n = sample_id // D covers base samples [n·D, (n+1)·D), as ``pyjoulescope_driver.record``
counts them.

- Index 0 is the first output sample for which every needed signal arrived (current, and
  voltage for ``output="energy"``). Indices are true time: a gap in ``sample_id``, or a NaN
  the vendor driver put in place of a lost sample, becomes a ``SampleDrop`` at exactly those
  indices and the block carries 0 there, so later samples and events keep their place.
- ``output="energy"``: each sample is i·v/fs in J, with the voltage measured at that sample.
  ``output="current"``: amperes.
- A GPI edge is the first bit with the new level, at base sample s. It happened after base
  sample s-1, i.e. during output sample floor((s-1)/D), so its ``Event`` index is
  ceil(s/D) (the integrator's convention: an event at k means the edge lies in sample k-1).
  Edges before index 1 (before the acquisition) are dropped.
- A gap in the GPI stream is a drop as well (the pin was not watched). When the level differs
  across it, the edge is placed at the first bit after the gap, inside the dropped range.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tinyjoule.errors import MeasurementError
from tinyjoule.host.measurement.stream import Event, SampleBlock, SampleDrop, StreamItem

BASE_RATE_HZ = 2_000_000
"""The JS220/JS110 base rate: ``sample_id`` counts at it (``js220_usb.c``)."""
MAX_GAP_SAMPLES = 1 << 22
"""A longer jump in ``sample_id`` means the instrument restarted, not a USB hiccup."""
_LEDGER_SIZE = 1024


def bit_edges(
    data: np.ndarray, previous: int | None, first: int = 0
) -> tuple[np.ndarray, np.ndarray, int]:
    """Edges in packed LSB-first bits from bit ``first`` on: (positions of the first bit with
    the new level, whether it rose, the last bit). ``previous`` is the bit before ``first``
    (None: unknown, so no edge at ``first``). Only bytes that are not all equal to the bit
    before them are unpacked."""
    packed = np.asarray(data, dtype=np.uint8)
    if first:
        bits = np.unpackbits(packed, bitorder="little")[first:]
        last = int(bits[-1])
        if previous is not None:
            bits = np.concatenate(([previous], bits))
            positions = np.flatnonzero(bits[1:] != bits[:-1]) + first
            return positions, bits[1:][positions - first] == 1, last
        positions = np.flatnonzero(bits[1:] != bits[:-1]) + 1
        return positions + first, bits[positions] == 1, last
    before = np.empty(len(packed), dtype=np.uint8)
    before[0] = packed[0] & 1 if previous is None else previous
    before[1:] = packed[:-1] >> 7
    changed = np.flatnonzero(packed != before * np.uint8(0xFF))  # bytes that are not all `before`
    last = int(packed[-1] >> 7)
    if changed.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=bool), last
    bits = np.unpackbits(packed[changed][:, None], axis=1, bitorder="little")
    steps = np.diff(np.concatenate((before[changed][:, None], bits), axis=1), axis=1) != 0
    rows, cols = np.nonzero(steps)
    return changed[rows].astype(np.int64) * 8 + cols, bits[rows, cols] == 1, last


class _Series:
    """One float signal as received: contiguous from ``start``, NaN where samples were lost."""

    __slots__ = ("chunks", "end", "start")

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.start: int | None = None
        self.end: int | None = None

    def add(self, n: int, values: np.ndarray, device: str) -> None:
        if self.end is None:
            self.start = self.end = n
        if n > self.end:
            if n - self.end > MAX_GAP_SAMPLES:
                raise MeasurementError(
                    f"{device}: the stream jumped by {n - self.end} samples at once (sample "
                    f"{self.end} to {n}): the instrument restarted or the USB link stalled; "
                    "check the cable and hub, and run again"
                )
            self.chunks.append(np.full(n - self.end, np.nan))
            self.end = n
        elif n < self.end:  # a repeat of samples already held: keep only what is new
            values = values[self.end - n :]
        if len(values):
            self.chunks.append(np.asarray(values, dtype=np.float64))
            self.end += len(values)

    def take(self, start: int, stop: int) -> np.ndarray:
        """The values of samples [start, stop); everything before ``stop`` is forgotten."""
        assert self.start is not None and self.start <= start <= stop
        data = self.chunks[0] if len(self.chunks) == 1 else np.concatenate(self.chunks)
        out = data[start - self.start : stop - self.start]
        rest = data[stop - self.start :]
        self.chunks = [rest] if len(rest) else []
        self.start = stop
        return out


class _DropLedger:
    """Index ranges already reported lost, so a loss seen on two signals counts once."""

    def __init__(self) -> None:
        self._ranges: list[tuple[int, int]] = []

    def new_parts(self, first: int, end: int) -> list[tuple[int, int]]:
        parts = [(first, end)]
        for a, b in self._ranges:
            parts = [p for lo, hi in parts for p in ((lo, min(hi, a)), (max(lo, b), hi))]
            parts = [(lo, hi) for lo, hi in parts if hi > lo]
        for part in parts:
            self._ranges.append(part)
        self._ranges = sorted(self._ranges)[-_LEDGER_SIZE:]
        return parts


class StreamAssembler:
    """Feeds on ``!data`` messages (``add``); ``take`` gives the stream items made so far."""

    def __init__(
        self,
        sample_rate_hz: float,
        output: str,
        rising: bool,
        device: str,
        base_rate_hz: int = BASE_RATE_HZ,
    ) -> None:
        if output not in ("energy", "current"):
            raise ValueError(f"output must be 'energy' or 'current', not {output!r}")
        self.sample_rate_hz = float(sample_rate_hz)
        self.decimate = round(base_rate_hz / sample_rate_hz)
        self.output = output
        self.rising = rising
        self.device = device
        self.base_rate_hz = base_rate_hz
        self.unit = "J" if output == "energy" else "A"
        self._series = {"i": _Series()}
        if output == "energy":
            self._series["v"] = _Series()
        self._origin: int | None = None  # output number of index 0
        self._cursor = 0  # output number of the next sample to deliver
        self._gpi_level: int | None = None
        self._gpi_next: int | None = None
        self._early: list[tuple[str, int, int]] = []  # ("edge"|"lost", base id, base end)
        self._ledger = _DropLedger()
        self._items: list[StreamItem] = []
        self.voltage_sum = 0.0
        self.voltage_count = 0

    @property
    def mean_voltage_v(self) -> float | None:
        return self.voltage_sum / self.voltage_count if self.voltage_count else None

    def add(self, signal: str, message: Mapping[str, Any]) -> None:
        """One message of ``signal``: "i", "v" or "gpi"."""
        try:
            sample_id = int(message["sample_id"])
            decimate = int(message["decimate_factor"])
            data = message["data"]
        except (KeyError, TypeError, ValueError) as exc:
            raise MeasurementError(
                f"{self.device}: a {signal} data message lacks sample_id, decimate_factor or "
                f"data ({exc}); update pyjoulescope_driver (pip install -U pyjoulescope_driver)"
            ) from exc
        if data is None or len(data) == 0 or decimate <= 0:
            return
        rate = message.get("sample_rate", self.base_rate_hz)
        if signal == "gpi":
            self._add_gpi(sample_id, decimate, np.asarray(data, dtype=np.uint8))
            return
        if decimate != self.decimate or rate != self.base_rate_hz:
            raise MeasurementError(
                f"{self.device}: {signal} arrives at {rate / decimate:g} Hz, not the configured "
                f"{self.sample_rate_hz:g} Hz; another program changed h/fs — close it and run "
                "again"
            )
        series = self._series.get(signal)
        if series is not None:
            series.add(sample_id // decimate, np.asarray(data), self.device)

    def take(self) -> list[StreamItem]:
        self._emit_samples()
        items, self._items = self._items, []
        return items

    # -- samples ----------------------------------------------------------------------------
    def _emit_samples(self) -> None:
        starts = [s.start for s in self._series.values()]
        ends = [s.end for s in self._series.values()]
        if self._origin is None:
            if None in starts:
                return
            self._origin = self._cursor = max(n for n in starts if n is not None)
            early, self._early = self._early, []
            for kind, first, end in early:
                if kind == "edge":
                    self._event(first, bool(end))
                else:
                    self._lost(first, end)
        upto = min(n for n in ends if n is not None)
        if upto <= self._cursor:
            return
        values = self._series["i"].take(self._cursor, upto)
        if self.output == "energy":
            volts = self._series["v"].take(self._cursor, upto)
            good = np.isfinite(volts)
            self.voltage_sum += float(np.sum(volts[good]))
            self.voltage_count += int(np.count_nonzero(good))
            values = values * volts / self.sample_rate_hz
        first = self._cursor - self._origin
        bad = ~np.isfinite(values)
        if bad.any():
            values = np.where(bad, 0.0, values)
            steps = np.diff(np.concatenate(([0], bad.view(np.int8), [0])))
            for a, b in zip(np.flatnonzero(steps == 1), np.flatnonzero(steps == -1), strict=True):
                self._drop(first + int(a), first + int(b))
        self._items.append(SampleBlock(values, first, self.sample_rate_hz, self.unit))
        self._cursor = upto

    def _drop(self, first: int, end: int) -> None:
        for a, b in self._ledger.new_parts(max(first, 0), end):
            self._items.append(SampleDrop(a, b - a))

    # -- the timestamp pin --------------------------------------------------------------------
    def _add_gpi(self, sample_id: int, decimate: int, data: np.ndarray) -> None:
        skip = 0
        if self._gpi_next is not None and sample_id > self._gpi_next:
            self._lost(self._gpi_next, sample_id)
        elif self._gpi_next is not None and sample_id < self._gpi_next:
            skip = -(-(self._gpi_next - sample_id) // decimate)
            if skip >= len(data) * 8:
                return
        positions, rising, last = bit_edges(data, self._gpi_level, skip)
        self._gpi_level = last
        self._gpi_next = sample_id + len(data) * 8 * decimate
        for position, up in zip(positions.tolist(), rising.tolist(), strict=True):
            if up == self.rising:
                self._event(sample_id + position * decimate, up)

    def _event(self, base_id: int, rising: bool) -> None:
        if self._origin is None:
            self._early.append(("edge", base_id, int(rising)))
            return
        index = -(-base_id // self.decimate) - self._origin
        if index >= 1:
            self._items.append(Event(index, rising=rising))

    def _lost(self, base_first: int, base_end: int) -> None:
        if self._origin is None:
            self._early.append(("lost", base_first, base_end))
            return
        first = base_first // self.decimate - self._origin
        end = -(-base_end // self.decimate) - self._origin
        if end > 0:
            self._drop(first, end)
