"""The first window's ``infer`` timeout follows the DUT's warm-up pace: a long first window
(kws01 × 50 000, about half an hour of bench time) is waited for, while a DUT that runs no
warm-up, or ends it after the base timeout, keeps the base timeout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinyjoule.errors import ResponseTimeout
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.link.infer_pace import FACTOR, MARGIN_S, WarmupPace
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run
from tinyjoule.host.runner.windows import FIRST_WINDOW_TIMEOUT_S


def test_the_pace_is_the_warm_up_time_per_inference() -> None:
    pace = WarmupPace(iterations=50_000, warmups=10, base_timeout_s=120.0)
    pace.see("m-warmup-start-10", 0.5)
    assert pace.timeout_s == 120.0
    pace.see("m-warmup-done", 0.5 + 10 * 0.036)
    assert pace.seconds_per_inference == pytest.approx(0.036)
    assert pace.timeout_s == pytest.approx(0.86 + MARGIN_S + FACTOR * 50_000 * 0.036)


def test_a_short_pace_never_lowers_the_base_timeout() -> None:
    pace = WarmupPace(iterations=10, warmups=10, base_timeout_s=120.0)
    pace.see("m-warmup-start-10", 0.1)
    pace.see("m-warmup-done", 0.2)
    assert pace.timeout_s == 120.0


@pytest.mark.parametrize(
    ("lines", "why"),
    [
        ([("m-warmup-done", 1.0)], "no start seen"),
        ([("m-warmup-start-10", 1.0), ("m-warmup-done", 130.0)], "warm-up ended late"),
    ],
)
def test_no_pace_without_a_timed_warm_up(lines, why) -> None:
    pace = WarmupPace(iterations=50_000, warmups=10, base_timeout_s=120.0)
    for line, at in lines:
        pace.see(line, at)
    assert pace.timeout_s == 120.0, why


def test_no_warm_ups_leave_the_base_timeout() -> None:
    pace = WarmupPace(iterations=50_000, warmups=0, base_timeout_s=120.0)
    pace.see("m-warmup-start-0", 0.1)
    pace.see("m-warmup-done", 0.1)
    assert pace.timeout_s == 120.0


def _energy(sessions: Path, iterations: int) -> dict:
    request = RunRequest(
        mode="energy",
        workloads=("kws01",),
        bench=BenchSpec(bench_url="sim://"),
        sessions_root=sessions,
        iterations=iterations,
    )
    return run(request)


def test_a_first_window_longer_than_the_base_timeout_is_waited_for(tmp_path: Path) -> None:
    summary = _energy(tmp_path / "s", 50_000)
    (workload,) = summary["workloads"]
    assert workload["complete"]
    assert min(w["duration_s"] for w in workload["windows"]) > 10 * FIRST_WINDOW_TIMEOUT_S


def test_the_long_first_window_fails_without_the_pace(tmp_path: Path, monkeypatch) -> None:
    """The test above bites: with the pace ignored, the base timeout ends the first window."""
    monkeypatch.setattr(WarmupPace, "see", lambda self, line, elapsed_s: None)
    with pytest.raises(ResponseTimeout, match=r"'infer 50000 10' within 120 s"):
        _energy(tmp_path / "s", 50_000)
