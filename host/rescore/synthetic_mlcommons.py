"""Synthetic published energy folders, MLCommons form (``results.json``), for tests and benchmarks.

Each trial is captured on its own: a moment of idle, the input load (``load_s`` at ``load_mw``,
with ``load_swing_mw`` bursts: set it above ``active_mw`` for boards whose load draws more than
the inference), the warm-up, then the measured run between two events, then a short tail.
Samples are J per 1 ms, rounded to four significant digits as the LPM01A's ASCII stream gives
them; events are ``[counter, sample_index]`` with the counter running on across trials.
``results.txt`` is computed exactly as the runner does.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from tinyjoule.host.rescore.synthetic import SyntheticRun, Timeline, load_segments, render

CRLF = "\r\n"
MLCOMMONS_RUN = SyntheticRun(voltage_v=3.0, iterations=250)
IDLE_S = 0.2  # before the load starts
RULE = "---------------------------------------------------------"


def trial_timeline(run: SyntheticRun, spurious_s: float | None) -> Timeline:
    line = [(0.0, IDLE_S, run.idle_mw * 0.8), *load_segments(IDLE_S, run)]
    pre = line[-1][1]
    start = pre + run.warmups * run.latency_s + 0.0113
    line.append((pre, start, run.active_mw))
    end = start + run.iterations * run.latency_s
    line += [(start, end, run.active_mw), (end, end + 0.1137, run.idle_mw * 0.8)]
    edges = [start, end] if spurious_s is None else [spurious_s, start, end]
    return Timeline(line, edges, [(start, end)])


def _summary(trials: list[dict[str, Any]]) -> list[str]:
    """The runner's print_energy_results, line for line."""
    lines, per_inf = ["Power Edition Output"], []
    for n, trial in enumerate(trials):
        power, iterations = trial["power"], trial["infer"]["iterations"]
        ts = power["timestamps"]
        if len(ts) < 2:
            continue
        a, b = ts[-2][1], ts[-1][1]
        elapsed = b / 1000 - a / 1000
        energy = float(np.sum(np.array(power["samples"][a:b])))
        per_inf.append(energy / iterations)
        warn = "" if elapsed >= 10.0 else "  <<<< below minimum duration"
        lines += [
            f"Energy data for trial {n}",
            f"  Elapsed time  : {elapsed}{warn}",
            f"  Inferences    : {iterations}",
            f"  Power         : {1e3 * energy / elapsed:5.4f} mW.",
            f"  Total Energy  : {energy * 1e6:.3f} uJ",
            f"  Energy/Inf    : {per_inf[-1] * 1e6:.3f} uJ/inf",
        ]
    lines += [RULE, f"Median energy cost is {1e6 * float(np.median(per_inf)):5.4f} uJ/inf.", RULE]
    return lines


def write_mlcommons_folder(
    folder: Path,
    run: SyntheticRun | None = None,
    *,
    spurious_first: bool = True,
    drop_events: dict[int, tuple[int, ...]] | None = None,
    results: bool = True,
) -> list[Timeline]:
    """Write one MLCommons-runner folder; ``drop_events`` maps a trial to event positions lost."""
    run = run or MLCOMMONS_RUN
    folder.mkdir(parents=True, exist_ok=True)
    drop_events = drop_events or {}
    trials, lines, counter = [], [], 0
    for n, name in enumerate(run.inputs()):
        line = trial_timeline(run, 0.27 if spurious_first and n == 0 else None)
        trial_run = SyntheticRun(**{**_fields(run), "seed": run.seed * 100 + n})
        joules = np.round(render(line, trial_run) * 1e-6, 8)
        events = []
        for i, t in enumerate(line.edges_s):
            if i not in drop_events.get(n, ()):
                events.append([f"{counter:02d}", math.floor(t * 1000) + 1])
                counter += 1
        trials.append(
            {
                "file": name,
                "classes": "12",
                "class": "7",
                "bytes_to_send": None,
                "stride": None,
                "total_length": None,
                "infer": {
                    "results": [0.0, 0.996],
                    "total_inferences": 1,
                    "iterations": run.iterations,
                    "warmups": run.warmups,
                },
                "power": {
                    "samples": joules.tolist(),
                    "timestamps": events,
                    "extracted_power": None,
                    "voltage": run.voltage_v,
                },
                "mode": "e",
            }
        )
        lines.append(line)
    (folder / "results.json").write_text(json.dumps(trials))
    log = [f"Device model retrieved: {run.workload}"]
    for trial in trials:
        p = trial["power"]
        log += [
            f"Running inference with {run.warmups}/{run.iterations} (warmup/measured) iterations",
            f"Captured samples:{len(p['samples'])} timestamps:{len(p['timestamps'])}",
        ]
    summary = _summary(trials)
    (folder / "log.txt").write_text(CRLF.join([*log, *summary]) + CRLF, newline="")
    if results:
        (folder / "results.txt").write_text(CRLF.join(summary) + CRLF, newline="")
    return lines


def _fields(run: SyntheticRun) -> dict[str, Any]:
    return {f: getattr(run, f) for f in SyntheticRun.__slots__}
