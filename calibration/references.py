"""Calibration references a user can buy or borrow, as they are written on the command line.

A reference is a precision resistor on the monitor's output (its current is the set voltage
over its resistance) or a current measured by another instrument (a bench multimeter in
series), each with its own uncertainty, or ``open`` (nothing connected: exactly no current)::

    1kohm±0.01%        1 kΩ, tolerance ±0.01 % (a bound: rectangular, u = 0.01 %/√3)
    100Ω+-0.1%         the same with Ω and an ASCII ±
    1.8mA±0.05%        a current from another instrument, its accuracy a bound
    1.8003mA±0.4uA(k=2)   ... or from a calibration certificate: expanded, k = 2 (normal)
    open               the open output (the zero / offset point)

Resistances take ohm, Ω, kohm, kΩ, Mohm, MΩ; currents A, mA, uA, µA, nA. The uncertainty is
a percentage or an absolute value in the reference's own unit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from tinyjoule.errors import ConfigurationError

SQRT3 = math.sqrt(3.0)
_RESISTANCE = {"ohm": 1.0, "ω": 1.0, "kohm": 1e3, "kω": 1e3, "mohm": 1e6, "mω": 1e6}
_CURRENT = {"a": 1.0, "ma": 1e-3, "ua": 1e-6, "µa": 1e-6, "μa": 1e-6, "na": 1e-9}
_PATTERN = re.compile(
    r"^\s*(?P<value>[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(?P<unit>[a-zµμω]+)\s*"
    r"(?:(?:±|\+-|\+/-)\s*(?P<tol>[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(?P<tol_unit>%|[a-zµμω]+)"
    r"\s*(?:\(\s*k\s*=\s*(?P<k>[0-9.]+)\s*\))?)?\s*$"
)
EXAMPLES = "1kohm±0.01%, 100ohm±0.1%, 1.8mA±0.05% or open"


@dataclass(frozen=True, slots=True)
class Reference:
    """One reference: ``kind`` "resistor" (``value`` in Ω), "current" (A) or "open"."""

    kind: str
    value: float
    relative_u: float  # the standard uncertainty of ``value``, relative
    distribution: str  # "rectangular" (a tolerance bound), "normal" (a certificate), "exact"
    text: str

    def current_a(self, voltage_v: float) -> float:
        if self.kind == "open":
            return 0.0
        if self.kind == "resistor":
            return voltage_v / self.value
        return self.value

    def current_u_a(self, voltage_v: float) -> float:
        """The standard uncertainty of the reference current (relative u of R or I alike)."""
        return abs(self.current_a(voltage_v)) * self.relative_u

    @property
    def label(self) -> str:
        if self.kind == "open":
            return "open output (no load)"
        return self.text

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "kind": self.kind,
            "value": self.value,
            "unit": {"resistor": "ohm", "current": "A", "open": ""}[self.kind],
            "relative_standard_uncertainty": self.relative_u,
            "distribution": self.distribution,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reference:
        return cls(
            kind=str(data["kind"]),
            value=float(data["value"]),
            relative_u=float(data["relative_standard_uncertainty"]),
            distribution=str(data["distribution"]),
            text=str(data["text"]),
        )


OPEN = Reference("open", 0.0, 0.0, "exact", "open")


def _bad(text: str, problem: str) -> ConfigurationError:
    return ConfigurationError(
        f"reference {text!r}: {problem}; write a reference as {EXAMPLES} "
        "(a tolerance is a bound; add (k=2) for a certificate's expanded uncertainty)"
    )


def parse_reference(text: str) -> Reference:
    """A reference from its text (see the module docstring)."""
    if text.strip().lower() in ("open", "0", "none"):
        return OPEN
    match = _PATTERN.match(text.lower())
    if match is None:
        raise _bad(text, "not understood")
    value = float(match["value"])
    unit = match["unit"]
    if unit in _RESISTANCE:
        kind, value = "resistor", value * _RESISTANCE[unit]
    elif unit in _CURRENT:
        kind, value = "current", value * _CURRENT[unit]
    else:
        raise _bad(text, f"unknown unit {unit!r} (ohm, kohm, Mohm or A, mA, uA, nA)")
    if not math.isfinite(value) or value <= 0:
        raise _bad(text, "the value must be positive")
    if match["tol"] is None:
        raise _bad(
            text,
            "a reference needs its own uncertainty: give the resistor's tolerance or the "
            "other instrument's accuracy",
        )
    tol, tol_unit = float(match["tol"]), match["tol_unit"]
    if tol_unit == "%":
        bound = tol / 100.0
    else:
        scale = _RESISTANCE.get(tol_unit) if kind == "resistor" else _CURRENT.get(tol_unit)
        if scale is None:
            raise _bad(text, f"the uncertainty's unit {tol_unit!r} is not the value's kind")
        bound = tol * scale / value
    if not 0 < bound < 0.5:
        raise _bad(text, "the uncertainty must be above 0 and below 50 %")
    if match["k"] is not None:
        k = float(match["k"])
        if not k > 0:
            raise _bad(text, "the coverage factor k must be positive")
        return Reference(kind, value, bound / k, "normal", text.strip())
    return Reference(kind, value, bound / SQRT3, "rectangular", text.strip())
