"""The numbers behind a calibration: reading statistics, the gain/offset fit, the time base.

- ``ReadingStats`` accumulates a steady reading block by block (count, mean, standard
  deviation, clipped zeros, and batch means, whose scatter gives the type A uncertainty of
  the mean even when the noise is correlated from sample to sample).
- ``fit_gain`` fits reading = gain x reference + offset by weighted least squares over the
  reference points (the open output is the point at zero current) and propagates each
  independent source of doubt through the fit separately: the readings' scatter (type A),
  their resolution (type B) and the references' own uncertainty (type B). The residuals are
  checked against what those allow (the Birge ratio): a fit far worse than its noise is
  refused; a moderately worse one widens its type A part.
- ``fit_timebase`` fits the monitor's sample count against the DUT's µs timer at the same
  edges: the slope is the monitor's clock rate, in ppm from nominal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tinyjoule.errors import MeasurementError

BATCHES = 20
BIRGE_LIMIT = 5.0
"""Residuals more than this many times what the noise and the references allow: refused."""
Matrix = tuple[tuple[float, float], tuple[float, float]]


class ReadingStats:
    """Running statistics of a steady reading (see the module docstring)."""

    def __init__(self, batch_size: int) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.batch_size = batch_size
        self.count = 0
        self.zeros = 0
        self._sum = 0.0
        self._sumsq = 0.0
        self._shift: float | None = None  # sums about the first value: no cancellation
        self._batch_sum = 0.0
        self._batch_n = 0
        self.batch_means: list[float] = []

    def add(self, samples: np.ndarray) -> None:
        values = np.asarray(samples, dtype=np.float64)
        if not len(values):
            return
        if self._shift is None:
            self._shift = float(values[0])
        centred = values - self._shift
        self.count += len(values)
        self.zeros += int(np.count_nonzero(values == 0.0))
        self._sum += float(np.sum(centred))
        self._sumsq += float(np.dot(centred, centred))
        pos = 0
        while pos < len(values):
            take = min(self.batch_size - self._batch_n, len(values) - pos)
            self._batch_sum += float(np.sum(values[pos : pos + take]))
            self._batch_n += take
            pos += take
            if self._batch_n == self.batch_size:
                self.batch_means.append(self._batch_sum / self.batch_size)
                self._batch_sum, self._batch_n = 0.0, 0

    @property
    def mean(self) -> float:
        if not self.count:
            return math.nan
        return (self._shift or 0.0) + self._sum / self.count

    @property
    def std(self) -> float:
        if self.count < 2:
            return 0.0
        m = self._sum / self.count
        return math.sqrt(max(self._sumsq / self.count - m * m, 0.0) * self.count / (self.count - 1))

    @property
    def zero_fraction(self) -> float:
        return self.zeros / self.count if self.count else 0.0

    @property
    def u_mean(self) -> float:
        """Type A standard uncertainty of the mean: from the batch means when there are
        enough of them (robust to correlated noise), else s/sqrt(n)."""
        if len(self.batch_means) >= 10:
            b = np.asarray(self.batch_means)
            return float(np.std(b, ddof=1) / math.sqrt(len(b)))
        return self.std / math.sqrt(self.count) if self.count else math.nan

    def to_dict(self) -> dict[str, float | int]:
        return {
            "samples": self.count,
            "mean": self.mean,
            "standard_deviation": self.std,
            "standard_uncertainty_of_mean": self.u_mean,
            "batches": len(self.batch_means),
            "zero_fraction": self.zero_fraction,
        }


# -- weighted straight lines --------------------------------------------------------------


def _wls(x: np.ndarray, y: np.ndarray, variance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares of y = a x + b: (parameters (a, b), the 2 x n matrix A with
    parameters = A @ y), so any covariance of y propagates as A C A^T."""
    design = np.column_stack([x, np.ones_like(x)])
    weights = 1.0 / variance
    normal = design.T @ (design * weights[:, None])
    if abs(np.linalg.det(normal)) <= 1e-300 * max(1.0, float(np.max(np.abs(normal)))):
        raise ValueError("the points do not determine a line")
    a = np.linalg.solve(normal, (design * weights[:, None]).T)
    return a @ y, a


def _matrix(m: np.ndarray) -> Matrix:
    return ((float(m[0, 0]), float(m[0, 1])), (float(m[1, 0]), float(m[1, 1])))


@dataclass(frozen=True, slots=True)
class GainPoint:
    """One reference point: the reference current and its standard uncertainty, the mean
    reading with its type A standard uncertainty, and the reading's resolution step."""

    reference_a: float
    reference_u_a: float
    reading_a: float
    reading_u_a: float
    quantum_a: float
    label: str = ""

    @property
    def resolution_u_a(self) -> float:
        return self.quantum_a / math.sqrt(12.0)  # rounding: a bound of half a step


@dataclass(frozen=True, slots=True)
class GainFit:
    """reading = gain x current + offset_a, with the covariance of (gain, offset) from each
    source of doubt, the residuals and the Birge ratio (None without spare points)."""

    gain: float
    offset_a: float
    covariance_scatter: Matrix  # type A
    covariance_resolution: Matrix  # type B
    covariance_references: Matrix  # type B
    residuals_a: tuple[float, ...]
    normalised_residuals: tuple[float, ...]
    dof: int
    birge_ratio: float | None

    @property
    def gain_u(self) -> float:
        return math.sqrt(sum(c[0][0] for c in self._all()))

    @property
    def offset_u_a(self) -> float:
        return math.sqrt(sum(c[1][1] for c in self._all()))

    def _all(self) -> tuple[Matrix, Matrix, Matrix]:
        return self.covariance_scatter, self.covariance_resolution, self.covariance_references


