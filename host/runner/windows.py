"""Timed windows the MLPerf Tiny way: 5 inputs, each window at least 10 s of DUT time.

The reference runner uses fixed iteration counts tuned for one board and only notes a short
window. Here a window shorter than the minimum is run again with the iteration count raised
in proportion (plus a margin), and the raised count is kept for the windows that follow.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from tinyjoule.errors import MeasurementError
from tinyjoule.host.link.dut_link import DutLink, InferReply

MIN_WINDOW_S = 10.0
MIN_WINDOW_INFERENCES = 10
WINDOW_COUNT = 5
RAISE_MARGIN = 1.15
MAX_RERUNS = 4
FIRST_WINDOW_TIMEOUT_S = 120.0


class Window(Protocol):
    @property
    def duration_s(self) -> float: ...

    @property
    def inferences(self) -> int: ...


W = TypeVar("W", bound=Window)
T = TypeVar("T")


def median(values: Sequence[float]) -> float:
    """The median; an even count takes the mean of the middle two (as MLPerf Tiny does)."""
    if not values:
        raise MeasurementError("no complete window to take a median of")
    return float(statistics.median(values))


def value_at_median(items: Sequence[T], rank: Callable[[T], float], value: Callable[[T], float]):
    """``value`` of the median item by ``rank``: that item's, or the mean of the middle two
    (so a median's uncertainty goes with the window(s) the median came from)."""
    if not items:
        raise MeasurementError("no complete window to take a median of")
    ranked = sorted(items, key=rank)
    n = len(ranked)
    if n % 2:
        return value(ranked[n // 2])
    return 0.5 * (value(ranked[n // 2 - 1]) + value(ranked[n // 2]))


def raised_iterations(iterations: int, duration_s: float, min_s: float = MIN_WINDOW_S) -> int:
    """Iterations that make a window of ``duration_s`` at ``iterations`` last ``min_s``."""
    if duration_s <= 0:
        return iterations * 10
    wanted = math.ceil(iterations * min_s * RAISE_MARGIN / duration_s)
    return max(wanted, iterations + 1, MIN_WINDOW_INFERENCES)


def infer_timeout_s(iterations: int, warmups: int, seconds_per_inference: float | None) -> float:
    if seconds_per_inference is None:
        return FIRST_WINDOW_TIMEOUT_S
    return 30.0 + 2.0 * (iterations + warmups) * seconds_per_inference


@dataclass
class WindowPlan:
    iterations: int
    warmups: int
    min_window_s: float = MIN_WINDOW_S
    seconds_per_inference: float | None = None


def run_windows(
    link: DutLink,
    inputs: Sequence[tuple[str, bytes]],
    plan: WindowPlan,
    measure: Callable[[str, InferReply], W],
    on_window: Callable[[W], None],
    log: Callable[[str], None],
    before_infer: Callable[[], None] | None = None,
) -> list[W]:
    """Load each input, infer, measure; re-run a short window with more iterations."""
    windows: list[W] = []
    for name, data in inputs:
        link.load(data)
        log(f"loaded {name} ({len(data)} bytes)")
        for _ in range(MAX_RERUNS + 1):
            timeout = infer_timeout_s(plan.iterations, plan.warmups, plan.seconds_per_inference)
            if before_infer is not None:
                before_infer()
            paced = plan.seconds_per_inference is None  # the warm-up's pace sets the timeout
            reply = link.infer(plan.iterations, plan.warmups, timeout, paced=paced)
            window = measure(name, reply)
            plan.seconds_per_inference = window.duration_s / window.inferences
            log(f"infer {plan.iterations} {plan.warmups}: {window.duration_s:.6f} s")
            if (
                window.duration_s >= plan.min_window_s
                and window.inferences >= MIN_WINDOW_INFERENCES
            ):
                break
            new = raised_iterations(plan.iterations, window.duration_s, plan.min_window_s)
            log(
                f"window of {window.duration_s:.3f} s is shorter than {plan.min_window_s:g} s: "
                f"raising iterations {plan.iterations} -> {new} and running it again"
            )
            plan.iterations = new
        else:
            raise MeasurementError(
                f"{link.device}: window for {name} still shorter than {plan.min_window_s:g} s "
                f"after {MAX_RERUNS} raises of the iteration count; is the DUT's timer right?"
            )
        windows.append(window)
        on_window(window)
    return windows
