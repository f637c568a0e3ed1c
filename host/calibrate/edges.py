"""Where a step in the supply current falls, to a fraction of a sample.

The time-base workflow needs the end of an inference batch as the monitor saw it: the board
draws one level while it infers and another once it prints its second ``m-lap-us-`` stamp,
and the DUT's timer was read exactly there. Samples before the step read the inference
level A, samples after it the next level B, and the sample the step falls in a mix of the
two in proportion to the time spent at each. Over a few samples around the step, the
excess over B adds up to (A - B) times the time spent at A: that places the step to a
fraction of a sample, wherever in those samples it fell. A step smeared by the
instrument's bandwidth shifts every edge alike, which the time-base fit's slope does not
see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinyjoule.errors import MeasurementError

AFTER_SAMPLES = 20  # the level after the step: the next samples (within the stamp's print)
AROUND = 3  # samples either side of the crossing summed to place the step


@dataclass(frozen=True, slots=True)
class Step:
    position: float  # in samples of the stream (absolute index, fractional)
    u_samples: float  # standard uncertainty of ``position``
    before: float  # the level before (the plateau)
    after: float  # the level after


def _robust_sigma(values: np.ndarray) -> float:
    median = float(np.median(values))
    return 1.4826 * float(np.median(np.abs(values - median)))


def last_step(
    samples: np.ndarray, first_index: int, middle: tuple[int, int], quantum: float = 0.0
) -> Step:
    """The last step out of the plateau whose middle part is samples ``middle`` (absolute
    indices, start and end), found in ``samples`` (``samples[0]`` is sample
    ``first_index``); MeasurementError when there is none, or too few samples after it."""
    lo, hi = middle[0] - first_index, middle[1] - first_index
    n = len(samples)
    if lo < 0 or hi - lo < 8 or hi + AFTER_SAMPLES + 2 > n:
        raise MeasurementError(
            f"too few samples ({n}) around an inference batch to find where it ends; run "
            "longer batches or a faster sample rate"
        )
    plateau = samples[lo:hi]
    level = float(np.median(plateau))
    sigma = max(_robust_sigma(plateau), quantum / math.sqrt(12.0))
    tail = samples[-AFTER_SAMPLES:]
    final = float(np.median(tail))
    if abs(final - level) <= max(8.0 * sigma, quantum):
        raise MeasurementError(
            "no step in the supply current at the end of the inference batch: the board draws "
            "the same while inferring as while printing; the time-base workflow needs a "
            "board whose current changes when an inference ends"
        )
    threshold = max(8.0 * sigma, 0.25 * abs(final - level), quantum)
    outside = np.flatnonzero(np.abs(samples[hi:] - level) > threshold)
    if not len(outside):
        raise MeasurementError("the inference batch has not ended within the samples")
    k = hi + int(outside[0])  # the first sample clearly past the plateau
    lo, end = k - AROUND, k + AROUND + 1  # the step lies in these samples
    if end + AFTER_SAMPLES > n or lo < hi:
        raise MeasurementError("the step at the end of the batch is too close to the last sample")
    after_values = samples[end : end + AFTER_SAMPLES]
    after = float(np.median(after_values))
    span = level - after
    excess = float(np.sum(samples[lo:end] - after)) / span  # samples' worth spent at A
    position = lo + min(max(excess, 0.0), float(end - lo))
    sigma_after = max(_robust_sigma(after_values), quantum / math.sqrt(12.0))
    u = math.sqrt((end - lo) * sigma**2 + sigma_after**2 * (end - lo) ** 2 / AFTER_SAMPLES)
    return Step(first_index + position, max(u / abs(span), 1e-6), level, after)
