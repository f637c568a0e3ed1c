"""A pyserial-like port onto a simulated monitor device at a fixed virtual time (test helper)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass
class SimPort:
    """Bytes written go to ``device.receive`` at ``now``; reads return ``device.output(now)``."""

    device: Any  # SimulatedLpm01a or SimulatedPpk2
    now: float = 0.0
    timeout: float = 0.02

    def __post_init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.device.receive(bytes(data), self.now)
        return len(data)

    def flush(self) -> None:
        pass

    @property
    def in_waiting(self) -> int:
        self.buffer += self.device.output(self.now)
        return len(self.buffer)

    def read(self, size: int = 1) -> bytes:
        if not self.in_waiting:
            time.sleep(0.001)
            return b""
        out = bytes(self.buffer[:size])
        del self.buffer[:size]
        return out

    def reset_input_buffer(self) -> None:
        self.device.output(self.now)
        self.buffer.clear()

    def close(self) -> None:
        pass
