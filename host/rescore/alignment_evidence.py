"""The pieces of evidence the alignment check weighs: logged run times, run time, power levels.

- Log: the EEMBC log records when each ``infer`` started and finished (``m-infer-start``/
  ``m-infer-done``); one clock offset, found by voting, maps those times onto the trace.
- Run time: a window, or any segment between two edges, against ``iterations / throughput``
  of the same system's performance run (``run_timing.RunTiming``).
- Power: the mean draw of a window and of the segments beside it. Supporting information only:
  on some boards the input load before a run draws more than the inference itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyjoule.host.rescore.records import MLCOMMONS, LoggedRun, RawTrace, WindowSpec
from tinyjoule.host.rescore.run_timing import RunTiming

MIN_TOL_S = 0.02
MAX_TOL_S = 0.25


class Means:
    """Mean power over any sample range, from one cumulative sum."""

    def __init__(self, raw: RawTrace) -> None:
        self.cs = np.concatenate(([0.0], np.cumsum(raw.samples_j)))
        self.fs = raw.sample_rate_hz

    def mw(self, a: int, b: int) -> float:
        if b <= a:
            return float("nan")
        return float((self.cs[b] - self.cs[a]) / (b - a) * self.fs * 1e3)


def gap_power(raw: RawTrace, means: Means, first_edge: int) -> float | None:
    """Larger mean power of the segments just before and just after a window."""
    cap = raw.edge_captures[first_edge]
    values = []
    for lo, hi in ((first_edge - 1, first_edge), (first_edge + 1, first_edge + 2)):
        a = raw.edges[lo] if lo >= 0 and raw.edge_captures[lo] == cap else raw.captures[cap].start
        b = (
            raw.edges[hi]
            if hi < len(raw.edges) and raw.edge_captures[hi] == cap
            else raw.captures[cap].end
        )
        if b > a:
            values.append(means.mw(a, b))
    return max(values) if values else None


# --- the log ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogFit:
    """The logged runs placed on the trace: log time - offset_s = trace time (±tol_s)."""

    runs: tuple[LoggedRun, ...]
    offset_s: float
    tol_s: float

    def run_at(self, a_s: float, b_s: float) -> tuple[int, LoggedRun] | None:
        """The (1-based) logged run that starts at ``a_s`` and ends at ``b_s``, if one does."""
        for n, r in enumerate(self.runs, 1):
            start, done = r.start_s - self.offset_s, r.done_s - self.offset_s
            if abs(a_s - start) <= self.tol_s and abs(b_s - done) <= self.tol_s:
                return n, r
        return None


def edge_times(raw: RawTrace) -> np.ndarray:
    if raw.edge_times_s:
        return np.array(raw.edge_times_s)
    return np.array(raw.edges, dtype=np.float64) / raw.sample_rate_hz


def fit_log(raw: RawTrace, times: np.ndarray) -> LogFit | None:
    """The log-minus-trace offset that puts most run starts and ends on an edge, or None when
    fewer than half the run boundaries fit (no log, or a log of another run)."""
    runs = tuple(r for r in raw.runs if r.duration_s > 0)
    if not runs or not len(times):
        return None
    tol = float(np.clip(0.4 * min(r.duration_s for r in runs), MIN_TOL_S, MAX_TOL_S))
    marks = np.array([t for r in runs for t in (r.start_s, r.done_s)])
    best: tuple[int, float, float] | None = None
    for c in {round(r.start_s - e, 6) for r in runs for e in times}:
        dist = np.min(np.abs(times[None, :] - (marks[:, None] - c)), axis=1)
        hit = dist <= tol
        key = (int(hit.sum()), -float(dist[hit].sum()), c)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None or best[0] < len(runs):
        return None
    return LogFit(runs, best[2], tol)


def log_windows(
    raw: RawTrace, times: np.ndarray, fit: LogFit
) -> tuple[list[WindowSpec], list[int]]:
    """Each logged run's window on the edges nearest its start and end; runs without both edges
    are lost. Numbered as the EEMBC runner numbers windows (2 per run)."""
    windows, lost = [], []
    for n, run in enumerate(raw.runs, 1):
        i = int(np.argmin(np.abs(times - (run.start_s - fit.offset_s))))
        k = int(np.argmin(np.abs(times - (run.done_s - fit.offset_s))))
        ok = abs(times[i] - (run.start_s - fit.offset_s)) <= fit.tol_s
        ok = ok and abs(times[k] - (run.done_s - fit.offset_s)) <= fit.tol_s and k > i
        if ok:  # pulses inside the run are kept inside its window
            spec = WindowSpec(
                2 * n, raw.edges[i], raw.edges[k], i, run.iterations, run.input_name, run.warmups
            )
            windows.append(spec)
        else:
            lost.append(n)
    return windows, lost


# --- run time --------------------------------------------------------------------------------


def segment(raw: RawTrace, j: int) -> tuple[int, int] | None:
    """Samples between edge ``j`` and the next, when both lie in the same capture."""
    if j < 0 or j + 1 >= len(raw.edges) or raw.edge_captures[j] != raw.edge_captures[j + 1]:
        return None
    return raw.edges[j], raw.edges[j + 1]


def alternatives(raw: RawTrace, j: int) -> list[int]:
    """Segments a single lost or extra edge could have put the run on instead of segment ``j``:
    the neighbours (EEMBC, one trace), or any other segment of the same trial (MLCommons, each
    trial captured on its own, so no edge of another trial can move this window)."""
    if raw.format == MLCOMMONS:
        cap = raw.edge_captures[j]
        return [i for i in range(len(raw.edges)) if i != j and raw.edge_captures[i] == cap]
    return [j - 1, j + 1]


def segment_fits(raw: RawTrace, j: int, iterations: int, timing: RunTiming) -> bool:
    seg = segment(raw, j)
    return seg is not None and timing.fits((seg[1] - seg[0]) / raw.sample_rate_hz, iterations)


def rival(raw: RawTrace, j: int, iterations: int, timing: RunTiming) -> int | None:
    """An alternative segment that lasts the run time too (then duration cannot decide)."""
    return next((i for i in alternatives(raw, j) if segment_fits(raw, i, iterations, timing)), None)


def timed_windows(
    raw: RawTrace, timing: RunTiming, default_iterations: int
) -> tuple[list[WindowSpec], str | None]:
    """The segments that last the run time, where no alternative does too; or (``[]``, why not).
    EEMBC windows are numbered 2, 4, ... in trace order; MLCommons windows by trial."""
    found: list[WindowSpec] = []
    for j in range(len(raw.edges) - 1):
        seg = segment(raw, j)
        cap = raw.captures[raw.edge_captures[j]]
        iterations = (cap.inferences if raw.format == MLCOMMONS else None) or default_iterations
        if seg is None or not segment_fits(raw, j, iterations, timing):
            continue
        other = rival(raw, j, iterations, timing)
        if other is not None:
            if raw.format == MLCOMMONS:
                continue  # this trial's run cannot be told; the others still can
            return [], (
                f"edges {j}-{j + 1} and {other}-{other + 1} both last the run time: duration "
                "cannot tell which holds the run"
            )
        if raw.format == MLCOMMONS:
            number = raw.edge_captures[j]
            found.append(WindowSpec(number, seg[0], seg[1], j, iterations, cap.label))
        else:
            found.append(WindowSpec(2 * (len(found) + 1), seg[0], seg[1], j, iterations))
    return found, None
