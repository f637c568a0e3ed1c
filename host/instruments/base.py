"""The one interface every energy monitor driver implements.

A driver configures the instrument (supply voltage, sample rate, output, stream format),
powers the target, starts and stops acquisition, and turns the instrument's stream into
``StreamItem``s (sample blocks, events, drops, status) read with a timeout.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from tinyjoule.host.measurement.stream import StreamItem

if TYPE_CHECKING:
    from tinyjoule.host.instruments.facts import MonitorFacts


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    voltage_v: float = 1.8
    sample_rate_hz: float = 1000.0
    output: str = "energy"  # "current" (A per sample) or "energy" (J per sample period)
    stream_format: str = "ascii_dec"  # instrument-specific; LPM01A: "ascii_dec" | "bin_hexa"
    event_edge: str = "falling"  # which timestamp-pin edge counts
    event_channel: int | None = None  # digital input carrying the pin (PPK2 D0-D7, JS220 GPI)


@dataclass(frozen=True, slots=True)
class MonitorInfo:
    """What the bench description and the trace file say about the instrument."""

    kind: str
    port: str
    firmware_version: str
    serial_number: str | None = None
    powers_target: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


class EnergyMonitor(ABC):
    """An energy monitor; every blocking call has a timeout and raises a TinyJouleError.

    ``facts`` (a class attribute) is everything tinyjoule knows about the kind
    (``instruments.facts``); ``clock`` is the time base its waits use (its port's)."""

    facts: ClassVar[MonitorFacts]
    config: MonitorConfig

    @abstractmethod
    def open(self) -> MonitorInfo:
        """Connect, flush stale data, stop any running acquisition, identify the instrument."""

    @abstractmethod
    def configure(self, config: MonitorConfig) -> None:
        """Apply ``config``; ConfigurationError for values the instrument cannot do."""

    @abstractmethod
    def power(self, on: bool) -> None:
        """Switch the target's supply (instruments that do not power the target: no-op)."""

    @abstractmethod
    def start(self) -> None:
        """Start acquisition; sample index 0 is the first sample after this."""

    @abstractmethod
    def read(self, timeout_s: float) -> list[StreamItem]:
        """Whatever has arrived, waiting up to ``timeout_s`` for at least something."""

    @abstractmethod
    def stop(self) -> list[StreamItem]:
        """Stop acquisition; returns the items that arrived until it stopped."""

    @abstractmethod
    def close(self) -> None:
        """Release the target to the instrument and close the port (never raises)."""

    def self_calibrate(self) -> dict[str, Any]:
        """Run the instrument's own calibration where it has one (after ``configure``, before
        ``start``) and say what was done, for the calibration record."""
        return {
            "command": None,
            "note": "no self-calibration command; its factory calibration is used as it is",
        }

    @property
    def accuracy_relative(self) -> float:
        """The instrument's stated relative accuracy of a current/energy reading (e.g. 0.02)."""
        return self.facts.accuracy_relative
