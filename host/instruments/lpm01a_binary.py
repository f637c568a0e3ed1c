"""LPM01A ``bin_hexa`` stream decoder: 2-byte samples and ``0xF0 <type> ... 0xFF 0xFF`` frames.

A sample word is big-endian: high nibble = negative base-16 exponent, low 12 bits = mantissa,
value = mantissa × 16^(-exp) in A or J (spec 1.5; exact in float32, which the samples are).
Exponent nibble 0xF is reserved: a word whose high byte is 0xF0 starts a metadata frame:

=====  ===========================================  =========================================
type   payload                                      decoded as
=====  ===========================================  =========================================
0xF1   ASCII error text                             ``MeasurementError`` (e.g. overrun)
0xF2   ASCII info text                              ``Event`` if ``event NN ...``, else text
0xF3   4-byte ms counter (bit 31 flag), buffer %    ``MonitorStatus`` + drop check
0xF4   none                                         end of acquisition (text follows)
0xF5   none                                         overcurrent: ``MeasurementError``
0xF6   none                                         target power down: text, counted
0xF7   2-byte mV                                    ``voltage_mv``
=====  ===========================================  =========================================

The table comes from one third-party driver [unverified against UM2269]. D7 events in
bin_hexa: no source says how they appear. tinyjoule assumes [unverified] the firmware sends
the same ``event NN ris`` text it prints in ascii_dec, wrapped in an 0xF2 info frame (the
documented way this format carries text); the simulator does exactly that. Bit 31 of the
0xF3 counter is masked off and counted in ``timestamp_flags`` (its meaning is unverified).

Indices, events, stamps and drops follow the conventions in ``lpm01a_stream``. A word with
exponent 0xF that does not start a valid frame is skipped as garbage (2 bytes). Frames can
have odd lengths (0xF3 is 9 bytes), so the word alignment restarts after every frame. With
``await_start_ack`` the stream is text until the line ``ack start``; the CR/LF bytes that
follow it are skipped (a sample word cannot start with 0x0D or 0x0A: exponent 0 means >= 1 A,
beyond the instrument's range). After the 0xF4 frame the stream is text again.

Speed: where the compiled kernel was built (``bin_hexa_compiled``), it converts the words
and stops at each frame start, in one pass. Its numpy fallback gives the same float32 bits:
frames are found by one vectorised scan for a 0xF0 byte followed by a frame type (sample words
never hold either, since their high byte is below 0xF0), and the samples between two frames
are one table lookup (float32, 256 kB, cache-resident); a stray reserved word shows up as NaN
in that lookup and is dropped as garbage.
"""

from __future__ import annotations

import sys

import numpy as np

from tinyjoule.firmware_protocol import lpm01a_commands as commands
from tinyjoule.host.instruments import bin_hexa_compiled
from tinyjoule.host.instruments.lpm01a_stream import (
    MAX_LINE_BYTES,
    Lpm01aDecoder,
    parse_event_counter,
)

FRAME_START = 0xF0
FRAME_END = b"\xff\xff"
ERROR_TEXT, INFO_TEXT, TIMESTAMP, END, OVERCURRENT, POWER_DOWN, VOLTAGE = range(0xF1, 0xF8)
FIXED_PAYLOAD = {TIMESTAMP: 5, END: 0, OVERCURRENT: 0, POWER_DOWN: 0, VOLTAGE: 2}
MAX_TEXT_FRAME = 512
"""A text frame longer than this without ``0xFF 0xFF`` is garbage; bounds memory."""
JOIN_BYTES = 2 * (MAX_TEXT_FRAME + 4)
"""A leftover tail is decoded with this many bytes of the next read, enough to settle any frame
it starts, so the read itself is then decoded in place instead of copied behind the tail."""
BIN_MS_MODULUS = 1 << 31


def word_values() -> np.ndarray:
    """Value of every 16-bit word (index = big-endian word); NaN for reserved exponent 0xF."""
    words = np.arange(1 << 16)
    values = (words & 0xFFF) * 16.0 ** -(words >> 12).astype(np.float64)
    values[words >= 0xF000] = np.nan
    return values


WORD_VALUES = word_values()
_NATIVE = np.arange(1 << 16, dtype=np.uint16)
if sys.byteorder == "little":
    _NATIVE = _NATIVE.byteswap()
_LUT = WORD_VALUES[_NATIVE].astype(np.float32)  # by the word read in native byte order


