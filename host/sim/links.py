"""The host-facing end of a simulated serial link, and what a baud mismatch does to bytes."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


def garble(data: bytes, sender_baud: int, receiver_baud: int) -> bytes:
    """What a UART receiving at the wrong baud makes of ``data``: framing garbage.

    The exact bytes a real UART produces depend on bit timing; this keeps the properties that
    matter to a host (same-length-ish noise, no valid protocol lines) and is deterministic.
    """
    if sender_baud == receiver_baud:
        return data
    return bytes(((b * 151 + 89) ^ 0xA5) & 0xFF for b in data)


@dataclass
class HostPort:
    """Bytes on their way to the host, each chunk stamped with its virtual arrival time."""

    name: str
    link_baud: int
    _chunks: deque[tuple[float, bytes]] = field(default_factory=deque)

    def deliver(self, data: bytes, arrival_s: float) -> None:
        self._chunks.append((arrival_s, data))

    def take(self, size: int, host_baud: int, until_s: float = math.inf) -> tuple[bytes, float]:
        """Up to ``size`` bytes that have arrived by ``until_s``, as a host UART at
        ``host_baud`` sees them, and the arrival time of the last byte taken (or -1 when
        there was none). Bytes arriving later are still on the wire: they stay."""
        out = bytearray()
        last_s = -1.0
        while self._chunks and len(out) < size and self._chunks[0][0] <= until_s:
            arrival_s, chunk = self._chunks.popleft()
            room = size - len(out)
            if len(chunk) > room:
                self._chunks.appendleft((arrival_s, chunk[room:]))
                chunk = chunk[:room]
            out += chunk
            last_s = arrival_s
        return garble(bytes(out), self.link_baud, host_baud), last_s

    def waiting(self, by_s: float = math.inf) -> int:
        """Bytes that have arrived by ``by_s`` (chunks arrive in time order)."""
        total = 0
        for arrival_s, chunk in self._chunks:
            if arrival_s > by_s:
                break
            total += len(chunk)
        return total

    def clear(self, by_s: float = math.inf) -> None:
        """Drop the bytes that have arrived by ``by_s``."""
        while self._chunks and self._chunks[0][0] <= by_s:
            self._chunks.popleft()
