"""Gathering a steady reading from the monitor pump, between two sample indices.

The collector is one of the pump's observers: it sees every raw sample block as it is read
and adds the samples that fall inside the segment it was told to gather into a
``calibration.fit.ReadingStats``. The workflow waits until the pump has read everything up
to now (``pump.sync``) before opening or closing a segment, so its bounds are exact sample
indices. Energy samples (J per period) are read as the current they stand for
(J x fs / V), so a monitor that only gives energy is calibrated in amperes too.
"""

from __future__ import annotations

import threading

import numpy as np

from tinyjoule.calibration.fit import BATCHES, ReadingStats
from tinyjoule.host.measurement.stream import SampleBlock, SampleDrop, StreamItem


class SegmentCollector:
    """Statistics of the samples in ``[begin, end)``; see the module docstring."""

    def __init__(self, voltage_v: float) -> None:
        self.voltage_v = voltage_v
        self._lock = threading.Lock()
        self._start: int | None = None
        self._end: int | None = None
        self._stats: ReadingStats | None = None
        self.dropped = 0

    def __call__(self, item: StreamItem) -> None:
        if isinstance(item, SampleDrop):
            with self._lock:
                if self._stats is not None:
                    self.dropped += item.count
            return
        if not isinstance(item, SampleBlock):
            return
        with self._lock:
            stats, start = self._stats, self._start
            if stats is None or start is None:
                return
            end = self._end if self._end is not None else item.end_index
            lo, hi = max(start, item.first_index), min(end, item.end_index)
            if lo >= hi:
                return
            values = item.samples[lo - item.first_index : hi - item.first_index]
            if item.unit == "J":  # J per period -> the current it stands for
                values = np.asarray(values, dtype=np.float64) * (
                    item.sample_rate_hz / self.voltage_v
                )
            stats.add(values)

    def begin(self, index: int, expected_samples: int) -> None:
        """Gather from sample ``index`` on (about ``expected_samples`` of them)."""
        with self._lock:
            self._start, self._end = index, None
            self._stats = ReadingStats(max(1, expected_samples // BATCHES))
            self.dropped = 0

    def end(self, index: int) -> ReadingStats:
        with self._lock:
            self._end = index
            stats = self._stats
            self._stats = None
        assert stats is not None, "begin() comes before end()"
        return stats
