"""The HDF5 trace: self-describing, readable with plain h5py, complete flag, bounded buffer."""

from __future__ import annotations

import h5py
import numpy as np

from tinyjoule.host.measurement.stream import Event, SampleBlock, SampleDrop
from tinyjoule.host.measurement.trace_file import CHUNK_SAMPLES, TraceWriter, read_trace


def test_trace_round_trip_with_plain_h5py(tmp_path) -> None:
    path = tmp_path / "trace.h5"
    writer = TraceWriter(path, {"sample_rate_hz": 1000.0, "unit": "A", "supply_voltage_v": 1.8})
    values = np.linspace(0.01, 0.02, CHUNK_SAMPLES + 123)
    writer.add_block(SampleBlock(values[:1000], 0, 1000.0, "A"))
    writer.add_event(Event(500, rising=False, counter=7))
    writer.add_block(SampleBlock(values[1000:], 1000, 1000.0, "A"))
    writer.add_drop(SampleDrop(2000, 3))
    writer.add_window(500, 1500, 10, 0.5, 0.01)
    writer.close()
    with h5py.File(path, "r") as f:
        assert f.attrs["complete"]
        assert f.attrs["unit"] == "A" and f.attrs["sample_rate_hz"] == 1000.0
        assert f["samples"].compression == "gzip"
        np.testing.assert_allclose(f["samples"][()], values.astype(np.float32))
        assert f["events"][()].tolist() == [[500, 0, 7]]
        assert f["drops"][()].tolist() == [[2000, 3]]
    assert read_trace(path)["windows"].tolist() == [[500, 1500, 10, 0.5, 0.01]]


def test_failed_run_is_marked_and_keeps_samples(tmp_path) -> None:
    path = tmp_path / "trace.h5"
    writer = TraceWriter(path, {})
    writer.add_block(SampleBlock(np.ones(10), 0, 10.0, "J"))
    writer.add_window(1, 5, 10, 4.0, 0.1)  # a window flushes the buffer to disk
    writer.add_block(SampleBlock(np.ones(5), 10, 10.0, "J"))
    writer.close(error="monitor unplugged")
    trace = read_trace(path)
    assert not trace["attrs"]["complete"] and trace["attrs"]["error"] == "monitor unplugged"
    assert len(trace["samples"]) == 15


def test_gap_is_filled_with_nan_to_keep_indices(tmp_path) -> None:
    path = tmp_path / "trace.h5"
    writer = TraceWriter(path, {})
    writer.add_block(SampleBlock(np.ones(3), 0, 10.0, "J"))
    writer.add_block(SampleBlock(np.ones(2), 5, 10.0, "J"))
    writer.close()
    samples = read_trace(path)["samples"]
    assert len(samples) == 7 and np.isnan(samples[3:5]).all()