def fit_gain(points: Sequence[GainPoint]) -> GainFit:
    """The gain/offset fit (see the module docstring); MeasurementError when the points
    cannot give one or their residuals are far beyond their noise."""
    refs = np.array([p.reference_a for p in points], dtype=np.float64)
    if len(points) < 2 or len(np.unique(refs)) < 2:
        raise MeasurementError(
            "a gain needs two different reference currents (the open output counts as one): "
            "add a load, or run the zero workflow too"
        )
    y = np.array([p.reading_a for p in points], dtype=np.float64)
    ua = np.array([p.reading_u_a for p in points], dtype=np.float64)
    uq = np.array([p.resolution_u_a for p in points], dtype=np.float64)
    ux = np.array([p.reference_u_a for p in points], dtype=np.float64)
    floor = 1e-12 * max(float(np.max(np.abs(y))), 1e-9)  # noiseless simulated points
    gain = 1.0
    for _ in range(2):  # the references' doubt enters the weights scaled by the gain
        variance = ua**2 + uq**2 + (gain * ux) ** 2 + floor**2
        params, a = _wls(refs, y, variance)
        gain = float(params[0])
    offset = float(params[1])
    residuals = y - (gain * refs + offset)
    normalised = residuals / np.sqrt(variance)
    dof = len(points) - 2
    birge = math.sqrt(float(np.sum(normalised**2)) / dof) if dof > 0 else None
    cov_a = a @ np.diag(ua**2) @ a.T
    if birge is not None and birge > BIRGE_LIMIT:
        worst = int(np.argmax(np.abs(normalised)))
        raise MeasurementError(
            f"the gain fit's residuals are {birge:.1f} x what the readings' noise and the "
            f"references' uncertainty allow (worst: {points[worst].label or worst}, "
            f"{residuals[worst] * 1e6:+.3f} µA off the line): a load changed or is not the "
            "value given, a contact is loose, or the monitor switched range; check the "
            "resistors and the wiring, and calibrate again"
        )
    if birge is not None and birge > 1.0:
        cov_a = cov_a * birge**2  # the scatter says the readings scatter more than stated
    return GainFit(
        gain=gain,
        offset_a=offset,
        covariance_scatter=_matrix(cov_a),
        covariance_resolution=_matrix(a @ np.diag(uq**2) @ a.T),
        covariance_references=_matrix(gain**2 * (a @ np.diag(ux**2) @ a.T)),
        residuals_a=tuple(float(r) for r in residuals),
        normalised_residuals=tuple(float(r) for r in normalised),
        dof=dof,
        birge_ratio=birge,
    )


@dataclass(frozen=True, slots=True)
class TimebasePoint:
    """One edge seen by both clocks: the DUT's timer (µs, unwrapped) and the monitor's
    sample position (fractional samples), each with its standard uncertainty."""

    dut_us: float
    dut_u_us: float
    monitor_samples: float
    monitor_u_samples: float


@dataclass(frozen=True, slots=True)
class TimebaseFit:
    timebase_ppm: float  # the monitor's sample clock runs this much fast (+) or slow (-)
    fit_u_ppm: float  # type A: the edges' positions through the fit
    residuals_us: tuple[float, ...]
    birge_ratio: float | None
    span_s: float


def fit_timebase(points: Sequence[TimebasePoint], nominal_rate_hz: float) -> TimebaseFit:
    """The monitor's clock against the DUT's: samples = rate x dut time + c."""
    if len(points) < 2:
        raise MeasurementError("a time base needs at least two edges seen by both clocks")
    x = np.array([p.dut_us for p in points], dtype=np.float64)
    x0 = float(x[0])
    x = x - x0
    y = np.array([p.monitor_samples for p in points], dtype=np.float64)
    y0 = float(y[0])
    y = y - y0
    if float(np.ptp(x)) <= 0:
        raise MeasurementError("the edges' DUT times do not differ; is the DUT's timer running?")
    per_us = nominal_rate_hz * 1e-6
    variance = np.array(
        [p.monitor_u_samples**2 + (per_us * p.dut_u_us) ** 2 for p in points], dtype=np.float64
    )
    variance = np.maximum(variance, 1e-18)
    params, a = _wls(x, y, variance)
    slope = float(params[0])
    cov = a @ np.diag(variance) @ a.T
    residuals = y - (slope * x + float(params[1]))
    dof = len(points) - 2
    normalised = residuals / np.sqrt(variance)
    birge = math.sqrt(float(np.sum(normalised**2)) / dof) if dof > 0 else None
    u_slope = math.sqrt(max(float(cov[0, 0]), 0.0)) * max(1.0, birge or 1.0)
    if birge is not None and birge > BIRGE_LIMIT * 10:
        raise MeasurementError(
            f"the time-base fit's residuals are {birge:.0f} x what the edges' positions allow: "
            "an edge was taken at the wrong place (a glitch on the supply current, or the DUT's "
            "timer wrapped or was reset); run the time-base workflow again"
        )
    return TimebaseFit(
        timebase_ppm=(slope / per_us - 1.0) * 1e6,
        fit_u_ppm=u_slope / per_us * 1e6,
        residuals_us=tuple(float(r / per_us) for r in residuals),
        birge_ratio=birge,
        span_s=float(np.ptp(x)) * 1e-6,
    )
