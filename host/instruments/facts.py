"""What tinyjoule knows about one kind of energy monitor, declared once on its driver class.

Every driver class carries ``facts = MonitorFacts(...)``: its name on the command line, the
acquisition defaults a run uses, whether it powers the target, its stated accuracy, its USB
ids (for ``tinyjoule devices``), whether a port may be left out, the stream formats and
outputs it can give, the pip extra it needs and its simulator. Nothing about a monitor kind
is written anywhere else, so a new monitor is one module (plus one for its simulator),
registered through the ``tinyjoule.monitors`` entry point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.instruments.base import MonitorConfig

OUTPUTS = ("energy", "current")
EDGES = ("falling", "rising")


@dataclass(frozen=True, slots=True)
class MonitorFacts:
    """One monitor kind's facts; ``config()`` gives a checked acquisition configuration."""

    kind: str
    """Its name in ``--monitor KIND[:PORT]`` and in the ``tinyjoule.monitors`` entry points."""
    title: str
    """What a person calls it, e.g. "ST X-NUCLEO-LPM01A (PowerShield)"."""
    sample_rate_hz: float
    output: str
    """"energy" (J per sample period) or "current" (A)."""
    stream_format: str
    event_edge: str = "falling"
    event_channel: int | None = None
    powers_target: bool = True
    """It supplies the DUT (at the voltage it is told) rather than only measuring."""
    measures_voltage: bool = False
    """It measures the supply voltage and cannot be told it, so energy must come from its own
    current x voltage samples ("current" output is refused)."""
    accuracy_relative: float = 0.05
    """The stated relative accuracy of one reading (a bound)."""
    accuracy_source: str = ""
    """Where ``accuracy_relative`` comes from (datasheet, or tinyjoule's assumption)."""
    usb_ids: Mapping[tuple[int, int], str] = field(default_factory=dict)
    """(vid, pid) -> description, for recognising it among serial ports."""
    port_when_omitted: str | None = None
    """None: a port must be given; otherwise the driver's URL when none is ("auto", "")."""
    stream_formats: tuple[str, ...] = ()
    """Values ``stream_format`` may take (its meaning is the instrument's own)."""
    outputs: tuple[str, ...] = OUTPUTS
    simulator: str | None = None
    """``"module:Class"`` of its simulated device, if it has one (``--monitor sim:KIND``)."""
    extra: str | None = None
    """The pip extra its driver needs (``pip install tinyjoule[EXTRA]``), if any."""
    shortest_event_pulse_s: float | None = None
    """The shortest timestamp pulse its event input is sure to see (an input sampled at f
    sees any pulse of at least 1/f); None: not known. The streaming wake word's pulses last
    1 µs."""
    resolution: Mapping[str, str] = field(default_factory=dict)
    """Stream format -> how finely a raw reading is resolved (``calibration.budget.
    reading_quantum``: ``digits:4``, ``hex:12``, ``relative:X``); absent: not counted."""
    current_range_a: tuple[float, float] | None = None
    """The currents it measures (low, high), for refusing calibration references beyond."""
    calibration_settings: Mapping[str, Any] = field(default_factory=dict)
    """``MonitorConfig`` overrides for calibrating (a fast, current-output stream)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "usb_ids", MappingProxyType(dict(self.usb_ids)))
        object.__setattr__(self, "resolution", MappingProxyType(dict(self.resolution)))
        object.__setattr__(
            self, "calibration_settings", MappingProxyType(dict(self.calibration_settings))
        )
        if self.output not in self.outputs or (
            self.stream_formats and self.stream_format not in self.stream_formats
        ):
            raise ValueError(f"monitor kind {self.kind}: its defaults contradict its facts")

    @property
    def defaults(self) -> dict[str, Any]:
        return {
            "sample_rate_hz": self.sample_rate_hz,
            "output": self.output,
            "stream_format": self.stream_format,
            "event_edge": self.event_edge,
            "event_channel": self.event_channel,
        }

    def config(self, voltage_v: float, **overrides: Any) -> MonitorConfig:
        """The defaults at ``voltage_v`` with every override that is not None, checked
        against what this kind can do (before anything is opened)."""
        given = {key: value for key, value in overrides.items() if value is not None}
        config = replace(MonitorConfig(voltage_v=voltage_v, **self.defaults), **given)
        label = f"--monitor {self.kind}"
        if config.output not in self.outputs:
            raise ConfigurationError(
                f"{label}: output {config.output!r} is not available; the {self.title} gives "
                f"{' or '.join(self.outputs)}"
            )
        if self.measures_voltage and config.output == "current":
            raise ConfigurationError(
                f"{label}: the {self.title} does not supply the board, so energy must use the "
                "voltage it measures; use --monitor-output energy (its default: each sample "
                "is measured current x measured voltage)"
            )
        if self.stream_formats and config.stream_format not in self.stream_formats:
            raise ConfigurationError(
                f"{label}: stream format {config.stream_format!r} is unknown; use one of "
                f"{', '.join(self.stream_formats)}"
            )
        if config.event_edge not in EDGES:
            raise ConfigurationError(
                f"{label}: event edge {config.event_edge!r} is unknown; use falling or rising"
            )
        if config.sample_rate_hz <= 0 or config.voltage_v <= 0:
            raise ConfigurationError(f"{label}: sample rate and voltage must be positive")
        return config
