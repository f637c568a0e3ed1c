"""Benchmark: ``tinyjoule report`` of a 1-hour 100 kHz trace (360 M samples).

Writes a session folder with a synthetic energy run (current samples at 100 kS/s through the
real ``TraceWriter``, two timestamp events and a window row per ~10 s window, results.json and
summary.json as a run writes them, marked simulated and synthetic), then builds its report in a
fresh process and prints that process's wall time and peak resident memory. Targets: < 30 s
and < 300 MB.

    python benchmarks/report_long_trace.py            # 3600 s
    python benchmarks/report_long_trace.py 600        # a shorter trace
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tinyjoule.host.measurement.stream import Event, SampleBlock
from tinyjoule.host.measurement.trace_file import TraceWriter

FS = 100_000
VOLTS = 1.8
IDLE_A, LOAD_A, ACTIVE_A, NOISE_A = 0.0119, 0.0183, 0.0234, 5e-5
PERIOD_S, GAP_S = 10.5, 0.4  # a window every 10.5 s: 0.4 s loading the input, 10.1 s inferring
BLOCK = FS  # one second per block written


def current(start: int, n: int, noise: np.ndarray) -> np.ndarray:
    """The board's current for samples ``[start, start + n)``: load, then inference."""
    t = (np.arange(start, start + n) % int(PERIOD_S * FS)) / FS
    level = np.where(t < GAP_S, np.where(t < GAP_S / 2, IDLE_A, LOAD_A), ACTIVE_A)
    off = start % (len(noise) - BLOCK)
    return (level + noise[off : off + n]).astype(np.float32)


def write_session(root: Path, seconds: int) -> Path:
    """A session folder as an energy run writes it; the path of the session."""
    session = root / "20260101_000000_energy"
    folder = session / "kws01"
    folder.mkdir(parents=True)
    attrs = {"sample_rate_hz": FS, "unit": "A", "supply_voltage_v": VOLTS, "instrument": "lpm01a",
             "workload": "kws01", "window_convention": "half_edge_samples", "simulated": True,
             "synthetic_dataset": True}  # fmt: skip
    noise = np.random.default_rng(0).normal(0, NOISE_A, 2 * FS + 7).astype(np.float32)
    n = seconds * FS
    period, gap = int(PERIOD_S * FS), int(GAP_S * FS)
    starts = [k + gap for k in range(0, n - period + 1, period)]
    windows = []
    writer = TraceWriter(folder / "trace.h5", attrs)
    for first in range(0, n, BLOCK):
        writer.add_block(SampleBlock(current(first, min(BLOCK, n - first), noise), first, FS, "A"))
    for i, a in enumerate(starts):
        b = a + period - gap
        writer.add_event(Event(a + 1, rising=False, counter=2 * i))  # edge inside sample a
        writer.add_event(Event(b + 1, rising=False, counter=2 * i + 1))
        energy_j = VOLTS * ACTIVE_A * (b - a) / FS
        writer.add_window(a + 1, b + 1, 280, energy_j, 0.02 * energy_j)
        windows.append({"input": f"w{i:04d}.bin", "inferences": 280, "energy_uj": energy_j * 1e6,
                        "uncertainty_uj": 0.02 * energy_j * 1e6, "duration_s": (b - a) / FS,
                        "uj_per_inference": energy_j * 1e6 / 280, "start_sample": a + 1,
                        "end_sample": b + 1, "mean_power_mw": VOLTS * ACTIVE_A * 1e3})  # fmt: skip
    writer.close()
    results = {"workload": "kws01", "mode": "energy", "complete": True, "simulated": True,
               "synthetic_dataset": True, "trace": "trace.h5", "windows": windows}  # fmt: skip
    (folder / "results.json").write_text(json.dumps(results))
    summary = {"session": str(session), "mode": "energy", "complete": True, "simulated": True,
               "synthetic_dataset": True, "workloads": [results]}  # fmt: skip
    (session / "summary.json").write_text(json.dumps(summary))
    return session


def report_once(session: Path, out: Path) -> None:
    """In this (fresh) process: build the report and print its time and peak memory."""
    start = time.perf_counter()
    from tinyjoule.host.report import build_report

    result = build_report([session], out)
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    env = result.report.items[0].envelope
    bins = 0 if env is None else len(env.lo)
    size_mb = out.stat().st_size / 1e6
    windows = len(result.report.items[0].windows)
    print(f"report: {wall:.1f} s wall, peak RSS {peak_mb:.0f} MB, {size_mb:.1f} MB of HTML, "
          f"{bins} bins, {windows} windows, problems: {len(result.problems)}")  # fmt: skip


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--report":
        report_once(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 3600
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        session = write_session(Path(tmp), seconds)
        size = (session / "kws01" / "trace.h5").stat().st_size / 1e6
        print(f"trace: {seconds} s at {FS / 1e3:g} kHz = {seconds * FS / 1e6:.0f} M samples, "
              f"{size:.0f} MB, written in {time.perf_counter() - t:.1f} s")  # fmt: skip
        out = Path(tmp) / "report.html"
        subprocess.run([sys.executable, __file__, "--report", str(session), str(out)], check=True)


if __name__ == "__main__":
    main()
