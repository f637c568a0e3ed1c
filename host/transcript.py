"""The serial transcript of a session: every byte sent and received, written as it happens.

One line per chunk: host monotonic seconds, device, direction (``>`` sent, ``<`` received)
and the bytes with non-printables escaped, so the file is readable and loses nothing, except
from a runaway line: ``LineCappedRecorder`` keeps each received line's first and last
``MAX_LINE_BYTES // 2`` bytes and notes how many between were not recorded. A write that
fails (a full disk) ends the transcript without raising (a command on its way to a device
must not stop half-way); ``error`` says why.
"""

from __future__ import annotations

import time
from pathlib import Path

from tinyjoule.device_text import MAX_LINE_BYTES
from tinyjoule.errors import StorageError
from tinyjoule.host.disk_space import LineFile


def escape(data: bytes) -> str:
    return data.decode("latin-1").encode("unicode_escape").decode("ascii")


FLUSH_EVERY_S = 0.25
"""The file is flushed at most this long after a write (and on every note and on close): a
killed process loses at most the last quarter second of traffic, and a chatty device does
not cost a system call per line (a flush per line took a third of a simulated run's time)."""


class Transcript:
    """Appends traffic to a file (flushed within ``FLUSH_EVERY_S``) and keeps nothing in
    memory beyond the file's buffer. A write that fails ends it: see ``error``."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._file: LineFile | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = LineFile(path, encoding="ascii", buffering=1 << 16)
        self._t0 = time.monotonic()
        self._flushed = self._t0
        self.chunks = 0  # how many chunks were recorded: 0 means no device was talked to

    @property
    def error(self) -> StorageError | None:
        """Why the transcript stopped before its end (a full disk), if it did."""
        return None if self._file is None else self._file.error

    def record(self, device: str, direction: str, data: bytes) -> None:
        if self._file is None or self._file.closed or not data:
            return
        self.chunks += 1
        now = time.monotonic()
        self._file.write(f"{now - self._t0:10.4f} {device} {direction} {escape(data)}\n")
        if now - self._flushed >= FLUSH_EVERY_S:
            self._file.flush()
            self._flushed = now

    def note(self, text: str) -> None:
        if self._file is not None:
            now = time.monotonic()
            self._file.write(f"{now - self._t0:10.4f} # {text}\n")
            self._file.flush()
            self._flushed = now

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def summarising(self, max_bytes: int = 160) -> SummarisingTranscript:
        """A view for streaming devices: commands whole, long received chunks cut short."""
        return SummarisingTranscript(self, max_bytes)


class SummarisingTranscript:
    """Records what a monitor is sent in full and the start of each chunk it streams back
    (the samples themselves go to the trace file, not the transcript)."""

    def __init__(self, transcript: Transcript, max_bytes: int) -> None:
        self._transcript = transcript
        self._max_bytes = max_bytes

    def record(self, device: str, direction: str, data: bytes) -> None:
        if direction == "<" and len(data) > self._max_bytes:
            self._transcript.record(device, direction, data[: self._max_bytes])
            self._transcript.note(f"{device} < ... {len(data) - self._max_bytes} more bytes")
            return
        self._transcript.record(device, direction, data)

    def note(self, text: str) -> None:
        self._transcript.note(text)


class LineCappedRecorder:
    """Records what a line-oriented device sends to ``transcript``: every byte of a line of
    up to ``max_line_bytes``; of a longer line its first and last ``max_line_bytes // 2``
    bytes, with a note of how many between were not recorded. A runaway line then costs
    the transcript about ``max_line_bytes`` bytes (at most 4 characters each, escaped)."""

    def __init__(
        self, transcript: Transcript, device: str, max_line_bytes: int = MAX_LINE_BYTES
    ) -> None:
        self.transcript = transcript
        self.device = device
        self._head_limit = max_line_bytes // 2
        self._tail_limit = max_line_bytes - self._head_limit
        self._run = 0  # bytes of the current line so far
        self._tail = bytearray()  # bytes past the head, not yet recorded (the newest)
        self._skipped = 0  # bytes of the current line that will not be recorded
        self.skipped_bytes = 0

    def record(self, data: bytes) -> None:
        out = bytearray()
        start = 0
        while start < len(data):
            newline = data.find(b"\n", start)
            end = len(data) if newline < 0 else newline + 1
            room = max(0, self._head_limit - self._run)
            out += data[start : min(end, start + room)]
            if end - start > room:
                self._keep(data[start + room : end])
            self._run += end - start
            if newline >= 0:
                out = self._line_ended(out)
            start = end
        self._emit(out)

    def flush(self) -> None:
        """Record what is held back of an unfinished line (when the port closes)."""
        self._emit(self._line_ended(bytearray()))

    def _keep(self, data: bytes) -> None:
        self._tail += data
        excess = len(self._tail) - self._tail_limit
        if excess > 0:
            del self._tail[:excess]
            self._skipped += excess
            self.skipped_bytes += excess

    def _line_ended(self, out: bytearray) -> bytearray:
        if self._skipped:
            self._emit(out)
            self.transcript.note(
                f"{self.device} < ... {self._skipped} bytes of an over-long line not recorded"
            )
            out = bytearray()
        out += self._tail
        self._tail = bytearray()
        self._skipped = 0
        self._run = 0
        return out

    def _emit(self, out: bytearray) -> None:
        if out:
            self.transcript.record(self.device, "<", bytes(out))
