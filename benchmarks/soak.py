"""Soak: one virtual hour of repeated energy runs on the simulated bench, in one process.

Energy runs of all four workloads, alternating the LPM01A's two stream formats (ascii_dec
and bin_hexa, both at 1 kHz energy samples), until the windows measured add up to an hour
of DUT time. Prints, per run, the wall time and resident memory, then: errors (must be
none), the spread of each workload's µJ/inference across runs and its largest distance from
the simulator's truth (no drift: the first and the last run agree), and the RSS growth from
the end of the first run to the end of the last (flat memory).

    python benchmarks/soak.py [--hours 1.0]
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

from tinyjoule.host.instruments.base import MonitorConfig
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run

FORMATS = ("ascii_dec", "bin_hexa")
WARM_UP_RUNS = 3


def rss_mb() -> float:
    """Resident memory now (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0, help="virtual hours of windows")
    target_s = parser.parse_args().hours * 3600
    errors: list[str] = []
    figures: dict[str, list[float]] = {}
    truth_error: dict[str, float] = {}
    rss: list[float] = []
    virtual_s, n = 0.0, 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        while virtual_s < target_s:
            fmt = FORMATS[n % 2]
            request = RunRequest(
                sessions_root=Path(tmp) / "sessions",
                monitor_config=MonitorConfig(stream_format=fmt),
            )
            t0 = time.perf_counter()
            try:
                summary = run(request)
            except Exception as exc:  # a soak reports every error and goes on
                errors.append(f"run {n + 1} ({fmt}): {type(exc).__name__}: {exc}")
                n += 1
                continue
            for w in summary["workloads"]:
                value = w["median_uj_per_inference"]
                figures.setdefault(w["workload"], []).append(value)
                truth = w["sim_truth_uj_per_inference"]
                off = abs(value - truth) / w["uncertainty_uj_per_inference"]
                truth_error[w["workload"]] = max(truth_error.get(w["workload"], 0.0), off)
                virtual_s += sum(win["duration_s"] for win in w["windows"])
            gc.collect()
            rss.append(rss_mb())
            n += 1
            print(
                f"run {n:2d} {fmt:9s}: {time.perf_counter() - t0:5.2f} s wall, "
                f"{virtual_s / 60:6.1f} virtual min so far, RSS {rss[-1]:6.1f} MB",
                flush=True,
            )
    print(f"\n{n} runs, {virtual_s / 3600:.2f} virtual hours of windows in "
          f"{time.perf_counter() - start:.0f} s wall; errors: {len(errors)}")  # fmt: skip
    for line in errors:
        print("  " + line)
    for workload, values in figures.items():
        spread = (max(values) - min(values)) / min(values) * 100
        print(
            f"{workload}: {len(values)} runs, µJ/inf {min(values):.3f}..{max(values):.3f} "
            f"(spread {spread:.4f} %), first→last {values[-1] - values[0]:+.4f} µJ; "
            f"largest |measured − truth| {truth_error[workload]:.2f} × its uncertainty"
        )
    if len(rss) > 1:
        print(
            f"RSS after run 1 {rss[0]:.1f} MB, after run {len(rss)} {rss[-1]:.1f} MB: "
            f"growth {rss[-1] - rss[0]:+.1f} MB (peak {max(rss):.1f} MB)"
        )
    if len(rss) > WARM_UP_RUNS + 1:
        settled = rss[WARM_UP_RUNS - 1 :]
        print(
            f"after the first {WARM_UP_RUNS} runs (caches, allocator pools): "
            f"{min(settled):.1f}..{max(settled):.1f} MB, last − run {WARM_UP_RUNS} "
            f"{rss[-1] - rss[WARM_UP_RUNS - 1]:+.1f} MB"
        )


if __name__ == "__main__":
    main()