class BinHexaDecoder(Lpm01aDecoder):
    """Incremental ``bin_hexa`` decoder; ``feed(bytes)`` returns the items completed so far.

    ``compiled=False`` uses the numpy path even where the compiled kernel is available;
    ``compiled=True`` requires the kernel (``RuntimeError`` naming why it is missing).
    """

    ms_modulus = BIN_MS_MODULUS

    def __init__(
        self, sample_rate_hz: float, unit: str, *, compiled: bool | None = None, **kwargs
    ) -> None:
        super().__init__(sample_rate_hz, unit, **kwargs)
        if compiled and bin_hexa_compiled.decode is None:
            raise RuntimeError(f"bin_hexa kernel: {bin_hexa_compiled.status}")
        self._kernel = None if compiled is False else bin_hexa_compiled.decode
        self.voltage_mv: int | None = None
        self.power_downs = 0
        self.timestamp_flags = 0
        self._skip_newlines = False

    def _decode(self, buf: bytes, start: int = 0) -> int:
        pos = self._text_lines(buf, start)
        if not (self.awaiting_start or self.ended):
            pos = self._binary(buf, pos)
            pos = self._text_lines(buf, pos)
        return pos

    def _decode_after_tail(self, data: bytes) -> tuple[int, bytes]:
        """In the stream, a tail is a split word or frame (under ``MAX_TEXT_FRAME + 4``
        bytes): settle it with the head of ``data``, then decode ``data`` where that ended.
        Same items as decoding ``tail + data`` (the decoder gives the same for any split)."""
        if self.awaiting_start or self.ended or len(data) <= JOIN_BYTES:
            return super()._decode_after_tail(data)
        head = self._tail + data[:JOIN_BYTES]
        consumed = self._decode(head)
        start = consumed - len(self._tail)
        if start < 0:  # not settled (cannot happen in the stream; kept for safety)
            buf = head[consumed:] + data[JOIN_BYTES:]
            return self._decode(buf), buf
        return self._decode(data, start), data

    # -- text before ``ack start`` and after the end frame ------------------------------
    def _text_lines(self, buf: bytes, pos: int) -> int:
        while self.awaiting_start or self.ended:
            newline = buf.find(b"\n", pos)
            if newline < 0:
                if len(buf) - pos > MAX_LINE_BYTES:
                    self.garbage_bytes += len(buf) - pos
                    return len(buf)
                return pos
            for segment in commands.text_segments(buf[pos:newline]):
                self._text(segment)
            pos = newline + 1
            if not (self.awaiting_start or self.ended):
                self._skip_newlines = True
        return pos

    # -- binary --------------------------------------------------------------------------
    def _binary(self, buf: bytes, pos: int) -> int:
        if self._skip_newlines:
            while pos < len(buf) and buf[pos] in (0x0D, 0x0A):
                pos += 1
            if pos == len(buf):
                return pos
            self._skip_newlines = False
        if self._kernel is not None:
            return self._binary_compiled(buf, pos)
        n = len(buf)
        a = np.frombuffer(buf, np.uint8)
        starts = np.flatnonzero(a[pos : n - 1] == FRAME_START) + pos
        if len(starts):  # a frame start is 0xF0 and a frame type
            kinds = a[starts + 1]
            starts = starts[(kinds >= ERROR_TEXT) & (kinds <= VOLTAGE)].tolist()
        candidates = iter(starts)
        frame = next(candidates, n)
        while not self.ended:
            while frame < n and (frame < pos or (frame - pos) & 1):  # not on a word boundary
                frame = next(candidates, n)
            stop = frame if frame < n else pos + (n - pos) // 2 * 2
            if stop > pos:
                self._words(buf, pos, stop)
            if frame >= n:
                return stop
            after = self._frame(buf, frame)
            if after is None:
                return frame
            pos = after
        return pos

    def _binary_compiled(self, buf: bytes, pos: int) -> int:
        """``_binary`` through the kernel: it fills one array and stops at each frame start."""
        assert self._kernel is not None
        n = len(buf)
        out = np.empty((n - pos) // 2, np.float32)
        filled = 0
        while not self.ended:
            first = filled
            pos, filled, garbage_words = self._kernel(buf, pos, n, out, filled)
            self.garbage_bytes += 2 * garbage_words
            self.tracker.samples(out[first:filled])
            if pos + 2 > n:  # every whole word is decoded
                return pos
            after = self._frame(buf, pos)
            if after is None:
                return pos
            pos = after
        return pos

    def _words(self, buf: bytes, start: int, stop: int) -> None:
        """Samples of the whole words in ``buf[start:stop]``; reserved words are garbage."""
        values = _LUT.take(np.frombuffer(buf, np.uint16, (stop - start) // 2, start))
        if np.isnan(values.sum()):
            bad = np.isnan(values)
            self.garbage_bytes += 2 * int(bad.sum())
            values = values[~bad]
        self.tracker.samples(values)

    def _frame(self, buf: bytes, at: int) -> int | None:
        """Handle the frame at ``at``; the position after it, or None if it is incomplete."""
        if at + 2 > len(buf):
            return None
        kind = buf[at + 1]
        if buf[at] != FRAME_START or not ERROR_TEXT <= kind <= VOLTAGE:
            self.garbage_bytes += 2
            return at + 2
        if kind in (ERROR_TEXT, INFO_TEXT):
            end = buf.find(FRAME_END, at + 2, at + 2 + MAX_TEXT_FRAME + 2)
            if end < 0:
                if len(buf) - at < MAX_TEXT_FRAME + 4:
                    return None
                self.garbage_bytes += 2
                return at + 2
            self._text_frame(kind, buf[at + 2 : end].decode("latin-1").strip("\x00\r\n "))
            return end + 2
        size = FIXED_PAYLOAD[kind]
        end = at + 2 + size
        if end + 2 > len(buf):
            return None
        if buf[end : end + 2] != FRAME_END:
            self.garbage_bytes += 2
            return at + 2
        self._fixed_frame(kind, buf[at + 2 : end])
        return end + 2

    def _text_frame(self, kind: int, text: str) -> None:
        if kind == ERROR_TEXT:
            raise self.tracker.failure(text or "error frame 0xF1")
        counter = parse_event_counter(text)
        if counter is not None:
            self.tracker.event(counter)
        elif text and self.on_text is not None:
            self.on_text(text)

    def _fixed_frame(self, kind: int, payload: bytes) -> None:
        if kind == TIMESTAMP:
            counter = int.from_bytes(payload[:4], "big")
            if counter >> 31:
                self.timestamp_flags += 1
            self.tracker.timestamp(counter & (BIN_MS_MODULUS - 1), payload[4])
        elif kind == END:
            self.ended = True
        elif kind == OVERCURRENT:
            raise self.tracker.failure("overcurrent (frame 0xF5)")
        elif kind == POWER_DOWN:
            self.power_downs += 1
            if self.on_text is not None:
                self.on_text("target power down")
        else:
            self.voltage_mv = int.from_bytes(payload, "big")
