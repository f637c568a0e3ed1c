"""Reading protocol lines from a pyserial port with a deadline, logging every byte."""

from __future__ import annotations

import contextlib
import time
from collections import deque

from serial import SerialBase, SerialException

from tinyjoule.firmware_protocol.dut_codec import LineSplitter
from tinyjoule.firmware_protocol.errors import DeviceConnectionError
from tinyjoule.host.transcript import Transcript

POLL_S = 0.02


def looks_like_garbage(line: str) -> bool:
    """True for a line a protocol peer at the right baud would never send."""
    if not line:
        return False
    bad = sum(1 for ch in line if not (32 <= ord(ch) < 127 or ch == "\t"))
    return bad > len(line) // 4


class LinePort:
    """A pyserial port read as lines; ``device`` names it in errors and the transcript."""

    def __init__(self, port: SerialBase, device: str, transcript: Transcript) -> None:
        self.port = port
        self.device = device
        self.transcript = transcript
        self._splitter = LineSplitter()
        self._lines: deque[str] = deque()
        self.garbage_lines = 0
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
        """The next line, or None once ``deadline`` (time.monotonic) has passed."""
        while not self._lines:
            if time.monotonic() >= deadline:
                return None
            try:
                waiting = self.port.in_waiting
                data = self.port.read(max(1, waiting))
            except (SerialException, OSError) as exc:
                raise DeviceConnectionError(
                    f"{self.device}: reading failed ({exc}); is the board still plugged in?"
                ) from exc
            if data:
                self.transcript.record(self.device, "<", data)
                for line in self._splitter.feed(data):
                    if looks_like_garbage(line):
                        self.garbage_lines += 1
                    self._lines.append(line)
        return self._lines.popleft()

    def drain(self, quiet_s: float = 0.05, limit_s: float = 1.0) -> list[str]:
        """Everything the device says until it is quiet for ``quiet_s`` (at most ``limit_s``)."""
        lines: list[str] = []
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            line = self.read_line(min(end, time.monotonic() + quiet_s))
            if line is None:
                break
            lines.append(line)
        return lines

    def close(self) -> None:
        with contextlib.suppress(SerialException, OSError):
            self.port.close()
