"""Uncertainty budgets after the GUM (JCGM 100:2008) for every energy figure tinyjoule prints.

A budget is a list of terms. Each term is one input quantity x_i with its standard
uncertainty u(x_i), how it was evaluated (type A: from the scatter of repeated readings;
type B: from a specification, a tolerance or a certificate), the distribution assumed for
it (a bound ±a taken as rectangular gives u = a/√3), and its sensitivity coefficient
c_i = ∂E/∂x_i in µJ per unit of x_i. Its contribution is |c_i| u(x_i) in µJ; the terms are
uncorrelated by construction (a correlated pair, such as the two edges of one window or
the gain and offset of one fit, is evaluated as one term), so the combined standard
uncertainty is their root-sum-square, u_c = sqrt(Σ (c_i u(x_i))²), and the expanded
uncertainty U = k u_c with the coverage factor k = 2 (about 95 % coverage for a normal
distribution). The ± tinyjoule prints is U.

``window_budget`` builds the terms of one window's energy; ``median_budget`` those of the
median energy per inference over the windows, which adds the window-to-window scatter.
Nothing here measures anything: the inputs come from the integrator and the calibration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

SQRT3 = math.sqrt(3.0)
COVERAGE_FACTOR = 2.0
MEDIAN_EFFICIENCY = math.sqrt(math.pi / 2.0)
"""The standard error of a median of n normal values is about sqrt(pi/2) sigma/sqrt(n)."""
TYPES = ("A", "B")


def rectangular(half_width: float) -> float:
    """The standard uncertainty of a quantity known only to lie within ±``half_width``."""
    return abs(half_width) / SQRT3


def reading_quantum(rule: str | None, value: float) -> float:
    """The step between readings near ``value`` under a resolution rule: ``digits:N`` (N
    significant decimal digits, the LPM01A's ascii_dec), ``hex:N`` (an N-bit mantissa times
    a power of 16, its bin_hexa), ``relative:X`` (steps of X times the value); 0 when the
    rule is None or the value not positive."""
    if not rule or not (value > 0 and math.isfinite(value)):
        return 0.0
    name, _, arg = rule.partition(":")
    if name == "digits":
        return 10.0 ** (math.floor(math.log10(value)) - int(arg) + 1)
    if name == "hex":
        limit = 2.0 ** int(arg)
        exponent = 0
        while exponent < 14 and value * 16.0 ** (exponent + 1) < limit:
            exponent += 1
        return 16.0**-exponent
    if name == "relative":
        return float(arg) * value
    raise ValueError(f"unknown resolution rule {rule!r} (digits:N, hex:N or relative:X)")


def describe_resolution(rule: str | None) -> str:
    name, _, arg = (rule or "").partition(":")
    return {
        "digits": f"{arg} significant digits",
        "hex": f"a {arg}-bit mantissa times a power of 16",
        "relative": f"steps of {arg} of the reading",
    }.get(name, "unknown")


@dataclass(frozen=True, slots=True)
class Term:
    """One input quantity of a budget; see the module docstring."""

    name: str
    type: str  # "A" or "B"
    distribution: str  # "rectangular", "normal", ...
    standard_uncertainty: float  # u(x_i), in ``unit``
    unit: str  # of x_i: "relative", "ppm", "A", "uJ"
    sensitivity: float  # c_i, µJ per ``unit``
    source: str

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"budget term {self.name!r}: type must be A or B, not {self.type!r}")
        if not (math.isfinite(self.standard_uncertainty) and self.standard_uncertainty >= 0):
            raise ValueError(f"budget term {self.name!r}: u must be finite and >= 0")
        if not math.isfinite(self.sensitivity):
            raise ValueError(f"budget term {self.name!r}: the sensitivity must be finite")

    @property
    def contribution_uj(self) -> float:
        return abs(self.sensitivity * self.standard_uncertainty)

    def scaled(self, factor: float) -> Term:
        """The same input for a figure ``factor`` times the energy (e.g. 1/N per inference)."""
        return replace(self, sensitivity=self.sensitivity * factor)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "distribution": self.distribution,
            "standard_uncertainty": self.standard_uncertainty,
            "unit": self.unit,
            "sensitivity": self.sensitivity,
            "sensitivity_unit": f"uJ/{self.unit}",
            "contribution_uj": self.contribution_uj,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Term:
        return cls(
            name=str(data["name"]),
            type=str(data["type"]),
            distribution=str(data["distribution"]),
            standard_uncertainty=float(data["standard_uncertainty"]),
            unit=str(data["unit"]),
            sensitivity=float(data["sensitivity"]),
            source=str(data.get("source", "")),
        )


@dataclass(frozen=True, slots=True)
class Budget:
    """The terms of one figure (``figure`` names it, e.g. ``energy_uj``) and what they add to."""

    terms: tuple[Term, ...]
    figure: str = "energy_uj"
    coverage_factor: float = COVERAGE_FACTOR
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def combined_standard_uncertainty_uj(self) -> float:
        return math.hypot(*(t.contribution_uj for t in self.terms))  # scaled: no underflow

    @property
    def expanded_uncertainty_uj(self) -> float:
        return self.coverage_factor * self.combined_standard_uncertainty_uj

    def scaled(self, factor: float, figure: str) -> Budget:
        return replace(self, terms=tuple(t.scaled(factor) for t in self.terms), figure=figure)

    def with_term(self, term: Term) -> Budget:
        return replace(self, terms=(*self.terms, term))

    def to_dict(self) -> dict[str, Any]:
        combined = self.combined_standard_uncertainty_uj
        return {
            "figure": self.figure,
            "terms": [
                {**t.to_dict(), "variance_percent": _share(t.contribution_uj, combined)}
                for t in self.terms
            ],
            "combined_standard_uncertainty_uj": combined,
            "coverage_factor": self.coverage_factor,
            "expanded_uncertainty_uj": self.expanded_uncertainty_uj,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Budget:
        return cls(
            terms=tuple(Term.from_dict(t) for t in data["terms"]),
            figure=str(data.get("figure", "energy_uj")),
            coverage_factor=float(data.get("coverage_factor", COVERAGE_FACTOR)),
            notes=tuple(str(n) for n in data.get("notes", ())),
        )


def _share(contribution: float, combined: float) -> float:
    return 100.0 * (contribution / combined) ** 2 if combined > 0 else 0.0


# -- the inputs of a window budget ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatasheetReading:
    """An uncalibrated reading: the instrument's stated accuracy, a bound taken as
    rectangular."""

    relative_bound: float
    source: str


@dataclass(frozen=True, slots=True)
class CalibratedReading:
    """A reading corrected with a fitted gain and offset (reading = gain x current + offset);
    ``covariances`` maps each independent source of doubt in the fit (name -> (type,
    distribution, 2x2 covariance of gain and offset in (1, A) units, source text))."""

    gain: float
    offset_a: float
    covariances: tuple[
        tuple[str, str, str, tuple[tuple[float, float], tuple[float, float]], str], ...
    ]

    def current_uncertainty_a(
        self, current_a: float, covariance: Sequence[Sequence[float]]
    ) -> float:
        """u of a corrected current ``current_a`` from one covariance of (gain, offset):
        I = (reading - offset) / gain, so dI/dgain = -I/gain and dI/doffset = -1/gain."""
        jg, jo = -current_a / self.gain, -1.0 / self.gain
        (cgg, cgo), (_, coo) = covariance
        variance = jg * jg * cgg + 2.0 * jg * jo * cgo + jo * jo * coo
        return math.sqrt(max(variance, 0.0))


@dataclass(frozen=True, slots=True)
class TimebaseInputs:
    """The sample clock's doubt: terms (name, type, distribution, u in ppm, source)."""

    terms: tuple[tuple[str, str, str, float, str], ...]


