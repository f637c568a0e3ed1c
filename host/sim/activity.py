"""What the simulated board did, and the energy that took: the simulator's own truth.

The simulated DUT logs every activity as an interval of virtual time with a state: ``uart``
(receiving or sending bytes), ``active`` (inferring, or busy-waiting through a timestamp
pulse); it is idle in between, and unpowered before it boots. From the same events it also
sets the piecewise-constant current the simulated monitors sample (``sim.power``). The
truth is computed from this log in closed form, by a second integration written apart
from the sample generator and on the simulator's time, not on sample indices: so a gain
error in what the monitors render, or a wrong edge convention on the host, shows up as a
difference instead of being reproduced on both sides.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field

STATES = ("uart", "active")


@dataclass(frozen=True, slots=True)
class Activity:
    start_s: float
    end_s: float
    state: str


@dataclass
class ActivityLog:
    """Activities in the order they happen (each starts no earlier than the last ended)."""

    activities: list[Activity] = field(default_factory=list)
    _ends: list[float] = field(default_factory=list)

    def add(self, start_s: float, end_s: float, state: str) -> None:
        if state not in STATES:
            raise ValueError(f"activity state must be one of {STATES}, not {state!r}")
        if end_s > start_s:
            self.activities.append(Activity(start_s, end_s, state))
            self._ends.append(end_s)

    def overlapping(self) -> list[tuple[Activity, Activity]]:
        """Pairs of successive activities that overlap (the log assumes there are none)."""
        pairs = zip(self.activities, self.activities[1:], strict=False)
        return [(a, b) for a, b in pairs if b.start_s < a.end_s]

    def charge_c(self, start_s: float, end_s: float, currents_a: Mapping[str, float]) -> float:
        """The charge drawn over [start_s, end_s]: idle current throughout, plus each
        activity's extra current over its overlap with the interval."""
        if end_s <= start_s:
            return 0.0
        idle = currents_a["idle"]
        total = idle * (end_s - start_s)
        first = bisect.bisect_right(self._ends, start_s)
        for activity in self.activities[first:]:
            if activity.start_s >= end_s:
                break
            overlap = min(end_s, activity.end_s) - max(start_s, activity.start_s)
            if overlap > 0:
                total += (currents_a[activity.state] - idle) * overlap
        return total
