"""Reading a trace's samples chunk by chunk on two threads: bit for bit what HDF5 reads, for
any span; anything not stored as a run stores it is left to HDF5."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.host.measurement.stream import SampleBlock
from tinyjoule.host.measurement.trace_chunks import ChunkInflater, inflatable
from tinyjoule.host.measurement.trace_file import CHUNK_SAMPLES, TraceWriter
from tinyjoule.host.report.trace_reader import sample_reader

N = 3 * CHUNK_SAMPLES + 12_345  # the last chunk partly filled


@pytest.fixture(scope="module")
def trace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """A trace written by the run's own writer, and its samples as written."""
    rng = np.random.default_rng(7)
    samples = (0.02 + rng.normal(0, 5e-5, N)).astype(np.float32)
    samples[1000:1010] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, 3e38, -1.0, 5e-3, 0.1]
    path = tmp_path_factory.mktemp("trace") / "trace.h5"
    writer = TraceWriter(path, {"sample_rate_hz": 1000.0, "unit": "A"})
    for start in range(0, N, 50_000):
        writer.add_block(SampleBlock(samples[start : start + 50_000], start, 1000.0, "A"))
    writer.close()
    return path, samples


def test_a_run_s_trace_is_inflated_here_and_reads_back_bit_for_bit(trace) -> None:
    path, samples = trace
    with h5py.File(path) as f:
        assert inflatable(f["samples"])
        inflater = ChunkInflater(f["samples"])
        try:
            chunks = list(inflater.chunks(0, N // CHUNK_SAMPLES))
        finally:
            inflater.close()
    assert [c for c, _ in chunks] == list(range(4)) and all(s is not None for _, s in chunks)
    whole = np.concatenate([s for _, s in chunks])
    assert np.array_equal(whole[:N].view(np.uint32), samples.view(np.uint32))
    assert np.isnan(whole[N:]).all()  # the fill beyond the end, as HDF5 keeps it


@settings(max_examples=60, deadline=None)
@given(st.integers(0, N - 1), st.integers(1, N))
def test_any_span_reads_what_hdf5_reads(trace, a: int, length: int) -> None:
    path, samples = trace
    b = min(N, a + length)
    with sample_reader(path) as reader:
        got = reader.read(a, b)
        assert reader.bad_ranges == []
    assert np.array_equal(got.view(np.uint32), samples[a:b].view(np.uint32))


def _dataset(path: Path, **options) -> None:
    with h5py.File(path, "w") as f:
        d = f.create_dataset(
            "samples", shape=(0,), maxshape=(None,), dtype="float32", chunks=(1024,),
            fillvalue=np.nan, **options,
        )  # fmt: skip
        d.resize((3000,))
        d[:1024] = np.arange(1024, dtype=np.float32)  # chunk 1 never written, chunk 2 partly
        d[2048:2100] = 7.0


@pytest.mark.parametrize(
    "options, fast",
    [
        ({"compression": "gzip", "compression_opts": 1, "shuffle": True}, True),
        ({"compression": "gzip"}, False),  # no shuffle: another pipeline, HDF5 reads it
        ({}, False),
    ],
)
def test_other_pipelines_and_unwritten_chunks_are_left_to_hdf5(tmp_path, options, fast) -> None:
    path = tmp_path / "t.h5"
    _dataset(path, **options)
    with h5py.File(path) as f:
        assert inflatable(f["samples"]) is fast
    with sample_reader(path) as reader:
        got = reader.read(0, 3000)
        assert reader.bad_ranges == []
    assert np.array_equal(got[:1024], np.arange(1024))
    assert np.isnan(got[1024:2048]).all()  # never written: the fill value, not an error
    assert (got[2048:2100] == 7.0).all() and np.isnan(got[2100:]).all()


def test_a_damaged_chunk_is_nan_and_listed_the_rest_reads(trace, tmp_path) -> None:
    path, samples = trace
    damaged = tmp_path / "damaged.h5"
    damaged.write_bytes(path.read_bytes())
    with h5py.File(damaged) as f:
        offset = f["samples"].id.get_chunk_info(1).byte_offset
    data = bytearray(damaged.read_bytes())
    data[offset : offset + 64] = bytes(64)  # the start of chunk 1's deflate stream
    damaged.write_bytes(bytes(data))
    with sample_reader(damaged) as reader:
        got = reader.read(0, N)
        bad = reader.bad_ranges
    assert [(a, b) for a, b, _ in bad] == [(CHUNK_SAMPLES, 2 * CHUNK_SAMPLES)]
    assert np.isnan(got[CHUNK_SAMPLES : 2 * CHUNK_SAMPLES]).all()
    keep = np.r_[0:CHUNK_SAMPLES, 2 * CHUNK_SAMPLES : N]
    assert np.array_equal(got[keep].view(np.uint32), samples[keep].view(np.uint32))
