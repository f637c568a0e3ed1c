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


class ScriptPort:
    """A fake pyserial port: every write must be the next scripted command, byte for byte
    (``frame`` turns a scripted command into its bytes); its scripted reply then becomes
    readable (pymeasure-style). ``used_up`` says the script is done."""

    def __init__(
        self,
        script: list[tuple[Any, bytes]],
        stale: bytes = b"",
        frame: Any = lambda command: command,
    ) -> None:
        self.script = list(script)
        self.incoming = bytearray(stale)
        self.timeout = 0.02
        self.closed = False
        self._frame = frame

    @property
    def used_up(self) -> bool:
        return not self.script

    def write(self, data: bytes) -> int:
        assert self.script, f"unexpected write {bytes(data)!r}"
        expected, reply = self.script.pop(0)
        expected_bytes = self._frame(expected)
        assert data == expected_bytes, f"sent {bytes(data)!r}, expected {expected_bytes!r}"
        self.incoming += reply
        return len(data)

    def flush(self) -> None:
        pass

    @property
    def in_waiting(self) -> int:
        return len(self.incoming)

    def read(self, size: int = 1) -> bytes:
        if not self.incoming:
            time.sleep(0.001)
            return b""
        out = bytes(self.incoming[:size])
        del self.incoming[:size]
        return out

    def reset_input_buffer(self) -> None:
        self.incoming.clear()

    def close(self) -> None:
        self.closed = True
