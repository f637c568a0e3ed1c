"""The errors of a simulated instrument, for calibration to find: gain, offset, time base, noise.

Set in the monitor's URL (``sim:lpm01a?gain=1.03&offset_ua=5&timebase_ppm=200&noise_ua=2&seed=1``,
``instruments.registry.SIMULATED_MONITOR_OPTIONS``) or a board file's ``[monitor.sim]``.
A simulated monitor with errors reads ``gain x true current + offset`` plus its noise, and
its sample clock runs ``timebase_ppm`` fast: sample k covers
``[t0 + k / (fs (1 + ppm 1e-6)), ...)`` of true time while the instrument still labels
its samples and its energy per sample with the nominal ``fs``. The simulator's truth (the
board's activity log) knows nothing of these errors, so an uncalibrated run is off by
about what was injected, and a calibrated one must find its way back to the truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class InstrumentErrors:
    gain: float = 1.0
    offset_a: float = 0.0
    timebase_ppm: float = 0.0
    noise_a: float | None = None  # None: the board profile's
    seed: int | None = None  # None: the board profile's

    @classmethod
    def from_options(cls, options: tuple[tuple[str, float], ...]) -> InstrumentErrors:
        given = dict(options)
        return cls(
            gain=given.get("gain", 1.0),
            offset_a=given.get("offset_ua", 0.0) * 1e-6,
            timebase_ppm=given.get("timebase_ppm", 0.0),
            noise_a=given["noise_ua"] * 1e-6 if "noise_ua" in given else None,
            seed=int(given["seed"]) if "seed" in given else None,
        )

    @property
    def reading_or_clock(self) -> bool:
        """Whether the readings or the clock are off (noise alone needs no special device)."""
        return self.gain != 1.0 or self.offset_a != 0.0 or self.timebase_ppm != 0.0

    def rate(self, nominal_hz: float) -> float:
        """The true rate of a sample clock whose nominal rate is ``nominal_hz``."""
        return nominal_hz * (1.0 + self.timebase_ppm * 1e-6)

    def read(self, current_a: np.ndarray) -> None:
        """The readings of ``current_a``, in place: gain x current + offset."""
        if self.gain != 1.0:
            current_a *= self.gain
        if self.offset_a:
            current_a += self.offset_a

    def to_dict(self) -> dict[str, Any]:
        return {
            "gain": self.gain,
            "offset_ua": self.offset_a * 1e6,
            "timebase_ppm": self.timebase_ppm,
            "noise_ua": None if self.noise_a is None else self.noise_a * 1e6,
            "seed": self.seed,
        }


NO_ERRORS = InstrumentErrors()
