"""PPK2 sample-stream decoder: 4-byte words to amperes, logic-pin events and counter drops.

A word is little-endian (spec 3.4): bits 0-13 ADC code, 14-16 range (5-7 read as 4), 17
unused, 18-23 a rolling counter (+1 per sample, mod 64), 24-31 logic inputs D0-D7 (D0 is
bit 24). Amperes come from a table of every (range, code) built from the calibration
(``ppk2_protocol.current_table``), so decoding is a mask and a gather; words split across
reads are kept until complete.

Spike filter (both reference hosts; on by default): two running averages (EMA, alpha 0.18
and 0.06) follow the raw readings; the sample where the range changes and the next two
read the 0.18 average instead (the 0.06 one in range 4, where the first two samples do not
enter either average). Only those samples need the averages, so they are evaluated there
from the last ``EMA_HISTORY`` readings (older ones weigh < 1e-18); results match a
sample-by-sample filter to rounding and do not depend on how the bytes were split, except
at that rounding level in filtered samples.

Counter (drops; Nordic detects them, spec 3.4): the first word sets the reference. A word
whose counter does not follow is judged once ``LOOKAHEAD_WORDS`` more have arrived:

- the start of a gap when those continue in sequence from it: the (counter jump - 1)
  mod 64 missing samples are filled by repeating the last value and reported as one
  ``SampleDrop`` (64 x k samples more would be invisible to a 6-bit counter);
- a corrupt word when they continue the old count after it: replaced the same way,
  ``SampleDrop`` of 1;
- otherwise the byte alignment was lost (bytes went missing mid-word): the decoder looks
  for the next run of ``RESYNC_RUN`` consecutive counters within ``RESYNC_SEARCH_BYTES``,
  skips to its second word (the first may mix bytes of two samples; skipped bytes count in
  ``garbage_bytes``) and fills the gap; with none there, the data
  is not PPK2 samples and ``MeasurementError`` voids the capture (every later feed raises).
  The word holding the lost bytes (and, one time in 64, a misaligned word whose garbled
  counter happens to fit) is read as a sample before the loss shows: a 6-bit counter
  cannot tell.

Filled samples keep indices on the instrument's time base, so events after a drop are at
their true sample; every window overlapping a drop must be discarded. ``flush()`` ends the
stream (words that cannot be judged any more are dropped as garbage).

Events: an edge of ``event_edge`` on logic input ``event_channel`` between samples k-1 and k
(k is the first sample at the new level) is ``Event(k + 1, rising)``: the edge happened
during sample k, as in the LPM01A convention (``host.measurement.integration``). Each
``feed`` returns one ``SampleBlock`` of what it completed, then its events and drops by index.
"""

from __future__ import annotations

import numpy as np

from tinyjoule.errors import MeasurementError
from tinyjoule.firmware_protocol.ppk2_protocol import ADC_CODES, RANGES, SAMPLE_RATE_HZ
from tinyjoule.host.measurement.stream import Event, SampleBlock, SampleDrop, StreamItem

WORD_BYTES = 4
COUNTER_MOD = 64
INDEX_MASK = (1 << 17) - 1
"""ADC code and the three range bits: the index into the 8 x 16384 current table."""
RESYNC_RUN = 8
LOOKAHEAD_WORDS = RESYNC_RUN
"""Words after an out-of-sequence one needed to judge it (a run this long in sequence)."""
RESYNC_SEARCH_BYTES = 64
EMA_HISTORY = 720
"""Readings an average is evaluated from: 0.94**720 < 1e-19."""
ALPHA = 0.18
ALPHA_RANGE4 = 0.06
FILTERED_SAMPLES = 3
EDGES = ("falling", "rising")


def word_table(table: np.ndarray) -> np.ndarray:
    """The (5, 16384) current table widened to every 17-bit index (ranges 5-7 -> 4)."""
    if table.shape != (RANGES, ADC_CODES):
        raise ValueError(f"the current table must have shape (5, 16384), not {table.shape}")
    rows = [table[min(r, RANGES - 1)] for r in range(8)]
    return np.ascontiguousarray(np.concatenate(rows), dtype=np.float64)


def _ramp(n: int) -> np.ndarray:
    """Counter values 0, 1, ..., 63, 0, 1, ... (uint32), long enough for ``n`` words from
    any starting value."""
    return (np.arange(n + COUNTER_MOD, dtype=np.int64) % COUNTER_MOD).astype(np.uint32)


