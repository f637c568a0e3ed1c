"""Benchmark: window integration rate, single core.

Streams blocks of float64 samples through ``StreamIntegrator`` (running sums, as in a live
run), the same with a calibration's correction (as when a record is applied), and
integrates windows over a whole array (as in a re-score), and prints samples per second for
each. Target: >= 500 M samples/s.
"""

from __future__ import annotations

import time

import numpy as np

from tinyjoule.calibration.correction import Correction
from tinyjoule.host.measurement.integration import (
    StreamIntegrator,
    UncertaintyModel,
    integrate_array,
)
from tinyjoule.host.measurement.stream import SampleBlock

MODEL = UncertaintyModel(reading_relative=0.02)


CORRECTION = Correction(gain=1.03, offset_a=5e-6, timebase_ppm=200.0).stream("A", 100_000.0, 1.8)


def streamed(total: int, block: int, corrected: bool = False) -> float:
    data = np.random.default_rng(0).uniform(0.01, 0.03, block)
    integrator = StreamIntegrator(correction=CORRECTION if corrected else None)
    integrator.mark_event(block)  # as the pump does when an event record arrives
    integrator.mark_event(total - block)
    start = time.perf_counter()
    for k in range(total // block):
        integrator.add(SampleBlock(data, k * block, 100_000.0, "A"))
    integrator.window(block, total - block, 1.8, MODEL)
    return total / (time.perf_counter() - start)


def whole_array(total: int) -> float:
    data = np.random.default_rng(1).uniform(0.01, 0.03, total)
    start = time.perf_counter()
    integrate_array(data, 0, 10, total - 10, "A", 100_000.0, 1.8, MODEL)
    return total / (time.perf_counter() - start)


def main() -> None:
    total = 200_000_000
    for block in (10_000, 100_000, 1_000_000):
        rate = streamed(total, block)
        print(f"streamed, blocks of {block:>9,} samples: {rate / 1e6:8.0f} M samples/s")
        rate = streamed(total, block, corrected=True)
        print(f"  ... with a calibration's correction:  {rate / 1e6:8.0f} M samples/s")
    print(f"whole array ({total:,} samples):      {whole_array(total) / 1e6:8.0f} M samples/s")


if __name__ == "__main__":
    main()
