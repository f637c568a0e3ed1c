"""Does each published window hold an inference run? The check the runners never made.

Two independent checks per window. Against the log: the EEMBC log records when each ``infer``
started and finished (``m-infer-start``/``m-infer-done``); one clock offset, found by voting,
maps those times onto the trace, and a window must start and end at one run's edges. Against
the trace: a window that holds inference draws more than the gaps between edges on either side.
A lost (or extra) edge shifts every later window onto the idle gaps between runs; the correctly
aligned windows are then rebuilt from the runs' own edges (or, without run times, from the
inter-edge segments that draw more than their neighbours).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from tinyjoule.host.rescore.records import EEMBC, LoggedRun, RawTrace, WindowSpec

MIN_TOL_S = 0.02
MAX_TOL_S = 0.25


@dataclass(frozen=True, slots=True)
class WindowCheck:
    number: int
    on_logged_run: bool | None  # None: the log records no run times
    logged_run_s: float | None  # m-infer-done minus m-infer-start of the matching run
    mean_power_mw: float
    gap_power_mw: float | None  # the larger mean power of the segments either side
    draws_more_than_gaps: bool | None


@dataclass(frozen=True, slots=True)
class Alignment:
    checks: tuple[WindowCheck, ...]  # one per RawTrace.windows
    method: str  # "log", "trace" or "none"
    misaligned: bool
    aligned: tuple[WindowSpec, ...]  # the windows that really hold the runs
    lost_runs: tuple[int, ...]  # 1-based logged runs whose edges are missing
    unused_edges: tuple[int, ...]  # edges bounding no aligned window (EEMBC: besides edge 0)
    offset_s: float | None  # log clock minus trace time


class _Means:
    """Mean power over any sample range, from one cumulative sum."""

    def __init__(self, raw: RawTrace) -> None:
        self.cs = np.concatenate(([0.0], np.cumsum(raw.samples_j)))
        self.fs = raw.sample_rate_hz

    def mw(self, a: int, b: int) -> float:
        if b <= a:
            return float("nan")
        return float((self.cs[b] - self.cs[a]) / (b - a) * self.fs * 1e3)


def _gap_power(raw: RawTrace, means: _Means, first_edge: int) -> float | None:
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


def _tolerance(runs: tuple[LoggedRun, ...]) -> float:
    return float(np.clip(0.4 * min(r.duration_s for r in runs), MIN_TOL_S, MAX_TOL_S))


def _fit_offset(times: np.ndarray, runs: tuple[LoggedRun, ...], tol: float) -> float | None:
    """The log-minus-trace offset that puts most run starts and ends on an edge."""
    marks = np.array([t for r in runs for t in (r.start_s, r.done_s)])
    best: tuple[int, float, float] | None = None
    for c in {round(r.start_s - e, 6) for r in runs for e in times}:
        dist = np.min(np.abs(times[None, :] - (marks[:, None] - c)), axis=1)
        hit = dist <= tol
        key = (int(hit.sum()), -float(dist[hit].sum()), c)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None or best[0] < len(runs):  # fewer than half the run boundaries fit
        return None
    return best[2]


def _log_windows(
    raw: RawTrace, times: np.ndarray, offset: float, tol: float
) -> tuple[list[WindowSpec], list[int]]:
    windows, lost = [], []
    for n, run in enumerate(raw.runs, 1):
        i = int(np.argmin(np.abs(times - (run.start_s - offset))))
        k = int(np.argmin(np.abs(times - (run.done_s - offset))))
        ok = abs(times[i] - (run.start_s - offset)) <= tol
        ok = ok and abs(times[k] - (run.done_s - offset)) <= tol and k > i  # pulses inside: kept
        if ok:
            windows.append(
                WindowSpec(
                    2 * n,
                    raw.edges[i],
                    raw.edges[k],
                    i,
                    run.iterations,
                    run.input_name,
                    run.warmups,
                )
            )
        else:
            lost.append(n)
    return windows, lost


def _trace_windows(raw: RawTrace, means: _Means) -> list[WindowSpec]:
    """Inter-edge segments that draw more than both neighbours (one per MLCommons trial)."""
    common = Counter(w.inferences for w in raw.windows).most_common(1)
    default = common[0][0] if common else 0
    best: dict[int, tuple[float, WindowSpec]] = {}
    found: list[WindowSpec] = []
    for j in range(len(raw.edges) - 1):
        cap = raw.edge_captures[j]
        if raw.edge_captures[j + 1] != cap:
            continue
        a, b = raw.edges[j], raw.edges[j + 1]
        gap = _gap_power(raw, means, j)
        power = means.mw(a, b)
        if b <= a or (gap is not None and not power > gap):
            continue
        if raw.format == EEMBC:
            spec = WindowSpec(2 * (len(found) + 1), a, b, j, default)
            found.append(spec)
        else:
            capture = raw.captures[cap]
            spec = WindowSpec(cap, a, b, j, capture.inferences or default, capture.label)
            if cap not in best or power > best[cap][0]:
                best[cap] = (power, spec)
    return found if raw.format == EEMBC else [s for _, s in sorted(best.values(), key=_num)]


def _num(item: tuple[float, WindowSpec]) -> int:
    return item[1].number


def check_alignment(raw: RawTrace) -> Alignment:
    means = _Means(raw)
    times = (
        np.array(raw.edge_times_s)
        if raw.edge_times_s
        else np.array(raw.edges, dtype=np.float64) / raw.sample_rate_hz
    )
    runs = tuple(r for r in raw.runs if r.duration_s > 0)
    tol = _tolerance(runs) if runs else 0.0
    offset = _fit_offset(times, runs, tol) if runs and len(times) else None
    checks = []
    for w in raw.windows:
        power = means.mw(w.start, w.end)
        gap = _gap_power(raw, means, w.first_edge)
        on_run: bool | None = None
        run_s: float | None = None
        if offset is not None:
            a, b = times[w.first_edge], times[w.first_edge + 1]
            match = next(
                (
                    r
                    for r in runs
                    if abs(a - (r.start_s - offset)) <= tol and abs(b - (r.done_s - offset)) <= tol
                ),
                None,
            )
            on_run = match is not None
            run_s = match.duration_s if match else None
        more = None if gap is None else bool(power > gap)
        checks.append(WindowCheck(w.number, on_run, run_s, power, gap, more))
    if offset is not None:
        method = "log"
        aligned, lost = _log_windows(raw, times, offset, tol)
        misaligned = any(c.on_logged_run is False for c in checks)
    elif len(raw.edges) >= 2:
        method = "trace"
        aligned, lost = _trace_windows(raw, means), []
        misaligned = any(c.draws_more_than_gaps is False for c in checks)
    else:
        method, aligned, lost, misaligned = "none", [], [], False
    if not misaligned:
        aligned = list(raw.windows)
    bounds = {b for w in aligned for b in (w.start, w.end)}
    skip = 1 if raw.format == EEMBC else 0
    unused = tuple(i for i in range(skip, len(raw.edges)) if raw.edges[i] not in bounds)
    return Alignment(tuple(checks), method, misaligned, tuple(aligned), tuple(lost), unused, offset)
