"""The tables ``tinyjoule run`` prints: one row per workload, and on request one per window.
Figures that are not a measurement of a real board are marked in the title and the rows."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table


def label_of(w: dict[str, Any]) -> str:
    """The workload, marked when its figures are not a measurement of a real board."""
    marks = [m for m, on in (("simulated", w.get("simulated")),
                             ("synthetic data", w.get("synthetic_dataset"))) if on]  # fmt: skip
    return f"{w['workload']} ({', '.join(marks)})" if marks else w["workload"]


def result_table(summary: dict[str, Any]) -> Table:
    """One row per workload of the 5-window flow (streaming workloads have their own table)."""
    summary = {**summary, "workloads": [w for w in summary["workloads"]
                                        if w.get("flow") != "stream"]}  # fmt: skip
    mode = summary["mode"]
    title = f"tinyjoule {mode} — {escape(summary['session'])}"
    if summary.get("note"):
        title = f"SIMULATED / UNOFFICIAL — {title}\n({summary['note']})"
    table = Table(title=title)
    table.add_column("workload")
    if mode == "energy":
        for col in ("µJ/inf", "± µJ/inf (k=2)", "mean mW", "ms/inf", "inf/window"):
            table.add_column(col, justify="right", overflow="fold")
        if any("sim_truth_uj_per_inference" in w for w in summary["workloads"]):
            table.add_column("sim truth", justify="right")
        for w in summary["workloads"]:
            row = [
                label_of(w),
                f"{w['median_uj_per_inference']:.3f}",
                f"{w['uncertainty_uj_per_inference']:.3f}",
                f"{w['mean_power_mw']:.3f}",
                f"{w['median_latency_ms']:.3f}",
                str(w["windows"][-1]["inferences"]),
            ]
            if "sim_truth_uj_per_inference" in w:
                row.append(f"{w['sim_truth_uj_per_inference']:.3f}")
            table.add_row(*row)
    elif mode == "performance":
        for col in ("median latency (ms)", "median throughput (inf/s)", "windows", "inf/window"):
            table.add_column(col, justify="right", overflow="fold")
        for w in summary["workloads"]:
            table.add_row(
                label_of(w),
                f"{w['median_latency_ms']:.3f}",
                f"{w['median_throughput_ips']:.3f}",
                str(len(w["windows"])),
                str(w["windows"][-1]["inferences"]),
            )
    else:
        for col in ("metric", "value", "target", "files", "met"):
            table.add_column(col, justify="right", overflow="fold")
        for w in summary["workloads"]:
            table.add_row(label_of(w), *_accuracy_cells(w))
    return table


def _accuracy_cells(w: dict[str, Any]) -> list[str]:
    files = str(w["files"])
    if "reference_agreement_percent" in w:
        value = f"{w['reference_agreement_percent']:.1f}"
        return ["agreement with reference %", value, "-", files, "n/a (synthetic data)"]
    if "synthetic_auc" in w:
        return ["AUC on synthetic data", f"{w['synthetic_auc']:.3f}", "-", files, "n/a"]
    metric, value = ("AUC", f"{w['auc']:.3f}") if "auc" in w else ("top-1 %", f"{w['top1']:.1f}")
    met = "yes" if w["meets_target"] else "[red]no[/]"
    return [metric, value, f"{w['quality_target']:g}", files, met]


def window_table(workload: dict[str, Any], mode: str) -> Table | None:
    """One row per window (energy and performance modes)."""
    windows = workload.get("windows") or []
    if mode not in ("energy", "performance") or not windows:
        return None
    table = Table(title=f"{label_of(workload)}: windows")
    columns = ["#", "input", "inferences", "s", "ms/inf"]
    if mode == "energy":
        columns += ["µJ", "± µJ (k=2)", "± edge µJ", "µJ/inf", "± µJ/inf", "mean mW"]
        if any("sim_truth_energy_uj" in w for w in windows):
            columns.append("sim truth µJ")
    else:
        columns += ["inf/s"]
    for col in columns:
        table.add_column(col, justify="left" if col == "input" else "right", overflow="fold")
    for n, w in enumerate(windows, 1):
        row = [str(n), escape(str(w["input"])), str(w["inferences"]), f"{w['duration_s']:.3f}",
               f"{w['latency_ms']:.3f}"]  # fmt: skip
        if mode == "energy":
            row += [
                f"{w['energy_uj']:.1f}",
                f"{w['uncertainty_uj']:.1f}",
                f"{w['edge_uncertainty_uj']:.1f}",
                f"{w['uj_per_inference']:.3f}",
                f"{w['uncertainty_uj_per_inference']:.3f}",
                f"{w['mean_power_mw']:.3f}",
            ]
            if "sim_truth_energy_uj" in w:
                row.append(f"{w['sim_truth_energy_uj']:.1f}")
        else:
            row.append(f"{w['throughput_ips']:.3f}")
        table.add_row(*row)
    return table


def calibration_notes(workload: dict[str, Any]) -> list[str]:
    """What the console says about a workload's calibration: applied or not, and warnings."""
    calibration = workload.get("calibration")
    if not calibration:
        return []
    name = escape(str(workload["workload"]))
    lines = []
    if calibration.get("applied"):
        record = calibration.get("record") or {}
        lines.append(f"{name}: calibration {escape(str(record.get('label', '')))} applied")
    for warning in calibration.get("warnings", []):
        lines.append(f"[yellow]{name}: warning:[/] {escape(str(warning))}")
    if workload.get("sim_truth_within_uncertainty") is False:
        lines.append(
            f"[yellow]{name}: the simulator's truth lies outside the expanded uncertainty[/] "
            "(the datasheet bound does not cover the simulated instrument's errors: calibrate it)"
        )
    return lines


def budget_table(workload: dict[str, Any]) -> Table | None:
    """The uncertainty budget of a workload's median µJ/inference (GUM, JCGM 100:2008)."""
    budget = workload.get("uncertainty_budget")
    if not budget:
        return None
    table = Table(
        title=f"{label_of(workload)}: uncertainty budget of the median µJ/inference",
        caption=(
            f"combined standard uncertainty u_c = {budget['combined_standard_uncertainty_uj']:.4g}"
            f" µJ/inf (root-sum-square of the contributions); expanded uncertainty U = k u_c = "
            f"{budget['expanded_uncertainty_uj']:.4g} µJ/inf with k = "
            f"{budget['coverage_factor']:g} (about 95 %): the ± printed"
        ),
    )
    for col in ("term", "type", "distribution", "u(x)", "sensitivity", "u (µJ/inf)", "% of u²"):
        table.add_column(
            col, justify="left" if col in ("term", "distribution") else "right", overflow="fold"
        )
    for t in budget["terms"]:
        table.add_row(
            escape(t["name"]),
            t["type"],
            t["distribution"],
            f"{t['standard_uncertainty']:.3g} {t['unit']}",
            f"{t['sensitivity']:.4g} {escape(t['sensitivity_unit'])}",
            f"{t['contribution_uj']:.4g}",
            f"{t['variance_percent']:.1f}",
        )
    return table
