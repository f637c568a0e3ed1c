"""One window re-scored: its energy through ``range_energy``, the published value beside it, its
flags, and whether it reproduces the published value (criterion: ``REPRODUCED_RULE``).

Uncertainty per window is ``range_energy``'s: the LPM01A reading accuracy (2 %), the time base,
and for EEMBC folders one boundary sample either way (its times are rounded to 1 ms), added in
quadrature. *Reproduced* is a bound, not an uncertainty: the published value must be what the
same sum gives with each boundary moved by at most the samples it may be off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyjoule.host.measurement.integration import UncertaintyModel, WindowEnergy, range_energy
from tinyjoule.host.rescore.alignment_check import ALIGNED, CANNOT_TELL, MISALIGNED, WindowCheck
from tinyjoule.host.rescore.published_txt import PublishedWindow
from tinyjoule.host.rescore.records import RawTrace, WindowSpec
from tinyjoule.host.runner.windows import (
    MIN_WINDOW_INFERENCES,
    MIN_WINDOW_S,
    median,
    value_at_median,
)

LPM01A = UncertaintyModel(reading_relative=0.02)
ROUNDING_UJ = 0.0005  # the runners print µJ with 3 decimals
SUM_RELATIVE = 1e-9  # float summation order (the runners' sums against ours)
REPRODUCED_RULE = (
    "reproduced: |Δ| ≤ the window's allowance = for each boundary the larger of the samples "
    "either side of it (EEMBC: the edge times are rounded to 1 ms, so either boundary may be one "
    "sample off; MLCommons: none, the sample indices are stored) + 0.0005 µJ (printed to 3 "
    "decimals) + 1e-9 × the energy (summation order)"
)


def boundary_allowance_uj(raw: RawTrace, start: int, end: int) -> float:
    """The most the sum over ``[start, end)`` changes when each boundary moves by up to
    ``raw.edge_samples`` samples either way (the two ends add: both may be off at once)."""
    k, s = raw.edge_samples, raw.samples_j
    if k <= 0:
        return 0.0

    def side(i: int) -> float:
        before = abs(float(np.sum(s[max(i - k, 0) : i])))
        after = abs(float(np.sum(s[i : i + k])))
        return max(before, after)

    return (side(start) + side(end)) * 1e6


@dataclass(frozen=True, slots=True)
class WindowScore:
    spec: WindowSpec
    energy: WindowEnergy
    published: PublishedWindow | None
    check: WindowCheck | None
    flags: tuple[str, ...]
    boundary_uj: float = 0.0  # boundary_allowance_uj

    @property
    def number(self) -> int:
        return self.spec.number

    @property
    def inferences(self) -> int:
        return self.spec.inferences

    @property
    def energy_uj(self) -> float:
        return self.energy.energy_uj

    @property
    def uncertainty_uj(self) -> float:
        return self.energy.uncertainty_j * 1e6

    @property
    def edge_uncertainty_uj(self) -> float:
        return self.energy.edge_uncertainty_j * 1e6

    @property
    def duration_s(self) -> float:
        return self.energy.duration_s

    @property
    def uj_per_inference(self) -> float:
        return self.energy_uj / self.inferences if self.inferences else float("nan")

    @property
    def mean_power_mw(self) -> float:
        return self.energy.mean_power_w * 1e3

    @property
    def alignment(self) -> str | None:
        return self.check.verdict if self.check else None

    @property
    def difference_percent(self) -> float | None:
        if self.published is None or self.published.energy_uj == 0:
            return None
        return (self.energy_uj - self.published.energy_uj) / self.published.energy_uj * 100

    @property
    def within_uncertainty(self) -> bool | None:
        if self.published is None:
            return None
        return abs(self.energy_uj - self.published.energy_uj) <= self.uncertainty_uj + ROUNDING_UJ

    @property
    def reproduced_tolerance_uj(self) -> float:
        """The largest |Δ| that still counts as reproduced (``REPRODUCED_RULE``)."""
        return self.boundary_uj + ROUNDING_UJ + SUM_RELATIVE * abs(self.energy_uj)

    @property
    def reproduced(self) -> bool | None:
        if self.published is None:
            return None
        return abs(self.energy_uj - self.published.energy_uj) <= self.reproduced_tolerance_uj


def score_window(
    raw: RawTrace, spec: WindowSpec, pub: PublishedWindow | None, check: WindowCheck | None
) -> WindowScore:
    energy = range_energy(
        raw.samples_j,
        0,
        spec.start,
        spec.end,
        "J",
        raw.sample_rate_hz,
        raw.voltage_v or 0.0,
        LPM01A,
        edge_samples=raw.edge_samples,
    )
    flags = []
    if energy.duration_s < MIN_WINDOW_S or spec.inferences < MIN_WINDOW_INFERENCES:
        flags.append("short")
    if pub is not None and pub.runner_valid is False:
        flags.append("runner_flagged")
    if check is not None:
        if check.on_logged_run is False:
            flags.append("off_log")
        if check.run_time_fits is False:
            flags.append("off_run_time")
        if check.verdict == CANNOT_TELL:
            flags.append("alignment_unknown")
        if check.verdict != ALIGNED and check.draws_more_than_gaps is False:
            flags.append("below_gaps")  # supporting information, shown where timing is not sure
    boundary = boundary_allowance_uj(raw, spec.start, spec.end)
    score = WindowScore(spec, energy, pub, check, tuple(flags), boundary)
    if score.reproduced is False:
        score = WindowScore(spec, energy, pub, check, (*flags, "not_reproduced"), boundary)
    return score


def is_misaligned(w: WindowScore) -> bool:
    return w.check is not None and w.check.verdict == MISALIGNED


def median_of(windows: tuple[WindowScore, ...] | None) -> float | None:
    return median([w.uj_per_inference for w in windows]) if windows else None


def median_uncertainty(windows: tuple[WindowScore, ...] | None) -> float | None:
    """The uncertainty per inference at the median: that window's, or the middle two's mean."""
    if not windows:
        return None
    return value_at_median(
        windows, lambda w: w.uj_per_inference, lambda w: w.uncertainty_uj / w.inferences
    )


def median_windows(windows: tuple[WindowScore, ...]) -> list[WindowScore]:
    """The window the median is taken from, or the middle two."""
    ranked = sorted(windows, key=lambda w: w.uj_per_inference)
    n = len(ranked)
    return ranked[n // 2 : n // 2 + 1] if n % 2 else ranked[n // 2 - 1 : n // 2 + 1]


def measures_idle(windows: tuple[WindowScore, ...]) -> bool:
    """Whether the window(s) the median is taken from are shown to hold no inference run."""
    return any(is_misaligned(w) for w in median_windows(windows))
