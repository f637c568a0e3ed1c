"""The console table of streaming wake word results (one row per clip and the totals)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table


def is_stream(workload: dict[str, Any]) -> bool:
    return workload.get("flow") == "stream"


def _verdict(w: dict[str, Any]) -> str:
    if "meets_target" not in w:
        return "n/a (synthetic data)" if w.get("synthetic_dataset") else "n/a (not the long test)"
    return "yes" if w["meets_target"] else "[red]no[/]"


def stream_table(summary: dict[str, Any], label: Any) -> Table | None:
    """``label(w)`` marks a simulated or synthetic workload; None when no workload streams."""
    rows = [w for w in summary["workloads"] if is_stream(w) and "true_positives" in w]
    if not rows:
        return None
    energy = any("mean_power_mw" in w for w in rows)
    title = f"streaming wake word — {escape(summary['session'])}"
    if summary.get("note"):
        title = f"SIMULATED / UNOFFICIAL — {title}\n({summary['note']})"
    table = Table(title=title)
    table.add_column("workload / clip")
    for col in ("length s", "TP", "FN", "FP", "duty %", "period ms", "inf/s"):
        table.add_column(col, justify="right")
    if energy:
        table.add_column("mean mW", justify="right")
        table.add_column("± mW", justify="right")
        if any("sim_truth_mean_power_mw" in w for w in rows):
            table.add_column("sim truth mW", justify="right")
    table.add_column("≤8 FP, ≤8 FN, 50 words", justify="right")
    for w in rows:
        for c in w.get("clips", []):
            if "true_positives" not in c:
                continue
            cells = [f"  {escape(c['wav_file'])}", f"{c['length_s']:g}", str(c["true_positives"]),
                     str(c["false_negatives"]), str(c["false_positives"]),
                     f"{c['duty_cycle'] * 100:.2f}", f"{c['period_s'] * 1e3:.3f}",
                     f"{c['throughput_inf_per_s']:.2f}"]  # fmt: skip
            if energy:
                cells += [f"{c['mean_power_mw']:.4f}" if "mean_power_mw" in c else "-", ""]
                if "sim_truth_mean_power_mw" in w:
                    cells.append(f"{c.get('sim_truth_mean_power_mw', float('nan')):.4f}")
            table.add_row(*cells, "")
        cells = [label(w), f"{sum(c['length_s'] for c in w['clips']):g}",
                 str(w["true_positives"]), str(w["false_negatives"]), str(w["false_positives"]),
                 f"{w['duty_cycle'] * 100:.2f}", f"{w['period_s'] * 1e3:.3f}",
                 f"{w['throughput_inf_per_s']:.2f}"]  # fmt: skip
        if energy:
            cells += [f"{w['mean_power_mw']:.4f}", f"{w['uncertainty_mean_power_mw']:.4f}"]
            if "sim_truth_mean_power_mw" in w:
                cells.append(f"{w['sim_truth_mean_power_mw']:.4f}")
        table.add_row(*cells, _verdict(w))
    return table
