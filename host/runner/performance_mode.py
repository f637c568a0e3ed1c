"""Performance mode: latency and throughput from the DUT's two ``m-lap-us-`` stamps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tinyjoule.errors import ProtocolError
from tinyjoule.firmware_protocol.dut_codec import lap_delta_us
from tinyjoule.host.link.dut_link import DutLink, InferReply
from tinyjoule.host.results.session import WorkloadRecord
from tinyjoule.host.runner.windows import WindowPlan, median, run_windows
from tinyjoule.tinyml_workloads.workloads import Workload


@dataclass(frozen=True, slots=True)
class PerformanceWindow:
    input_name: str
    inferences: int
    warmups: int
    laps_us: tuple[int, int]

    @property
    def duration_s(self) -> float:
        return lap_delta_us(*self.laps_us) / 1e6

    @property
    def latency_ms(self) -> float:
        return self.duration_s * 1e3 / self.inferences

    @property
    def throughput_ips(self) -> float:
        return self.inferences / self.duration_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input_name,
            "inferences": self.inferences,
            "warmups": self.warmups,
            "duration_s": self.duration_s,
            "latency_ms": self.latency_ms,
            "throughput_ips": self.throughput_ips,
            "laps_us": list(self.laps_us),
        }


def window_from_laps(link: DutLink, name: str, reply: InferReply) -> PerformanceWindow:
    if len(reply.laps_us) != 2:
        raise ProtocolError(
            f"{link.device}: 'infer {reply.iterations} {reply.warmups}' on {name} printed "
            f"{len(reply.laps_us)} m-lap-us- line(s), not 2; is the firmware built for "
            "performance mode?"
        )
    laps = (reply.laps_us[0], reply.laps_us[1])
    if not all(0 <= lap < 2**32 for lap in laps):
        raise ProtocolError(
            f"{link.device}: m-lap-us- stamps {laps} are not 32-bit microsecond counter values; "
            "the firmware's th_timestamp must print the raw 32-bit timer"
        )
    if lap_delta_us(*laps) == 0:
        raise ProtocolError(
            f"{link.device}: both m-lap-us- stamps are {laps[0]}; the timer is stuck"
        )
    return PerformanceWindow(name, reply.iterations, reply.warmups, laps)


def run_performance(
    link: DutLink,
    workload: Workload,
    inputs: Sequence[tuple[str, bytes]],
    record: WorkloadRecord,
    on_window: Callable[[], None],
    iterations: int | None = None,
) -> dict[str, Any]:
    plan = WindowPlan(
        iterations=iterations or workload.performance_iterations,
        warmups=workload.performance_warmups,
    )
    windows: list[PerformanceWindow] = []

    def keep(window: PerformanceWindow) -> None:
        windows.append(window)
        record.update(windows=[w.to_dict() for w in windows])
        on_window()

    run_windows(
        link,
        inputs,
        plan,
        lambda name, reply: window_from_laps(link, name, reply),
        keep,
        record.log,
    )
    summary = {
        "median_latency_ms": median([w.latency_ms for w in windows]),
        "median_throughput_ips": median([w.throughput_ips for w in windows]),
    }
    record.update(**summary)
    record.write_mode_results(summary)
    return summary
