"""Benchmark: the simulated energy runs a user starts first, wall time against CPU time.

Runs ``tinyjoule run`` (four workloads, energy, LPM01A at 1 kHz) and the same at 100 kHz
bin_hexa current samples, each in a fresh process, three times, and prints wall time, CPU
time (user + system) and samples streamed. Targets: the default run's wall time at most
1.3 x its CPU time and under 4 s; the 100 kHz run at most 3 x the default's wall time.

    python benchmarks/sim_energy_run.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py

RUNS = {
    "default": [],
    "bin_hexa 100 kHz": [
        "--monitor-format", "bin_hexa", "--sample-rate", "100000", "--monitor-output", "current",
    ],
}  # fmt: skip


def once(args: list[str], sessions: Path) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "tinyjoule.host.cli.app", "run", "--json", "--sessions",
         str(sessions), *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = json.loads(out.stdout)
    samples = 0
    for workload in summary["workloads"]:
        with h5py.File(Path(summary["session"]) / workload["workload"] / "trace.h5") as f:
            samples += f["samples"].shape[0]
    return wall, cpu, samples


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        once([], Path(tmp))  # warm the synthetic-dataset cache
        walls: dict[str, float] = {}
        for name, args in RUNS.items():
            results = [once(args, Path(tmp)) for _ in range(3)]
            wall, cpu, samples = min(results)
            walls[name] = wall
            print(
                f"{name:17s}: {wall:5.2f} s wall, {cpu:5.2f} s CPU (wall/CPU {wall / cpu:.2f}), "
                f"{samples / 1e6:6.1f} M samples streamed (best of 3)"
            )
        ratio = walls["bin_hexa 100 kHz"] / walls["default"]
        print(f"100 kHz run / default run: {ratio:.1f} x")


if __name__ == "__main__":
    main()
