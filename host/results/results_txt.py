"""``results.txt`` as the MLCommons runner writes it: a block per window (per trial), then
the median line the submission checker reads, so a person reading it sees every window.

A measured run (real bench, real data) writes the runner's wording and the checker's lines
(``ulp-mlperf:``); any other run writes a headline saying what it is, its blocks in other
words, and ``tinyjoule-unofficial:`` lines no checker pattern accepts (``result_lines``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tinyjoule.host.results.result_lines import (
    agreement_line,
    auc_line,
    energy_line,
    throughput_line,
    top1_line,
)

RULE = "-" * 57


def energy_blocks(windows: Sequence[dict[str, Any]], official: bool) -> list[str]:
    lines = ["Power Edition Output"]
    for n, w in enumerate(windows, 1):
        lines.append(f"Energy data for window {n} ({w['input']})")
        if official:
            lines += [
                f"  Elapsed time  : {w['duration_s']:.6f}",
                f"  Inferences    : {w['inferences']}",
                f"  Power         : {w['mean_power_mw']:.4f} mW.",
                f"  Total Energy  : {w['energy_uj']:.3f} uJ",
                f"  Energy/Inf    : {w['uj_per_inference']:.3f} uJ/inf",
            ]
        else:
            lines += [
                f"  elapsed time  : {w['duration_s']:.6f} s",
                f"  inferences    : {w['inferences']}",
                f"  mean power    : {w['mean_power_mw']:.4f} mW",
                f"  total energy  : {w['energy_uj']:.3f} uJ",
                f"  energy/inf    : {w['uj_per_inference']:.3f} uJ/inf",
            ]
        lines.append(
            f"  uncertainty   : +/- {w['uncertainty_uj_per_inference']:.3f} uJ/inf "
            "(expanded, k = 2)"
        )
    return lines


def performance_blocks(windows: Sequence[dict[str, Any]], official: bool) -> list[str]:
    lines = []
    for n, w in enumerate(windows, 1):
        lines += [
            f"Performance results for window {n} ({w['input']})",
            f"    # Inferences : {w['inferences']}",
            f"    Runtime: {w['duration_s']:.6f} sec.",
            f"    {'Throughput' if official else 'inferences per second'}: "
            f"{w['throughput_ips']:.6f}{' inf./sec.' if official else ''}",
        ]
        if w["duration_s"] >= 10.0 and w["inferences"] >= 10:
            lines.append("    Runtime requirements have been met.")
    return lines


def result_text(mode: str, summary: dict[str, Any], official: bool, why: str) -> list[str]:
    """The lines to prefix: the median (or the accuracy figure), between rules."""
    if mode == "energy":
        body = energy_line(summary["median_uj_per_inference"], official, why)
    elif mode == "performance":
        body = throughput_line(summary["median_throughput_ips"], official, why)
    elif "auc" in summary:
        body = auc_line(summary["auc"], official, why)
    elif "synthetic_auc" in summary:
        body = auc_line(summary["synthetic_auc"], False, why)
    elif "top1" in summary and official:
        body = top1_line(summary["top1"])
    else:
        agreement = summary.get("top1", summary.get("reference_agreement_percent", 0.0))
        body = agreement_line(agreement, why)
    return [RULE, body, RULE]


def blocks(mode: str, windows: Sequence[dict[str, Any]], official: bool, why: str) -> list[str]:
    """The block lines (unprefixed), headed by what the run is when it is not official."""
    head = [] if official else [f"tinyjoule {mode} results: {why.upper()}"]
    if mode == "energy":
        return head + energy_blocks(windows, official)
    if mode == "performance":
        return head + performance_blocks(windows, official)
    return head
