"""Scores one trace: every window recomputed with ``host.energy.range_energy``, the median,
the published values beside them, and the alignment verdict.

Uncertainty per window is ``range_energy``'s: the LPM01A reading accuracy (2 %), the time base,
and for EEMBC folders one boundary sample either way (its times are rounded to 1 ms). A
published value is *reproduced* when it lies within that boundary part (plus the 0.001 µJ the
runner rounded to); MLCommons folders store sample indices, so they must match exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tinyjoule.host.measurement.integration import UncertaintyModel, WindowEnergy, range_energy
from tinyjoule.host.rescore.alignment_check import Alignment, WindowCheck, check_alignment
from tinyjoule.host.rescore.published_txt import PublishedResults, PublishedWindow
from tinyjoule.host.rescore.records import RawTrace, WindowSpec
from tinyjoule.host.runner.windows import (
    MIN_WINDOW_INFERENCES,
    MIN_WINDOW_S,
    median,
    value_at_median,
)

LPM01A = UncertaintyModel(reading_relative=0.02)
ROUNDING_UJ = 0.0005  # the runners print µJ with 3 decimals


@dataclass(frozen=True, slots=True)
class WindowScore:
    spec: WindowSpec
    energy: WindowEnergy
    published: PublishedWindow | None
    check: WindowCheck | None
    flags: tuple[str, ...]

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
    def reproduced(self) -> bool | None:
        if self.published is None:
            return None
        slack = self.edge_uncertainty_uj + ROUNDING_UJ + 1e-9 * abs(self.energy_uj)
        return abs(self.energy_uj - self.published.energy_uj) <= slack


@dataclass(frozen=True, slots=True)
class TraceScore:
    path: Path
    trace: str
    format: str
    workload: str | None
    voltage_v: float | None
    sample_rate_hz: float
    windows: tuple[WindowScore, ...]
    published: PublishedResults | None
    alignment: Alignment
    aligned: tuple[WindowScore, ...] | None  # the correctly aligned windows, when they differ
    flags: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def median_uj_per_inference(self) -> float | None:
        return median_of(self.windows)

    @property
    def uncertainty_uj_per_inference(self) -> float | None:
        return median_uncertainty(self.windows)

    @property
    def mean_power_mw(self) -> float | None:
        return median([w.mean_power_mw for w in self.windows]) if self.windows else None

    @property
    def published_median_uj_per_inference(self) -> float | None:
        return self.published.median_uj_per_inference if self.published else None

    @property
    def median_difference_percent(self) -> float | None:
        ours, theirs = self.median_uj_per_inference, self.published_median_uj_per_inference
        if ours is None or not theirs:
            return None
        return (ours - theirs) / theirs * 100

    @property
    def median_within_uncertainty(self) -> bool | None:
        ours, theirs = self.median_uj_per_inference, self.published_median_uj_per_inference
        unc = self.uncertainty_uj_per_inference
        if ours is None or theirs is None or unc is None:
            return None
        return abs(ours - theirs) <= unc + ROUNDING_UJ

    @property
    def aligned_median_uj_per_inference(self) -> float | None:
        return median_of(self.aligned) if self.aligned else None


def median_of(windows: tuple[WindowScore, ...] | None) -> float | None:
    return median([w.uj_per_inference for w in windows]) if windows else None


def median_uncertainty(windows: tuple[WindowScore, ...]) -> float | None:
    """The uncertainty per inference at the median: that window's, or the middle two's mean."""
    if not windows:
        return None
    return value_at_median(
        windows, lambda w: w.uj_per_inference, lambda w: w.uncertainty_uj / w.inferences
    )


def _window(
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
    if check is not None and check.on_logged_run is False:
        flags.append("off_log")
    if check is not None and check.draws_more_than_gaps is False:
        flags.append("below_gaps")
    score = WindowScore(spec, energy, pub, check, tuple(flags))
    if score.reproduced is False:
        score = WindowScore(spec, energy, pub, check, (*flags, "not_reproduced"))
    return score


def _is_idle(w: WindowScore) -> bool:
    return "off_log" in w.flags or "below_gaps" in w.flags


def measures_idle(windows: tuple[WindowScore, ...]) -> bool:
    """Whether the window(s) the median is taken from hold no inference run."""
    ranked = sorted(windows, key=lambda w: w.uj_per_inference)
    n = len(ranked)
    middle = ranked[n // 2 : n // 2 + 1] if n % 2 else ranked[n // 2 - 1 : n // 2 + 1]
    return any(_is_idle(w) for w in middle)


def _names(windows) -> str:
    return ", ".join(str(w.number) for w in windows)


def _notes(raw: RawTrace, pub: PublishedResults | None, al: Alignment, windows, aligned):
    flags, notes = list(raw.flags), list(raw.notes)
    if "edge_count" in flags:
        n = len(raw.edges)
        if al.method == "log":
            flags.remove("edge_count")
            expected = 1 + 2 * len(raw.runs)
            flags.append("lost_timestamp" if n < expected else "spurious_pulse")
            what = "one or more lost" if n < expected else "extra pulses"
            notes.append(
                f"{n} timestamp edges where the log's {len(raw.runs)} runs need {expected}: {what}"
            )
        else:
            notes.append(f"{n} timestamp edges, not 1 + 2 per window: one lost or one extra")
    for n in al.lost_runs:
        run = raw.runs[n - 1]
        notes.append(
            f"run {n} ({run.input_name or 'infer'}) has no timestamp edge at its start "
            "or end: its window is lost"
        )
        flags.append("lost_timestamp")
    short = [w for w in windows if "short" in w.flags]
    if short:
        flags.append("short_windows")
        told = all("runner_flagged" in w.flags for w in short)
        notes.append(
            f"window(s) {_names(short)} last less than {MIN_WINDOW_S:g} s or "
            f"{MIN_WINDOW_INFERENCES} inferences: not valid for submission"
            + ("; the runner flagged them too" if told else "")
        )
    if len(windows) % 2 == 0 and windows:
        notes.append(f"{len(windows)} windows: the median is the mean of the middle two")
    if al.misaligned:
        flags.append("misaligned")
        bad = [w for w in windows if _is_idle(w)]
        checked = "log run times and the trace" if al.method == "log" else "trace"
        text = (
            f"window(s) {_names(bad)} hold no inference run of their own (checked against the "
            f"{checked}): a lost or extra edge put them across the idle gaps between runs"
        )
        what = f"published median {pub.median_uj_per_inference:.3f} µJ/inf" if pub else "median"
        if measures_idle(windows):
            text += f"; the {what} is taken from them, so it measures idle time"
            flags.append("published_measures_idle")
        else:
            text += f"; the {what} comes from correctly placed windows"
        if aligned:
            text += f"; the correctly aligned windows give {median_of(aligned):.3f} µJ/inf"
        notes.append(text)
    elif any("below_gaps" in w.flags for w in windows):
        notes.append("a window draws no more than the gaps beside it: check the trace plot")
    if pub is None:
        flags.append("no_results_txt")
    else:
        missing = [w.number for w in pub.windows if not any(s.number == w.number for s in windows)]
        if missing:
            notes.append(f"published window(s) {missing} have no counterpart in the trace")
        if any(w.reproduced is False for w in windows):
            flags.append("not_reproduced")
    return tuple(dict.fromkeys(flags)), tuple(notes)


def score_trace(raw: RawTrace, published: PublishedResults | None) -> TraceScore:
    al = check_alignment(raw)
    checks = {c.number: c for c in al.checks}
    windows = tuple(
        _window(raw, s, published.window(s.number) if published else None, checks.get(s.number))
        for s in raw.windows
    )
    aligned = None
    if al.misaligned and al.aligned:
        same = {(w.spec.number, w.spec.start, w.spec.end): w.published for w in windows}
        aligned = tuple(
            _window(raw, s, same.get((s.number, s.start, s.end)), None) for s in al.aligned
        )
    flags, notes = _notes(raw, published, al, windows, aligned)
    return TraceScore(
        raw.folder,
        raw.name,
        raw.format,
        raw.workload,
        raw.voltage_v,
        raw.sample_rate_hz,
        windows,
        published,
        al,
        aligned,
        flags,
        notes,
    )
