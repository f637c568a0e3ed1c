"""LPM01A ``ascii_dec`` stream decoder, and the stream bookkeeping both formats share.

Bytes in, ``StreamItem``s out, for any split of the stream (spec 1.5). A sample line is
``dddd±dd\\r\\n`` = mantissa × 10^(±exp) in A (``output current``) or J (``output energy``),
correctly rounded (as ``float("6409e-07")``) for exponents up to ±22, within an ulp beyond.
Sample lines are parsed vectorised; any other line takes the slow path: several glued values,
a ``\\x00`` after a ``TimeStamp`` line, prompts, acks, ``event NN ris``, ``TimeStamp: 001s
000ms, buff 00%``, ``end``, ``Acquisition completed``, ``summary``/``pwr`` lines, errors.

Conventions (the simulator in ``tinyjoule.host.sim.monitors.lpm01a`` follows them):

- Sample indices count the samples received since ``start`` (index 0 is the first).
- ``Event.sample_index`` is the index of the next sample to arrive after the event record;
  the device emits the record right after the sample whose period contains the edge, so an
  event at index i means the edge happened during sample i-1 (period
  ``[(i-1)/fs, i/fs)`` after the start).
- A ``TimeStamp`` gives ``MonitorStatus(index of the next sample, buffer %)``. Between two
  stamps ``elapsed_ms × fs / 1000`` samples must arrive; fewer gives one
  ``SampleDrop(first_index=index at the earlier stamp, count=missing)``. Where in that
  interval they went missing cannot be known: the drop is *counted*, and indices are not
  shifted (they keep counting received samples, like the MLCommons runner), so a consumer
  must treat every window overlapping ``[first_index, index at the later stamp)`` as hit.
  The first stamp is the reference: the firmware's offset before it is not documented.
- An ``error`` record that is not a command reply, or overrun text, raises
  ``MeasurementError``; the capture is void and every later ``feed`` raises it again.
- Text that is not stream data (prompts, acks, ``Error detail``, info lines) is handed to
  ``on_text`` so a driver can match replies while streaming; anything else is garbage,
  counted in ``garbage_bytes`` and skipped, never turned into NaN.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from tinyjoule.errors import MeasurementError
from tinyjoule.firmware_protocol import lpm01a_commands as commands
from tinyjoule.host.measurement.stream import (
    Event,
    MonitorStatus,
    SampleBlock,
    SampleDrop,
    StreamItem,
)

TextSink = Callable[[str], None]

MAX_LINE_BYTES = 4096
"""A line longer than this without a newline is garbage; bounds the decoder's memory."""

ASCII_MS_MODULUS = 1000 * 1000
"""``TimeStamp`` seconds have three digits; elapsed times wrap at 1000 s."""

_TIMESTAMP = re.compile(r"TimeStamp:[ ><]?\s*(\d+)s\s+(\d+)ms,\s*buff\s+(\d{1,3})%")
_EVENT = re.compile(r"event\s+(\d+)(?:\s+\w+)?")
_TOKEN = re.compile(rb"\d{4}[+-]\d{2}")
_END_TEXTS = ("end", "Acquisition completed")
_INFO_TEXTS = ("summary", "pwr on", "pwr off")
_POW10 = 10.0 ** np.arange(100)  # exact up to 1e22; mant / 10**e is then correctly rounded


def parse_event_counter(segment: str) -> int | None:
    """The counter of an ``event NN ris|fal`` record (the edge word is not trusted)."""
    match = _EVENT.fullmatch(segment)
    return int(match.group(1)) if match else None


