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

The file is readable from the moment it exists: it is made under a temporary name, its
datasets and attributes written to the disk itself (fsync), then renamed, so a process
killed or a power lost at any point leaves no ``trace.h5`` or one that opens, with no samples
yet. It is flushed after every window and at least every ``FLUSH_INTERVAL_S`` of streaming,
and between two flushes the file on disk stays the last one (``trace_storage``), so a kill
keeps what was measured up to the last flush; the ``complete`` attribute says whether the
run finished. (Not SWMR: a file killed while open in SWMR mode opens only for SWMR readers,
and plain ``h5py.File(path)`` refuses it.)
``window_convention`` says how windows were cut: ``half_edge_samples`` (live runs: an event
at k is an edge inside sample k-1, the boundary samples count half) or ``half_open_range``
(published runs imported by rescore).

Writing (compression above all) runs on a thread of the writer's own, fed through a bounded
queue: HDF5 releases the GIL while it compresses, so the monitor pump goes on decoding
meanwhile, and memory stays bounded (``MAX_QUEUED_SAMPLES``). A write that fails is raised
by the next call (``TraceWriteError``); what was written before stays readable. A disk
about to fill stops the trace while ``MIN_FREE_BYTES`` are still free, so that the results
files fit; a disk that fills anyway is handled below HDF5 (``trace_storage``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from tinyjoule.errors import MeasurementError, StorageError
from tinyjoule.host.disk_space import disk_full_text, free_bytes, is_disk_full, size_text
from tinyjoule.host.measurement.stream import Event, SampleBlock, SampleDrop
from tinyjoule.host.measurement.trace_storage import TraceStorage
from tinyjoule.host.results import json_text

CHUNK_SAMPLES = 1 << 16
EVENT_COLUMNS = ("sample_index", "edge", "counter")
DROP_COLUMNS = ("first_index", "count")
WINDOW_COLUMNS = ("start_event_index", "end_event_index", "inferences", "energy_j", "uncertainty_j")
MAX_QUEUED_SAMPLES = 1 << 22
"""Samples waiting to be written at most (16 MB); ``add_block`` waits beyond that."""
CLOSE_TIMEOUT_S = 120.0
FLUSH_INTERVAL_S = 1.0
"""Streaming flushes the file at least this often (wall time): what a kill loses."""
WRITE_CHUNKS = 16
"""Whole chunks written in one go at most (then the flush interval is checked)."""
MIN_FREE_BYTES = 1 << 20
"""The trace stops while this much is still free on its disk, so the results files fit."""


class TraceWriteError(MeasurementError, StorageError):
    """The trace file could not be written."""


class TraceWriter:
    """Appends blocks, events, drops and windows to ``path``; see the module docstring."""

    def __init__(self, path: Path, attrs: dict[str, Any]) -> None:
        self.path = path
        _create(path, attrs)
        self._storage = TraceStorage(path, create=False)
        self._file = h5py.File(self._storage, "r+")
        self._samples = self._file["samples"]
        self._events = self._file["events"]
        self._drops = self._file["drops"]
        self._windows = self._file["windows"]
        self.n_samples = 0  # samples received (queued or written)
        self._flushed_samples = 0
        self._last_flush = time.monotonic()
        self._buffer = np.empty(CHUNK_SAMPLES, dtype=np.float32)
        self._buffered = 0
        self._cond = threading.Condition()
        self._queue: deque[tuple[str, Any]] = deque()
        self._queued_samples = 0
        self._error: BaseException | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="trace-writer", daemon=True)
        self._thread.start()

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
        if isinstance(self._error, TraceWriteError):
            raise self._error
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
                self._check_storage()
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
            self._flush()
            value.set()

    def _flush(self) -> None:
        """Flush the samples written so far (whole chunks; the buffer stays) to the file."""
        self._file.flush()
        self._check_storage()
        self._last_flush = time.monotonic()
        self._flushed_samples = self._samples.shape[0]

    def _check_storage(self) -> None:
        """Raise once the disk has refused a write (the storage then keeps writes in memory)."""
        failure = self._storage.failure
        if failure is None:
            return
        kept = (
            f"; it keeps the {self._flushed_samples} samples of its last flush, marked incomplete"
        )
        if is_disk_full(failure):
            problem = disk_full_text(self.path, kept=kept)
        else:
            problem = f"{self.path}: writing failed ({failure}){kept}"
        raise TraceWriteError(f"trace file {problem}") from failure

    def _finish(self, error: str | None) -> None:
        try:
            if self._error is None:
                try:
                    self._write_buffer()
                    self._check_storage()
                except Exception as exc:
                    self._error = exc
            self._file.attrs["complete"] = error is None and self._error is None
            reason = error or (str(self._error) if self._error is not None else None)
            if reason is not None:
                self._file.attrs["error"] = reason
        except Exception:  # the file may be beyond repair: keep what it holds
            pass
        finally:
            with contextlib.suppress(Exception):
                self._file.close()
            self._storage.close()

    def _write_attrs(self, attrs: dict[str, Any]) -> None:
        _write_attrs(self._file, attrs)

    def _append_samples(self, values: np.ndarray) -> None:
        """Buffer up to one chunk, then write whole chunks (small writes are slow in HDF5),
        a few at a time, flushing when ``FLUSH_INTERVAL_S`` has passed."""
        pos = 0
        while pos < len(values):
            if self._time_to_flush():
                self._flush()
            if self._buffered == 0 and len(values) - pos >= CHUNK_SAMPLES:
                chunks = min((len(values) - pos) // CHUNK_SAMPLES, WRITE_CHUNKS)
                self._write(values[pos : pos + chunks * CHUNK_SAMPLES])
                pos += chunks * CHUNK_SAMPLES
                continue
            take = min(CHUNK_SAMPLES - self._buffered, len(values) - pos)
            self._buffer[self._buffered : self._buffered + take] = values[pos : pos + take]
            self._buffered += take
            pos += take
            if self._buffered == CHUNK_SAMPLES:
                self._write_buffer()

    def _time_to_flush(self) -> bool:
        return time.monotonic() - self._last_flush >= FLUSH_INTERVAL_S

    def _write_buffer(self) -> None:
        if self._buffered:
            self._write(self._buffer[: self._buffered])
            self._buffered = 0

    def _write(self, values: np.ndarray) -> None:
        free = free_bytes(self.path)
        if free is not None and free - values.nbytes < MIN_FREE_BYTES:
            raise TraceWriteError(
                "trace file "
                + disk_full_text(
                    self.path,
                    f", under the {size_text(MIN_FREE_BYTES)} kept free for the results files",
                    f"; it keeps the {self._samples.shape[0]} samples written so far, marked "
                    "incomplete",
                )
            )
        start = self._samples.shape[0]
        self._samples.resize((start + len(values),))
        self._samples[start:] = values


def _write_attrs(file: h5py.File, attrs: dict[str, Any]) -> None:
    for key, value in attrs.items():
        text = json_text.dumps(value, indent=None) if isinstance(value, dict) else None
        file.attrs[key] = value if text is None else text


def _table(file: h5py.File, name: str, columns: tuple[str, ...], dtype: str, rows: int) -> None:
    """A growing 2-D dataset whose ``columns`` attribute names its columns."""
    n = len(columns)
    dataset = file.create_dataset(
        name, shape=(0, n), maxshape=(None, n), dtype=dtype, chunks=(rows, n)
    )
    dataset.attrs["columns"] = list(columns)


def _create(path: Path, attrs: dict[str, Any]) -> None:
    """The empty trace with its datasets and attributes, flushed to the disk under a
    temporary name and then renamed: whenever ``path`` exists, it opens."""
    tmp = path.with_name(path.name + ".tmp")
    storage: TraceStorage | None = None
    try:
        storage = TraceStorage(tmp, create=True)
        with h5py.File(storage, "w") as f:
            f.create_dataset(
                "samples",
                shape=(0,),
                maxshape=(None,),
                dtype="float32",
                chunks=(CHUNK_SAMPLES,),
                compression="gzip",
                compression_opts=1,  # as small as level 4 on these traces, twice as fast
                shuffle=True,
                fillvalue=np.nan,  # samples never written read as unknown, not as zero
            )
            _table(f, "events", EVENT_COLUMNS, "int64", 1024)
            _table(f, "drops", DROP_COLUMNS, "int64", 1024)
            _table(f, "windows", WINDOW_COLUMNS, "float64", 64)
            f.attrs["created"] = dt.datetime.now().isoformat(timespec="seconds")
            f.attrs["complete"] = False
            _write_attrs(f, attrs)
        storage.sync()
        if storage.failure is not None:
            raise storage.failure
        storage.close()
        os.replace(tmp, path)
    except BaseException as exc:
        if storage is not None:
            storage.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            full = is_disk_full(exc)
            problem = disk_full_text(path) if full else f"{path}: cannot create it ({exc})"
            raise TraceWriteError(f"trace file {problem}") from exc
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """The rename onto the disk too, where the system allows it (not on Windows)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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
