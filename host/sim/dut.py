"""The simulated DUT: the reference firmware's state machine running a LiteRT model.

It implements the firmware's hooks on the virtual clock: UART output blocks the CPU for the
bytes' transfer time (as the reference ``th_printf`` does), each inference costs the board
profile's latency, the performance-mode timer is a 32-bit microsecond counter, and an
energy-mode timestamp is a pulse on the pin. What the board does is logged as activities
(``sim.activity``: bytes moving on the UART, inferring, the pulse's busy-wait; idle between)
and drawn as the profile's current for each (``sim.power``), which the monitors sample.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tinyjoule.firmware_protocol.dut_device import DutFirmware, FirmwareConfig
from tinyjoule.firmware_protocol.dut_messages import simulator_vendor
from tinyjoule.host.sim.board_profile import BoardProfile
from tinyjoule.host.sim.board_supply import BoardSupply
from tinyjoule.tinyml_workloads.model_info import ModelInfo
from tinyjoule.tinyml_workloads.workloads import Workload


def inference_latency_s(info: ModelInfo, profile: BoardProfile) -> float:
    """One inference's latency on the profiled board, from the model's ops and MACs."""
    cycles = sum(profile.cycles_for(op.op_type, op.macs) for op in info.ops)
    return cycles / profile.clock_hz


@dataclass(frozen=True, slots=True)
class InferenceBatch:
    """One timed batch as the simulator ran it: the truth tests compare against."""

    start_s: float
    end_s: float
    count: int
    warmup: bool


class SimulatedDut(BoardSupply):
    """A board running the reference firmware; ``receive`` is called as bytes arrive."""

    def __init__(
        self,
        *,
        workload: Workload,
        predict: Callable[[bytes], tuple[float, ...]],
        model_info: ModelInfo,
        profile: BoardProfile,
        timestamp_mode: str,
        baud: int,
        transmit: Callable[[bytes, float], float],
    ) -> None:
        super().__init__(profile, baud, transmit)
        self.latency_s = inference_latency_s(model_info, profile)
        self.batches: list[InferenceBatch] = []
        self.pin_faults: dict[int, str] = {}  # pulse number (from 1) -> "skip" | "double"
        self.pulses = 0
        self._predict = predict
        self._cache: dict[bytes, tuple[float, ...]] = {}
        self._rng = np.random.default_rng(profile.seed)
        self.firmware = DutFirmware(
            FirmwareConfig(
                model_id=workload.id,
                vendor=simulator_vendor(profile.vendor),
                timestamp_mode=timestamp_mode,
                max_db_input_size=workload.max_db_input_size,
                expected_input_bytes=workload.input_bytes,
                results_trailing_comma=workload.results_trailing_comma,
                init_lines=workload.firmware_init_lines,
            ),
            self,
        )

    # -- driving the board ------------------------------------------------------------------
    def boot(self, at_s: float) -> None:
        """Power-on or reset: the board draws idle current from here on, then the banner."""
        self.time_s = max(self.time_s, at_s)
        self.power.set_current(self.time_s, self.profile.idle_current_a)
        self.firmware.boot()

    def print_raw(self, data: bytes, at_s: float) -> None:
        """The board prints ``data`` from ``at_s`` on, outside the firmware's protocol (a
        fault: a runaway print)."""
        self.time_s = max(self.time_s, at_s)
        self.emit(data)

    def receive(self, data: bytes, arrival_s: float, busy_s: float = 0.0) -> None:
        """Bytes from the host, all in at ``arrival_s``; with ``busy_s`` (a fault) the CPU is
        busy that long before the firmware reads them."""
        self._draw(arrival_s - len(data) * self.byte_time_s(), arrival_s, "uart")
        self.time_s = max(self.time_s, arrival_s)
        if busy_s > 0:
            self._draw(self.time_s, self.time_s + busy_s, "active")
            self.time_s += busy_s
        self.firmware.receive(data)

    # -- firmware hooks ---------------------------------------------------------------------
    def read_timer_us(self) -> int:
        return (self.profile.timer_start_us + round(self.time_s * 1e6)) % 2**32

    def pulse_timestamp(self) -> None:
        self.pulses += 1
        fault = self.pin_faults.get(self.pulses)
        width = self.profile.timestamp_pulse_s
        if fault != "skip":  # "skip": the edge never reaches the monitor (a loose wire)
            self.pin.pulse(self.time_s, width)
        self._draw(self.time_s, self.time_s + width, "active")  # the busy-wait
        self.time_s += width
        if fault == "double":  # a glitch: a second pulse right after
            self.pin.pulse(self.time_s + width, width)
            self._draw(self.time_s + width, self.time_s + 2 * width, "active")
            self.time_s += 2 * width

    def run_inferences(self, tensor: bytes, count: int, warmup: bool) -> tuple[float, ...]:
        per_inference_s = self.latency_s
        if self.profile.latency_jitter:
            per_inference_s *= 1.0 + self.profile.latency_jitter * self._rng.standard_normal()
        start = self.time_s
        end = start + count * per_inference_s
        self._draw(start, end, "active")
        self.batches.append(InferenceBatch(start, end, count, warmup))
        self.time_s = end
        if tensor not in self._cache:
            self._cache[tensor] = self._predict(tensor)
        return self._cache[tensor]
