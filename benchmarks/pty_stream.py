"""Benchmark: an LPM01A ascii_dec stream end to end through a pseudo-terminal.

A simulated bench serves its LPM01A on a pty (``sim.pty_server``, as ``tinyjoule sim serve``
does); the real LPM01A driver opens the pty, configures 5 kHz ascii_dec (the fastest endless
ascii rate), starts, and reads. The bench's clock is moved ``SECONDS`` ahead at once, so the
whole stream is waiting and the figure is what the path can carry: server, pty, pyserial,
the driver's reads and the decoder. Target: at least 2 M samples/s.

    python benchmarks/pty_stream.py [SECONDS]
"""

from __future__ import annotations

import sys
import time

from tinyjoule.host.instruments.lpm01a import Lpm01a
from tinyjoule.host.measurement.stream import SampleBlock
from tinyjoule.host.sim.config import SimBenchConfig
from tinyjoule.host.sim.pty_server import PtyServer
from tinyjoule.host.sim.simulated_bench import SimulatedBench

RATE_HZ = 5000


def main(seconds: float) -> None:
    bench = SimulatedBench(SimBenchConfig(workload_id="kws01", monitor="lpm01a"))
    with PtyServer(bench) as server:
        monitor = Lpm01a(server.paths["monitor"])
        monitor.open()
        config = monitor.facts.config(1.8, sample_rate_hz=RATE_HZ, output="current")
        monitor.configure(config)
        monitor.power(True)
        monitor.start()
        want = int(seconds * RATE_HZ)
        bench.clock.advance(seconds + 0.01)
        got = 0
        start = time.perf_counter()
        deadline = start + 120
        while got < want and time.perf_counter() < deadline:
            for item in monitor.read(0.5):
                if isinstance(item, SampleBlock):
                    got += len(item.samples)
        wall = time.perf_counter() - start
        monitor.close()
    print(
        f"ascii_dec at {RATE_HZ} Hz through a pty: {got / 1e6:.2f} M samples "
        f"({got * 9 / 1e6:.0f} MB) in {wall:.2f} s = {got / wall / 1e6:.2f} M samples/s"
    )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 400.0)
