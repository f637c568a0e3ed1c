"""What energy monitors deliver: blocks of samples and timestamp events, indexed by sample.

Time is the absolute sample index since the acquisition started, never wall-clock time.
A ``SampleBlock`` holds current in amperes (``unit == "A"``) or the energy of each sample
period in joules (``unit == "J"``). A ``SampleDrop`` says samples were lost on the way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UNITS = ("A", "J")


@dataclass(frozen=True, slots=True)
class SampleBlock:
    samples: np.ndarray  # float64, one value per sample period
    first_index: int  # absolute index of samples[0]
    sample_rate_hz: float
    unit: str  # "A" or "J"

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"sample unit must be one of {UNITS}, not {self.unit!r}")

    @property
    def end_index(self) -> int:
        return self.first_index + len(self.samples)


@dataclass(frozen=True, slots=True)
class Event:
    """A timestamp-pin edge seen by the monitor at ``sample_index``."""

    sample_index: int
    rising: bool | None = None  # None where the instrument does not say (LPM01A)
    counter: int | None = None  # the instrument's own running event number, if any


@dataclass(frozen=True, slots=True)
class SampleDrop:
    """``count`` samples starting at ``first_index`` never arrived (or were not counted)."""

    first_index: int
    count: int


@dataclass(frozen=True, slots=True)
class MonitorStatus:
    """Instrument housekeeping: buffer load (0-100 %) and the sample index it refers to."""

    sample_index: int
    buffer_percent: int


StreamItem = SampleBlock | Event | SampleDrop | MonitorStatus
