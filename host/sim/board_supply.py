"""What every simulated board shares: its serial transmit and the current it draws.

A board (``SimulatedDut``, ``SimulatedSwwDut``) logs each activity as an interval of its own
virtual time (``ActivityLog``, the simulator's truth) and draws that state's current for the
monitors (``PowerRecorder``), idle after it; bytes it prints cross its UART at its baud rate.
"""

from __future__ import annotations

from collections.abc import Callable

from tinyjoule.host.sim.activity import ActivityLog
from tinyjoule.host.sim.board_profile import BoardProfile
from tinyjoule.host.sim.power import PinRecorder, PowerRecorder
from tinyjoule.host.sim.timeline import byte_time_s


class BoardSupply:
    """A board's clock, UART, supply current and timestamp pin."""

    def __init__(
        self, profile: BoardProfile, baud: int, transmit: Callable[[bytes, float], float]
    ) -> None:
        self.profile = profile
        self.baud = baud
        self.time_s = 0.0
        self.power = PowerRecorder(initial_a=profile.idle_current_a)
        self.activity = ActivityLog()
        self.currents_a = profile.currents_a
        self.pin = PinRecorder()
        self._transmit = transmit

    def byte_time_s(self) -> float:
        return byte_time_s(self.baud)

    def _draw(self, start_s: float, end_s: float, state: str) -> None:
        """The board is in ``state`` over [start_s, end_s], idle after: logged, and drawn
        for the monitors (an overlap with the last activity is clamped in the drawing only,
        so the truth would show it)."""
        self.activity.add(start_s, end_s, state)
        begin = max(start_s, self.power.times_s[-1])
        self.power.set_current(begin, self.currents_a[state])
        self.power.set_current(max(end_s, begin), self.currents_a["idle"])

    def emit(self, data: bytes) -> None:
        """The firmware prints ``data``: the UART is busy until its last byte is out."""
        start = self.time_s
        self.time_s = self._transmit(data, self.time_s)
        self._draw(start, self.time_s, "uart")