ASSUMED_TIMEBASE = TimebaseInputs(
    (
        (
            "time base",
            "B",
            "rectangular",
            rectangular(100.0),
            "sample clock within ±100 ppm (tinyjoule's assumption for a crystal-clocked "
            "instrument; not from a datasheet)",
        ),
    )
)


@dataclass(frozen=True, slots=True)
class WindowFacts:
    """What the integrator knows about one window (``energy_j`` already corrected)."""

    energy_j: float
    edge_bound_j: float  # half of each boundary sample, the two added (a hard bound)
    samples: int  # sample periods in the window (end event - start event)
    duration_s: float
    voltage_v: float
    raw_mean_sample: float  # mean raw reading (A or J per sample), for its resolution
    quantum: float  # the resolution of a raw reading of that size (0: unknown/none)


def window_budget(
    window: WindowFacts,
    reading: DatasheetReading | CalibratedReading,
    timebase: TimebaseInputs,
    resolution_source: str = "",
) -> Budget:
    """The terms of one window's energy in µJ: reading, boundary samples, time base,
    resolution (see the module docstring for how each is evaluated)."""
    e_uj = window.energy_j * 1e6
    terms: list[Term] = []
    if isinstance(reading, DatasheetReading):
        terms.append(
            Term(
                "reading",
                "B",
                "rectangular",
                rectangular(reading.relative_bound),
                "relative",
                e_uj,
                f"datasheet accuracy ±{reading.relative_bound * 100:g} % of the reading "
                f"({reading.source})",
            )
        )
    else:
        volt_s_uj = window.voltage_v * window.duration_s * 1e6  # µJ per A of mean current
        mean_a = window.energy_j / (window.voltage_v * window.duration_s) if volt_s_uj else 0.0
        for name, kind, distribution, covariance, source in reading.covariances:
            u_a = reading.current_uncertainty_a(mean_a, covariance)
            terms.append(Term(name, kind, distribution, u_a, "A", volt_s_uj, source))
    terms.append(
        Term(
            "boundary samples",
            "B",
            "rectangular",
            rectangular(window.edge_bound_j * 1e6),
            "uJ",
            1.0,
            "each edge lies somewhere in its sample: half of each boundary sample, the "
            "two added (both edges err the same way)",
        )
    )
    for name, kind, distribution, u_ppm, source in timebase.terms:
        terms.append(Term(name, kind, distribution, u_ppm, "ppm", e_uj * 1e-6, source))
    if window.quantum > 0 and window.raw_mean_sample > 0:
        half = 0.5 * window.quantum / window.raw_mean_sample
        terms.append(
            Term(
                "resolution",
                "B",
                "rectangular",
                rectangular(half),
                "relative",
                e_uj,
                f"half a step of the reading's resolution at the window's mean reading "
                f"({describe_resolution(resolution_source)}), taken as the same for every "
                "sample (a steady reading does not average its rounding out)",
            )
        )
    return Budget(tuple(terms), figure="energy_uj")


