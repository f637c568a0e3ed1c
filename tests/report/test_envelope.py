"""The min/max envelope (any bins, any block size, NaN gaps), the noise estimate, and the JSON
embedded in the page (nothing in it can close its script block)."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.host.report.envelope import min_max, plan_bins, sample_noise
from tinyjoule.host.report.fmt import script_json


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 5000),
    cuts=st.lists(st.integers(1, 4999), max_size=40),
    block=st.integers(1, 3000),
    gap=st.tuples(st.integers(0, 5000), st.integers(0, 300)),
    seed=st.integers(0, 1000),
)
def test_min_max_matches_brute_force(n, cuts, block, gap, seed) -> None:
    x = np.random.default_rng(seed).normal(size=n).astype(np.float32)
    x[gap[0] : gap[0] + gap[1]] = np.nan  # samples the instrument lost
    bounds = np.unique(np.array([0, n, *[c for c in cuts if c < n]], dtype=np.int64))
    lo, hi = min_max(lambda a, b: x[a:b], bounds, block=block)
    for i in range(len(bounds) - 1):
        seg = x[bounds[i] : bounds[i + 1]]
        if np.isnan(seg).all():
            assert np.isnan(lo[i]) and np.isnan(hi[i])
        else:
            assert lo[i] == np.nanmin(seg) and hi[i] == np.nanmax(seg)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 10**7),
    windows=st.lists(st.tuples(st.integers(0, 10**7), st.integers(1, 10**6)), max_size=6),
    per_window=st.integers(1, 600),
    per_edge=st.integers(0, 64),
)
def test_bins_cover_the_trace_once(n, windows, per_window, per_edge) -> None:
    ranges = [(a, a + d) for a, d in windows]
    bounds = plan_bins(n, ranges, [k for r in ranges for k in r], per_window, per_edge)
    assert bounds[0] == 0 and bounds[-1] == n and np.all(np.diff(bounds) > 0)
    assert len(bounds) <= 1501 + len(ranges) * (per_window + 1 + 2 * (2 * per_edge + 1))
    for a, b in ranges:
        for k in (a, b):  # one bin per sample right at every edge inside the trace
            if per_edge and 0 < k < n - 1:
                assert k in bounds and k + 1 in bounds


def test_noise_estimate_ignores_steps() -> None:
    rng = np.random.default_rng(3)
    x = 0.02 + rng.normal(0, 5e-5, 200_000)
    x[::5000] += 0.01  # pulses and steps a window holds
    sigma = sample_noise(lambda a, b: x[a:b], 0, len(x))
    assert abs(sigma - 5e-5) < 3e-6
    assert sample_noise(lambda a, b: x[a:b], 0, 5) is None


def test_script_json_cannot_end_its_block() -> None:
    payload = {"label": "</script><!-- <script>&\u2028", "n": [1, 2]}
    text = script_json(payload)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == payload
