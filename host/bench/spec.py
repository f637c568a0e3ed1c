"""What a bench is: where the DUT (or its IO manager) and the energy monitor are.

A bench is either ports (``dut_url`` for the DUT's own UART, or ``io_url`` for an IO
manager in front of it; the monitor as ``KIND:PORT``) or one URL that a backend opens as a
whole (``bench_url``, e.g. ``sim://?io=h573`` for the simulated bench). Ports are pyserial
URLs: device paths, ``socket://``, ``loop://``, and backend schemes all work.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tinyjoule.errors import ConfigurationError
from tinyjoule.tinyml_workloads.workloads import Workload

MODES = ("performance", "accuracy", "energy")
IO_MANAGER_KINDS = ("arduino", "h573")
IO_MANAGER_BAUD = 115200
SIMULATED_BENCH = "sim://"


@dataclass(frozen=True, slots=True)
class BenchSpec:
    """Where the devices are and how fast to talk to them."""

    dut_url: str | None = None
    dut_baud: Mapping[str, int] = field(default_factory=dict)  # per mode; empty: workload's
    io_url: str | None = None
    io_kind: str = "arduino"
    io_baud: int = IO_MANAGER_BAUD
    io_setbaud_wait_s: float = 2.0
    dut_reply_timeout_s: float | None = None  # None: the default (dut_link.COMMAND_TIMEOUT_S)
    monitor: str | None = None  # KIND:PORT of the energy monitor, e.g. "lpm01a:/dev/ttyACM2"
    monitor_driver_options: Mapping[str, Any] = field(default_factory=dict)
    monitor_calibration: str | None = None  # a pinned calibration record, or "none"
    bench_url: str | None = None  # a whole bench opened by a backend, e.g. "sim://"

    def __post_init__(self) -> None:
        given = [u for u in (self.dut_url, self.io_url, self.bench_url) if u is not None]
        if len(given) != 1:
            raise ConfigurationError(
                "bench: give exactly one of a DUT port (--dut / [dut] port), an IO manager "
                "port (--io / [io_manager] port) or a bench URL (--bench / [bench] url)"
            )
        timeout = self.dut_reply_timeout_s
        if timeout is not None and not (
            isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0
        ):
            raise ConfigurationError(
                f"bench: the DUT reply timeout must be a positive number of seconds, not "
                f"{timeout!r} (--reply-timeout / [dut] reply_timeout_s)"
            )
        if self.io_kind not in IO_MANAGER_KINDS:
            raise ConfigurationError(
                f"bench: IO manager kind {self.io_kind!r} is unknown; use 'h573' or 'arduino'"
            )

    @property
    def label(self) -> str:
        return str(self.bench_url or self.io_url or self.dut_url)

    def baud_for(self, mode: str, workload: Workload) -> int:
        if mode in self.dut_baud:
            return self.dut_baud[mode]
        return workload.baud(mode)  # type: ignore[arg-type]


def simulated_bench(**options: str | int | None) -> BenchSpec:
    """The simulated bench with ``options`` (``sim://`` query keys, None left out)."""
    import urllib.parse

    given = {k: str(v) for k, v in options.items() if v is not None}
    query = urllib.parse.urlencode(given, safe="@:,/") if given else ""
    return BenchSpec(bench_url=SIMULATED_BENCH + (f"?{query}" if query else ""))
