"""The lines of ``results.txt``: the MLPerf Tiny submission checker's own for a measured run,
and plainly different ones for a simulated bench or synthetic data, which no checker pattern
accepts (``tools/submission/submission_checker.py``; ../shared/spec/dut_protocol.md 4.5).
"""

from __future__ import annotations

import re

CHECKER_PREFIX = "ulp-mlperf:"
UNOFFICIAL_PREFIX = "tinyjoule-unofficial:"
CHECKER_PATTERNS = (
    re.compile(r".* Top[- ]1%?\s?[:=] ([0-9.]+)"),
    re.compile(r".* AUC\s?[:=] ([0-9.]+)"),
    re.compile(r".* Median throughput is\s+([0-9.]+) inf\./sec\."),
)
SEARCHED_PATTERNS = (
    re.compile(r"Median energy cost is ([0-9.]+) uJ/inf"),
    re.compile(r"Power\s+: ([0-9.]+) mW"),
)


def checker_accepts(line: str) -> bool:
    """Whether the submission checker would read ``line`` as a result."""
    return any(p.match(line) for p in CHECKER_PATTERNS) or any(
        p.search(line) for p in SEARCHED_PATTERNS
    )


def why_unofficial(simulated: bool, synthetic: bool) -> str:
    reasons = [r for r, on in (("simulated bench", simulated), ("synthetic data", synthetic)) if on]
    return " and ".join(reasons) + ": not a measurement of a real board"


def energy_line(uj_per_inference: float, official: bool, why: str = "") -> str:
    if official:
        return f"Median energy cost is {uj_per_inference:.3f} uJ/inf."
    return f"median energy per inference {uj_per_inference:.3f} uJ ({why})"


def throughput_line(inferences_per_s: float, official: bool, why: str = "") -> str:
    if official:
        return f"Median throughput is {inferences_per_s:.3f} inf./sec."
    return f"median throughput {inferences_per_s:.3f} inferences per second ({why})"


def top1_line(percent: float) -> str:
    return f"Top 1% = {percent:.1f}"


def auc_line(auc: float, official: bool, why: str = "") -> str:
    if official:
        return f"AUC = {auc:.3f}"
    return f"area under the ROC curve {auc:.3f} ({why})"


def agreement_line(percent: float, why: str) -> str:
    return f"agreement with the reference model {percent:.1f} % ({why})"
