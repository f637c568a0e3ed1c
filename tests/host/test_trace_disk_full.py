"""The trace writer when the disk fills: a write refused with ENOSPC under HDF5 (injected
here; ``test_disk_full`` fills a real file system) and the margin that stops the trace
before. No crash, one error naming the file and the space, the trace as last flushed."""

from __future__ import annotations

import errno
import io
import os
import shutil
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from tinyjoule.host.measurement import trace_file
from tinyjoule.host.measurement.stream import SampleBlock
from tinyjoule.host.measurement.trace_file import (
    CHUNK_SAMPLES,
    TraceWriteError,
    TraceWriter,
    read_trace,
)
from tinyjoule.host.measurement.trace_storage import TraceStorage

ATTRS = {"sample_rate_hz": 1000.0, "unit": "J"}


class DiskFullAfter:
    """A raw file whose writes fail with ENOSPC once ``budget`` more bytes are written."""

    def __init__(self, raw: io.FileIO, budget: int) -> None:
        self._raw, self.budget = raw, budget

    def write(self, data: bytes | memoryview) -> int:
        if len(data) > self.budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.budget -= len(data)
        return self._raw.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def _block(first: int, n: int) -> SampleBlock:
    return SampleBlock(np.linspace(0.0, 1.0, n), first, 1000.0, "J")


def test_a_write_refused_under_hdf5_keeps_the_trace_of_its_last_flush(tmp_path: Path) -> None:
    path = tmp_path / "trace.h5"
    writer = TraceWriter(path, ATTRS)
    writer.add_block(_block(0, 2 * CHUNK_SAMPLES))
    writer.add_window(10, 20, 1, 1e-3, 1e-5)  # flushed: 2 chunks, 1 window
    writer._storage._file = DiskFullAfter(writer._storage._file, 0)  # the disk is now full
    with pytest.raises(TraceWriteError) as caught:
        for i in range(2, 40):
            writer.add_block(_block(i * CHUNK_SAMPLES, CHUNK_SAMPLES))
        writer.flush()
    message = str(caught.value)
    assert f"trace file {path}: the disk is full (" in message and " free on " in message
    assert f"keeps the {2 * CHUNK_SAMPLES} samples of its last flush" in message
    writer.close()  # no crash, here or when the process collects HDF5's objects
    trace = read_trace(path)
    assert len(trace["samples"]) == 2 * CHUNK_SAMPLES and len(trace["windows"]) == 1
    assert np.isfinite(trace["samples"]).all() and not trace["attrs"]["complete"]
    assert not list(tmp_path.glob("*.tmp"))


def test_the_trace_stops_while_the_results_still_fit(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "trace.h5"
    writer = TraceWriter(path, ATTRS)
    writer.add_block(_block(0, CHUNK_SAMPLES))
    writer.flush()
    free = trace_file.MIN_FREE_BYTES + 4 * CHUNK_SAMPLES - 1  # one chunk more would not fit
    monkeypatch.setattr(trace_file, "free_bytes", lambda _path: free)
    with pytest.raises(TraceWriteError, match="kept free for the results files"):
        for i in range(1, 10):
            writer.add_block(_block(i * CHUNK_SAMPLES, CHUNK_SAMPLES))
        writer.flush()
    writer.close()
    trace = read_trace(path)  # closed whole: every chunk written before the margin
    assert len(trace["samples"]) == CHUNK_SAMPLES
    assert "the disk is full" in trace["attrs"]["error"] and not trace["attrs"]["complete"]


def test_a_trace_that_cannot_be_made_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(TraceWriteError, match="cannot create it"):
        TraceWriter(tmp_path / "missing" / "trace.h5", ATTRS)
    assert not list(tmp_path.rglob("*"))


def test_the_storage_serves_what_went_to_memory_and_cuts_back_on_close(tmp_path: Path) -> None:
    path = tmp_path / "bytes"
    storage = TraceStorage(path, create=True)
    storage.write(b"a" * 100)
    storage.truncate(100)
    storage.flush()  # HDF5's flush: the file is whole at 100 bytes
    storage.write(b"b" * 50)
    storage._file = DiskFullAfter(storage._file, 10)
    storage.seek(120)
    assert storage.write(b"c" * 40) == 40  # refused by the disk, kept in memory
    assert storage.failure is not None and storage.failure.errno == errno.ENOSPC
    storage.seek(90)
    assert storage.read(80) == b"a" * 10 + b"b" * 20 + b"c" * 40  # disk, then memory
    storage.close()
    assert path.read_bytes() == b"a" * 100


def test_rewrites_of_flushed_bytes_wait_for_the_next_flush(tmp_path: Path) -> None:
    """The file on disk stays the last flush whole: HDF5 rewrites its metadata (and a chunk
    a flush left partly filled) in place; those wait in memory, and go all or none."""
    path = tmp_path / "bytes"
    storage = TraceStorage(path, create=True)
    storage.write(b"a" * 100)
    storage.flush()
    storage.seek(10)
    storage.write(b"x" * 20)  # a rewrite below the last flush
    storage.write(b"y" * 90)  # straddling it: waits too
    storage.write(b"z" * 5)  # after what waits: onto the disk at once
    assert path.read_bytes() == b"a" * 100 + b"\0" * 20 + b"z" * 5
    storage.seek(0)
    assert storage.read() == b"a" * 10 + b"x" * 20 + b"y" * 90 + b"z" * 5
    storage.flush()
    assert path.read_bytes() == b"a" * 10 + b"x" * 20 + b"y" * 90 + b"z" * 5
    storage.seek(0)
    storage.write(b"1" * 10)
    storage.seek(50)
    storage.write(b"2" * 100)  # the second rewrite fails when the flush writes it
    storage._file = DiskFullAfter(storage._file, 20)  # room for the first, and its undoing
    storage.flush()
    assert storage.failure is not None  # undone: the last flush as it was
    storage.close()
    assert path.read_bytes() == b"a" * 10 + b"x" * 20 + b"y" * 90 + b"z" * 5


def test_a_new_trace_opens_before_any_sample(tmp_path: Path) -> None:
    """Made under another name and renamed once flushed: it opens while it is written."""
    path = tmp_path / "trace.h5"
    writer = TraceWriter(path, ATTRS)
    try:
        shutil.copyfile(path, tmp_path / "copy.h5")  # the bytes on disk, as a kill leaves them
        with h5py.File(tmp_path / "copy.h5", "r") as f:
            assert f["samples"].shape == (0,) and f.attrs["unit"] == "J"
            assert f.attrs["sample_rate_hz"] == 1000.0 and not f.attrs["complete"]
    finally:
        writer.close()
