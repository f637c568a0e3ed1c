"""Each monitor kind's default acquisition settings, and the user's overrides on top.

An LPM01A runs as the MLCommons runner sets it (1 kHz energy samples, ascii_dec, falling
D7 edges); a PPK2 streams current at its fixed 100 kS/s and powers the DUT ("source" mode);
a Joulescope gives energy per sample from measured current and voltage at 1 kHz and counts
GPI0 rising edges, as the MLCommons JS220 flow does.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tinyjoule.host.instruments.base import MonitorConfig

KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "lpm01a": {"sample_rate_hz": 1000.0, "output": "energy", "stream_format": "ascii_dec"},
    "ppk2": {
        "sample_rate_hz": 100_000.0,
        "output": "current",
        "stream_format": "source",
        "event_channel": 0,
    },
    "js220": {
        "sample_rate_hz": 1000.0,
        "output": "energy",
        "stream_format": "",
        "event_edge": "rising",
        "event_channel": 0,
    },
    "js110": {
        "sample_rate_hz": 1000.0,
        "output": "energy",
        "stream_format": "",
        "event_edge": "rising",
        "event_channel": 0,
    },
}


def monitor_config(kind: str, voltage_v: float, **overrides: Any) -> MonitorConfig:
    """``kind``'s defaults at ``voltage_v``, with every override that is not None applied."""
    config = replace(MonitorConfig(voltage_v=voltage_v), **KIND_DEFAULTS.get(kind, {}))
    given = {key: value for key, value in overrides.items() if value is not None}
    return replace(config, **given)
