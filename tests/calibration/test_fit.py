"""The calibration fits (hypothesis): reading statistics match numpy for any split into
blocks; the gain fit recovers a known line and propagates its doubt; wild residuals are
refused; the time base fit recovers a clock's ppm."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.calibration.fit import (
    GainPoint,
    ReadingStats,
    TimebasePoint,
    fit_gain,
    fit_timebase,
)
from tinyjoule.errors import MeasurementError


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(min_value=-1e-3, max_value=1e-2), min_size=2, max_size=300),
    st.lists(st.integers(min_value=1, max_value=299), max_size=10),
    st.integers(min_value=1, max_value=50),
)
def test_reading_stats_match_numpy_for_any_blocks(values, cuts, batch) -> None:
    data = np.array(values)
    stats = ReadingStats(batch)
    edges = [0, *sorted({c for c in cuts if c < len(data)}), len(data)]
    for a, b in itertools.pairwise(edges):
        stats.add(data[a:b])
    assert stats.count == len(data)
    assert stats.mean == pytest.approx(float(np.mean(data)), rel=1e-9, abs=1e-15)
    assert stats.std == pytest.approx(float(np.std(data, ddof=1)), rel=1e-6, abs=1e-12)
    assert len(stats.batch_means) == len(data) // batch


def _points(gain: float, offset: float, currents, noise: float = 0.0, rel_u: float = 5.8e-5):
    return [GainPoint(c, c * rel_u, gain * c + offset, noise, 0.0, f"{c}") for c in currents]


@settings(max_examples=100, deadline=None)
@given(
    st.floats(min_value=0.8, max_value=1.2),
    st.floats(min_value=-1e-4, max_value=1e-4),
    st.lists(st.floats(min_value=1e-5, max_value=0.05), min_size=1, max_size=5, unique=True),
)
def test_the_gain_fit_recovers_a_noiseless_line(gain, offset, loads) -> None:
    fit = fit_gain(_points(gain, offset, [0.0, *loads], noise=1e-9))
    assert fit.gain == pytest.approx(gain, rel=1e-6)
    assert fit.offset_a == pytest.approx(offset, abs=1e-9)
    for cov in (fit.covariance_scatter, fit.covariance_references, fit.covariance_resolution):
        assert cov[0][0] >= 0 and cov[1][1] >= 0
        assert cov[0][1] ** 2 <= cov[0][0] * cov[1][1] * (1 + 1e-6) + 1e-300


def test_the_references_doubt_reaches_the_gain() -> None:
    """One load and the zero point: the gain is exactly reading / current, so its relative
    doubt from the reference is the reference's own."""
    fit = fit_gain(_points(1.03, 0.0, [0.0, 0.01], noise=1e-12, rel_u=1e-4))
    assert math.sqrt(fit.covariance_references[0][0]) == pytest.approx(1.03 * 1e-4, rel=1e-3)
    assert fit.birge_ratio is None and fit.dof == 0


def test_residuals_far_above_the_noise_are_refused() -> None:
    points = _points(1.0, 0.0, [0.0, 0.001, 0.005, 0.01], noise=1e-8)
    points[2] = GainPoint(0.005, 0.005 * 5.8e-5, 0.00503, 1e-8, 0.0, "500ohm±0.01%")
    with pytest.raises(MeasurementError, match=r"residuals are .* 500ohm.*check the resistors"):
        fit_gain(points)


def test_a_gain_needs_two_different_currents() -> None:
    with pytest.raises(MeasurementError, match="two different reference currents"):
        fit_gain(_points(1.0, 0.0, [0.01]))


@settings(max_examples=100, deadline=None)
@given(
    st.floats(min_value=-500, max_value=500),
    st.sampled_from([1000.0, 100_000.0]),
    st.floats(min_value=0, max_value=1e6),
)
def test_the_time_base_fit_recovers_the_clock(ppm, fs, offset_samples) -> None:
    rate = fs * (1 + ppm * 1e-6) * 1e-6  # samples per DUT µs
    points = [
        TimebasePoint(t, 0.3, offset_samples + rate * t, 1e-3) for t in (0.0, 3.1e6, 6.4e6, 9.2e6)
    ]
    fit = fit_timebase(points, fs)
    assert fit.timebase_ppm == pytest.approx(ppm, abs=1e-3)
    assert fit.span_s == pytest.approx(9.2)
    assert 0 < fit.fit_u_ppm < 1.0
