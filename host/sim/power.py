"""What the simulated board draws and when its timestamp pin moves, on the virtual clock.

The board's supply current is piecewise constant: a list of breakpoints (time, amperes),
each holding until the next. Pin edges are (time, rising) pairs. Both only ever grow at the
end, in time order, so a monitor can render them block by block.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class PinEdge:
    time_s: float
    rising: bool


@dataclass
class PowerRecorder:
    """Piecewise-constant supply current; starts at ``initial_a`` at time 0."""

    initial_a: float
    times_s: list[float] = field(default_factory=list)
    currents_a: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.times_s.append(0.0)
        self.currents_a.append(self.initial_a)

    def set_current(self, time_s: float, current_a: float) -> None:
        if time_s < self.times_s[-1]:
            raise ValueError(f"current change at {time_s} s is before {self.times_s[-1]} s")
        if time_s == self.times_s[-1]:
            self.currents_a[-1] = current_a
        elif current_a != self.currents_a[-1]:
            self.times_s.append(time_s)
            self.currents_a.append(current_a)

    def charge_c(self, start_s: float, end_s: float) -> float:
        """Exact integral of the current over [start_s, end_s], in coulombs."""
        if end_s <= start_s:
            return 0.0
        total = 0.0
        i = max(bisect.bisect_right(self.times_s, start_s) - 1, 0)
        t = start_s
        while t < end_s:
            seg_end = self.times_s[i + 1] if i + 1 < len(self.times_s) else end_s
            seg_end = min(seg_end, end_s)
            total += self.currents_a[i] * (seg_end - t)
            t = seg_end
            i += 1
        return total


@dataclass
class PinRecorder:
    """Edges of the timestamp pin; the line idles high."""

    edges: list[PinEdge] = field(default_factory=list)

    def pulse(self, start_s: float, width_s: float) -> None:
        self.edges.append(PinEdge(start_s, rising=False))
        self.edges.append(PinEdge(start_s + width_s, rising=True))

    def falling_times_s(self) -> list[float]:
        return [e.time_s for e in self.edges if not e.rising]
