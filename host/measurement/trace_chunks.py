"""Reading a trace's ``/samples`` a chunk at a time, inflated on two threads.

HDF5 runs a chunk's filters (``trace_file`` writes shuffle, then deflate) one chunk after
another on the calling thread, and inflating is most of what a report of a long trace costs.
Here each chunk is fetched as stored (``read_direct_chunk``), inflated by ``zlib`` and
un-shuffled by numpy on a pool of two threads (zlib and numpy let go of the GIL while they
work, so two cores take two chunks at once): the same samples, bit for bit, in less than half
of HDF5's time on this machine.

Only the exact pipeline ``trace_file`` writes is read this way (1-D float32, shuffle then
deflate, nothing else); any other dataset, and any chunk that does not come out whole (not
allocated, a filter skipped, bytes that do not inflate to one chunk), is left to HDF5
(``None`` for that chunk), which then reads it or says why it cannot.
"""

from __future__ import annotations

import sys
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import h5py
import numpy as np

WORKERS = 2
AHEAD = 8
"""Chunks in flight at most: memory stays about 8 × 2 × 256 kB, whatever the chunks hold."""
SHUFFLE_THEN_DEFLATE = (h5py.h5z.FILTER_SHUFFLE, h5py.h5z.FILTER_DEFLATE)


def inflatable(dataset: h5py.Dataset) -> bool:
    """Whether ``dataset`` is stored as ``trace_file`` writes samples."""
    if dataset.ndim != 1 or dataset.chunks is None or dataset.dtype != np.dtype("<f4"):
        return False
    if sys.byteorder != "little":  # the un-shuffle below builds little-endian words
        return False
    plist = dataset.id.get_create_plist()
    filters = tuple(plist.get_filter(i)[0] for i in range(plist.get_nfilters()))
    return filters == SHUFFLE_THEN_DEFLATE


class ChunkInflater:
    """``chunks(first, last)``: each chunk's samples (a whole chunk; the last one of the
    dataset holds fill beyond its end), or None where HDF5 must read it."""

    def __init__(self, dataset: h5py.Dataset) -> None:
        self.dataset = dataset
        self.chunk = dataset.chunks[0]
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="trace-inflate")

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def chunks(self, first: int, last: int) -> Iterator[tuple[int, np.ndarray | None]]:
        """Chunks ``first`` .. ``last`` (inclusive), in order, at most ``AHEAD`` in flight."""
        pending: deque[tuple[int, Future[np.ndarray | None]]] = deque()
        next_chunk = first
        while pending or next_chunk <= last:
            while next_chunk <= last and len(pending) < AHEAD:
                pending.append((next_chunk, self._pool.submit(self._samples, next_chunk)))
                next_chunk += 1
            number, future = pending.popleft()
            yield number, future.result()

    def _samples(self, number: int) -> np.ndarray | None:
        """One chunk fetched, inflated and un-shuffled (on a pool thread), or None."""
        try:
            mask, stored = self.dataset.id.read_direct_chunk((number * self.chunk,))
        except (OSError, ValueError, KeyError, RuntimeError):
            return None  # not allocated, or not readable: HDF5 says which
        if mask:  # a filter was skipped for this chunk
            return None
        try:  # at most one byte more than a chunk: a damaged stream cannot balloon
            raw = zlib.decompressobj().decompress(stored, 4 * self.chunk + 1)
        except zlib.error:
            return None
        if len(raw) != 4 * self.chunk:
            return None
        planes = np.frombuffer(raw, np.uint8).reshape(4, self.chunk)  # byte k of every sample
        bits = planes[3].astype(np.uint32)  # little-endian float32: byte 3 is the top
        bits <<= 24
        bits |= planes[2].astype(np.uint32) << 16
        bits |= planes[1].astype(np.uint32) << 8
        bits |= planes[0]
        return bits.view(np.float32)