class StreamTracker:
    """Sample index, drops, events and status of one acquisition, as ordered items."""

    def __init__(self, device: str, sample_rate_hz: float, unit: str, ms_modulus: int) -> None:
        self.device = device
        self.sample_rate_hz = float(sample_rate_hz)
        self.unit = unit
        self.next_index = 0
        self.dropped_samples = 0
        self.extra_samples = 0
        self._ms_modulus = ms_modulus
        self._last_stamp: tuple[int, int] | None = None
        self._items: list[StreamItem] = []
        self._values: list[np.ndarray] = []
        self._first = 0

    def samples(self, values: np.ndarray) -> None:
        if len(values):
            if not self._values:
                self._first = self.next_index
            self._values.append(values)
            self.next_index += len(values)

    def event(self, counter: int) -> None:
        self._flush()
        self._items.append(Event(sample_index=self.next_index, rising=None, counter=counter))

    def timestamp(self, ms: int, buffer_percent: int) -> None:
        self._flush()
        if self._last_stamp is not None:
            last_ms, last_index = self._last_stamp
            elapsed_ms = (ms - last_ms) % self._ms_modulus
            expected = round(elapsed_ms * self.sample_rate_hz / 1000.0)
            received = self.next_index - last_index
            if received < expected:
                self.dropped_samples += expected - received
                self._items.append(SampleDrop(first_index=last_index, count=expected - received))
            else:
                self.extra_samples += received - expected
        self._last_stamp = (ms, self.next_index)
        self._items.append(
            MonitorStatus(sample_index=self.next_index, buffer_percent=buffer_percent)
        )

    def failure(self, text: str) -> MeasurementError:
        return MeasurementError(
            f"{self.device}: the instrument reported {text!r} in the data stream at sample "
            f"{self.next_index}; this capture is void. Fix: {commands.stream_error_fix(text)}"
        )

    def take(self) -> list[StreamItem]:
        self._flush()
        items, self._items = self._items, []
        return items

    def _flush(self) -> None:
        if self._values:
            values = self._values[0] if len(self._values) == 1 else np.concatenate(self._values)
            self._values = []
            self._items.append(SampleBlock(values, self._first, self.sample_rate_hz, self.unit))


