"""Does each published window hold one inference run? The check the runners never made.

A verdict needs timing evidence (``alignment_evidence``): the log's run times (EEMBC), or the
window's duration against its iterations ÷ the same system's performance-mode throughput (a
results tree's ``performance/results.txt``). A duration fit counts only when no segment that a
single lost or extra edge would put there instead fits as well; when every window misses the
run time by the same ratio, that is a different build, not a lost edge (which moves windows by
whole gaps, and in MLCommons folders only within one trial), unless the EEMBC edge count cannot
be 1 + 2 per run. Power levels are kept beside the verdict as supporting information and never
make it: on some boards the input load before a run draws more than the inference.

Per window: ``aligned`` when every timing source it has says so, ``misaligned`` when every one
says not, ``cannot_tell`` without a source or when they disagree. The trace is ``misaligned``
when any window is, ``aligned`` when every window is, else ``cannot_tell``. A misaligned trace's
correct windows are rebuilt from timing only: the logged runs' edges, else the segments that
last the run time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tinyjoule.host.rescore.alignment_evidence import (
    LogFit,
    Means,
    edge_times,
    fit_log,
    gap_power,
    log_windows,
    rival,
    timed_windows,
)
from tinyjoule.host.rescore.records import EEMBC, RawTrace, WindowSpec
from tinyjoule.host.rescore.run_timing import RunTiming

ALIGNED = "aligned"
MISALIGNED = "misaligned"
CANNOT_TELL = "cannot_tell"
NO_TIMING = (
    "no timing evidence: no log.txt with run times that fit the trace, and no "
    "performance/results.txt beside the energy folder (<system>/<benchmark>/performance)"
)


@dataclass(frozen=True, slots=True)
class WindowCheck:
    number: int
    verdict: str  # ALIGNED, MISALIGNED or CANNOT_TELL
    evidence: str  # the timing behind the verdict, in words
    on_logged_run: bool | None  # None: no logged run times fit the trace
    logged_run_s: float | None  # m-infer-done minus m-infer-start of the matching run
    expected_run_s: float | None  # iterations / the performance run's throughput
    run_time_fits: bool | None  # None: no performance run, or an alternative fits as well
    mean_power_mw: float
    gap_power_mw: float | None  # the larger mean power of the segments either side
    draws_more_than_gaps: bool | None  # supporting information only, never a verdict


@dataclass(frozen=True, slots=True)
class Alignment:
    checks: tuple[WindowCheck, ...]  # one per RawTrace.windows
    verdict: str
    evidence: str  # the trace's verdict, in words
    method: str  # the timing sources used: "log", "performance", "log+performance" or "none"
    aligned: tuple[WindowSpec, ...]  # the windows that really hold the runs
    realigned_by: str | None  # how the aligned windows were found, when they differ
    lost_runs: tuple[int, ...]  # 1-based logged runs whose edges are missing
    unused_edges: tuple[int, ...]  # edges bounding no aligned window (EEMBC: besides edge 0)
    offset_s: float | None  # log clock minus trace time
    timing: RunTiming | None

    @property
    def misaligned(self) -> bool:
        return self.verdict == MISALIGNED


def _log_part(w: WindowSpec, times, fit: LogFit) -> tuple[bool, float | None, str]:
    a, b = float(times[w.first_edge]), float(times[w.first_edge + 1])
    match = fit.run_at(a, b)
    ms = f"±{fit.tol_s * 1e3:.0f} ms"
    if match is None:
        return False, None, f"log: its edges are not the start and end of any logged run ({ms})"
    n, run = match
    text = (
        f"log: starts and ends on run {n}'s m-infer-start/done ({ms}); the run lasted "
        f"{run.duration_s:.3f} s, the window {b - a:.3f} s"
    )
    return True, run.duration_s, text


def _uniform_misfit(raw: RawTrace, timing: RunTiming) -> bool:
    """Every window misses the run time, all by the same ratio, and the edges add up."""
    devs = [
        timing.deviation((w.end - w.start) / raw.sample_rate_hz, w.inferences)
        for w in raw.windows
        if w.inferences
    ]
    if len(devs) < 2 or any(abs(d) <= timing.tolerance for d in devs):
        return False
    edge_lost_or_added = raw.format == EEMBC and len(raw.edges) % 2 == 0  # not 1 + 2 per run
    return max(devs) - min(devs) <= timing.tolerance and not edge_lost_or_added


def _timing_part(
    raw: RawTrace, w: WindowSpec, timing: RunTiming, uniform: bool
) -> tuple[bool | None, str]:
    duration = (w.end - w.start) / raw.sample_rate_hz
    text = "performance: " + timing.describe(duration, w.inferences)
    if not timing.fits(duration, w.inferences):
        if uniform:
            return None, (
                f"{text}, but every window misses it by the same ratio: a different build, not "
                "a lost edge (which moves windows by whole gaps)"
            )
        return False, text
    other = rival(raw, w.first_edge, w.inferences, timing)
    if other is None:
        return True, text
    seg = (raw.edges[other + 1] - raw.edges[other]) / raw.sample_rate_hz
    return None, (
        f"{text}, but so does the segment between edges {other} and {other + 1} ({seg:.3f} s): "
        "duration cannot tell which holds the run"
    )


def _verdict(votes: list[bool]) -> str:
    if not votes:
        return CANNOT_TELL
    if all(votes):
        return ALIGNED
    return MISALIGNED if not any(votes) else CANNOT_TELL


def _check(raw, w, means, times, fit, timing, uniform: bool) -> WindowCheck:
    power = means.mw(w.start, w.end)
    gap = gap_power(raw, means, w.first_edge)
    votes: list[bool] = []
    parts: list[str] = []
    on_run, run_s, fits = None, None, None
    if fit is not None:
        on_run, run_s, text = _log_part(w, times, fit)
        votes.append(on_run)
        parts.append(text)
    expected = timing.expected_s(w.inferences) if timing and w.inferences else None
    if timing is not None and expected is not None:
        fits, text = _timing_part(raw, w, timing, uniform)
        if fits is not None:
            votes.append(fits)
        parts.append(text)
    verdict = _verdict(votes)
    if verdict == CANNOT_TELL and votes:
        parts.append("the timing sources disagree")
    evidence = "; ".join(parts) or NO_TIMING
    more = None if gap is None else bool(power > gap)
    return WindowCheck(w.number, verdict, evidence, on_run, run_s, expected, fits, power, gap, more)


def _numbers(checks, verdict: str) -> str:
    return ", ".join(str(c.number) for c in checks if c.verdict == verdict)


def _summary(raw: RawTrace, checks: list[WindowCheck], verdict: str, method: str) -> str:
    if not checks:
        return "no published window to check"
    if verdict == ALIGNED:
        return f"every window holds its run, on timing ({method}; see each window's evidence)"
    if verdict == MISALIGNED:
        return f"window(s) {_numbers(checks, MISALIGNED)} hold no run of their own ({method})"
    if method == "none":
        text = NO_TIMING
        if raw.format == EEMBC and len(raw.edges) % 2 == 0:
            text += (
                f"; the {len(raw.edges)} edges cannot be 1 + 2 per run, so an edge was lost or "
                "added, but without run times it cannot be told which windows it moved"
            )
        return text
    unknown = _numbers(checks, CANNOT_TELL)
    return f"the timing cannot place window(s) {unknown} ({method}); see each window's evidence"


def _realign(raw, times, fit, timing) -> tuple[list[WindowSpec], list[int], str | None]:
    if fit is not None:
        windows, lost = log_windows(raw, times, fit)
        by = (
            f"each window rebuilt on the edges at its logged run's m-infer-start/done "
            f"(log clock offset {fit.offset_s:.3f} s, ±{fit.tol_s * 1e3:.0f} ms)"
        )
        return windows, lost, by
    if timing is None:
        return [], [], None
    common = Counter(w.inferences for w in raw.windows).most_common(1)
    windows, why = timed_windows(raw, timing, common[0][0] if common else 0)
    if why is not None or not windows:
        return [], [], None
    by = (
        f"the segments between edges that last their iterations at the performance run's "
        f"{timing.throughput_ips:g} inf/s (±{timing.tolerance * 100:g} %), where no "
        "neighbouring segment does too"
    )
    return windows, [], by


def check_alignment(raw: RawTrace, timing: RunTiming | None = None) -> Alignment:
    """The verdict on each published window of ``raw`` and on the trace; ``timing`` is the same
    system's performance run, when the folder sits in a results tree."""
    means = Means(raw)
    times = edge_times(raw)
    fit = fit_log(raw, times)
    uniform = timing is not None and _uniform_misfit(raw, timing)
    checks = [_check(raw, w, means, times, fit, timing, uniform) for w in raw.windows]
    sources = [name for name, on in (("log", fit), ("performance", timing)) if on is not None]
    method = "+".join(sources) or "none"
    verdicts = {c.verdict for c in checks}
    if MISALIGNED in verdicts:
        verdict = MISALIGNED
    elif verdicts == {ALIGNED}:
        verdict = ALIGNED
    else:
        verdict = CANNOT_TELL
    aligned, lost, by = list(raw.windows), [], None
    if verdict == MISALIGNED:
        aligned, lost, by = _realign(raw, times, fit, timing)
    elif fit is not None:
        lost = log_windows(raw, times, fit)[1]  # a run at the end may have lost its window
    bounds = {b for w in aligned for b in (w.start, w.end)}
    skip = 1 if raw.format == EEMBC else 0
    unused = tuple(i for i in range(skip, len(raw.edges)) if raw.edges[i] not in bounds)
    return Alignment(
        tuple(checks),
        verdict,
        _summary(raw, checks, verdict, method),
        method,
        tuple(aligned),
        by,
        tuple(lost),
        unused,
        fit.offset_s if fit else None,
        timing,
    )
