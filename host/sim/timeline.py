"""Discrete-event scheduling and UART byte timing on the simulator's virtual clock.

Virtual time is float seconds since the bench was created. Nothing here sleeps: a
10-second inference window is a number, not a wait.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit
PIECE_BYTES = 4096
"""A longer send arrives in pieces of this size, each when its last byte has."""


def byte_time_s(baud: int) -> float:
    """Seconds one 8N1 byte occupies on a line at ``baud``."""
    return BITS_PER_BYTE / baud


@dataclass
class Scheduler:
    """A heap of (time, action) run in time order; ``now_s`` is the time being processed."""

    now_s: float = 0.0
    _queue: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    _counter: itertools.count = field(default_factory=itertools.count)

    def at(self, time_s: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._queue, (time_s, next(self._counter), action))

    def run(self, until_s: float = math.inf) -> None:
        """Run every pending action due by ``until_s`` (all by default), including those
        the actions schedule."""
        while self._queue and self._queue[0][0] <= until_s:
            time_s, _, action = heapq.heappop(self._queue)
            self.now_s = max(self.now_s, time_s)
            action()


@dataclass
class UartLine:
    """One direction of a serial link: bytes leave one at a time at ``baud``.

    ``send`` returns the time the last byte has arrived, and schedules the delivery of the
    chunk to ``deliver`` at that time (a long chunk in pieces of ``PIECE_BYTES``, each when
    its last byte has arrived). The line is busy until then; a later send queues.
    """

    scheduler: Scheduler
    baud: int
    deliver: Callable[[bytes, float], None]
    busy_until_s: float = 0.0

    def send(self, data: bytes, start_s: float) -> float:
        if not data:
            return start_s
        begin = max(start_s, self.busy_until_s)
        step = byte_time_s(self.baud)
        end = begin
        for offset in range(0, len(data), PIECE_BYTES):
            piece = data[offset : offset + PIECE_BYTES]
            end = begin + (offset + len(piece)) * step
            self.scheduler.at(end, lambda piece=piece, end=end: self.deliver(piece, end))
        self.busy_until_s = end
        return end
