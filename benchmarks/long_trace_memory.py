"""Benchmark: peak memory of a long 100 kHz LPM01A trace through decode, storage, integration.

Streams a synthetic bin_hexa byte stream (100 kS/s current samples, a TimeStamp frame every
second or more rarely, a D7 event frame every 6 s) in 1 MB reads through ``BinHexaDecoder``,
the HDF5 ``TraceWriter`` and the ``StreamIntegrator``, integrating every window as a live run
does. Each case runs in a fresh process and prints its peak resident memory: it must not
grow with the duration nor with the spacing of the TimeStamp frames (blocks are then bounded
only by the read size). Target: < 150 MB for one hour.

    python benchmarks/long_trace_memory.py            # 6 and 60 minutes, stamps 1 s apart
                                                      # and 60 minutes with none at all
    python benchmarks/long_trace_memory.py 600 1      # one run: 600 s, a stamp every 1 s
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tinyjoule.host.instruments.lpm01a_binary import BinHexaDecoder
from tinyjoule.host.measurement.integration import StreamIntegrator, UncertaintyModel
from tinyjoule.host.measurement.stream import Event, SampleBlock
from tinyjoule.host.measurement.trace_file import TraceWriter
from tinyjoule.host.sim.monitors.lpm01a_formats import bin_records

FS = 100_000
EVENT_EVERY_S = 6
READ_BYTES = 1 << 20


def frame(kind: int, payload: bytes) -> bytes:
    return bytes((0xF0, kind)) + payload + b"\xff\xff"


def stream(seconds: int, stamp_every_s: int):
    """One second of bytes at a time: a TimeStamp frame every ``stamp_every_s`` seconds (0:
    never), then 100k samples (events inside)."""
    rng = np.random.default_rng(0)
    current = 0.018 + 0.005 * (np.arange(FS) % 20_000 < 15_000) + rng.normal(0, 5e-5, FS)
    words = bin_records(current).tobytes()
    counter = 0
    for second in range(seconds):
        out = b""
        if stamp_every_s and second % stamp_every_s == 0:
            out = frame(0xF3, (second * 1000).to_bytes(4, "big") + bytes((3,)))
        if second % EVENT_EVERY_S == 1:
            half = (FS // 2) * 2
            event = frame(0xF2, f"event {counter:02d} ris".encode())
            counter += 1
            out += words[:half] + event + words[half:]
        else:
            out += words
        yield out


def reads(seconds: int, stamp_every_s: int):
    """The stream cut into reads of ``READ_BYTES``, as the driver reads the port."""
    pending = bytearray()
    for chunk in stream(seconds, stamp_every_s):
        pending += chunk
        while len(pending) >= READ_BYTES:
            yield bytes(pending[:READ_BYTES])
            del pending[:READ_BYTES]
    if pending:
        yield bytes(pending)


def run_once(seconds: int, stamp_every_s: int) -> None:
    model = UncertaintyModel(0.02)
    decoder = BinHexaDecoder(FS, "A")
    integrator = StreamIntegrator()
    windows = 0
    last_event: int | None = None
    pending_windows: list[tuple[int, int]] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        writer = TraceWriter(Path(tmp) / "trace.h5", {"sample_rate_hz": FS, "unit": "A"})
        for data in reads(seconds, stamp_every_s):
            for item in decoder.feed(data):
                if isinstance(item, SampleBlock):
                    integrator.add(item)
                    writer.add_block(item)
                    while pending_windows and integrator.ready(pending_windows[0][1]):
                        a, b = pending_windows.pop(0)
                        w = integrator.window(a, b, 1.8, model)
                        writer.add_window(a, b, 1, w.energy_j, w.uncertainty_j)
                        windows += 1
                elif isinstance(item, Event):
                    integrator.mark_event(item.sample_index)
                    writer.add_event(item)
                    if last_event is not None:
                        pending_windows.append((last_event, item.sample_index))
                    last_event = item.sample_index
        writer.close()
        size_mb = (Path(tmp) / "trace.h5").stat().st_size / 1e6
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    samples = decoder.next_index
    stamps = f"stamps {stamp_every_s} s apart" if stamp_every_s else "no stamps"
    print(
        f"{seconds:5d} s of trace, {stamps}: {samples / 1e6:6.1f} M samples, {windows} windows, "
        f"trace file {size_mb:6.1f} MB, {wall:6.1f} s wall ({samples / wall / 1e6:.1f} M/s), "
        f"peak RSS {peak_mb:.0f} MB"
    )


def main() -> None:
    if len(sys.argv) > 1:
        run_once(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1)
        return
    for seconds, stamp_every_s in ((360, 1), (3600, 1), (3600, 0)):
        subprocess.run([sys.executable, __file__, str(seconds), str(stamp_every_s)], check=True)


if __name__ == "__main__":
    main()
