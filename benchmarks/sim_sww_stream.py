"""Benchmark: the simulated sww01 stream, a 20-minute clip, wall time and peak memory.

Runs ``tinyjoule run -w sww01`` (energy, the synthetic 20-minute long test with 50 wake
words) in a fresh process per case and prints wall time, CPU time, peak resident memory
and samples streamed: the LPM01A at its default 1 kHz, the JS220 (the reference set-up's
monitor: 1 kHz energy samples, its GPI0 read at 2 MS/s, 300 MB of pin bits for the
stream), and the LPM01A at 100 kHz bin_hexa current samples (120 M samples through the
simulated monitor, the decoder, the integrator and the HDF5 trace). The 2-minute medium
list at 100 kHz is the memory baseline: peak memory must not grow with the stream's length.
Targets: the 20-minute default run under 20 s wall; the 20-minute runs within 1.25 x the
2-minute run's peak memory.

    python benchmarks/sim_sww_stream.py
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

from tinyjoule.tinyml_workloads.sww_clips import write_synthetic_clip_lists

FAST = ["--monitor-format", "bin_hexa", "--sample-rate", "100000", "--monitor-output", "current"]
CASES = {
    "20 min, 1 kHz (default)": ("sww_long_test.json", []),
    "20 min, JS220 at 3.3 V": (
        "sww_long_test.json",
        ["--monitor", "sim:js220", "--voltage", "3.3"],
    ),
    "2 min, 100 kHz": ("sww_med_test.json", FAST),
    "20 min, 100 kHz": ("sww_long_test.json", FAST),
}
CHILD = """
import resource, sys
from tinyjoule.host.cli.app import main
sys.argv = ["tinyjoule", *sys.argv[1:]]
try:
    main()
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def once(clips: Path, args: list[str], sessions: Path) -> tuple[float, float, float, int, dict]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, "run", "-w", "sww01", "--json", "--dataset", str(clips),
         "--sessions", str(sessions), *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_mb = int(out.stderr.strip().splitlines()[-1]) / 1024
    summary = json.loads(out.stdout)
    (workload,) = summary["workloads"]
    with h5py.File(Path(summary["session"]) / "sww01" / "trace.h5") as f:
        samples = f["samples"].shape[0]
    return wall, cpu, peak_mb, samples, workload


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_synthetic_clip_lists(Path(tmp) / "datasets")
        peaks: dict[str, float] = {}
        for name, (clip_list, args) in CASES.items():
            runs = []
            for _ in range(3 if name.endswith("(default)") else 1):
                sessions = Path(tempfile.mkdtemp(dir=tmp))
                runs.append(once(folder / clip_list, args, sessions))
            wall, cpu, peak, samples, w = min(runs, key=lambda r: r[0])
            peaks[name] = peak
            best = " (best of 3)" if len(runs) > 1 else ""
            print(
                f"{name:24s}: {wall:5.2f} s wall, {cpu:5.2f} s CPU, peak {peak:6.1f} MB, "
                f"{samples / 1e6:6.1f} M samples{best}; {w['true_positives']} TP "
                f"{w['false_negatives']} FN {w['false_positives']} FP, "
                f"{w['mean_power_mw']:.4f} mW (sim truth {w['sim_truth_mean_power_mw']:.4f})"
            )
        ratio = peaks["20 min, 100 kHz"] / peaks["2 min, 100 kHz"]
        print(f"peak memory, 20 min / 2 min at 100 kHz: {ratio:.2f} x")


if __name__ == "__main__":
    main()
