"""Re-scoring results as a rich table, JSON (one object per trace) and CSV (one row per window).

Each carries the alignment verdict with its evidence (``alignment_check``) and, beside every
``reproduced``, the criterion it was judged by (``window_score.REPRODUCED_RULE``).
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from rich import box
from rich.markup import escape
from rich.table import Table

from tinyjoule.host.rescore.alignment_check import ALIGNED, CANNOT_TELL, MISALIGNED
from tinyjoule.host.rescore.rescore import RescoreResult
from tinyjoule.host.rescore.score import TraceScore, WindowScore

CSV_COLUMNS = (
    "path", "trace", "format", "workload", "row", "window", "inferences", "duration_s",
    "energy_uj", "uncertainty_uj", "published_energy_uj", "difference_percent",
    "uj_per_inference", "published_uj_per_inference", "mean_power_mw", "reproduced",
    "reproduced_tolerance_uj", "alignment", "alignment_evidence", "flags",
)  # fmt: skip


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def window_dict(w: WindowScore, rebuilt_by: str | None = None) -> dict[str, Any]:
    """One window; ``rebuilt_by`` is the evidence for a window the alignment check rebuilt."""
    pub, check = w.published, w.check
    rebuilt = ALIGNED if rebuilt_by else None
    return {
        "window": w.number,
        "input": w.spec.label,
        "start_sample": w.spec.start,
        "end_sample": w.spec.end,
        "duration_s": w.duration_s,
        "inferences": w.inferences,
        "energy_uj": w.energy_uj,
        "uncertainty_uj": w.uncertainty_uj,
        "edge_uncertainty_uj": w.edge_uncertainty_uj,
        "uj_per_inference": _num(w.uj_per_inference),
        "mean_power_mw": w.mean_power_mw,
        "published_energy_uj": pub.energy_uj if pub else None,
        "published_uj_per_inference": pub.uj_per_inference if pub else None,
        "published_duration_s": pub.duration_s if pub else None,
        "published_power_mw": pub.power_mw if pub else None,
        "difference_percent": _num(w.difference_percent),
        "within_uncertainty": w.within_uncertainty,
        "reproduced": w.reproduced,
        "reproduced_tolerance_uj": w.reproduced_tolerance_uj if pub else None,
        "alignment": check.verdict if check else rebuilt,
        "alignment_evidence": check.evidence if check else rebuilt_by,
        "on_logged_run": check.on_logged_run if check else None,
        "logged_run_s": _num(check.logged_run_s) if check else None,
        "expected_run_s": _num(check.expected_run_s) if check else None,
        "run_time_fits": check.run_time_fits if check else None,
        "gap_power_mw": _num(check.gap_power_mw) if check else None,
        "draws_more_than_gaps": check.draws_more_than_gaps if check else None,
        "flags": list(w.flags),
    }


def trace_dict(s: TraceScore) -> dict[str, Any]:
    al = s.alignment
    return {
        "path": str(s.path),
        "trace": s.trace,
        "format": s.format,
        "workload": s.workload,
        "voltage_v": s.voltage_v,
        "sample_rate_hz": s.sample_rate_hz,
        "windows": [window_dict(w) for w in s.windows],
        "median_uj_per_inference": _num(s.median_uj_per_inference),
        "uncertainty_uj_per_inference": _num(s.uncertainty_uj_per_inference),
        "published_median_uj_per_inference": s.published_median_uj_per_inference,
        "median_difference_percent": _num(s.median_difference_percent),
        "median_within_uncertainty": s.median_within_uncertainty,
        "mean_power_mw": _num(s.mean_power_mw),
        "misaligned": al.misaligned,
        "alignment_verdict": al.verdict,
        "alignment_evidence": al.evidence,
        "published_measures_idle": "published_measures_idle" in s.flags,
        "alignment_method": al.method,
        "log_offset_s": al.offset_s,
        "performance_results": str(al.timing.path) if al.timing else None,
        "performance_throughput_ips": al.timing.throughput_ips if al.timing else None,
        "run_time_tolerance": al.timing.tolerance if al.timing else None,
        "aligned_windows": [window_dict(w, al.realigned_by) for w in s.aligned]
        if s.aligned
        else None,
        "aligned_median_uj_per_inference": _num(s.aligned_median_uj_per_inference),
        "aligned_uncertainty_uj_per_inference": _num(s.aligned_uncertainty_uj_per_inference),
        "aligned_evidence": al.realigned_by if s.aligned else None,
        "reproduced_criterion": s.reproduced_criterion,
        "flags": list(s.flags),
        "notes": list(s.notes),
    }


def to_json(result: RescoreResult) -> dict[str, Any]:
    return {
        "folders": [trace_dict(s) for s in result.scores],
        "failures": [{"path": str(f.path), "error": f.message} for f in result.failures],
    }


def _rows(s: TraceScore) -> list[dict[str, Any]]:
    base = {"path": str(s.path), "trace": s.trace, "format": s.format, "workload": s.workload}
    rows = []
    by = s.alignment.realigned_by
    for kind, windows in (("window", s.windows), ("aligned_window", s.aligned or ())):
        for w in windows:
            d = window_dict(w, by if kind == "aligned_window" else None)
            rows.append({**base, "row": kind, **{k: d.get(k) for k in CSV_COLUMNS if k in d}})
            rows[-1]["flags"] = ";".join(w.flags)
    rows.append(
        {
            **base,
            "row": "median",
            "uj_per_inference": s.median_uj_per_inference,
            "uncertainty_uj": s.uncertainty_uj_per_inference,
            "published_uj_per_inference": s.published_median_uj_per_inference,
            "difference_percent": s.median_difference_percent,
            "mean_power_mw": s.mean_power_mw,
            "alignment": s.alignment.verdict,
            "alignment_evidence": s.alignment.evidence,
            "flags": ";".join(s.flags),
        }
    )
    if s.aligned:
        rows.append({**base, "row": "aligned_median",
                     "uj_per_inference": s.aligned_median_uj_per_inference,
                     "uncertainty_uj": s.aligned_uncertainty_uj_per_inference,
                     "alignment": ALIGNED, "alignment_evidence": by})  # fmt: skip
    return rows


def to_csv(result: RescoreResult) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for s in result.scores:
        writer.writerows(_rows(s))
    return out.getvalue()


def label(s: TraceScore) -> str:
    parts = s.path.parts[-3:] if s.path.name.lower() in ("energy", "power") else s.path.parts[-1:]
    name = "/".join(parts)
    return f"{name} [{s.trace}]" if "several_traces" in s.flags else name


def _f(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return ""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text  # no "-0.000"


FLAG_CODES = {  # the name shown in the table, and what it means
    "short": ("short", "shorter than 10 s or 10 inferences"),
    "runner_flagged": ("runner-flagged", "the runner flagged it"),
    "off_log": ("off-log", "its edges are no logged run's start and end"),
    "off_run_time": ("off-run-time", "does not last its inferences' performance-mode run time"),
    "alignment_unknown": ("can't-tell", "cannot tell whether it holds its run"),
    "below_gaps": ("below-gaps", "draws no more than the segments beside it (power: support only)"),
    "not_reproduced": ("not-reproduced", "published value not reproduced"),
}
VERDICT_STYLE = {ALIGNED: "green", MISALIGNED: "bold red", CANNOT_TELL: "yellow"}


def _codes(flags: tuple[str, ...]) -> str:
    return ", ".join(FLAG_CODES[f][0] if f in FLAG_CODES else f for f in flags)


def _allowance(s: TraceScore) -> str:
    """What "reproduced" allowed here (``REPRODUCED_RULE`` in numbers)."""
    tols = [w.reproduced_tolerance_uj for w in s.windows if w.published is not None]
    low, high = min(tols), max(tols)
    span = f"{low:.3f}" if high - low < 0.0005 else f"{low:.3f}-{high:.3f}"
    why = (
        "the larger sample beside each boundary (times rounded to 1 ms)"
        if s.format == "eembc"
        else "none for the boundaries (sample indices are stored)"
    )
    return f": |Δ| > {span} µJ = {why} + 0.0005 µJ print rounding"


def _legend(s: TraceScore) -> list[str]:
    used = {f for w in (*s.windows, *(s.aligned or ())) for f in w.flags}
    legend = [f"{code}: {text}" for f, (code, text) in FLAG_CODES.items() if f in used]
    if "not_reproduced" in used:
        legend[-1] += _allowance(s)
    return legend


def _title(s: TraceScore) -> str:
    parts = [s.format, s.workload or "", f"{s.voltage_v:g} V" if s.voltage_v else ""]
    title = f"[bold]{escape(label(s))}[/] ({escape(', '.join(p for p in parts if p))})"
    al = s.alignment
    how = "no timing" if al.method == "none" else al.method
    title += f" [{VERDICT_STYLE[al.verdict]}]{al.verdict.replace('_', ' ')} ({how})[/]"
    return title + (f" [yellow]{' '.join(s.flags)}[/]" if s.flags else "")


def table(s: TraceScore) -> Table:
    """One trace: its windows, the median, and the aligned windows where they differ."""
    t = Table(
        title=_title(s),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    columns = ("#", "runner's", "inf", "s", "µJ", "± µJ", "µJ/inf", "± µJ/inf",
               "published µJ/inf", "Δ %", "mW")  # fmt: skip
    for col in columns:  # folded, never cut, when the console is narrow
        t.add_column(col, justify="left" if col == "runner's" else "right", overflow="fold")
    t.add_column("flags", overflow="fold")
    runner = "window" if s.format == "eembc" else "trial"
    for kind, windows in (("", s.windows), ("aligned ", s.aligned or ())):
        for n, w in enumerate(windows, 1):
            pub = w.published
            bad = w.alignment == MISALIGNED
            style = "yellow" if kind else ("red" if bad else None)
            per_inf = w.uncertainty_uj / w.inferences if w.inferences else None
            t.add_row(
                f"{kind}{n}", f"{runner} {w.number}", str(w.inferences), _f(w.duration_s),
                _f(w.energy_uj, 1), _f(w.uncertainty_uj, 0), _f(w.uj_per_inference),
                _f(per_inf), _f(pub.uj_per_inference if pub else None),
                _f(w.difference_percent, 3), _f(w.mean_power_mw), _codes(w.flags),
                style=style,
            )  # fmt: skip
    t.add_row(
        "median", "", "", "", "", "", _f(s.median_uj_per_inference),
        _f(s.uncertainty_uj_per_inference), _f(s.published_median_uj_per_inference),
        _f(s.median_difference_percent, 3), _f(s.mean_power_mw), "", style="bold",
    )  # fmt: skip
    legend = _legend(s)
    if s.aligned:
        t.add_row("aligned median", "", "", "", "", "", _f(s.aligned_median_uj_per_inference),
                  _f(s.aligned_uncertainty_uj_per_inference), "", "", "", "",
                  style="bold yellow")  # fmt: skip
        legend.insert(0, f"aligned N: window N correctly aligned: {s.alignment.realigned_by}")
    if legend:
        t.caption = "; ".join(legend)
        t.caption_justify = "left"
    return t


def notes(result: RescoreResult) -> list[str]:
    return [f"{label(s)}: {n}" for s in result.scores for n in s.notes]
