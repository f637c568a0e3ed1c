"""Benchmark: wall time of the simulated performance run of all four workloads.

Prints the wall time per workload and in total, with the DUT time simulated. Target: well
under a minute on a 2-core machine. Run: ``.venv/bin/python benchmarks/sim_performance_run.py``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run
from tinyjoule.tinyml_workloads.workloads import default_workload_ids


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # warm the synthetic-dataset cache so the figure is the run, not data generation
        run(RunRequest(mode="performance", workloads=("ad01",), sessions_root=Path(tmp)))
        total = 0.0
        for workload in default_workload_ids():
            start = time.perf_counter()
            summary = run(
                RunRequest(mode="performance", workloads=(workload,), sessions_root=Path(tmp))
            )
            wall = time.perf_counter() - start
            total += wall
            windows = summary["workloads"][0]["windows"]
            dut_s = sum(w["duration_s"] for w in windows)
            print(f"{workload}: {wall:6.2f} s wall for {dut_s:7.1f} s of timed DUT windows")
        print(f"all four workloads: {total:.2f} s wall")


if __name__ == "__main__":
    main()
