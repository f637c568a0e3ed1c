"""Benchmark: LPM01A stream decode rate, single core, bin_hexa and ascii_dec.

Builds a realistic stream with the simulator's encoders (a stamp every second of samples,
an event every 10 000 samples) and feeds it to the decoders in chunks of several sizes.
Targets: bin_hexa >= 200 M samples/s, ascii_dec >= 10 M samples/s (large chunks).
Run: ``.venv/bin/python benchmarks/lpm01a_decode.py``.
"""

from __future__ import annotations

import time

import numpy as np

from tinyjoule.host.instruments.lpm01a_ascii import AsciiDecoder
from tinyjoule.host.instruments.lpm01a_binary import BinHexaDecoder
from tinyjoule.host.measurement.stream import SampleBlock
from tinyjoule.host.sim.monitors.lpm01a_formats import ascii_records, bin_records

EVENT_EVERY = 10_000


def make_stream(fmt: str, rate_hz: int, seconds: int) -> tuple[bytes, int]:
    rng = np.random.default_rng(1)
    n = rate_hz * seconds
    values = rng.uniform(1e-6, 5e-3, n)
    records = ascii_records(values) if fmt == "ascii_dec" else bin_records(values)
    size = records.shape[1]
    data = records.tobytes()
    parts: list[bytes] = []
    for k0 in range(0, n, EVENT_EVERY):
        parts.append(data[k0 * size : (k0 + EVENT_EVERY) * size])
        k = k0 + EVENT_EVERY
        counter = k // EVENT_EVERY
        if fmt == "ascii_dec":
            parts.append(f"event {counter:02d} ris\r\n".encode())
            if k % rate_hz == 0:
                parts.append(f"TimeStamp: {k // rate_hz:03d}s 000ms, buff 00%\r\n\x00".encode())
        else:
            parts.append(b"\xf0\xf2" + f"event {counter:02d} ris".encode() + b"\xff\xff")
            if k % rate_hz == 0:
                ms = k * 1000 // rate_hz
                parts.append(b"\xf0\xf3" + ms.to_bytes(4, "big") + b"\x00\xff\xff")
    return b"".join(parts), n


def rate(fmt: str, stream: bytes, n: int, chunk: int, rate_hz: int) -> float:
    decoder_class = AsciiDecoder if fmt == "ascii_dec" else BinHexaDecoder
    best = float("inf")
    for _ in range(3):
        decoder = decoder_class(rate_hz, "A")
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


def main() -> None:
    for fmt, freq, seconds in (("bin_hexa", "100k", 10.0), ("ascii_dec", "5k", 200.0)):
        mega = render_rate(fmt, freq, seconds) / 1e6
        print(f"simulated LPM01A renders {fmt} at {mega:.1f} M samples/s")
    for fmt, rate_hz, seconds in (("bin_hexa", 100_000, 100), ("ascii_dec", 5000, 400)):
        stream, n = make_stream(fmt, rate_hz, seconds)
        print(f"{fmt}: {n / 1e6:.0f} M samples, {len(stream) / 1e6:.0f} MB")
        for chunk in (4096, 65536, 1 << 20, 8 << 20):
            mega = rate(fmt, stream, n, chunk, rate_hz) / 1e6
            print(f"  chunks of {chunk:>8} bytes: {mega:8.1f} M samples/s")


if __name__ == "__main__":
    main()
