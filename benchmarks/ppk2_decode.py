"""Benchmark: PPK2 stream decode rate (single core) and the CPU needed to keep up live.

Renders 100 s of a realistic stream with the simulated PPK2 (an MLPerf Tiny board at
18/23 mA with 50 uA noise, a timestamp pulse every 10 000 samples) and decodes it:

1. decode rate in chunks of several sizes (target >= 100 M samples/s, large chunks);
2. CPU share at 100 kS/s live: the driver reading a port that delivers what a real PPK2
   sends in one ``POLL_S`` read (8000 bytes = 20 ms), end to end through ``Ppk2.read``
   (target < 5 % of one core), and the same for the decoder alone;
3. the worst case: a range switch every 50 samples (the spike filter's slow path).

Run: ``.venv/bin/python benchmarks/ppk2_decode.py``.
"""

from __future__ import annotations

import time

import numpy as np

from tinyjoule.firmware_protocol.ppk2_protocol import SAMPLE_RATE_HZ, current_table
from tinyjoule.host.instruments.ppk2 import Ppk2
from tinyjoule.host.instruments.ppk2_decoder import Ppk2Decoder
from tinyjoule.host.measurement.stream import Event, SampleBlock
from tinyjoule.host.ports import POLL_S
from tinyjoule.host.sim.monitors.ppk2 import SIM_CALIBRATION, SimulatedPpk2

SECONDS = 100
PULSE_EVERY = 10_000
LIVE_CHUNK = int(4 * SAMPLE_RATE_HZ * POLL_S)


class Board:
    """18 mA idle / 23 mA inferring in 5 ms steps; a 250-sample low pulse every 0.1 s."""

    def __init__(self, switch_every_s: float | None = None) -> None:
        self.switch_every_s = switch_every_s

    def supply_voltage_v(self) -> float:
        return 1.8

    def charge_per_period_c(self, t0: float, fs: float, k0: int, n: int) -> np.ndarray:
        k = k0 + np.arange(n)
        if self.switch_every_s is not None:  # 0.3 mA / 20 mA: ranges 0 and 2
            high = (k // round(self.switch_every_s * fs)) % 2 == 1
            return np.where(high, 20e-3, 0.3e-3) / fs
        return np.where((k // 500) % 2 == 1, 23e-3, 18e-3) / fs

    def falling_edges_s(self, start_s: float, end_s: float) -> list[float]:
        first = int(np.ceil(start_s * SAMPLE_RATE_HZ / PULSE_EVERY))
        last = int(np.ceil(end_s * SAMPLE_RATE_HZ / PULSE_EVERY))
        return [k * PULSE_EVERY / SAMPLE_RATE_HZ + 1e-7 for k in range(first, last)]

    def rising_edges_s(self, start_s: float, end_s: float) -> list[float]:
        return [
            t + 250 / SAMPLE_RATE_HZ for t in self.falling_edges_s(start_s - 0.0025, end_s - 0.0025)
        ]


def render(seconds: float, board: Board) -> bytes:
    device = SimulatedPpk2(board, noise_a=50e-6, seed=1)
    device.receive(b"\x11\x02\x0d\x07\x08\x0c\x01\x06", 0.0)
    return device.output(seconds)


def decode_rate(stream: bytes, chunk: int) -> tuple[float, int]:
    """Best of 3: (samples per second, events)."""
    table = current_table(SIM_CALIBRATION, 1800)
    best, events = float("inf"), 0
    for _ in range(3):
        decoder = Ppk2Decoder(table)
        got = events = 0
        start = time.perf_counter()
        for pos in range(0, len(stream), chunk):
            for item in decoder.feed(stream[pos : pos + chunk]):
                if isinstance(item, SampleBlock):
                    got += len(item.samples)
                elif isinstance(item, Event):
                    events += 1
        best = min(best, time.perf_counter() - start)
        assert got == len(stream) // 4 and decoder.dropped_samples == 0
    return got / best, events


class LivePort:
    """A PPK2 on a real port: answers ``get metadata``, then serves ``stream`` at most
    ``LIVE_CHUNK`` bytes per read, as a port at 400 kB/s does per ``POLL_S`` read."""

    def __init__(self, stream: bytes) -> None:
        self.stream = stream
        self.pos = 0
        self.reply = b""
        self.streaming = False

    @property
    def in_waiting(self) -> int:
        return len(self.reply)

    def read(self, size: int = 1) -> bytes:
        if self.reply:
            out, self.reply = self.reply[:size], self.reply[size:]
            return out
        if not self.streaming:
            return b""
        out = self.stream[self.pos : self.pos + min(size, LIVE_CHUNK)]
        self.pos += len(out)
        return out

    def write(self, data: bytes) -> int:
        if data == b"\x19":
            self.reply = SimulatedPpk2(Board()).metadata()
        self.streaming = self.streaming or data == b"\x06"
        return len(data)

    def flush(self) -> None:
        pass

    def reset_input_buffer(self) -> None:
        self.reply = b""

    def close(self) -> None:
        pass


def live_cpu_share(stream: bytes) -> float:
    """CPU seconds per second of data, through ``Ppk2.read`` (process time, one thread)."""
    port = LivePort(stream)
    monitor = Ppk2("bench://live", quiet_s=0.001, open_port=lambda url, baud: port)
    monitor.open()
    monitor.configure(Ppk2.facts.config(1.8))
    monitor.start()
    got = 0
    start = time.process_time()
    while got < len(stream) // 4:
        got += sum(len(i.samples) for i in monitor.read(0.0) if isinstance(i, SampleBlock))
    return (time.process_time() - start) / (len(stream) / 4 / SAMPLE_RATE_HZ)


def main() -> None:
    stream = render(SECONDS, Board())
    n = len(stream) // 4
    print(f"PPK2 stream: {n / 1e6:.0f} M samples ({SECONDS} s), {len(stream) / 1e6:.0f} MB")
    for chunk in (LIVE_CHUNK, 65536, 1 << 20, 8 << 20):
        rate, events = decode_rate(stream, chunk)
        print(f"  decode, chunks of {chunk:>8} bytes: {rate / 1e6:7.1f} M samples/s")
    assert events == n // PULSE_EVERY - 1, events
    share = live_cpu_share(stream[: 4 * 20 * int(SAMPLE_RATE_HZ)])
    decoder_only = SAMPLE_RATE_HZ / decode_rate(stream, LIVE_CHUNK)[0]
    print(f"  live at 100 kS/s, {LIVE_CHUNK}-byte reads: driver {100 * share:.2f} % of one core, "
          f"decoder alone {100 * decoder_only:.2f} %")  # fmt: skip
    switching = render(10, Board(switch_every_s=50 / SAMPLE_RATE_HZ))
    rate, _ = decode_rate(switching, 1 << 20)
    print(f"  worst case, a range switch every 50 samples: {rate / 1e6:.1f} M samples/s "
          f"({100 * SAMPLE_RATE_HZ / rate:.1f} % of one core live)")  # fmt: skip


if __name__ == "__main__":
    main()
