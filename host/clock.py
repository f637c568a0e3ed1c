"""The time base of a bench: real ports keep real time, a simulated bench brings its own.

Every wait in the host measures its timeout on a ``Clock``: ``now()`` in seconds,
``sleep(seconds)``, and ``wait(cond, predicate, timeout_s)`` on a condition the clock hands
out (``condition()``). ``SYSTEM_CLOCK`` is ``time.monotonic``. A simulated bench's virtual
clock (``host.sim.virtual_clock``) advances when the host waits on it, so a 10-second window
costs no wall time and no timeout depends on how busy the machine is.

A thread that reads devices on the host's behalf (the monitor pump) runs inside
``with clock.reader():``; a virtual clock then wakes it when data is ready, never lets it
move time itself, and ``readers_idle()`` says when every such thread has read all there is.
Objects that own a port (pyserial ports of a simulated bench, vendor drivers) may carry a
``clock`` attribute; ``clock_of`` finds it, so code above them needs no sim knowledge.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Seconds, sleeping and bounded waits on one time base."""

    def now(self) -> float:
        """Seconds on this clock (only differences mean anything)."""

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass (a virtual clock moves forward instead of sleeping)."""

    def condition(self) -> threading.Condition:
        """A condition to wait on with ``wait`` (a virtual clock shares one)."""

    def wait(
        self, cond: threading.Condition, predicate: Callable[[], bool], timeout_s: float
    ) -> bool:
        """Holding ``cond``: wait until ``predicate()`` or ``timeout_s`` on this clock;
        returns whether the predicate holds."""

    def reader(self) -> AbstractContextManager[None]:
        """Marks the calling thread as a background reader for as long as it runs."""

    def readers_idle(self) -> bool | None:
        """True when every reader thread has read all its devices can give now, False when
        one has not; None when the clock cannot tell (real time)."""


class SystemClock:
    """Real time: ``time.monotonic`` and ``time.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def condition(self) -> threading.Condition:
        return threading.Condition()

    def wait(
        self, cond: threading.Condition, predicate: Callable[[], bool], timeout_s: float
    ) -> bool:
        deadline = time.monotonic() + timeout_s
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            cond.wait(remaining)
        return True

    @contextlib.contextmanager
    def reader(self) -> Iterator[None]:
        yield

    def readers_idle(self) -> bool | None:
        return None


SYSTEM_CLOCK = SystemClock()


def clock_of(owner: object) -> Clock:
    """The clock ``owner`` (a port, a vendor driver) keeps, or real time."""
    clock = getattr(owner, "clock", None)
    return clock if isinstance(clock, Clock) else SYSTEM_CLOCK
