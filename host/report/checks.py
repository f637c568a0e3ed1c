"""Every check a run passed or failed, as far as its files tell: the MLPerf Tiny window rules,
the run's own checks (drops, events, golden output, quality target), the simulator's truth on a
simulated bench, and the re-score's reproduction and alignment verdicts for published runs.
What cannot be told from the files is ``not applicable``, with the reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinyjoule.host.measurement.pump import BUFFER_WARNING_PERCENT
from tinyjoule.host.measurement.trace_file import DROP_COLUMNS, WINDOW_COLUMNS
from tinyjoule.host.report.model import FAILED, NOT_APPLICABLE, PASSED, Check, Item
from tinyjoule.host.rescore.alignment_check import ALIGNED, MISALIGNED
from tinyjoule.host.runner.windows import MIN_WINDOW_INFERENCES, MIN_WINDOW_S, WINDOW_COUNT

NA = NOT_APPLICABLE


def num(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok and np.isfinite(value) else None


def _each(item: Item, name: str, test: Callable[[dict[str, Any]], bool | None], what: str) -> Check:
    """One check over every window: passed when all pass, failed naming those that do not."""
    if not item.windows:
        return Check(name, NA, "no window to check")
    results = [test(w) for w in item.windows]
    failing = [
        str(w.get("window", i + 1))
        for i, (w, r) in enumerate(zip(item.windows, results, strict=True))
        if r is False
    ]
    if failing:
        return Check(name, FAILED, f"window(s) {', '.join(failing)}: {what}")
    if any(r is None for r in results):
        return Check(name, NA, "the windows do not say")
    return Check(name, PASSED, f"all {len(results)} windows")


def _run_finished(item: Item) -> Check:
    if item.complete is None:
        return Check("run finished", NA, "results do not say")
    if item.complete:
        return Check("run finished", PASSED, "complete")
    return Check("run finished", FAILED, str(item.data.get("error") or "marked incomplete"))


def _window_rules(item: Item) -> list[Check]:
    n = len(item.windows)
    count = Check(
        f"{WINDOW_COUNT} windows",
        PASSED if n >= WINDOW_COUNT else FAILED,
        f"{n} window(s)" + ("" if n >= WINDOW_COUNT else f", the median needs {WINDOW_COUNT}"),
    )
    long_enough = _each(
        item,
        f"every window ≥ {MIN_WINDOW_S:g} s",
        lambda w: (
            None if num(w.get("duration_s")) is None else num(w.get("duration_s")) >= MIN_WINDOW_S
        ),
        f"shorter than {MIN_WINDOW_S:g} s",
    )
    enough = _each(
        item,
        f"every window ≥ {MIN_WINDOW_INFERENCES} inferences",
        lambda w: (
            None
            if num(w.get("inferences")) is None
            else num(w.get("inferences")) >= MIN_WINDOW_INFERENCES
        ),
        f"fewer than {MIN_WINDOW_INFERENCES} inferences",
    )
    return [count, long_enough, enough]


NOISE_SIGMAS = 5.0  # as the project's own truth check (tests/host/truth_check.py)


def _truth(item: Item) -> Check:
    """|measured - truth| within the edge bound plus 5 sigma of the instrument noise summed
    over the window (estimated from the trace; the simulated monitors add seeded noise)."""
    name = "sim truth within the edge bound (+ 5σ noise)"
    if not item.simulated:
        return Check(name, NA, "a real board has no truth to compare with")
    noise = dict(enumerate(item.noise_uj))
    worst: tuple[float, float] | None = None
    failing, unknown = [], 0
    for i, w in enumerate(item.windows):
        e, t = num(w.get("energy_uj")), num(w.get("sim_truth_energy_uj"))
        b = num(w.get("edge_uncertainty_uj"))
        if e is None or t is None or b is None:
            unknown += 1
            continue
        bound = b + NOISE_SIGMAS * (noise.get(i) or 0.0) + 1e-9 * abs(t)
        if abs(e - t) > bound:
            failing.append(f"{w.get('window', i + 1)} (|Δ| {abs(e - t):.3f} > {bound:.3f} µJ)")
        if worst is None or abs(e - t) / bound > worst[0] / worst[1]:
            worst = (abs(e - t), bound)
    how = (
        "edge bound + 5σ of the noise estimated from the trace"
        if item.noise_uj
        else ("edge bound only: no trace to estimate the noise from")
    )
    if failing:
        return Check(name, FAILED, f"window(s) {', '.join(failing)}; bound: {how}")
    if unknown or worst is None:
        return Check(name, NA, "the windows carry no sim truth")
    detail = (
        f"all {len(item.windows)} windows; closest: |Δ| {worst[0]:.3f} of {worst[1]:.3f} µJ ({how})"
    )
    return Check(name, PASSED, detail)


def _table(item: Item, name: str) -> np.ndarray | None:
    table = item.trace_tables.get(name)
    return table if table is not None and table.ndim == 2 else None


def _trace_checks(item: Item) -> list[Check]:
    attrs = item.trace_attrs
    if not attrs:
        why = "no readable trace.h5"
        return [
            Check(n, NA, why)
            for n in (
                "trace complete",
                "no samples lost in a window",
                "trace windows agree with the results",
            )
        ]
    complete = attrs.get("complete")
    checks = [
        Check(
            "trace complete",
            PASSED if complete else FAILED,
            "marked complete" if complete else str(attrs.get("error") or "not marked complete"),
        )
    ]
    drops = _table(item, "drops")
    lost = []
    if drops is not None and drops.shape[0]:
        first, count = (
            drops[:, DROP_COLUMNS.index("first_index")],
            drops[:, DROP_COLUMNS.index("count")],
        )
        for i, w in enumerate(item.windows):
            a, b = num(w.get("start_sample")), num(w.get("end_sample"))
            if a is not None and b is not None and np.any((first < b) & (first + count > a - 1)):
                lost.append(str(w.get("window", i + 1)))
    n_drops = 0 if drops is None else drops.shape[0]
    checks.append(
        Check(
            "no samples lost in a window",
            FAILED if lost else PASSED,
            f"window(s) {', '.join(lost)} overlap a drop"
            if lost
            else f"{n_drops} drop record(s) in the trace, none inside a window",
        )
    )
    rows = _table(item, "windows")
    if rows is None or item.windows_from == "trace.h5":
        checks.append(
            Check(
                "trace windows agree with the results", NA, "the windows shown are the trace's own"
            )
        )
        return checks
    ours = [
        (num(w.get("start_sample")), num(w.get("end_sample")), num(w.get("energy_uj")))
        for w in item.windows
    ]
    theirs = [(r[0], r[1], r[WINDOW_COLUMNS.index("energy_j")] * 1e6) for r in rows.tolist()]
    same = len(ours) == len(theirs) and all(
        a == c and b == d and e is not None and abs(e - f) <= 1e-6 * max(abs(f), 1.0)
        for (a, b, e), (c, d, f) in zip(ours, theirs, strict=True)
    )
    detail = (
        f"{len(theirs)} window row(s), same edges and energy"
        if same
        else f"results list {len(ours)} window(s), the trace {len(theirs)}, "
        "or their edges or energy differ"
    )
    checks.append(Check("trace windows agree with the results", PASSED if same else FAILED, detail))
    return checks


def _energy_checks(item: Item) -> list[Check]:
    d = item.data
    checks = [*_window_rules(item), *_trace_checks(item)]
    dc = d.get("drop_check_complete")
    if dc is None:
        checks.append(Check("drop check complete", NA, "results do not say"))
    elif dc:
        checks.append(
            Check("drop check complete", PASSED, "the monitor vouched for the last window")
        )
    else:
        why = "no status record after the last window: a loss at its very end cannot be ruled out"
        checks.append(Check("drop check complete", FAILED, why))
    load = num((d.get("monitor") or {}).get("max_buffer_percent"))
    checks.append(
        Check(
            f"monitor buffer below {BUFFER_WARNING_PERCENT} %",
            NA if load is None else PASSED if load < BUFFER_WARNING_PERCENT else FAILED,
            "not recorded" if load is None else f"reached {load:g} %",
        )
    )
    checks.append(_truth(item))
    source = d.get("source")
    if isinstance(source, dict):
        checks.extend(
            _published_verdicts(
                source.get("alignment_verdict"), source.get("alignment_evidence"), item
            )
        )
    return checks


def _published_verdicts(verdict: Any, evidence: Any, item: Item) -> list[Check]:
    status = {ALIGNED: PASSED, MISALIGNED: FAILED}.get(str(verdict), NA)
    checks = [
        Check(
            "windows hold their inference runs (alignment)",
            status,
            f"{str(verdict).replace('_', ' ')}: {evidence or 'no evidence recorded'}",
        )
    ]
    checks.append(
        _each(
            item,
            "published value reproduced",
            lambda w: w.get("reproduced") if isinstance(w.get("reproduced"), bool) else None,
            "the published value differs by more than the allowance",
        )
    )
    return checks


def _accuracy_checks(item: Item) -> list[Check]:
    d = item.data
    files, scored = num(d.get("files")), num(d.get("scored_files"))
    checks = [
        Check(
            "every file scored",
            NA if files is None else PASSED if scored == files else FAILED,
            "results do not say" if files is None else f"{scored:g} of {files:g} files",
        )
    ]
    met = d.get("meets_target")
    if isinstance(met, bool):
        checks.append(
            Check(
                "quality target met", PASSED if met else FAILED, f"target {d.get('quality_target')}"
            )
        )
    else:
        checks.append(
            Check(
                "quality target met",
                NA,
                "synthetic data: no verdict" if item.synthetic else "not scored",
            )
        )
    golden = d.get("golden")
    if isinstance(golden, dict):
        from tinyjoule.host.runner.golden_check import verdict_text

        try:
            text = verdict_text(golden)
        except (KeyError, TypeError, ValueError):
            text = "recorded, but incomplete"
        checks.append(
            Check("golden-output check", FAILED if golden.get("flagged") else PASSED, text)
        )
    else:
        checks.append(Check("golden-output check", NA, "no model known to compare with"))
    return checks


def published_checks(item: Item) -> list[Check]:
    d = item.data
    checks = _window_rules(item)
    checks.extend(
        _published_verdicts(d.get("alignment_verdict"), d.get("alignment_evidence"), item)
    )
    within = d.get("median_within_uncertainty")
    checks.append(
        Check(
            "median within its uncertainty of the published",
            NA if within is None else PASSED if within else FAILED,
            "no published median"
            if within is None
            else f"Δ {d.get('median_difference_percent') or 0:.4f} %",
        )
    )
    flags = [str(f) for f in d.get("flags", [])]
    bad = [f.replace("_", " ") for f in flags if f in ("lost_timestamp", "spurious_pulse")]
    edges = ", ".join(bad) if bad else "no lost or extra edge found"
    checks.append(Check("no lost or extra timestamp edge", FAILED if bad else PASSED, edges))
    verdict = d.get("alignment_verdict")
    if "published_measures_idle" in flags:
        status, why = FAILED, "the window(s) the published median is taken from hold no run"
    elif verdict in (ALIGNED, MISALIGNED):
        status, why = PASSED, "the window(s) it is taken from hold their runs"
    else:
        status, why = NA, "cannot tell: no timing evidence"
    checks.append(Check("published median measures inference, not idle time", status, why))
    return checks


def item_checks(item: Item) -> list[Check]:
    if item.raw is not None:
        return published_checks(item)
    checks = [_run_finished(item)]
    if item.mode == "energy":
        checks.extend(_energy_checks(item))
    elif item.mode == "performance":
        checks.extend(_window_rules(item))
    elif item.mode == "accuracy":
        checks.extend(_accuracy_checks(item))
    return checks
