"""Streaming wake word scoring as the MLCommons runner scores (spec 4.4), duty cycle, quality."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.errors import MeasurementError
from tinyjoule.tinyml_workloads.sww_scoring import (
    combine_duty_cycles,
    duty_cycle,
    meets_quality_target,
    score_detections,
)

FAST = settings(max_examples=300, deadline=None)
SYNC = 4321  # ms on the board's clock when the DUT marked the start of audio


def _at(*seconds: float) -> list[int]:
    return [SYNC] + [SYNC + round(s * 1000) for s in seconds]


def test_the_effective_window_end_is_t1_plus_2_s_not_the_readme_s_1_s() -> None:
    windows = [(1.0, 1.6)]
    assert score_detections(_at(1.0), windows).counts == (1, 0, 0)  # at the start: a hit
    assert score_detections(_at(2.55), windows).counts == (1, 0, 0)  # README's 1 s would miss
    assert score_detections(_at(3.6), windows).counts == (1, 0, 0)  # t1 + 2 s exactly
    assert score_detections(_at(3.61), windows).counts == (0, 1, 1)
    assert score_detections(_at(0.99), windows).counts == (0, 1, 1)


def test_several_detections_in_one_window_are_one_hit_and_are_all_removed() -> None:
    score = score_detections(_at(1.2, 1.5, 3.0), [(1.0, 1.6), (5.0, 5.7)])
    assert score.counts == (1, 1, 0)
    assert (score.true_positives, score.false_negatives, score.sync_ms) == ((1.0,), (5.0,), SYNC)


def test_false_alarms_are_debounced_from_each_kept_one_in_turn() -> None:
    # 10.0 keeps 10.9 out (within 1 s), 11.8 is 1.8 s after 10.0: kept, and it removes 12.7
    score = score_detections(_at(10.0, 10.9, 11.8, 12.7, 20.0), [(1.0, 1.5)])
    assert score.counts == (0, 1, 3)
    assert score.false_positives == (10.0, 11.8, 20.0)
    assert score_detections(_at(10.0, 11.0), []).counts == (0, 0, 1)  # exactly 1 s: debounced
    assert score_detections(_at(10.0, 11.001), []).counts == (0, 0, 2)


def test_the_sync_mark_alone_misses_every_word_and_nothing_is_no_run() -> None:
    assert score_detections([SYNC], [(1.0, 1.5), (4.0, 4.8)]).counts == (0, 2, 0)
    with pytest.raises(MeasurementError, match="not even the sync mark"):
        score_detections([], [(1.0, 1.5)])


def _plain(detections: list[int], windows: list[tuple[float, float]]) -> tuple[int, int, int]:
    """The same rule written again in plain Python, as a second opinion."""
    rest = [d - detections[0] for d in detections[1:]]
    hits = misses = 0
    for t0, t1 in windows:
        inside = [d for d in rest if t0 <= d / 1000 <= t1 + 2.0]
        if inside:
            hits += 1
            rest = [d for d in rest if d not in inside]
        else:
            misses += 1
    i = 0
    while i < len(rest):
        current = rest[i]
        rest = [d for d in rest if not current < d <= current + 1000]
        i += 1
    return hits, misses, len(rest)


_WINDOWS = st.lists(st.tuples(st.floats(0.5, 3.0), st.floats(0.2, 1.0)), max_size=8).map(
    lambda gaps: [
        (round(sum(g + d for g, d in gaps[:i]) + gaps[i][0], 3),
         round(sum(g + d for g, d in gaps[: i + 1]), 3))
        for i in range(len(gaps))
    ]
)  # fmt: skip


@FAST
@given(
    windows=_WINDOWS,
    offsets=st.lists(st.integers(0, 40_000), max_size=30),
    sync=st.integers(0, 10**9),
)
def test_scores_match_a_second_implementation_and_ignore_where_the_clock_started(
    windows, offsets, sync
) -> None:
    detections = [sync, *sorted(sync + o for o in offsets)]
    score = score_detections(detections, windows)
    tp, fn, fp = score.counts
    assert (tp, fn, fp) == _plain(detections, windows)
    assert tp + fn == len(windows) and fp <= len(offsets)
    shifted = score_detections([d + 777 for d in detections], windows)
    assert shifted.counts == score.counts


def test_duty_cycle_period_and_throughput() -> None:
    starts = [3200 * k + 3851 for k in range(100)]  # 32 ms period, in 10 µs ticks
    stops = [s + 677 for s in starts]
    duty = duty_cycle(starts, stops)
    assert duty.period_s == pytest.approx(0.032)
    assert duty.on_time_s == pytest.approx(0.00677)
    assert duty.duty == pytest.approx(0.00677 / 0.032)
    assert duty.throughput_inf_per_s == pytest.approx(1 / 0.00677)
    assert (duty.frames, duty.period_varies) == (100, False)
    late = starts[:50] + [s + 200 for s in starts[50:]]  # one period 2 ms long: 6 % spread
    assert duty_cycle(late, [s + 677 for s in late]).period_varies
    assert duty_cycle(starts, [100, *stops]).frames == 100  # a stop before the first start


def test_duty_cycle_needs_two_frames_and_sane_edges() -> None:
    with pytest.raises(MeasurementError, match="PROCESSING wire"):
        duty_cycle([100], [200])
    with pytest.raises(MeasurementError, match="corrupt"):
        duty_cycle([100, 3300, 6500], [150, 3000, 6600])


def test_combined_duty_cycles_weigh_frames() -> None:
    a = duty_cycle([0, 1000, 2000], [100, 1100, 2100])
    b = duty_cycle([0, 2000], [500, 2500])
    both = combine_duty_cycles([a, b])
    assert both.frames == 5
    assert both.on_time_s == pytest.approx((3 * 100 + 2 * 500) / 5 * 1e-5)


def test_the_quality_rule() -> None:
    assert meets_quality_target(50, 0, 0, 50)
    assert meets_quality_target(42, 8, 8, 50)
    assert not meets_quality_target(41, 9, 0, 50)
    assert not meets_quality_target(50, 0, 9, 50)
    assert not meets_quality_target(49, 0, 0, 50)  # a wake word unaccounted for
