"""The GUM budget's arithmetic (hypothesis): terms add up, root-sum-square, to the combined
standard uncertainty; the expanded one is k = 2 times it; the resolution rules match the
simulated LPM01A's own encoders; a window budget has the terms the issue names."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.calibration.budget import (
    ASSUMED_TIMEBASE,
    Budget,
    CalibratedReading,
    DatasheetReading,
    Term,
    WindowFacts,
    median_budget,
    reading_quantum,
    rectangular,
    window_budget,
)
from tinyjoule.host.sim.monitors.lpm01a_formats import bin_words, quantise_ascii

finite = st.floats(min_value=1e-9, max_value=1e6, allow_nan=False, allow_infinity=False)
terms = st.builds(
    Term,
    name=st.text(min_size=1, max_size=8),
    type=st.sampled_from(["A", "B"]),
    distribution=st.sampled_from(["normal", "rectangular"]),
    standard_uncertainty=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    unit=st.sampled_from(["uJ", "A", "ppm", "relative"]),
    sensitivity=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    source=st.just("test"),
)


def _rss(values: list[float]) -> float:
    """Root-sum-square, scaled by the largest value so tiny ones do not underflow."""
    largest = max((abs(v) for v in values), default=0.0)
    if largest == 0:
        return 0.0
    return largest * math.sqrt(math.fsum((v / largest) ** 2 for v in values))


@settings(max_examples=200, deadline=None)
@given(st.lists(terms, min_size=1, max_size=8))
def test_terms_add_up_root_sum_square_to_the_combined_uncertainty(items) -> None:
    budget = Budget(tuple(items))
    rss = _rss([t.sensitivity * t.standard_uncertainty for t in items])
    assert budget.combined_standard_uncertainty_uj == pytest.approx(rss, rel=1e-12, abs=1e-300)
    assert budget.expanded_uncertainty_uj == pytest.approx(2 * rss, rel=1e-12, abs=1e-300)
    as_dict = budget.to_dict()
    again = _rss([t["contribution_uj"] for t in as_dict["terms"]])
    assert again == pytest.approx(as_dict["combined_standard_uncertainty_uj"], rel=1e-12)
    assert as_dict["coverage_factor"] == 2
    if rss > 0:
        assert sum(t["variance_percent"] for t in as_dict["terms"]) == pytest.approx(100.0)
    assert Budget.from_dict(as_dict).to_dict() == as_dict


@settings(max_examples=100, deadline=None)
@given(st.lists(terms, min_size=1, max_size=5), st.floats(min_value=1e-6, max_value=1e3))
def test_a_budget_scales_with_its_figure(items, factor) -> None:
    budget = Budget(tuple(items))
    scaled = budget.scaled(factor, "per_inference")
    assert scaled.combined_standard_uncertainty_uj == pytest.approx(
        budget.combined_standard_uncertainty_uj * factor, rel=1e-9, abs=1e-300
    )


def test_a_bound_is_rectangular() -> None:
    assert rectangular(math.sqrt(3)) == pytest.approx(1.0)
    assert rectangular(-2.0) == pytest.approx(2 / math.sqrt(3))


def _facts(energy_j: float = 0.5, edge_j: float = 1e-5, quantum: float = 1e-8) -> WindowFacts:
    return WindowFacts(energy_j, edge_j, 10_000, 10.0, 1.8, 4.1e-5, quantum)


def test_an_uncalibrated_window_has_the_issue_s_terms() -> None:
    budget = window_budget(_facts(), DatasheetReading(0.02, "UM2243"), ASSUMED_TIMEBASE, "digits:4")
    names = [t.name for t in budget.terms]
    assert names == ["reading", "boundary samples", "time base", "resolution"]
    reading = budget.terms[0]
    assert (reading.type, reading.distribution) == ("B", "rectangular")
    assert reading.contribution_uj == pytest.approx(0.5e6 * 0.02 / math.sqrt(3))
    edge = budget.terms[1]
    assert edge.contribution_uj == pytest.approx(10.0 / math.sqrt(3))  # 1e-5 J in µJ, /√3
    assert budget.terms[3].standard_uncertainty == pytest.approx(0.5e-8 / 4.1e-5 / math.sqrt(3))


def test_a_calibrated_reading_uses_the_fit_covariance_at_the_mean_current() -> None:
    cov = ((1e-8, 2e-12), (2e-12, 1e-16))
    reading = CalibratedReading(1.03, 5e-6, (("reading: fit", "A", "normal", cov, "fit"),))
    budget = window_budget(_facts(), reading, ASSUMED_TIMEBASE)
    term = budget.terms[0]
    mean_a = 0.5 / (1.8 * 10.0)
    jg, jo = -mean_a / 1.03, -1 / 1.03
    expected_u = math.sqrt(jg * jg * 1e-8 + 2 * jg * jo * 2e-12 + jo * jo * 1e-16)
    assert term.standard_uncertainty == pytest.approx(expected_u)
    assert term.sensitivity == pytest.approx(1.8 * 10.0 * 1e6)  # µJ per A of mean current


def test_the_median_budget_adds_the_window_scatter() -> None:
    budgets = [
        window_budget(_facts(e), DatasheetReading(0.02, "x"), ASSUMED_TIMEBASE)
        for e in (0.50, 0.51, 0.52)
    ]
    budget = median_budget(budgets, [0.50e6, 0.51e6, 0.52e6])
    assert budget.terms[-1].name == "window-to-window scatter"
    assert budget.terms[-1].type == "A"
    s = np.std([0.50e6, 0.51e6, 0.52e6], ddof=1)
    assert budget.terms[-1].contribution_uj == pytest.approx(math.sqrt(math.pi / 2) * s / 3**0.5)
    assert budget.terms[0].contribution_uj == pytest.approx(budgets[1].terms[0].contribution_uj)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=1e-12, max_value=4000.0, allow_nan=False))
def test_the_resolution_rules_bound_the_lpm01a_formats_rounding(value) -> None:
    mantissa, exponent = quantise_ascii(np.array([value]))
    decoded = float(mantissa[0]) * 10.0 ** float(exponent[0])
    assert abs(decoded - value) <= 0.5 * reading_quantum("digits:4", value) * (1 + 1e-9)
    word = int(bin_words(np.array([value]))[0])
    decoded = (word & 0xFFF) * 16.0 ** -(word >> 12)
    assert abs(decoded - value) <= 0.5 * reading_quantum("hex:12", value) * (1 + 1e-9) + 1e-300


def test_an_unknown_resolution_rule_is_refused() -> None:
    assert reading_quantum(None, 1.0) == 0.0
    assert reading_quantum("relative:0.001", 2.0) == pytest.approx(0.002)
    with pytest.raises(ValueError, match="unknown resolution rule"):
        reading_quantum("octal:3", 1.0)
