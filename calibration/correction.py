"""What a calibration changes in a stream of samples, and how to undo it.

The instrument model: a current reading is ``gain x true current + offset`` and the sample
clock runs ``timebase_ppm`` fast, so sample k covers ``1 / (fs (1 + ppm 1e-6))`` seconds
of true time while the instrument believes it covers ``1 / fs``. Hence, per sample:

- current samples (A): ``I = (reading - offset) / gain`` at the true rate
  ``fs (1 + ppm 1e-6)``;
- energy samples (J per period), which the instrument computes as its reading x V / fs:
  ``E = (reading - V offset / fs) / (gain (1 + ppm 1e-6))``, also at the true rate.

Both are one multiply and one add per sample (``StreamCorrection.apply``), done block by
block before integration; the trace keeps the raw samples and this correction's numbers
(``to_attrs``), so a re-analysis can apply or undo it (``undo``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class Correction:
    """A monitor's fitted errors: reading = gain x current + offset_a; clock +ppm fast."""

    gain: float = 1.0
    offset_a: float = 0.0
    timebase_ppm: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.gain) and self.gain > 0):
            raise ValueError(f"a correction's gain must be positive, not {self.gain}")
        if not (math.isfinite(self.offset_a) and math.isfinite(self.timebase_ppm)):
            raise ValueError("a correction's offset and time base must be finite")

    @property
    def rate_factor(self) -> float:
        return 1.0 + self.timebase_ppm * 1e-6

    def stream(self, unit: str, sample_rate_hz: float, voltage_v: float) -> StreamCorrection:
        """The per-sample correction of a stream of ``unit`` samples at nominal
        ``sample_rate_hz`` from an instrument supplying ``voltage_v``."""
        if unit == "A":
            scale = 1.0 / self.gain
            shift = -self.offset_a / self.gain
        elif unit == "J":
            scale = 1.0 / (self.gain * self.rate_factor)
            shift = -voltage_v * self.offset_a / sample_rate_hz * scale
        else:
            raise ValueError(f"sample unit must be A or J, not {unit!r}")
        return StreamCorrection(
            scale=scale,
            shift=shift,
            unit=unit,
            nominal_rate_hz=sample_rate_hz,
            sample_rate_hz=sample_rate_hz * self.rate_factor,
        )


@dataclass(frozen=True, slots=True)
class StreamCorrection:
    """corrected = raw x scale + shift, at ``sample_rate_hz`` (the raw stream's nominal rate
    is ``nominal_rate_hz``)."""

    scale: float
    shift: float
    unit: str
    nominal_rate_hz: float
    sample_rate_hz: float

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """A new array of corrected samples (float64); ``raw`` is left as it is."""
        out = np.multiply(raw, self.scale, dtype=np.float64)
        out += self.shift
        return out

    def undo(self, corrected: np.ndarray) -> np.ndarray:
        return (np.asarray(corrected, dtype=np.float64) - self.shift) / self.scale

    def raw_value(self, corrected: float) -> float:
        return (corrected - self.shift) / self.scale

    def to_attrs(self) -> dict[str, Any]:
        return {
            "formula": "corrected = raw * scale + shift, at corrected_sample_rate_hz",
            "scale": self.scale,
            "shift": self.shift,
            "unit": self.unit,
            "nominal_sample_rate_hz": self.nominal_rate_hz,
            "corrected_sample_rate_hz": self.sample_rate_hz,
        }

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> StreamCorrection:
        return cls(
            scale=float(attrs["scale"]),
            shift=float(attrs["shift"]),
            unit=str(attrs["unit"]),
            nominal_rate_hz=float(attrs["nominal_sample_rate_hz"]),
            sample_rate_hz=float(attrs["corrected_sample_rate_hz"]),
        )
