"""The min/max envelope of a long trace, computed block by block in bounded memory.

Bins are variable: a coarse grid over the whole trace (the overview), a finer one over each
window and a margin around it, and one bin per sample right around every edge, so the page can
zoom onto an edge and see single samples. One pass over the samples fills every bin (numpy
``reduceat`` per block), whatever the trace's length; memory is a block plus the bins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

BLOCK_SAMPLES = 1 << 21  # 8 MB of float32 per read
OVERVIEW_BINS = 1500
WINDOW_BINS_MAX = 600
WINDOW_BINS_MIN = 100
ALL_WINDOWS_BINS = 120_000  # shared by every window of a report: its size stays bounded
EDGE_SAMPLES = 64  # one bin per sample this far either side of every edge
EDGE_SAMPLES_MANY = 24  # when a report holds more than MANY_EDGES edges
MANY_EDGES = 400
MARGIN_FRACTION = 0.04  # plotted before and after a window, of its length
MARGIN_MIN_SAMPLES = 20
NOISE_SAMPLES = 1 << 16  # read from the middle of a window to estimate its sample noise
MAD_TO_SIGMA = 1.4826  # median absolute deviation of a normal distribution, to its sigma

Reader = Callable[[int, int], np.ndarray]


def window_bins(total_windows: int) -> int:
    """Coarse bins per window, so that a report with many windows stays a few MB."""
    share = ALL_WINDOWS_BINS // max(total_windows, 1)
    return int(min(WINDOW_BINS_MAX, max(WINDOW_BINS_MIN, share)))


def edge_samples(total_edges: int) -> int:
    return EDGE_SAMPLES if total_edges <= MANY_EDGES else EDGE_SAMPLES_MANY


def margin(start: int, end: int) -> int:
    return max(MARGIN_MIN_SAMPLES, int((end - start) * MARGIN_FRACTION))


def span(start: int, end: int, n: int) -> tuple[int, int]:
    """The samples plotted for a window ``[start, end)``: the window and a margin either side."""
    m = margin(start, end)
    return max(0, start - m), min(n, end + m)


def plan_bins(
    n: int,
    windows: Iterable[tuple[int, int]],
    edges: Iterable[int],
    per_window: int,
    per_edge: int,
) -> np.ndarray:
    """Bin boundaries (sample indices, strictly increasing, from 0 to ``n``)."""
    parts = [np.linspace(0, n, min(OVERVIEW_BINS, n) + 1)]
    for start, end in windows:
        a, b = span(start, end, n)
        if b > a:
            parts.append(np.linspace(a, b, min(per_window, b - a) + 1))
    for k in edges:
        parts.append(np.arange(k - per_edge, k + per_edge + 1, dtype=np.float64))
    bounds = np.unique(np.rint(np.concatenate(parts)).astype(np.int64))
    return bounds[(bounds >= 0) & (bounds <= n)]


def min_max(read: Reader, bounds: np.ndarray, block: int = BLOCK_SAMPLES) -> tuple[np.ndarray, ...]:
    """Per bin ``[bounds[i], bounds[i+1])`` the least and greatest sample (NaN ignored; NaN
    where a bin holds no number), reading ``block`` samples at a time."""
    n_bins = len(bounds) - 1
    lo = np.full(n_bins, np.nan)
    hi = np.full(n_bins, np.nan)
    first, last = int(bounds[0]), int(bounds[-1])
    for s in range(first, last, block):
        e = min(last, s + block)
        samples = read(s, e)
        i0 = int(np.searchsorted(bounds, s, "right")) - 1
        i1 = int(np.searchsorted(bounds, e, "left"))
        starts = np.maximum(bounds[i0:i1], s) - s
        with np.errstate(invalid="ignore"):
            lo[i0:i1] = np.fmin(lo[i0:i1], np.fmin.reduceat(samples, starts))
            hi[i0:i1] = np.fmax(hi[i0:i1], np.fmax.reduceat(samples, starts))
    return lo, hi


def sample_noise(read: Reader, start: int, end: int) -> float | None:
    """The noise (1 sigma) of one sample inside ``[start, end)``, from the median absolute
    deviation of sample-to-sample differences in up to ``NOISE_SAMPLES`` from its middle
    (robust to the few steps a window holds); None for too few samples."""
    n = min(end - start, NOISE_SAMPLES)
    if n < 16:
        return None
    a = start + (end - start - n) // 2
    diffs = np.diff(read(a, a + n).astype(np.float64))
    diffs = diffs[np.isfinite(diffs)]
    if len(diffs) < 8:
        return None
    mad = float(np.median(np.abs(diffs - np.median(diffs))))
    return MAD_TO_SIGMA * mad / np.sqrt(2.0)
