"""Benchmark: LPM01A stream decode rate, single core, bin_hexa and ascii_dec.

Builds streams with the simulator's encoders (a stamp every second of samples, an event
every ``event_every`` samples: 10 000, a stress case, and 1 000 000, two per 10-second window
at 100 kHz as in a run) and feeds them to the decoders in chunks of several sizes. For
scale, ``numpy.sum`` over the same number of float32 samples is measured in the same run
(with float32 and with float64 accumulation, as the integrator sums). Target: bin_hexa at
1 MB reads (the driver's read size) >= 25 % of numpy.sum. bin_hexa goes through the compiled
kernel where it was built (the script says so) and, for comparison, through the numpy path.
Run: ``.venv/bin/python benchmarks/lpm01a_decode.py``.
"""

from __future__ import annotations

import time

import numpy as np

from tinyjoule.host.instruments import bin_hexa_compiled
from tinyjoule.host.instruments.lpm01a_ascii import AsciiDecoder
from tinyjoule.host.instruments.lpm01a_binary import BinHexaDecoder
from tinyjoule.host.measurement.stream import SampleBlock
from tinyjoule.host.sim.monitors.lpm01a_formats import ascii_records, bin_records


def make_stream(
    fmt: str, rate_hz: int, seconds: int, event_every: int = 10_000
) -> tuple[bytes, int]:
    rng = np.random.default_rng(1)
    n = rate_hz * seconds
    values = rng.uniform(1e-6, 5e-3, n)
    records = ascii_records(values) if fmt == "ascii_dec" else bin_records(values)
    size = records.shape[1]
    data = records.tobytes()
    parts: list[bytes] = []
    step = min(event_every, rate_hz)
    for k0 in range(0, n, step):
        parts.append(data[k0 * size : (k0 + step) * size])
        k = k0 + step
        counter = k // event_every
        if fmt == "ascii_dec":
            if k % event_every == 0:
                parts.append(f"event {counter % 100:02d} ris\r\n".encode())
            if k % rate_hz == 0:
                parts.append(f"TimeStamp: {k // rate_hz:03d}s 000ms, buff 00%\r\n\x00".encode())
        else:
            if k % event_every == 0:
                parts.append(b"\xf0\xf2" + f"event {counter % 100:02d} ris".encode() + b"\xff\xff")
            if k % rate_hz == 0:
                ms = k * 1000 // rate_hz
                parts.append(b"\xf0\xf3" + ms.to_bytes(4, "big") + b"\x00\xff\xff")
    return b"".join(parts), n


def rate(
    fmt: str, stream: bytes, n: int, chunk: int, rate_hz: int, compiled: bool | None = None
) -> float:
    best = float("inf")
    for _ in range(3):
        if fmt == "ascii_dec":
            decoder = AsciiDecoder(rate_hz, "A")
        else:
            decoder = BinHexaDecoder(rate_hz, "A", compiled=compiled)
        got = 0
        start = time.perf_counter()
        for pos in range(0, len(stream), chunk):
            for item in decoder.feed(stream[pos : pos + chunk]):
                if isinstance(item, SampleBlock):
                    got += len(item.samples)
        best = min(best, time.perf_counter() - start)
        assert got == n and decoder.garbage_bytes == 0, (got, n, decoder.garbage_bytes)
    return n / best


def render_rate(fmt: str, freq: str, seconds: float) -> float:
    """Samples per second the simulated LPM01A renders (a board drawing a square wave)."""
    from tinyjoule.host.sim.analog import BoardFrontEnd
    from tinyjoule.host.sim.monitors.lpm01a import SimulatedLpm01a
    from tinyjoule.host.sim.power import PinRecorder, PowerRecorder

    power, pin = PowerRecorder(0.018), PinRecorder()
    for k in range(int(seconds * 10)):
        power.set_current(k * 0.1, 0.023 if k % 2 else 0.018)
        pin.pulse(k * 0.1, 0.0025)
    device = SimulatedLpm01a(BoardFrontEnd(power, pin, 1.8), noise_a=5e-5)
    setup = ["htc", "acqtime inf", "eventsrc d7 fal", "output current", f"format {fmt}"]
    for command in [*setup, f"freq {freq}", "volt 1800m", "pwr on nostatus", "start"]:
        device.receive(f"{command}\n".encode(), 0.0)
    device.output(0.0)
    start = time.perf_counter()
    device.output(seconds)
    rate_hz = 100_000 if freq == "100k" else 5000
    return seconds * rate_hz / (time.perf_counter() - start)


def sum_rate(n: int, accumulate: type) -> float:
    """``numpy.sum`` over ``n`` float32 samples, samples per second (best of 5)."""
    values = np.random.default_rng(2).uniform(1e-6, 5e-3, n).astype(np.float32)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        np.sum(values, dtype=accumulate)
        best = min(best, time.perf_counter() - start)
    return n / best


def main() -> None:
    print(f"bin_hexa kernel: {bin_hexa_compiled.status}")
    for fmt, freq, seconds in (("bin_hexa", "100k", 10.0), ("ascii_dec", "5k", 200.0)):
        mega = render_rate(fmt, freq, seconds) / 1e6
        print(f"simulated LPM01A renders {fmt} at {mega:.1f} M samples/s")
    cases = (
        ("bin_hexa", 100_000, 100, 1_000_000),
        ("bin_hexa", 100_000, 100, 10_000),
        ("ascii_dec", 5000, 400, 10_000),
    )
    for fmt, rate_hz, seconds, event_every in cases:
        stream, n = make_stream(fmt, rate_hz, seconds, event_every)
        print(
            f"{fmt}: {n / 1e6:.0f} M samples, {len(stream) / 1e6:.0f} MB, an event every "
            f"{event_every} samples"
        )
        for chunk in (4096, 65536, 1 << 20, 8 << 20):
            mega = rate(fmt, stream, n, chunk, rate_hz) / 1e6
            print(f"  chunks of {chunk:>8} bytes: {mega:8.1f} M samples/s")
    n = 100_000 * 100
    sum32, sum64 = sum_rate(n, np.float32) / 1e6, sum_rate(n, np.float64) / 1e6
    print(f"numpy.sum over {n / 1e6:.0f} M float32: {sum32:.0f} M/s; as float64: {sum64:.0f} M/s")
    stream, n = make_stream("bin_hexa", 100_000, 100, 1_000_000)
    paths = (("numpy path", False), ("compiled kernel", True))
    for name, compiled in paths if bin_hexa_compiled.decode else paths[:1]:
        decode = rate("bin_hexa", stream, n, 1 << 20, 100_000, compiled) / 1e6
        print(
            f"bin_hexa decode at 1 MB reads, {name}: {decode:.0f} M/s = "
            f"{100 * decode / sum32:.0f} % of numpy.sum (float32), "
            f"{100 * decode / sum64:.0f} % of numpy.sum (float64)"
        )


if __name__ == "__main__":
    main()
