"""Scoring a streaming wake word run exactly as the MLCommons runner does (spec 4.4).

Detections are the interface board's timestamps in ms since ``record_detections``. The first
is the sync mark and is subtracted from the others. For each true window ``[t0, t1]``, in
order, every remaining detection with ``t0 <= t/1000 <= t1 + margin + margin`` makes it one
true positive and is removed: the reference runner adds its 1 s margin twice, so the
effective window end is ``t1 + 2 s`` although its README says 1 s; tinyjoule uses the code's
2 s so its counts are the reference runner's. A window with none is a false negative. Each
remaining detection is a false positive once every later one within 1 s after it (in ms,
``t < d <= t + 1000``) has been removed (debounce), scanning in order.

The duty cycle comes from the board's capture of the DUT's "processing" pin (rising and
falling edges in 10 µs ticks, the first 100 frames only): duty = mean(on time) / mean(start
to start), throughput = 1 / mean(on time); a period that varies by more than 2 % of its mean
is worth a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tinyjoule.errors import MeasurementError

MARGIN_S = 1.0
"""The reference runner's false-positive suppression delay, added twice to a window's end."""
DEBOUNCE_S = 1.0
TICK_S = 1e-5
"""One tick of the interface board's TIM2 (the duty-cycle capture's unit)."""
PERIOD_SPREAD_WARNING = 0.02
MAX_FALSE_POSITIVES = 8
MAX_FALSE_NEGATIVES = 8


@dataclass(frozen=True, slots=True)
class DetectionScore:
    """Window starts (s) of the hits and misses, times (s, after the sync mark) of the false
    alarms; ``sync_ms`` is the sync mark as the board recorded it."""

    true_positives: tuple[float, ...]
    false_negatives: tuple[float, ...]
    false_positives: tuple[float, ...]
    sync_ms: int

    @property
    def counts(self) -> tuple[int, int, int]:
        return len(self.true_positives), len(self.false_negatives), len(self.false_positives)


def score_detections(
    detections_ms: Sequence[int],
    windows: Sequence[tuple[float, float]],
    margin_s: float = MARGIN_S,
    debounce_s: float = DEBOUNCE_S,
) -> DetectionScore:
    """True positives, false negatives and false positives of one clip (module docstring)."""
    if len(detections_ms) == 0:
        raise MeasurementError(
            "no detections at all: the interface board recorded not even the sync mark that "
            "starts every run; check the wake-word wire (DUT detection pin to the board's D2, "
            "through the level shifter) and that the DUT was streaming"
        )
    times = np.asarray(detections_ms, dtype=np.int64)
    rest = (times[1:] - times[0]).astype(np.float64)
    hits: list[float] = []
    misses: list[float] = []
    for start, end in windows:
        stop = end + margin_s + margin_s
        inside = np.flatnonzero((rest / 1000 >= start) & (rest / 1000 <= stop))
        if inside.size:
            hits.append(float(start))
            rest = np.delete(rest, inside)
        else:
            misses.append(float(start))
    i = 0
    step = int(debounce_s * 1000)
    while i < len(rest):
        current = rest[i]
        rest = np.delete(rest, np.flatnonzero((rest > current) & (rest <= current + step)))
        i += 1
    return DetectionScore(tuple(hits), tuple(misses), tuple(float(t) for t in rest / 1000),
                          int(times[0]))  # fmt: skip


@dataclass(frozen=True, slots=True)
class DutyCycle:
    """What the processing pin says: ``duty`` (0-1), mean ``period_s`` and ``on_time_s``,
    ``frames`` paired, ``period_spread`` ((max - min) / mean of the periods)."""

    duty: float
    period_s: float
    on_time_s: float
    frames: int
    period_spread: float

    @property
    def throughput_inf_per_s(self) -> float:
        """The reference runner's "estimated throughput": 1 / mean processing time."""
        return 1.0 / self.on_time_s

    @property
    def period_varies(self) -> bool:
        return self.period_spread > PERIOD_SPREAD_WARNING


def duty_cycle(starts_ticks: Sequence[int], stops_ticks: Sequence[int]) -> DutyCycle:
    """Pair each rising edge with the next falling edge; at least two frames are needed."""
    starts = np.asarray(starts_ticks, dtype=np.int64)
    stops = np.asarray(stops_ticks, dtype=np.int64)
    if starts.size and stops.size and stops[0] < starts[0]:
        stops = stops[1:]  # the capture began while the pin was high
    n = min(starts.size, stops.size)
    if n < 2:
        raise MeasurementError(
            f"the interface board captured {starts.size} processing start(s) and "
            f"{stops.size} stop(s): too few for a duty cycle; check the PROCESSING wire (DUT "
            "to the board's D3) and that the DUT streamed"
        )
    starts, stops = starts[:n], stops[:n]
    on = (stops - starts) * TICK_S
    if np.any(on < 0):
        raise MeasurementError(
            "the processing pin's stop times do not follow its start times; the duty-cycle "
            "capture is corrupt (run again)"
        )
    periods = np.diff(starts) * TICK_S
    mean_period = float(np.mean(periods))
    if mean_period <= 0:
        raise MeasurementError("the processing pin's start times do not increase")
    spread = float((np.max(periods) - np.min(periods)) / mean_period)
    mean_on = float(np.mean(on))
    if mean_on <= 0:
        raise MeasurementError("the processing pin never stayed high: no processing time")
    return DutyCycle(mean_on / mean_period, mean_period, mean_on, n, spread)


def combine_duty_cycles(parts: Sequence[DutyCycle]) -> DutyCycle:
    """One figure for several clips, each weighted by its frames."""
    if not parts:
        raise MeasurementError("no duty-cycle capture to combine")
    weights = np.array([p.frames for p in parts], dtype=np.float64)
    period = float(np.average([p.period_s for p in parts], weights=weights))
    on = float(np.average([p.on_time_s for p in parts], weights=weights))
    spread = max(p.period_spread for p in parts)
    return DutyCycle(on / period, period, on, int(weights.sum()), spread)


def meets_quality_target(
    true_positives: int, false_negatives: int, false_positives: int, wakewords: int
) -> bool:
    """MLPerf Tiny's rule for sww01: at most 8 false positives and 8 false negatives, and every
    wake word of the long test accounted for (TP + FN = 50)."""
    return (
        false_positives <= MAX_FALSE_POSITIVES
        and false_negatives <= MAX_FALSE_NEGATIVES
        and true_positives + false_negatives == wakewords
    )
