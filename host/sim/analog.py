"""What a simulated energy monitor's front end measures: the board's current and its pin.

Turns the simulated DUT's piecewise-constant supply current into exact per-sample charge
(vectorised: the cumulative charge is piecewise linear, so it is interpolated at the sample
boundaries) and reports timestamp-pin edges in a time range.
"""

from __future__ import annotations

import bisect
from typing import Protocol

import numpy as np

from tinyjoule.host.sim.power import PinRecorder, PowerRecorder


class AnalogFrontEnd(Protocol):
    """What the instrument measures: the bench's DUT supply current and timestamp pin.

    A front end may also have ``set_supply_voltage_v(volts)`` (the bench's ``BoardFrontEnd``
    does): a monitor that powers the board calls it when its output voltage is set."""

    def supply_voltage_v(self) -> float: ...

    def charge_c(self, start_s: float, end_s: float) -> float: ...

    def charge_per_period_c(self, t0: float, fs: float, k0: int, n: int) -> np.ndarray: ...

    def falling_edges_s(self, start_s: float, end_s: float) -> list[float]: ...

    def rising_edges_s(self, start_s: float, end_s: float) -> list[float]: ...


def set_supply(front_end: object, voltage_v: float) -> None:
    """The monitor now supplies the board at ``voltage_v``: tell the front end, if it can be
    told (test fakes may have a fixed voltage). Only the voltage follows: the board still
    draws the profile's amperes at any voltage [tinyjoule simplification; a real board's
    current changes with its supply], so energy scales with the voltage set."""
    setter = getattr(front_end, "set_supply_voltage_v", None)
    if setter is not None:
        setter(voltage_v)


# -- the two sample formats, device side ----------------------------------------------------


class BoardFrontEnd:
    """The ``AnalogFrontEnd`` a simulated monitor measures: one board's supply and pin."""

    def __init__(self, power: PowerRecorder, pin: PinRecorder, voltage_v: float) -> None:
        self._power = power
        self._pin = pin
        self._voltage_v = voltage_v
        self._n_breaks = 0
        self._times = np.zeros(1)
        self._currents = np.zeros(1)
        self._cumulative = np.zeros(1)

    def supply_voltage_v(self) -> float:
        return self._voltage_v

    def set_supply_voltage_v(self, voltage_v: float) -> None:
        self._voltage_v = voltage_v

    def _refresh(self) -> None:
        n = len(self._power.times_s)
        if n == self._n_breaks:
            return
        times = np.asarray(self._power.times_s, dtype=np.float64)
        currents = np.asarray(self._power.currents_a, dtype=np.float64)
        cumulative = np.zeros(n)
        cumulative[1:] = np.cumsum(currents[:-1] * np.diff(times))
        self._times, self._currents, self._cumulative = times, currents, cumulative
        self._n_breaks = n

    def _charge_at(self, t: np.ndarray) -> np.ndarray:
        """Charge drawn from time 0 to each ``t`` (exact for piecewise-constant current)."""
        self._refresh()
        idx = np.searchsorted(self._times, t, side="right") - 1
        idx = np.clip(idx, 0, len(self._times) - 1)
        return self._cumulative[idx] + self._currents[idx] * (t - self._times[idx])

    def charge_c(self, start_s: float, end_s: float) -> float:
        if end_s <= start_s:
            return 0.0
        q = self._charge_at(np.array([start_s, end_s]))
        return float(q[1] - q[0])

    def charge_per_period_c(self, t0: float, fs: float, k0: int, n: int) -> np.ndarray:
        """Charge in each of the ``n`` sample periods [t0+(k0+i)/fs, t0+(k0+i+1)/fs).

        The charge is piecewise linear in time with knots where the current changes: a
        block with no change is one value, any other one interpolation between the knots
        (measured from the block's first knot, so no precision is lost to a large total)."""
        self._refresh()
        times, currents = self._times, self._currents
        start, end = t0 + k0 / fs, t0 + (k0 + n) / fs
        lo = max(int(np.searchsorted(times, start, side="right")) - 1, 0)
        hi = max(int(np.searchsorted(times, end, side="right")) - 1, 0)
        if lo == hi:
            return np.full(n, currents[lo] / fs)
        knots = np.append(times[lo : hi + 1], end + 1.0)
        charge = np.append(self._cumulative[lo : hi + 1] - self._cumulative[lo], 0.0)
        charge[-1] = charge[-2] + currents[hi] * (knots[-1] - knots[-2])
        bounds = t0 + (k0 + np.arange(n + 1, dtype=np.float64)) / fs
        return np.diff(np.interp(bounds, knots, charge))

    def _edges(self, start_s: float, end_s: float, rising: bool) -> list[float]:
        edges = self._pin.edges
        times = [e.time_s for e in edges]
        lo = bisect.bisect_left(times, start_s)
        hi = bisect.bisect_left(times, end_s)
        return [e.time_s for e in edges[lo:hi] if e.rising == rising]

    def falling_edges_s(self, start_s: float, end_s: float) -> list[float]:
        return self._edges(start_s, end_s, rising=False)

    def rising_edges_s(self, start_s: float, end_s: float) -> list[float]:
        return self._edges(start_s, end_s, rising=True)
