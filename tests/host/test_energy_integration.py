"""Window integration against analytic traces, streamed in random blocks (hypothesis)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.errors import MeasurementError
from tinyjoule.host.measurement.integration import (
    StreamIntegrator,
    UncertaintyModel,
    integrate_array,
)
from tinyjoule.host.measurement.stream import SampleBlock

MODEL = UncertaintyModel(reading_relative=0.02, sample_rate_relative=1e-4)


def _stream(samples: np.ndarray, cuts: list[int], unit: str, fs: float) -> StreamIntegrator:
    integrator = StreamIntegrator(keep_samples=len(samples))
    edges = [0, *sorted(set(c for c in cuts if 0 < c < len(samples))), len(samples)]
    for a, b in itertools.pairwise(edges):
        integrator.add(SampleBlock(samples[a:b], a, fs, unit))
    return integrator


def test_constant_current_window_is_exact() -> None:
    fs, v, i = 1000.0, 1.8, 0.02
    samples = np.full(20000, i)
    # events at 1000 and 11000: edges inside samples 999 and 10999 -> 10000 samples in all
    w = integrate_array(samples, 0, 1000, 11000, "A", fs, v, MODEL)
    assert w.energy_j == pytest.approx(v * i * 10.0, rel=1e-12)
    assert w.duration_s == pytest.approx(10.0)
    assert w.mean_power_w == pytest.approx(v * i)
    # edge term: half a sample at each end, added (a bound)
    assert w.edge_uncertainty_j == pytest.approx(v * i / fs * 0.5 * 2)
    assert w.uncertainty_j > 0.02 * w.energy_j


def test_step_inside_window_counts_half_boundary_samples() -> None:
    fs = 100.0
    samples = np.zeros(100)
    samples[10] = 4.0  # boundary sample of start event 11
    samples[11:30] = 2.0
    samples[30] = 6.0  # boundary sample of end event 31
    w = integrate_array(samples, 0, 11, 31, "J", fs, 3.3, MODEL)
    assert w.energy_j == pytest.approx(19 * 2.0 + 0.5 * 4.0 + 0.5 * 6.0)


def test_window_outside_trace_is_an_error() -> None:
    with pytest.raises(MeasurementError, match="trace holds"):
        integrate_array(np.ones(10), 0, 5, 20, "J", 1.0, 1.0, MODEL)


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(st.floats(0, 0.1, allow_nan=False), min_size=20, max_size=400),
    cuts=st.lists(st.integers(0, 400), max_size=20),
    bounds=st.tuples(st.integers(1, 399), st.integers(1, 399)),
    unit=st.sampled_from(["A", "J"]),
)
def test_streamed_equals_whole_array(data, cuts, bounds, unit) -> None:
    samples = np.array(data)
    start, end = sorted(bounds)
    end = min(end, len(samples))
    if end <= start:
        return
    integrator = _stream(samples, cuts, unit, 1000.0)
    whole = integrate_array(samples, 0, start, end, unit, 1000.0, 1.8, MODEL)
    streamed = integrator.window(start, end, 1.8, MODEL)
    assert streamed.energy_j == pytest.approx(whole.energy_j, rel=1e-9, abs=1e-15)
    assert streamed.uncertainty_j == pytest.approx(whole.uncertainty_j, rel=1e-9, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(
    level=st.floats(1e-4, 0.05),
    start=st.floats(0.0, 0.5),
    length=st.floats(10.0, 12.0),
    fs=st.sampled_from([100.0, 1000.0, 5000.0]),
)
def test_analytic_rectangle_within_edge_bound(level, start, length, fs) -> None:
    """A board drawing ``level`` A between two edges at arbitrary times: the estimate is within
    the stated edge uncertainty of the exact energy."""
    v = 1.8
    n = int((start + length + 1.0) * fs)
    t = np.arange(n + 1) / fs
    overlap = np.clip(np.minimum(t[1:], start + length) - np.maximum(t[:-1], start), 0, None)
    samples = level * overlap * fs  # mean current per sample period
    k1 = int(np.floor(start * fs)) + 1
    k2 = int(np.floor((start + length) * fs)) + 1
    w = integrate_array(samples, 0, k1, k2, "A", fs, v, MODEL)
    exact = v * level * length
    assert abs(w.energy_j - exact) <= w.edge_uncertainty_j * (1 + 1e-9) + 1e-15


def test_gap_in_blocks_is_refused() -> None:
    integrator = StreamIntegrator()
    integrator.add(SampleBlock(np.ones(10), 0, 1.0, "J"))
    with pytest.raises(MeasurementError, match="gap"):
        integrator.add(SampleBlock(np.ones(10), 15, 1.0, "J"))


def test_memory_is_bounded_by_kept_samples() -> None:
    integrator = StreamIntegrator(keep_samples=4000)
    integrator.mark_event(10)  # marked before its samples arrive: kept as they stream past
    for k in range(100):
        integrator.add(SampleBlock(np.full(1000, 1.0), k * 1000, 1000.0, "J"))
    assert integrator.held_from() == 96_000
    assert integrator.window(10, 99_500, 1.0, MODEL).energy_j == pytest.approx(99_490.0)
    with pytest.raises(MeasurementError, match="no longer held"):
        integrator.window(20, 99_500, 1.0, MODEL)


def test_large_blocks_do_not_grow_what_is_held() -> None:
    """Blocks bounded only by the read size (rare status frames) still hold about
    ``keep_samples``: the newest block and as few before it as that needs."""
    integrator = StreamIntegrator(keep_samples=10_000)
    for k in range(20):
        integrator.add(SampleBlock(np.full(50_000, 1.0), k * 50_000, 1000.0, "J"))
    assert integrator.end_index - integrator.held_from() == 50_000
