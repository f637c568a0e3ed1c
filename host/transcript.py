"""The serial transcript of a session: every byte sent and received, written as it happens.

One line per chunk: host monotonic seconds, device, direction (``>`` sent, ``<`` received)
and the bytes with non-printables escaped, so the file is readable and loses nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TextIO


def escape(data: bytes) -> str:
    return data.decode("latin-1").encode("unicode_escape").decode("ascii")


class Transcript:
    """Appends traffic to a file (line-buffered) and keeps nothing in memory."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._file: TextIO | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="ascii", buffering=1)
        self._t0 = time.monotonic()
        self.chunks = 0  # how many chunks were recorded: 0 means no device was talked to

    def record(self, device: str, direction: str, data: bytes) -> None:
        if self._file is None or not data:
            return
        self.chunks += 1
        self._file.write(
            f"{time.monotonic() - self._t0:10.4f} {device} {direction} {escape(data)}\n"
        )

    def note(self, text: str) -> None:
        if self._file is not None:
            self._file.write(f"{time.monotonic() - self._t0:10.4f} # {text}\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

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
