"""What a simulated monitor measures, made up for device and driver tests: the one fake
``AnalogFrontEnd`` every test uses (the bench's real one is ``host.sim.analog``)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class FakeFrontEnd:
    """Piecewise-constant current (``steps`` of (from_s, amperes), or a constant
    ``current_a``), timestamp-pin edges at the given times, a fixed supply voltage."""

    def __init__(
        self,
        current_a: float = 1.234e-3,
        falling: Iterable[float] = (),
        rising: Iterable[float] = (),
        *,
        steps: Iterable[tuple[float, float]] | None = None,
        voltage_v: float = 1.8,
    ) -> None:
        self.steps = sorted(steps) if steps is not None else [(0.0, current_a)]
        self.falling, self.rising = sorted(falling), sorted(rising)
        self.voltage_v = voltage_v

    def supply_voltage_v(self) -> float:
        return self.voltage_v

    def _charge_at(self, t: np.ndarray) -> np.ndarray:
        total = np.zeros_like(t, dtype=np.float64)
        ends = [start for start, _ in self.steps[1:]] + [np.inf]
        for (start, amps), end in zip(self.steps, ends, strict=True):
            total += amps * np.clip(np.minimum(t, end) - start, 0, None)
        return total

    def charge_c(self, start_s: float, end_s: float) -> float:
        q = self._charge_at(np.array([start_s, end_s], dtype=np.float64))
        return float(q[1] - q[0])

    def charge_per_period_c(self, t0: float, fs: float, k0: int, n: int) -> np.ndarray:
        if len(self.steps) == 1:  # exact: every period holds the same charge
            return np.full(n, self.steps[0][1] / fs)
        return np.diff(self._charge_at(t0 + (k0 + np.arange(n + 1)) / fs))

    def falling_edges_s(self, start_s: float, end_s: float) -> list[float]:
        return [t for t in self.falling if start_s <= t < end_s]

    def rising_edges_s(self, start_s: float, end_s: float) -> list[float]:
        return [t for t in self.rising if start_s <= t < end_s]


class SuppliedFakeFrontEnd(FakeFrontEnd):
    """A front end whose supply the monitor sets, as the bench's ``BoardFrontEnd``."""

    def set_supply_voltage_v(self, voltage_v: float) -> None:
        self.voltage_v = voltage_v
