"""The lines of ``results.txt``: the MLPerf Tiny submission checker's own for a measured run,
and plainly different ones for a simulated bench or synthetic data, which no checker pattern
accepts (``tools/submission/submission_checker.py``; ../shared/spec/dut_protocol.md 4.4, 4.5).

For sww01 the checker reads ``Power : X mW`` and the streaming lines the MLCommons runner
prints (``Accuracy: <TP> True positives, <FN> False negatives, <FP> False positives``,
``Average duty cycle:``, ``Average period:``, ``Estimated throughput: X inf./sec.``); the
patterns below take them as the spec words them (the checker's own SWW regexes are not in
the public snapshot), so the guard refuses any unofficial line that comes near them.
"""

from __future__ import annotations

import re

CHECKER_PREFIX = "ulp-mlperf:"
UNOFFICIAL_PREFIX = "tinyjoule-unofficial:"
CHECKER_PATTERNS = (
    re.compile(r".* Top[- ]1%?\s?[:=] ([0-9.]+)"),
    re.compile(r".* AUC\s?[:=] ([0-9.]+)"),
    re.compile(r".* Median throughput is\s+([0-9.]+) inf\./sec\."),
    re.compile(r".* Accuracy:\s*([0-9]+) True positives, ([0-9]+) False negatives, ([0-9]+) Fals"),
    re.compile(r".* Average duty cycle\s*:\s*([0-9.]+)"),
    re.compile(r".* Average period\s*:\s*([0-9.]+)"),
    re.compile(r".* Estimated throughput\s*:\s*([0-9.]+) inf\./sec\."),
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


def sww_lines(summary: dict, official: bool, why: str = "") -> list[str]:
    """A streaming wake word run: detections, duty cycle, throughput, and in energy mode the
    mean power over the stream (each clip's figures follow in ``sww_clip_lines``)."""
    tp, fn, fp = summary["true_positives"], summary["false_negatives"], summary["false_positives"]
    duty, period = summary.get("duty_cycle"), summary.get("period_s")
    throughput, power = summary.get("throughput_inf_per_s"), summary.get("mean_power_mw")
    if official:
        lines = [f"Accuracy: {tp} True positives, {fn} False negatives, {fp} False positives"]
        if duty is not None:
            lines += [f"Average duty cycle: {duty:.4f}", f"Average period: {period:.6f} s",
                      f"Estimated throughput: {throughput:.3f} inf./sec."]  # fmt: skip
        if power is not None:
            lines += [
                "Energy data for the stream:",
                f"  Elapsed time  : {summary['duration_s']}",
                f"  Power         : {power:.4f} mW.",
                f"  Total Energy  : {summary['energy_uj']:.3f} uJ",
            ]
        return lines
    lines = [f"stream detections {tp} true positives, {fn} false negatives, {fp} false "
             f"positives ({why})"]  # fmt: skip
    if duty is not None:
        lines.append(
            f"processing duty cycle {duty:.4f} of a {period * 1e3:.3f} ms period, an estimated "
            f"{throughput:.3f} inferences per second ({why})"
        )
    if power is not None:
        lines.append(
            f"mean power over the stream {power:.4f} mW, {summary['energy_uj']:.3f} uJ in "
            f"{summary['duration_s']:.3f} s ({why})"
        )
    return lines


def sww_clip_lines(clips: list[dict]) -> list[str]:
    """One line per clip (never a checker line: the totals are the result)."""
    out = []
    for c in clips:
        if "true_positives" not in c:
            continue
        text = (f"clip {c['wav_file']} ({c['length_s']:g} s): {c['true_positives']} hits, "
                f"{c['false_negatives']} misses, {c['false_positives']} false alarms")  # fmt: skip
        if c.get("mean_power_mw") is not None:
            text += f", mean power {c['mean_power_mw']:.4f} mW"
        out.append(text)
    return out
