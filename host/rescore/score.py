"""Scores one trace: every window recomputed (``window_score``), the median, the published values
beside them, and the alignment verdict with its evidence (``alignment_check``); where the
published windows are shown to miss the runs, the correctly aligned windows and their median
with its uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tinyjoule.host.rescore.alignment_check import Alignment, check_alignment
from tinyjoule.host.rescore.published_txt import PublishedResults
from tinyjoule.host.rescore.records import RawTrace
from tinyjoule.host.rescore.run_timing import RunTiming
from tinyjoule.host.rescore.score_notes import trace_notes
from tinyjoule.host.rescore.window_score import (
    REPRODUCED_RULE,
    ROUNDING_UJ,
    WindowScore,
    median_of,
    median_uncertainty,
    score_window,
)
from tinyjoule.host.runner.windows import median

__all__ = ["TraceScore", "WindowScore", "median_of", "median_uncertainty", "score_trace"]


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

    @property
    def aligned_uncertainty_uj_per_inference(self) -> float | None:
        return median_uncertainty(self.aligned) if self.aligned else None

    @property
    def reproduced_criterion(self) -> str:
        return REPRODUCED_RULE


def score_trace(
    raw: RawTrace, published: PublishedResults | None, timing: RunTiming | None = None
) -> TraceScore:
    """Score ``raw`` against ``published``; ``timing`` is the same system's performance run
    (``run_timing.load_run_timing``), the alignment check's evidence besides the log."""
    al = check_alignment(raw, timing)
    checks = {c.number: c for c in al.checks}
    windows = tuple(
        score_window(
            raw, s, published.window(s.number) if published else None, checks.get(s.number)
        )
        for s in raw.windows
    )
    aligned = None
    if al.misaligned and al.aligned:
        same = {(w.spec.number, w.spec.start, w.spec.end): w.published for w in windows}
        aligned = tuple(
            score_window(raw, s, same.get((s.number, s.start, s.end)), None) for s in al.aligned
        )
    flags, notes = trace_notes(raw, published, al, windows, aligned)
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
