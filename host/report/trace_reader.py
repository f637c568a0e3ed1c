"""Reading a session's ``trace.h5`` for a report: its attributes and small tables at once, its
samples block by block, damaged parts marked instead of stopping the report.

A file that HDF5 cannot open (cut short, not HDF5) raises :class:`TraceReadError` naming the
file and the fix; a chunk that cannot be decompressed reads as NaN and is listed in
``SampleReader.bad_ranges``, so the rest of the trace still shows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.measurement.trace_chunks import ChunkInflater, inflatable

TABLES = ("events", "drops", "windows")
TRUNCATED = re.compile(r"truncated file: eof = (\d+).*stored_eof = (\d+)")


class TraceReadError(ConfigurationError):
    """A trace file that cannot be read at all."""


def plain(value: Any) -> Any:
    """An HDF5 attribute as a plain Python value (JSON text decoded where it is JSON)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@dataclass(slots=True)
class TraceFacts:
    path: Path
    attrs: dict[str, Any]
    tables: dict[str, np.ndarray]
    n_samples: int
    problems: list[str] = field(default_factory=list)

    @property
    def sample_rate_hz(self) -> float:
        return float(self.attrs.get("sample_rate_hz") or 0.0)

    @property
    def unit(self) -> str:
        return str(self.attrs.get("unit", ""))


def _why(path: Path, exc: Exception) -> str:
    text = str(exc)
    cut = TRUNCATED.search(text)
    if cut:
        have, should = int(cut.group(1)), int(cut.group(2))
        return (
            f"{path}: cut short: it holds {have} of its {should} bytes (copied while the run "
            "was still writing it, or the disk filled up), so HDF5 cannot open it and the trace "
            "plot is left out; the figures shown come from results.json. To fix, copy the file "
            "again from where the run wrote it"
        )
    return (
        f"{path}: not a readable HDF5 trace ({text}); the trace plot is left out. To fix, "
        "copy the file again from where the run wrote it (h5dump -H shows what HDF5 makes of it)"
    )


@contextmanager
def _open(path: Path) -> Iterator[h5py.File]:
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as exc:
        raise TraceReadError(_why(path, exc)) from exc
    try:
        yield f
    finally:
        f.close()


def read_facts(path: Path) -> TraceFacts:
    """Attributes, the events/drops/windows tables and the sample count of ``path``."""
    with _open(path) as f:
        if "samples" not in f:
            raise TraceReadError(
                f"{path}: holds no /samples dataset, so it is not a tinyjoule trace; the trace "
                "plot is left out. To fix, point the report at the folder the run wrote"
            )
        facts = TraceFacts(path, {k: plain(v) for k, v in f.attrs.items()}, {}, 0)
        facts.n_samples = int(f["samples"].shape[0])
        for name in TABLES:
            try:
                facts.tables[name] = f[name][()] if name in f else np.zeros((0, 0))
            except (OSError, ValueError) as exc:
                facts.problems.append(f"{path}: its /{name} table cannot be read ({exc})")
                facts.tables[name] = np.zeros((0, 0))
    if facts.sample_rate_hz <= 0:
        raise TraceReadError(
            f"{path}: no positive sample_rate_hz attribute, so its samples have no time axis; "
            "the trace plot is left out"
        )
    return facts


class SampleReader:
    """``read(a, b)``: samples ``[a, b)`` as float32; chunks that cannot be read come back as
    NaN, and ``bad_ranges`` lists them (merged, each with the first error). Chunks stored as
    the run writes them are inflated two at a time (``measurement.trace_chunks``); others,
    and any chunk that does not come out whole that way, are read by HDF5."""

    def __init__(self, dataset: h5py.Dataset) -> None:
        self.dataset = dataset
        self.n = int(dataset.shape[0])
        self.chunk = (dataset.chunks or (1 << 16,))[0]
        self._bad: dict[int, str] = {}  # chunk number -> why it cannot be read
        self._inflater = ChunkInflater(dataset) if inflatable(dataset) else None

    def close(self) -> None:
        if self._inflater is not None:
            self._inflater.close()

    def read(self, a: int, b: int) -> np.ndarray:
        out = np.empty(max(b - a, 0), dtype=np.float32)
        if b <= a:
            return out
        first, last = a // self.chunk, (b - 1) // self.chunk
        if self._inflater is not None:
            for c, samples in self._inflater.chunks(first, last):
                start, end = max(a, c * self.chunk), min(b, (c + 1) * self.chunk)
                if samples is None:
                    self._hdf5_chunk(out, a, c)
                else:
                    out[start - a : end - a] = samples[
                        start - c * self.chunk : end - c * self.chunk
                    ]
            return out
        chunks = range(first, last + 1)
        if not any(c in self._bad for c in chunks):
            try:
                self.dataset.read_direct(out, np.s_[a:b], np.s_[0 : b - a])
                return out
            except (OSError, ValueError):
                pass
        for c in chunks:  # chunk by chunk: keep what can be read
            self._hdf5_chunk(out, a, c)
        return out

    def _hdf5_chunk(self, out: np.ndarray, a: int, c: int) -> None:
        """The part of chunk ``c`` that ``out`` (samples from ``a``) holds, read by HDF5;
        NaN, and the chunk listed as bad, if it cannot be read."""
        start, end = max(a, c * self.chunk), min(a + len(out), (c + 1) * self.chunk)
        if c not in self._bad:
            try:
                self.dataset.read_direct(out, np.s_[start:end], np.s_[start - a : end - a])
                return
            except (OSError, ValueError) as exc:
                self._bad[c] = str(exc)
        out[start - a : end - a] = np.nan

    @property
    def bad_ranges(self) -> list[tuple[int, int, str]]:
        ranges: list[tuple[int, int, str]] = []
        for c in sorted(self._bad):
            start, end = c * self.chunk, min((c + 1) * self.chunk, self.n)
            if ranges and ranges[-1][1] == start:
                ranges[-1] = (ranges[-1][0], end, ranges[-1][2])
            else:
                ranges.append((start, end, self._bad[c]))
        return ranges


@contextmanager
def sample_reader(path: Path) -> Iterator[SampleReader]:
    with _open(path) as f:
        reader = SampleReader(f["samples"])
        try:
            yield reader
        finally:
            reader.close()
