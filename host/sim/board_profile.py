"""Board profiles for the simulated DUT: clock, cost per MAC, currents, timestamp pulse.

The default profile is the MLPerf Tiny reference board, an ST NUCLEO-L4R5ZI (Cortex-M4 at
120 MHz) at 1.8 V. Its cycles per MAC (by op type) are a non-negative least-squares fit of the
stand-in models' MACs to the board's published v1.2 latencies (kws01 43.2 ms, vww01 88.9 ms,
ic01 165.1 ms, ad01 5.26 ms). One cost per op type cannot match all four (X-CUBE-AI is
relatively slower on the DS-CNN than on MobileNet), so the profile gives kws01 35.6 ms (-17 %),
vww01 100.4 ms (+13 %), ic01 164.7 ms and ad01 5.26 ms. Its currents are the three levels of
the published v1.2 kws01 trace at 1.8 V (``../shared/data/published``): about 21.4 mW idle
(waiting for the runner between commands), 33.0 mW while the UART moves bytes (loading an
input at 9600 baud, printing results) and 42.2 mW while inferring. Other boards differ: on
some the 9600-baud load draws more than the inference (set ``uart_current_a`` above
``active_current_a``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tinyjoule.errors import ConfigurationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def _frozen(mapping: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class BoardProfile:
    """What the simulated board is: how fast it infers and what it draws."""

    name: str = "NUCLEO-L4R5ZI"
    vendor: str = "STMicroelectronics"
    clock_hz: float = 120e6
    # Cycles per multiply-accumulate by op type (TFLite builtin names); other ops cost only
    # ``cycles_per_op``.
    cycles_per_mac: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"CONV_2D": 1.581, "DEPTHWISE_CONV_2D": 1.847, "FULLY_CONNECTED": 2.389}
        )
    )
    cycles_per_op: float = 0.0
    # Relative standard deviation of one batch's per-inference latency (caches, interrupts).
    latency_jitter: float = 0.0005
    # Energy-mode timestamp: the reference busy-waits 100,000 NOP-loop iterations, about 2.5 ms.
    timestamp_pulse_s: float = 2.5e-3
    timer_start_us: int = 1_000_000
    supply_voltage_v: float = 1.8
    idle_current_a: float = 21.4e-3 / 1.8
    uart_current_a: float = 33.0e-3 / 1.8  # receiving or sending bytes
    active_current_a: float = 42.2e-3 / 1.8  # inferring, and the timestamp pulse's busy-wait
    current_noise_a: float = 0.05e-3
    seed: int = 1

    def __post_init__(self) -> None:
        if self.clock_hz <= 0:
            raise ValueError(f"board profile {self.name}: clock_hz must be > 0")
        if min(self.active_current_a, self.idle_current_a, self.uart_current_a) < 0:
            raise ValueError(f"board profile {self.name}: currents must be >= 0")

    @property
    def currents_a(self) -> dict[str, float]:
        """Current by board state (``sim.activity``): idle, uart, active."""
        return {
            "idle": self.idle_current_a,
            "uart": self.uart_current_a,
            "active": self.active_current_a,
        }

    def cycles_for(self, op_type: str, macs: int) -> float:
        per_mac = self.cycles_per_mac.get(op_type, 1.0)
        return self.cycles_per_op + per_mac * macs

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "board profile") -> BoardProfile:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigurationError(
                f"{source}: unknown key(s) {', '.join(unknown)}; "
                f"known keys are {', '.join(sorted(known))}"
            )
        values = dict(data)
        if "cycles_per_mac" in values:
            values["cycles_per_mac"] = _frozen(values["cycles_per_mac"])
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"{source}: {exc}") from exc

    @classmethod
    def from_toml(cls, path: Path) -> BoardProfile:
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(f"board profile {path}: cannot read it ({exc})") from exc
        return cls.from_mapping(data.get("profile", data), source=f"board profile {path}")


REFERENCE_BOARD = BoardProfile()
