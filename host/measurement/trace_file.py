"""The raw trace of an energy run, written as it streams: one self-describing HDF5 file.

Layout (readable with h5py or any HDF5 tool, no tinyjoule needed)::

    /samples   float32[n]   chunked, gzip+shuffle; unit and rate in the attributes
    /events    int64[m, 3]  (sample_index, edge: 1 rising / 0 falling / -1 unknown, counter or -1)
    /drops     int64[d, 2]  (first_index, count) of samples the instrument lost (the span where
                            the loss lies; /samples keeps the instrument's own indexing)
    /windows   float64[w, 5] (start_event_index, end_event_index, inferences, energy_j,
                              uncertainty_j)
    attrs: sample_rate_hz, unit ("A" or "J"), supply_voltage_v, instrument, instrument_port,
           instrument_firmware, stream_format, workload, window_convention, created,
           complete (bool), error

The file is flushed after every window, so a failure later keeps what was measured; the
``complete`` attribute says whether the run finished. ``window_convention`` says how windows
were cut: ``half_edge_samples`` (live runs: an event at k is an edge inside sample k-1, the
boundary samples count half) or ``half_open_range`` (published runs imported by rescore).

The reader thread appends samples while the runner adds windows, so every method takes a lock.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from tinyjoule.host.measurement.stream import Event, SampleBlock, SampleDrop

CHUNK_SAMPLES = 1 << 16


def _locked(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


class TraceWriter:
    """Appends blocks and events to ``path``; memory use is one chunk, whatever the length."""

    def __init__(self, path: Path, attrs: dict[str, Any]) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._file = h5py.File(path, "w")
        self._samples = self._file.create_dataset(
            "samples",
            shape=(0,),
            maxshape=(None,),
            dtype="float32",
            chunks=(CHUNK_SAMPLES,),
            compression="gzip",
            compression_opts=4,
            shuffle=True,
        )
        self._events = self._file.create_dataset(
            "events", shape=(0, 3), maxshape=(None, 3), dtype="int64", chunks=(1024, 3)
        )
        self._drops = self._file.create_dataset(
            "drops", shape=(0, 2), maxshape=(None, 2), dtype="int64", chunks=(1024, 2)
        )
        self._windows = self._file.create_dataset(
            "windows", shape=(0, 5), maxshape=(None, 5), dtype="float64", chunks=(64, 5)
        )
        self._file.attrs["created"] = dt.datetime.now().isoformat(timespec="seconds")
        self._file.attrs["complete"] = False
        self.set_attrs(attrs)
        self.n_samples = 0  # samples received (written + buffered)
        self._buffer = np.empty(CHUNK_SAMPLES, dtype=np.float32)
        self._buffered = 0

    @_locked
    def set_attrs(self, attrs: dict[str, Any]) -> None:
        for key, value in attrs.items():
            self._file.attrs[key] = value if not isinstance(value, dict) else json.dumps(value)

    @_locked
    def add_block(self, block: SampleBlock) -> None:
        if block.first_index > self.n_samples:  # a gap: keep indices aligned, mark unknown
            self._append_samples(np.full(block.first_index - self.n_samples, np.nan))
        self._append_samples(block.samples)

    def _append_samples(self, values: np.ndarray) -> None:
        """Buffer up to one chunk, then write whole chunks (small writes are slow in HDF5)."""
        pos = 0
        while pos < len(values):
            take = min(CHUNK_SAMPLES - self._buffered, len(values) - pos)
            self._buffer[self._buffered : self._buffered + take] = values[pos : pos + take]
            self._buffered += take
            pos += take
            if self._buffered == CHUNK_SAMPLES:
                self._write_buffer()
        self.n_samples += len(values)

    def _write_buffer(self) -> None:
        if self._buffered == 0:
            return
        start = self._samples.shape[0]
        self._samples.resize((start + self._buffered,))
        self._samples[start:] = self._buffer[: self._buffered]
        self._buffered = 0

    @_locked
    def flush(self) -> None:
        self._write_buffer()
        self._file.flush()

    @staticmethod
    def _append_row(dataset: h5py.Dataset, row: list[float]) -> None:
        n = dataset.shape[0]
        dataset.resize((n + 1, dataset.shape[1]))
        dataset[n] = row

    @_locked
    def add_event(self, event: Event) -> None:
        edge = -1 if event.rising is None else int(event.rising)
        counter = -1 if event.counter is None else event.counter
        self._append_row(self._events, [event.sample_index, edge, counter])

    @_locked
    def add_drop(self, drop: SampleDrop) -> None:
        self._append_row(self._drops, [drop.first_index, drop.count])

    @_locked
    def add_window(
        self, start: int, end: int, inferences: int, energy_j: float, uncertainty_j: float
    ) -> None:
        self._append_row(self._windows, [start, end, inferences, energy_j, uncertainty_j])
        self.flush()

    @_locked
    def close(self, error: str | None = None) -> None:
        if not self._file.id.valid:
            return
        self._write_buffer()
        self._file.attrs["complete"] = error is None
        if error is not None:
            self._file.attrs["error"] = error
        self._file.close()


def read_trace(path: Path) -> dict[str, Any]:
    """The whole trace as numpy arrays and attributes (for tools and tests)."""
    with h5py.File(path, "r") as f:
        return {
            "samples": f["samples"][()],
            "events": f["events"][()],
            "drops": f["drops"][()],
            "windows": f["windows"][()],
            "attrs": dict(f.attrs),
        }