class AsciiDecoder:
    """Incremental ``ascii_dec`` decoder; ``feed(bytes)`` returns the items completed so far.

    ``await_start_ack``: treat everything before the line ``ack start`` as text (stale data
    from an earlier run is skipped), so a driver can feed all bytes it reads after ``start``.
    """

    def __init__(
        self,
        sample_rate_hz: float,
        unit: str,
        *,
        device: str = "LPM01A",
        on_text: TextSink | None = None,
        await_start_ack: bool = False,
    ) -> None:
        self.tracker = StreamTracker(device, sample_rate_hz, unit, ASCII_MS_MODULUS)
        self.on_text = on_text
        self.awaiting_start = await_start_ack
        self.ended = False
        self.garbage_bytes = 0
        self.stale_bytes = 0
        self._tail = b""
        self._failure: MeasurementError | None = None

    @property
    def next_index(self) -> int:
        return self.tracker.next_index

    def feed(self, data: bytes) -> list[StreamItem]:
        if self._failure is not None:
            raise self._failure
        buf = self._tail + bytes(data) if self._tail else bytes(data)
        cut = buf.rfind(b"\n") + 1
        self._tail = buf[cut:]
        if len(self._tail) > MAX_LINE_BYTES:
            self.garbage_bytes += len(self._tail)
            self._tail = b""
        if cut:
            try:
                self._lines(buf, cut)
            except MeasurementError as exc:
                self._failure = exc
                raise
        return self.tracker.take()

    # -- lines --------------------------------------------------------------------------
    def _lines(self, buf: bytes, end: int) -> None:
        """Every whole line in ``buf[:end]``: sample lines vectorised, the rest one by one."""
        start = 0
        while start < end and (self.awaiting_start or self.ended):
            newline = buf.index(b"\n", start)
            self._slow_line(buf[start:newline])
            start = newline + 1
        if start >= end:
            return
        a = np.frombuffer(buf, np.uint8, end - start, start)
        ends = np.flatnonzero(a == 10)
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        has_cr = (ends > starts) & (a[ends - 1] == 13)
        lengths = ends - has_cr - starts
        candidates = np.flatnonzero(lengths == 7)
        values, regular = _parse_records(a, starts[candidates])
        regular_lines = candidates[regular]
        others = np.flatnonzero(lengths > 0)
        if len(regular_lines) == len(others):
            self.tracker.samples(values)
            return
        is_regular = np.zeros(len(ends), bool)
        is_regular[regular_lines] = True
        line_bytes = ends - starts + 1
        done = 0
        for line in np.flatnonzero((lengths > 0) & ~is_regular).tolist():
            upto = int(np.searchsorted(regular_lines, line))
            self._regular(values[done:upto], line_bytes[regular_lines[done:upto]])
            done = upto
            self._slow_line(buf[start + int(starts[line]) : start + int(ends[line])])
        self._regular(values[done:], line_bytes[regular_lines[done:]])

    def _regular(self, values: np.ndarray, line_bytes: np.ndarray) -> None:
        if self.ended:  # sample lines after the end of acquisition belong to nothing
            self.garbage_bytes += int(line_bytes.sum())
        else:
            self.tracker.samples(values)

    def _slow_line(self, line: bytes) -> None:
        for segment in commands.text_segments(line):
            self._segment(segment)

    def _segment(self, segment: str) -> None:
        if self.awaiting_start or self.ended:
            self._text_only(segment)
            return
        if segment[0].isdigit():
            self._glued_values(segment)
            return
        match = _TIMESTAMP.fullmatch(segment)
        if match:
            seconds, ms, buff = (int(g) for g in match.groups())
            self.tracker.timestamp(seconds * 1000 + ms, buff)
            return
        counter = parse_event_counter(segment)
        if counter is not None:
            self.tracker.event(counter)
            return
        if commands.is_stream_error(segment):
            raise self.tracker.failure(segment)
        if segment in _END_TEXTS:
            self.ended = True
        self._text(segment)

    def _text_only(self, segment: str) -> None:
        """Before ``ack start`` and after the end: only replies and text count."""
        if _TOKEN.search(segment.encode("latin-1")) and segment[0].isdigit():
            self.stale_bytes += len(segment)
            return
        reply = commands.parse_reply(segment)
        if self.awaiting_start and reply and reply.kind == "ack" and reply.command == "start":
            self.awaiting_start = False
        self._text(segment)

    def _text(self, segment: str) -> None:
        if not looks_like_text(segment):
            self.garbage_bytes += len(segment)
        elif self.on_text is not None:
            self.on_text(segment)

    def _glued_values(self, segment: str) -> None:
        raw = segment.encode("latin-1")
        tokens = _TOKEN.findall(raw)
        self.garbage_bytes += len(raw) - 7 * len(tokens)
        if tokens:
            self.tracker.samples(np.array([_token_value(t) for t in tokens], np.float64))


def looks_like_text(segment: str) -> bool:
    """Printable ASCII starting with a letter: what the firmware says, not line noise."""
    printable = sum(1 for ch in segment if " " <= ch <= "~")
    return segment[0].isalpha() and printable == len(segment)


def _token_value(token: bytes) -> float:
    mantissa, exponent = int(token[:4]), int(token[5:7])
    return mantissa / _POW10[exponent] if token[4:5] == b"-" else mantissa * _POW10[exponent]


def _parse_records(a: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of the 7-character records at ``starts`` and which of them are well formed."""
    digits = [a[starts + j] - np.uint8(48) for j in (0, 1, 2, 3, 5, 6)]
    ok = digits[0] < 10
    for d in digits[1:]:
        ok &= d < 10
    sign = a[starts + 4]
    ok &= (sign == 43) | (sign == 45)
    d0, d1, d2, d3, e0, e1 = (d[ok].astype(np.int32) for d in digits)
    mantissa = (d0 * 1000 + d1 * 100 + d2 * 10 + d3).astype(np.float64)
    power = _POW10[e0 * 10 + e1]
    negative = sign[ok] == 45
    values = np.where(negative, mantissa / power, mantissa * power)
    return values, ok
