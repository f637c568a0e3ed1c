"""The flags and notes of a re-scored trace: edge counts, lost runs, short windows, the alignment
verdict with its evidence (power only as support), and the windows that miss the published value.
"""

from __future__ import annotations

from tinyjoule.host.rescore.alignment_check import ALIGNED, CANNOT_TELL, MISALIGNED, Alignment
from tinyjoule.host.rescore.published_txt import PublishedResults
from tinyjoule.host.rescore.records import RawTrace
from tinyjoule.host.rescore.window_score import (
    REPRODUCED_RULE,
    WindowScore,
    measures_idle,
    median_of,
    median_uncertainty,
    median_windows,
)
from tinyjoule.host.runner.windows import MIN_WINDOW_INFERENCES, MIN_WINDOW_S

POWER_CAVEAT = "power alone cannot tell a window from a gap: on some boards the input load draws "
POWER_CAVEAT += "more than inference"


def _names(windows) -> str:
    return ", ".join(str(w.number) for w in windows)


def _edge_notes(raw: RawTrace, al: Alignment, flags: list[str], notes: list[str]) -> None:
    if "edge_count" in flags:
        n = len(raw.edges)
        if al.offset_s is not None:
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


def _power_support(bad: list[WindowScore]) -> str:
    """What the power levels say about the misaligned windows: support, never the verdict."""
    other = [w for w in bad if w.check is None or w.check.draws_more_than_gaps is not False]
    if not other:
        return "; power agrees: they draw no more than the segments beside them"
    return (
        f"; power does not single out window(s) {_names(other)}, which does not weaken the "
        f"timing ({POWER_CAVEAT})"
    )


def _misaligned_note(pub, al: Alignment, windows, aligned, flags: list[str]) -> str:
    bad = [w for w in windows if w.alignment == MISALIGNED]
    example = bad[0].check.evidence if bad[0].check else ""
    text = (
        f"window(s) {_names(bad)} hold no inference run of their own, on timing ({al.method}; "
        f"window {bad[0].number}: {example}): a lost or extra edge moves windows onto the gaps "
        "between runs"
    )
    what = f"published median {pub.median_uj_per_inference:.3f} µJ/inf" if pub else "median"
    if measures_idle(windows):
        text += f"; the {what} is taken from them, so it measures idle time and input loads"
        flags.append("published_measures_idle")
    elif all(w.alignment == ALIGNED for w in median_windows(windows)):
        text += f"; the {what} comes from windows that hold their runs"
    else:
        text += f"; the {what} comes from windows the timing does not show misplaced"
    if aligned:
        text += (
            f"; the correctly aligned windows give {median_of(aligned):.3f} ± "
            f"{median_uncertainty(aligned):.3f} µJ/inf: {al.realigned_by}"
        )
    else:
        text += "; the timing at hand cannot rebuild the correct windows"
    return text + _power_support(bad)


def _below(windows) -> list[WindowScore]:
    return [w for w in windows if w.check and w.check.draws_more_than_gaps is False]


def _alignment_notes(pub, al: Alignment, windows, aligned, flags, notes) -> None:
    below = _below(windows)
    if al.verdict == MISALIGNED:
        flags.append("misaligned")
        notes.append(_misaligned_note(pub, al, windows, aligned, flags))
    elif al.verdict == CANNOT_TELL and windows:
        unknown = [w for w in windows if w.alignment == CANNOT_TELL]
        text = f"cannot tell whether window(s) {_names(unknown)} hold their runs: {al.evidence}"
        low = _below(unknown)
        if low:
            text += (
                f"; window(s) {_names(low)} draw no more than the segments beside them, which "
                f"does not show a misplaced window ({POWER_CAVEAT})"
            )
        notes.append(text)
    elif al.verdict == ALIGNED and below:
        notes.append(
            f"window(s) {_names(below)} draw no more than the segments beside them, yet their "
            "timing puts them on the runs: on this board the input load draws more than inference"
        )


def trace_notes(
    raw: RawTrace,
    pub: PublishedResults | None,
    al: Alignment,
    windows: tuple[WindowScore, ...],
    aligned: tuple[WindowScore, ...] | None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    flags, notes = list(raw.flags), list(raw.notes)
    _edge_notes(raw, al, flags, notes)
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
    _alignment_notes(pub, al, windows, aligned, flags, notes)
    if pub is None:
        flags.append("no_results_txt")
    else:
        missing = [w.number for w in pub.windows if not any(s.number == w.number for s in windows)]
        if missing:
            notes.append(f"published window(s) {missing} have no counterpart in the trace")
        off = [w for w in windows if w.reproduced is False]
        if off:
            flags.append("not_reproduced")
            detail = ", ".join(
                f"{w.number}: |Δ| {abs(w.energy_uj - w.published.energy_uj):.3f} > "
                f"{w.reproduced_tolerance_uj:.3f} µJ"
                for w in off
                if w.published is not None
            )
            notes.append(f"published value not reproduced in window(s) {detail}; {REPRODUCED_RULE}")
    return tuple(dict.fromkeys(flags)), tuple(notes)
