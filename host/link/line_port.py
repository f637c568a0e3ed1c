"""Reading protocol lines from a pyserial port with a deadline on its clock, logging every byte.

Memory stays bounded whatever the device sends: reads take at most ``READ_CHUNK`` bytes, a
line keeps at most ``MAX_LINE_BYTES`` (head and tail, ``tinyjoule.device_text``), and the
transcript keeps the same of each line (``LineCappedRecorder``).
"""

from __future__ import annotations

import contextlib
from collections import deque

from serial import SerialBase, SerialException

from tinyjoule.errors import DeviceConnectionError
from tinyjoule.firmware_protocol.dut_codec import LineSplitter
from tinyjoule.host.clock import clock_of
from tinyjoule.host.transcript import LineCappedRecorder, Transcript

POLL_S = 0.02
READ_CHUNK = 1 << 16
"""The most bytes taken in one read."""


_TEXT_BYTES = bytes(sorted(set(range(32, 127)) | {9, 10, 13, 0}))


def garbage_bytes(data: bytes) -> int:
    """How many bytes of ``data`` a text protocol peer at the right baud would never send."""
    return len(data.translate(None, _TEXT_BYTES))


class LinePort:
    """A pyserial port read as lines; ``device`` names it in errors and the transcript."""

    def __init__(self, port: SerialBase, device: str, transcript: Transcript) -> None:
        self.port = port
        self.device = device
        self.transcript = transcript
        self._splitter = LineSplitter()
        self._recorder = LineCappedRecorder(transcript, device)
        self._lines: deque[str] = deque()
        self.garbage_bytes = 0
        self.clock = clock_of(port)
        self.opened_s = self.clock.now()
        port.timeout = POLL_S

    def write(self, data: bytes) -> None:
        self.transcript.record(self.device, ">", data)
        try:
            self.port.write(data)
            self.port.flush()
        except (SerialException, OSError) as exc:
            raise DeviceConnectionError(
                f"{self.device}: writing {data!r} failed ({exc}); is the board still plugged in?"
            ) from exc

    def read_line(self, deadline: float) -> str | None:
        """The next line, or None once ``deadline`` (on the port's clock) has passed."""
        while not self._lines:
            if self.clock.now() >= deadline:
                return None
            try:
                waiting = self.port.in_waiting
                data = self.port.read(min(max(1, waiting), READ_CHUNK))
                if data and not waiting and self.port.in_waiting:  # the rest of a burst
                    data += self.port.read(min(self.port.in_waiting, READ_CHUNK - 1))
            except (SerialException, OSError) as exc:
                raise DeviceConnectionError(
                    f"{self.device}: reading failed ({exc}); is the board still plugged in?"
                ) from exc
            if data:
                self._recorder.record(data)
                self.garbage_bytes += garbage_bytes(data)
                self._lines.extend(self._splitter.feed(data))
        return self._lines.popleft()

    def drain(self, quiet_s: float = 0.05, limit_s: float = 1.0) -> list[str]:
        """Everything the device says until it is quiet for ``quiet_s`` (at most ``limit_s``)."""
        lines: list[str] = []
        end = self.clock.now() + limit_s
        while self.clock.now() < end:
            line = self.read_line(min(end, self.clock.now() + quiet_s))
            if line is None:
                break
            lines.append(line)
        return lines

    @property
    def cut_bytes(self) -> int:
        """Bytes cut from over-long lines so far."""
        return self._splitter.cut_bytes

    def close(self) -> None:
        self._recorder.flush()
        with contextlib.suppress(SerialException, OSError):
            self.port.close()