def median_budget(
    budgets: Sequence[Budget], values: Sequence[float], figure: str = "median_uj_per_inference"
) -> Budget:
    """The budget of the median of ``values`` (one per window, each with its budget in the
    same unit): the terms of the middle window (the mean of the two middle ones for an
    even count), plus the window-to-window scatter, type A."""
    if not values or len(values) != len(budgets):
        raise ValueError("median_budget needs one budget per value")
    order = sorted(range(len(values)), key=lambda i: values[i])
    n = len(order)
    middle = [order[n // 2]] if n % 2 else [order[n // 2 - 1], order[n // 2]]
    terms = []
    for parts in zip(*(budgets[i].terms for i in middle), strict=True):
        c = sum(t.sensitivity for t in parts) / len(parts)
        contribution = sum(t.contribution_uj for t in parts) / len(parts)
        u = contribution / abs(c) if c else 0.0
        terms.append(replace(parts[0], standard_uncertainty=u, sensitivity=c))
    if n >= 2:
        mean = math.fsum(values) / n
        s = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
        terms.append(
            Term(
                "window-to-window scatter",
                "A",
                "normal",
                MEDIAN_EFFICIENCY * s / math.sqrt(n),
                "uJ",
                1.0,
                f"standard deviation of the {n} windows (s = {s:.4g} µJ) x "
                f"sqrt(pi/2)/sqrt({n}), the standard error of a median",
            )
        )
    return Budget(tuple(terms), figure=figure)