class _Ema:
    """One running average, evaluated lazily from the last ``EMA_HISTORY`` readings."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self.keep = 1.0 - alpha
        self.weights = alpha * self.keep ** np.arange(EMA_HISTORY - 1, -1, -1, dtype=np.float64)
        self.value: float | None = None

    def advance(self, readings: np.ndarray) -> None:
        """Fold ``readings`` (in order) into the average."""
        m = len(readings)
        if m == 0:
            return
        if self.value is None:
            self.value = float(readings[0])
            readings = readings[1:]
            m -= 1
            if m == 0:
                return
        tail = readings[-EMA_HISTORY:]
        k = len(tail)
        self.value = self.value * self.keep**m + float(np.dot(self.weights[-k:], tail))

    def step(self, reading: float) -> None:
        self.value = (
            reading if self.value is None else (self.alpha * reading + self.keep * self.value)
        )


class Ppk2Decoder:
    """Incremental decoder; ``feed(bytes)`` returns the items completed so far."""

    def __init__(
        self,
        table: np.ndarray,
        *,
        sample_rate_hz: float = SAMPLE_RATE_HZ,
        event_channel: int = 0,
        event_edge: str = "falling",
        spike_filter: bool = True,
        device: str = "PPK2",
    ) -> None:
        if not 0 <= event_channel <= 7:
            raise ValueError(f"event_channel must be 0-7 (D0-D7), not {event_channel}")
        if event_edge not in EDGES:
            raise ValueError(f"event_edge must be 'falling' or 'rising', not {event_edge!r}")
        self.table = word_table(table)
        self.sample_rate_hz = float(sample_rate_hz)
        self.event_channel = event_channel
        self.rising = event_edge == "rising"
        self.spike_filter = spike_filter
        self.device = device
        self.next_index = 0
        self.dropped_samples = 0
        self.corrupt_words = 0
        self.garbage_bytes = 0
        self.resyncs = 0
        self._tail = b""
        self._counter: int | None = None  # counter of the last accepted word
        self._level: int | None = None  # event-channel level of the last sample
        self._last_value = 0.0
        self._range: int | None = None
        self._after = 0  # filtered samples still to come after a range change
        self._consecutive = 0
        self._ema = _Ema(ALPHA)
        self._ema4 = _Ema(ALPHA_RANGE4)
        self._ramp = _ramp(4096)
        self._index = np.empty(0, np.intp)
        self._scratch = np.empty(0, np.uint32)
        self._failure: MeasurementError | None = None

    def feed(self, data: bytes) -> list[StreamItem]:
        return self._decode(data, final=False)

    def flush(self) -> list[StreamItem]:
        """End of stream: judge the words held for look-ahead; a partial word is garbage."""
        return self._decode(b"", final=True)

    # -- words --------------------------------------------------------------------------------
    def _decode(self, data: bytes, final: bool) -> list[StreamItem]:
        if self._failure is not None:
            raise self._failure
        buf = self._tail + bytes(data) if self._tail else data
        try:
            pieces, fills, used = self._scan(buf, final)
        except MeasurementError as exc:
            self._failure = exc
            raise
        self._tail = bytes(buf[used:])
        if final and self._tail:
            self.garbage_bytes += len(self._tail)
            self._tail = b""
        if not pieces:
            words = np.zeros(0, np.uint32)
        elif len(pieces) == 1:
            words = pieces[0]
        else:
            words = np.concatenate(pieces)
        return self._emit(words, fills)

    def _in_sequence(self, counters: np.ndarray, first: int) -> bool:
        n = len(counters)
        if len(self._ramp) < n + COUNTER_MOD:
            self._ramp = _ramp(n)
        return bool(np.array_equal(counters, self._ramp[first : first + n]))

    def _scan(self, buf: bytes, final: bool) -> tuple[list[np.ndarray], list[tuple[int, int]], int]:
        """Accepted words (in order), fills (position among them, samples), bytes used."""
        pieces: list[np.ndarray] = []
        fills: list[tuple[int, int]] = []
        base = 0
        real = 0
        while True:
            n = (len(buf) - base) // WORD_BYTES
            if n == 0:
                return pieces, fills, base
            words = np.frombuffer(buf, "<u4", n, base)
            counters = self._field(words, 18, COUNTER_MOD - 1)
            if self._counter is None:
                self._counter = (int(counters[0]) - 1) % COUNTER_MOD
            if self._in_sequence(counters, (self._counter + 1) % COUNTER_MOD):
                pieces.append(words)
                self._counter = int(counters[-1])
                return pieces, fills, base + n * WORD_BYTES
            c = counters.astype(np.int64)
            previous = np.empty_like(c)
            previous[0] = self._counter
            previous[1:] = c[:-1]
            bad = np.flatnonzero((c - previous) % COUNTER_MOD != 1)
            k, verified = 0, False
            while True:
                j = int(np.searchsorted(bad, k, side="right" if verified else "left"))
                i = int(bad[j]) if j < len(bad) else n
                if i > k:
                    pieces.append(words[k:i])
                    real += i - k
                    self._counter = int(c[i - 1])
                if i >= n:
                    return pieces, fills, base + n * WORD_BYTES
                if i + LOOKAHEAD_WORDS >= n:
                    if not final:
                        return pieces, fills, base + i * WORD_BYTES
                    self.garbage_bytes += len(buf) - (base + i * WORD_BYTES)
                    return pieces, fills, len(buf)
                last = self._counter
                c0, c1 = int(c[i]), int(c[i + 1])
                run_follows = bool(
                    np.all(np.diff(c[i + 1 : i + LOOKAHEAD_WORDS + 1]) % COUNTER_MOD == 1)
                )
                if run_follows and (c1 - c0) % COUNTER_MOD == 1:
                    missing = (c0 - last - 1) % COUNTER_MOD
                    fills.append((real, missing))
                    self.dropped_samples += missing
                    self._counter = (c0 - 1) % COUNTER_MOD
                    k, verified = i, True
                elif run_follows and (c1 - last) % COUNTER_MOD == 2:
                    fills.append((real, 1))
                    self.corrupt_words += 1
                    self._counter = (last + 1) % COUNTER_MOD
                    k, verified = i + 1, True
                else:
                    at = base + i * WORD_BYTES
                    found = self._resync(buf, at, real)
                    if found is None:
                        if not final:
                            return pieces, fills, at
                        self.garbage_bytes += len(buf) - at
                        return pieces, fills, len(buf)
                    found += WORD_BYTES  # the run's first word may mix two samples' bytes
                    self.garbage_bytes += found - at
                    self.resyncs += 1
                    c_new = buf[found + 2] >> 2
                    missing = (c_new - last - 1) % COUNTER_MOD
                    fills.append((real, missing))
                    self.dropped_samples += missing
                    self._counter = (c_new - 1) % COUNTER_MOD
                    base = found
                    break

    def _resync(self, buf: bytes, at: int, real: int) -> int | None:
        """The first byte after ``at`` that starts ``RESYNC_RUN`` words in sequence; None if
        more bytes are needed to tell; MeasurementError if there is none in reach."""
        for p in range(at + 1, at + RESYNC_SEARCH_BYTES + 1):
            if p + (RESYNC_RUN + 1) * WORD_BYTES > len(buf):
                return None
            run = np.frombuffer(buf, np.uint8, RESYNC_RUN * WORD_BYTES, p)[2::4] >> 2
            if bool(np.all((np.diff(run.astype(np.int64)) % COUNTER_MOD) == 1)):
                return p
        raise MeasurementError(
            f"{self.device}: no PPK2 sample words in the stream after sample "
            f"{self.next_index + real} (no run of {RESYNC_RUN} consecutive counters within "
            f"{RESYNC_SEARCH_BYTES} bytes); this capture is void. Fix: check that the port is "
            "the PPK2's data port (of its two ports, the one whose USB location ends in 1; "
            "'ppk2:auto' picks it), connect it directly rather than through a hub, and close "
            "other programs reading the port"
        )

    # -- values, events, drops ----------------------------------------------------------------
    def _emit(self, words: np.ndarray, fills: list[tuple[int, int]]) -> list[StreamItem]:
        n = len(words)
        fills = [(p, m) for p, m in fills if m > 0]
        if n == 0 and not fills:
            return []
        values = self._currents(words)
        if n and self.spike_filter:
            self._filter(values, self._field(words, 14, 7))
        edges = self._edges(words) if n else []
        first = self.next_index
        marks: list[tuple[int, StreamItem]] = []
        if fills:
            values = self._fill(values, fills)
            at = np.array([p for p, _ in fills], np.int64)
            counts = np.array([m for _, m in fills], np.int64)
            inserted = np.cumsum(counts)  # samples inserted up to and including each fill
            for p, m, before in zip(
                at.tolist(), counts.tolist(), (inserted - counts).tolist(), strict=True
            ):
                marks.append((first + p + before, SampleDrop(first + p + before, m)))
            fills_before = np.searchsorted(at, np.array(edges, np.int64), "right").tolist()
            edges = [
                k + (int(inserted[j - 1]) if j else 0)
                for k, j in zip(edges, fills_before, strict=True)
            ]
        for k in edges:
            marks.append((first + k + 1, Event(first + k + 1, self.rising)))
        items: list[StreamItem] = []
        if len(values):
            self._last_value = float(values[-1])
            items.append(SampleBlock(values, first, self.sample_rate_hz, "A"))
        self.next_index = first + len(values)
        marks.sort(key=lambda mark: mark[0])
        items.extend(item for _, item in marks)
        return items

    def _field(self, words: np.ndarray, shift: int, mask: int) -> np.ndarray:
        """``(words >> shift) & mask`` in a reused buffer (valid until the next call)."""
        if len(self._scratch) < len(words):
            self._scratch = np.empty(len(words), np.uint32)
        out = self._scratch[: len(words)]
        np.right_shift(words, shift, out=out)
        return np.bitwise_and(out, mask, out=out)

    def _currents(self, words: np.ndarray) -> np.ndarray:
        """Amperes of ``words``: mask into a reused index buffer, then gather (no bounds check
        needed: the mask keeps every index inside the table)."""
        if len(self._index) < len(words):
            self._index = np.empty(len(words), np.intp)
        index = self._index[: len(words)]
        np.bitwise_and(words, INDEX_MASK, out=index, casting="unsafe")
        return self.table.take(index, mode="clip")

    def _fill(self, values: np.ndarray, fills: list[tuple[int, int]]) -> np.ndarray:
        """``values`` with ``m`` samples inserted before accepted word ``p`` for every fill,
        each repeating the value before it."""
        repeats = np.ones(len(values), np.int64)
        prefix = 0
        for p, m in fills:
            if p == 0:
                prefix += m
            else:
                repeats[p - 1] += m
        body = np.repeat(values, repeats)
        if prefix:
            body = np.concatenate([np.full(prefix, self._last_value), body])
        return body

    def _edges(self, words: np.ndarray) -> list[int]:
        """Positions (among the accepted words) of the first sample at a new level, for
        edges of the configured polarity."""
        level = self._field(words, 24 + self.event_channel, 1)
        if self._level is None:
            self._level = int(level[0])
        changes = np.flatnonzero(level[1:] != level[:-1]) + 1
        if int(level[0]) != self._level:
            changes = np.concatenate([[0], changes])
        self._level = int(level[-1])
        wanted = 1 if self.rising else 0
        return [int(k) for k in changes if int(level[k]) == wanted]

    def _filter(self, values: np.ndarray, ranges: np.ndarray) -> None:
        """Apply the spike filter to ``values`` in place, continuing the stream's state."""
        n = len(values)
        if self._range is None:
            self._range = min(int(ranges[0]), RANGES - 1)
        if self._after == 0 and ranges[0] == self._range and bool((ranges == ranges[0]).all()):
            self._advance(values)
            return
        ranges = np.minimum(ranges, RANGES - 1)
        changes = np.flatnonzero(ranges[1:] != ranges[:-1]) + 1
        if int(ranges[0]) != self._range:
            changes = np.concatenate([[0], changes])
        spots = np.concatenate(
            [np.arange(self._after), (changes[:, None] + np.arange(FILTERED_SAMPLES)).ravel()]
        )
        spots = np.unique(spots[spots < n])
        done = 0
        previous = self._range
        for j in spots.tolist():
            if j > done:
                self._advance(values[done:j])
                previous = int(ranges[j - 1])
            reading = float(values[j])
            rng = int(ranges[j])
            saved = (self._ema.value, self._ema4.value)
            self._ema.step(reading)
            self._ema4.step(reading)
            changed = rng != previous
            if changed or self._after > 0:
                if changed:
                    self._consecutive = 0
                    self._after = FILTERED_SAMPLES
                else:
                    self._consecutive += 1
                if rng == RANGES - 1:
                    if self._consecutive < 2:
                        self._ema.value, self._ema4.value = saved
                    values[j] = self._ema4.value
                else:
                    values[j] = self._ema.value
                self._after -= 1
            previous = rng
            done = j + 1
        self._advance(values[done:])
        self._range = int(ranges[-1])

    def _advance(self, readings: np.ndarray) -> None:
        self._ema.advance(readings)
        self._ema4.advance(readings)
