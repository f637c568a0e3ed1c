"""The raw trace of an energy run, written as it streams: one self-describing HDF5 file.

Layout (readable with h5py or any HDF5 tool, no tinyjoule needed)::

    /samples   float32[n]   chunked, gzip (level 1) + shuffle; unit and rate in the attributes
    /events    int64[m, 3]  (sample_index, edge: 1 rising / 0 falling / -1 unknown, counter or -1)
    /drops     int64[d, 2]  (first_index, count) of samples the instrument lost (the span where
                            the loss lies; /samples keeps the instrument's own indexing)
    /windows   float64[w, 5] (start_event_index, end_event_index, inferences, energy_j,
                              uncertainty_j)
    (each table names its columns in its ``columns`` attribute)
    attrs: sample_rate_hz, unit ("A" or "J"), supply_voltage_v, instrument, instrument_port,
           instrument_firmware, stream_format, workload, window_convention, created,
           complete (bool), error

The file is flushed after every window, so a failure later keeps what was measured; the
``complete`` attribute says whether the run finished. ``window_convention`` says how windows
were cut: ``half_edge_samples`` (live runs: an event at k is an edge inside sample k-1, the
boundary samples count half) or ``half_open_range`` (published runs imported by rescore).

Writing (compression above all) runs on a thread of the writer's own, fed through a bounded
queue: HDF5 releases the GIL while it compresses, so the monitor pump goes on decoding
meanwhile, and memory stays bounded (``MAX_QUEUED_SAMPLES``). A write that fails is raised
by the next call (``TraceWriteError``); what was written before stays readable.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections import deque
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from tinyjoule.errors import MeasurementError
from tinyjoule.host.measurement.stream import Event, SampleBlock, SampleDrop
from tinyjoule.host.results import json_text

CHUNK_SAMPLES = 1 << 16
EVENT_COLUMNS = ("sample_index", "edge", "counter")
DROP_COLUMNS = ("first_index", "count")
WINDOW_COLUMNS = ("start_event_index", "end_event_index", "inferences", "energy_j", "uncertainty_j")
MAX_QUEUED_SAMPLES = 1 << 22
"""Samples waiting to be written at most (16 MB); ``add_block`` waits beyond that."""
CLOSE_TIMEOUT_S = 120.0


class TraceWriteError(MeasurementError):
    """The trace file could not be written."""


class TraceWriter:
    """Appends blocks, events, drops and windows to ``path``; see the module docstring."""

    def __init__(self, path: Path, attrs: dict[str, Any]) -> None:
        self.path = path
        self._file = h5py.File(path, "w")
        self._samples = self._file.create_dataset(
            "samples",
            shape=(0,),
            maxshape=(None,),
            dtype="float32",
            chunks=(CHUNK_SAMPLES,),
            compression="gzip",
            compression_opts=1,  # as small as level 4 on these traces, twice as fast
            shuffle=True,
        )
        self._events = self._table("events", EVENT_COLUMNS, "int64", 1024)
        self._drops = self._table("drops", DROP_COLUMNS, "int64", 1024)
        self._windows = self._table("windows", WINDOW_COLUMNS, "float64", 64)
        self._file.attrs["created"] = dt.datetime.now().isoformat(timespec="seconds")
        self._file.attrs["complete"] = False
        self._write_attrs(attrs)
        self.n_samples = 0  # samples received (queued or written)
        self._buffer = np.empty(CHUNK_SAMPLES, dtype=np.float32)
        self._buffered = 0
        self._cond = threading.Condition()
        self._queue: deque[tuple[str, Any]] = deque()
        self._queued_samples = 0
        self._error: BaseException | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="trace-writer", daemon=True)
        self._thread.start()

    def _table(self, name: str, columns: tuple[str, ...], dtype: str, rows: int) -> h5py.Dataset:
        """A growing 2-D dataset whose ``columns`` attribute names its columns."""
        n = len(columns)
        dataset = self._file.create_dataset(
            name, shape=(0, n), maxshape=(None, n), dtype=dtype, chunks=(rows, n)
        )
        dataset.attrs["columns"] = list(columns)
        return dataset

    # -- the caller's side --------------------------------------------------------------
    def set_attrs(self, attrs: dict[str, Any]) -> None:
        self._put("attrs", dict(attrs))

    def add_block(self, block: SampleBlock) -> None:
        samples = np.asarray(block.samples, dtype=np.float32)
        with self._cond:
            self._raise_if_failed()
            while self._queued_samples > MAX_QUEUED_SAMPLES and self._error is None:
                self._cond.wait(1.0)
            gap = block.first_index - self.n_samples
            if gap > 0:  # keep indices aligned: the missing samples are unknown
                self._enqueue("samples", np.full(gap, np.nan, dtype=np.float32))
            self._enqueue("samples", samples)
            self.n_samples = max(self.n_samples, block.end_index)

    def add_event(self, event: Event) -> None:
        edge = -1 if event.rising is None else int(event.rising)
        counter = -1 if event.counter is None else event.counter
        self._put("row", (self._events, [event.sample_index, edge, counter]))

    def add_drop(self, drop: SampleDrop) -> None:
        self._put("row", (self._drops, [drop.first_index, drop.count]))

    def add_window(
        self, start: int, end: int, inferences: int, energy_j: float, uncertainty_j: float
    ) -> None:
        self._put("row", (self._windows, [start, end, inferences, energy_j, uncertainty_j]))
        self.flush()

    def flush(self) -> None:
        """Return once everything given so far is written and flushed to the file."""
        done = threading.Event()
        self._put("flush", done)
        self._wait(done)
        with self._cond:
            self._raise_if_failed()

    def close(self, error: str | None = None) -> None:
        """Write what is queued, mark the file complete (or not, with ``error``), close it.
        Never raises: a trace that cannot be finished keeps what was written."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._queue.append(("close", error))
            self._cond.notify_all()
        self._thread.join(CLOSE_TIMEOUT_S)

    # -- the writer thread ----------------------------------------------------------------
    def _put(self, kind: str, value: Any) -> None:
        with self._cond:
            self._raise_if_failed()
            self._enqueue(kind, value)

    def _enqueue(self, kind: str, value: Any) -> None:
        if self._closing:
            raise TraceWriteError(f"trace file {self.path}: written to after close()")
        self._queue.append((kind, value))
        if kind == "samples":
            self._queued_samples += len(value)
        self._cond.notify_all()

    def _wait(self, done: threading.Event) -> None:
        while not done.wait(1.0):
            with self._cond:
                if self._error is not None or not self._thread.is_alive():
                    return

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise TraceWriteError(
                f"trace file {self.path}: writing failed ({self._error}); what was written "
                "before is kept"
            ) from self._error

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                kind, value = self._queue.popleft()
                if kind == "samples":
                    self._queued_samples -= len(value)
                    self._cond.notify_all()
            if kind == "close":
                self._finish(value)
                return
            if self._error is not None:  # after a failure, only release the waiters
                if kind == "flush":
                    value.set()
                continue
            try:
                self._do(kind, value)
            except Exception as exc:  # reported to the caller by the next call
                with self._cond:
                    self._error = exc
                    self._cond.notify_all()
                if kind == "flush":
                    value.set()

    def _do(self, kind: str, value: Any) -> None:
        if kind == "samples":
            self._append_samples(value)
        elif kind == "row":
            dataset, row = value
            n = dataset.shape[0]
            dataset.resize((n + 1, dataset.shape[1]))
            dataset[n] = row
        elif kind == "attrs":
            self._write_attrs(value)
        elif kind == "flush":
            self._write_buffer()
            self._file.flush()
            value.set()

    def _finish(self, error: str | None) -> None:
        try:
            if self._error is None:
                self._write_buffer()
            self._file.attrs["complete"] = error is None and self._error is None
            reason = error or (str(self._error) if self._error is not None else None)
            if reason is not None:
                self._file.attrs["error"] = reason
        except Exception:  # the file may be beyond repair (disk full): keep what it holds
            pass
        finally:
            with contextlib.suppress(Exception):
                self._file.close()

    def _write_attrs(self, attrs: dict[str, Any]) -> None:
        for key, value in attrs.items():
            text = json_text.dumps(value, indent=None) if isinstance(value, dict) else None
            self._file.attrs[key] = value if text is None else text

    def _append_samples(self, values: np.ndarray) -> None:
        """Buffer up to one chunk, then write whole chunks (small writes are slow in HDF5)."""
        pos = 0
        while pos < len(values):
            if self._buffered == 0 and len(values) - pos >= CHUNK_SAMPLES:
                whole = (len(values) - pos) // CHUNK_SAMPLES * CHUNK_SAMPLES
                self._write(values[pos : pos + whole])
                pos += whole
                continue
            take = min(CHUNK_SAMPLES - self._buffered, len(values) - pos)
            self._buffer[self._buffered : self._buffered + take] = values[pos : pos + take]
            self._buffered += take
            pos += take
            if self._buffered == CHUNK_SAMPLES:
                self._write_buffer()

    def _write_buffer(self) -> None:
        if self._buffered:
            self._write(self._buffer[: self._buffered])
            self._buffered = 0

    def _write(self, values: np.ndarray) -> None:
        start = self._samples.shape[0]
        self._samples.resize((start + len(values),))
        self._samples[start:] = values


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
