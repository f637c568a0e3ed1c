"""Reading protocol lines from a pyserial port with a deadline on its clock, logging every byte."""

from __future__ import annotations

import contextlib
from collections import deque

from serial import SerialBase, SerialException

from tinyjoule.errors import DeviceConnectionError
from tinyjoule.firmware_protocol.dut_codec import LineSplitter
from tinyjoule.host.clock import clock_of
from tinyjoule.host.transcript import Transcript

POLL_S = 0.02


_TEXT_BYTES = frozenset(range(32, 127)) | {9, 10, 13, 0}


def garbage_bytes(data: bytes) -> int:
    """How many bytes of ``data`` a text protocol peer at the right baud would never send."""
    return sum(1 for b in data if b not in _TEXT_BYTES)


class LinePort:
    """A pyserial port read as lines; ``device`` names it in errors and the transcript."""

    def __init__(self, port: SerialBase, device: str, transcript: Transcript) -> None:
        self.port = port
        self.device = device
        self.transcript = transcript
        self._splitter = LineSplitter()
        self._lines: deque[str] = deque()
        self.garbage_bytes = 0
        self.clock = clock_of(port)
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
                data = self.port.read(max(1, waiting))
                if data and not waiting and self.port.in_waiting:
                    data += self.port.read(self.port.in_waiting)
            except (SerialException, OSError) as exc:
                raise DeviceConnectionError(
                    f"{self.device}: reading failed ({exc}); is the board still plugged in?"
                ) from exc
            if data:
                self.transcript.record(self.device, "<", data)
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

    def close(self) -> None:
        with contextlib.suppress(SerialException, OSError):
            self.port.close()
