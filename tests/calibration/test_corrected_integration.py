"""A calibrated stream integrates to what its corrected samples integrate to, whatever the
blocks (hypothesis): the integrator corrects block by block through its sums."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.calibration.correction import Correction
from tinyjoule.host.measurement.integration import (
    StreamIntegrator,
    UncertaintyModel,
    integrate_array,
)
from tinyjoule.host.measurement.stream import SampleBlock

MODEL = UncertaintyModel(reading_relative=0.02)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=0.05), min_size=40, max_size=400),
    st.lists(st.integers(min_value=1, max_value=399), max_size=12),
    st.sampled_from(["A", "J"]),
    st.floats(min_value=0.9, max_value=1.1),
    st.floats(min_value=-1e-4, max_value=1e-4),
    st.floats(min_value=-500, max_value=500),
    st.data(),
)
def test_a_corrected_stream_equals_the_corrected_samples(values, cuts, unit, g, o, ppm, data):
    raw = np.array(values)
    n = len(raw)
    correction = Correction(g, o, ppm).stream(unit, 1000.0, 1.8)
    integrator = StreamIntegrator(keep_samples=n, correction=correction)
    edges = [0, *sorted({c for c in cuts if c < n}), n]
    for a, b in itertools.pairwise(edges):
        integrator.add(SampleBlock(raw[a:b], a, 1000.0, unit))
    start = data.draw(st.integers(min_value=1, max_value=n // 2))
    end = data.draw(st.integers(min_value=start + 1, max_value=n))
    streamed = integrator.window(start, end, 1.8, MODEL)
    corrected = correction.apply(raw)
    whole = integrate_array(corrected, 0, start, end, unit, correction.sample_rate_hz, 1.8, MODEL)
    assert streamed.energy_j == pytest.approx(whole.energy_j, rel=1e-9, abs=1e-15)
    assert streamed.sample_rate_hz == correction.sample_rate_hz
    np.testing.assert_allclose(integrator.held(start, end), corrected[start:end], rtol=1e-12)
    np.testing.assert_allclose(correction.undo(integrator.held(0, n)), raw, atol=1e-15)
