"""LPM01A ``ascii_dec`` stream decoder (the conventions both formats share are in
``lpm01a_stream``).

Bytes in, ``StreamItem``s out, for any split of the stream (spec 1.5). A sample line is
``dddd±dd\\r\\n`` = mantissa × 10^(±exp) in A (``output current``) or J (``output energy``),
correctly rounded (as ``float("6409e-07")``) for exponents up to ±22, within an ulp beyond.
Sample lines are parsed vectorised; any other line takes the slow path: several glued values,
a ``\\x00`` after a ``TimeStamp`` line, prompts, acks, ``event NN ris``, ``TimeStamp: 001s
000ms, buff 00%``, ``end``, ``Acquisition completed``, ``summary``/``pwr`` lines, errors.
"""

from __future__ import annotations

import re

import numpy as np

from tinyjoule.firmware_protocol import lpm01a_commands as commands
from tinyjoule.host.instruments.lpm01a_stream import (
    MAX_LINE_BYTES,
    Lpm01aDecoder,
    parse_event_counter,
)

ASCII_MS_MODULUS = 1000 * 1000
"""``TimeStamp`` seconds have three digits; elapsed times wrap at 1000 s."""

_TIMESTAMP = re.compile(r"TimeStamp:[ ><]?\s*(\d+)s\s+(\d+)ms,\s*buff\s+(\d{1,3})%")
_TOKEN = re.compile(rb"\d{4}[+-]\d{2}")
_END_TEXTS = ("end", "Acquisition completed")
_POW10 = 10.0 ** np.arange(100)  # exact up to 1e22; mant / 10**e is then correctly rounded


class AsciiDecoder(Lpm01aDecoder):
    """Incremental ``ascii_dec`` decoder; ``feed(bytes)`` returns the items completed so far."""

    ms_modulus = ASCII_MS_MODULUS

    def __init__(self, sample_rate_hz: float, unit: str, **kwargs) -> None:
        super().__init__(sample_rate_hz, unit, **kwargs)
        self.stale_bytes = 0

    def _decode(self, buf: bytes) -> int:
        cut = buf.rfind(b"\n") + 1
        if len(buf) - cut > MAX_LINE_BYTES:  # no newline for too long: garbage
            self.garbage_bytes += len(buf) - cut
            if cut:
                self._lines(buf, cut)
            return len(buf)
        if cut:
            self._lines(buf, cut)
        return cut

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
        self._text(segment)

    def _glued_values(self, segment: str) -> None:
        raw = segment.encode("latin-1")
        tokens = _TOKEN.findall(raw)
        self.garbage_bytes += len(raw) - 7 * len(tokens)
        if tokens:
            self.tracker.samples(np.array([_token_value(t) for t in tokens], np.float64))


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
