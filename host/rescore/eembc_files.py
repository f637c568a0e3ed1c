"""The EEMBC runner's raw trace files: ``traceN-energy.bin`` and ``traceN-timestamps.json``.

``-energy.bin``: byte ``0xF1``, a float32 LE sample rate, then float32 LE samples, each the
energy of one sample period in µJ (layout inferred from the published files).
``-timestamps.json``: a JSON list of falling-edge times in seconds from the trace start,
rounded to 1 ms; the first is the ``io dut timestamp`` pulse.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from tinyjoule.host.rescore.records import FolderError

MAGIC = 0xF1
HEADER_BYTES = 5
MAX_RATE_HZ = 1e6


def read_energy_bin(path: Path) -> tuple[float, np.ndarray]:
    """(sample rate in Hz, samples in µJ as float32)."""
    raw = path.read_bytes()
    if len(raw) < HEADER_BYTES:
        raise FolderError(path, f"only {len(raw)} bytes: the trace file is empty or truncated")
    if raw[0] != MAGIC:
        raise FolderError(
            path,
            f"first byte is 0x{raw[0]:02X}, not 0x{MAGIC:02X}: not an EEMBC energy trace "
            "(or a Git LFS pointer / corrupt copy); take the file again",
        )
    rate = float(np.frombuffer(raw, "<f4", 1, 1)[0])
    if not (math.isfinite(rate) and 0 < rate <= MAX_RATE_HZ):
        raise FolderError(path, f"sample rate in the header is {rate!r}: the header is corrupt")
    body = len(raw) - HEADER_BYTES
    if body % 4:
        raise FolderError(
            path,
            f"{len(raw):,} bytes is not a 5-byte header plus whole float32 samples "
            f"({body % 4} stray bytes): the file is truncated; take it again",
        )
    samples = np.frombuffer(raw, "<f4", body // 4, HEADER_BYTES)
    bad = np.flatnonzero(~np.isfinite(samples))
    if bad.size:
        raise FolderError(
            path,
            f"{bad.size} sample(s) are NaN or infinite, the first at index {bad[0]} "
            f"({bad[0] / rate:.3f} s): the trace is corrupt",
        )
    return rate, samples


def read_timestamps(path: Path) -> list[float]:
    """The edge times in seconds, checked to be a non-decreasing list of numbers >= 0."""
    try:
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise FolderError(
            path, f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(data, list) or not all(
        isinstance(t, (int, float)) and not isinstance(t, bool) for t in data
    ):
        raise FolderError(path, "expected a JSON list of edge times in seconds")
    times = [float(t) for t in data]
    if any(not math.isfinite(t) or t < 0 for t in times):
        raise FolderError(path, "an edge time is negative or not finite")
    for i in range(1, len(times)):
        if times[i] < times[i - 1]:
            raise FolderError(
                path,
                f"edge {i} at {times[i]} s comes before edge {i - 1} at {times[i - 1]} s: "
                "the timestamps are out of order",
            )
    return times


def edge_index(time_s: float, sample_rate_hz: float) -> int:
    """The runner's first sample after an edge: ``floor(t * fs) + 1`` (tinyjoule event index)."""
    return math.floor(time_s * sample_rate_hz + 1e-6) + 1
