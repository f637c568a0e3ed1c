"""The simulated bench's clock: virtual seconds that move only when the host waits on them.

Two kinds of threads use it. The host's own threads (the runner, a pseudo-terminal server)
drive time: ``sleep(s)`` moves the clock ``s`` forward at once, a read of a simulated port
moves it to when the bytes arrive, and ``wait`` moves it in small steps while nothing else
can make its predicate true. Reader threads (inside ``with clock.reader():``, such as the
monitor pump) follow time: their ``sleep`` and ``wait`` block until the clock moves or they
are notified, and a reader asleep at the current time counts as idle, having read
everything there was. A driving thread moves time only once every reader is idle, so the
order of events is the same on every run and no wait depends on the machine's load.

One lock and condition serve every wait on the bench (``condition()``); the real-time
timeouts below only bound a missed wake-up, they never decide an outcome.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

STEP_S = 0.01
"""How far a waiting host moves the clock at a time while nothing else happens."""
REAL_POLL_S = 0.5
"""Real seconds a blocked thread waits before it looks again (a missed wake-up only)."""


@dataclass
class _Reader:
    asleep: bool = False
    since_s: float = 0.0
    predicate: Callable[[], bool] | None = None


class VirtualClock:
    """Seconds since the bench was made; see the module docstring."""

    def __init__(self, start_s: float = 0.0) -> None:
        self._now = start_s
        self._cond = threading.Condition(threading.RLock())
        self._readers: dict[int, _Reader] = {}

    # -- the Clock protocol -------------------------------------------------------------
    def now(self) -> float:
        return self._now

    def condition(self) -> threading.Condition:
        return self._cond

    def sleep(self, seconds: float, since_s: float | None = None) -> None:
        """A driving thread moves time ``seconds`` on; a reader waits until time moves past
        ``since_s`` (when it last looked at its device; default: now). A reader that found
        nothing at ``since_s`` but was descheduled before it got here has missed time that
        passed meanwhile: it returns at once to look again, instead of counting as idle."""
        reader = self._readers.get(threading.get_ident())
        if reader is None:
            self.advance(seconds)
            return
        with self._cond:
            start = self._now if since_s is None else since_s
            reader.asleep, reader.since_s, reader.predicate = True, start, None
            self._cond.notify_all()
            try:
                while self._now == start and reader.asleep:
                    self._cond.wait(REAL_POLL_S)
            finally:
                reader.asleep = False

    def wait(
        self, cond: threading.Condition, predicate: Callable[[], bool], timeout_s: float
    ) -> bool:
        with self._cond:
            deadline = self._now + timeout_s
            reader = self._readers.get(threading.get_ident())
            if reader is not None:
                return self._follow(reader, predicate, deadline)
            while not predicate():
                if self.readers_idle():
                    if self._now >= deadline:
                        return False
                    self._set(min(self._now + STEP_S, deadline))
                    continue
                self._cond.wait(REAL_POLL_S)
            return True

    @contextlib.contextmanager
    def reader(self) -> Iterator[None]:
        ident = threading.get_ident()
        with self._cond:
            self._readers[ident] = _Reader()
        try:
            yield
        finally:
            with self._cond:
                self._readers.pop(ident, None)
                self._cond.notify_all()

    def readers_idle(self, besides: tuple[int, ...] = ()) -> bool:
        """Every reader (but the threads ``besides``) has read all there is at this time."""
        with self._cond:
            return all(
                r.asleep and r.since_s == self._now and (r.predicate is None or not r.predicate())
                for ident, r in self._readers.items()
                if ident not in besides
            )

    def wait_for_readers(self, besides: tuple[int, ...] = (), limit_s: float = 30.0) -> bool:
        """Back-pressure for a producer: block (real time, at most ``limit_s``) until every
        other reader has taken in what it was handed; time does not move meanwhile."""
        deadline = time.monotonic() + limit_s
        others = (threading.get_ident(), *besides)
        with self._cond:
            while not self.readers_idle(others):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, REAL_POLL_S))
            return True

    # -- moving time ----------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        if seconds > 0:
            with self._cond:
                self._set(self._now + seconds)

    def advance_to(self, time_s: float) -> None:
        """Move to ``time_s`` if that is later (bytes read that arrived then)."""
        if time_s > self._now:
            with self._cond:
                self._set(time_s)

    def wake_readers(self) -> None:
        """Let every sleeping reader look again now (a port was closed, say)."""
        with self._cond:
            for reader in self._readers.values():
                reader.asleep = False
            self._cond.notify_all()

    def _set(self, time_s: float) -> None:
        if time_s > self._now:
            self._now = time_s
            self._cond.notify_all()

    def _follow(self, reader: _Reader, predicate: Callable[[], bool], deadline: float) -> bool:
        """A reader's wait: blocks until the predicate holds or the clock passes the
        deadline; idle meanwhile whenever it has looked at the current time."""
        reader.predicate = predicate
        try:
            while not predicate():
                if self._now >= deadline:
                    return False
                reader.asleep, reader.since_s = True, self._now
                self._cond.notify_all()
                self._cond.wait(REAL_POLL_S)
            return True
        finally:
            reader.asleep, reader.predicate = False, None
