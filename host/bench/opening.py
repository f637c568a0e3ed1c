"""Opening a bench for one workload: the link to its DUT, its monitor, its clock and, on a
simulated bench, the truth it knows.

A bench of ports is opened as it is: real time, no truth. A bench URL (``sim://...``) is
handed to the backend registered for its scheme (``host.backends``), which builds the bench
for the workload and mode (a simulated bench "flashes" the firmware the run needs) and says
where its ports are. The runner asks for nothing else, so it cannot tell a simulated bench
from a real one except by ``simulated`` and ``truth``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.backends import require_backend
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.clock import SYSTEM_CLOCK, Clock
from tinyjoule.host.instruments.registry import MonitorChoice
from tinyjoule.tinyml_workloads.workloads import Workload


class BenchTruth(Protocol):
    """What a simulated bench knows exactly, for checking a measurement."""

    def last_window_j(self, rising: bool) -> float:
        """The energy the board drew between the last two timestamp edges (of the given
        polarity), in J."""


@dataclass(frozen=True, slots=True)
class BenchRequest:
    """What the runner needs from the bench for one workload."""

    workload: Workload
    mode: str
    monitor: MonitorChoice | None  # None outside energy mode
    model_path: Path | None = None  # the model the DUT runs, where known


@dataclass(frozen=True)
class OpenedBench:
    """An open bench: ``link`` has the DUT or IO-manager port, ``monitor_url`` the monitor's."""

    link: BenchSpec
    monitor_url: str | None
    clock: Clock = SYSTEM_CLOCK
    simulated: bool = False
    truth: BenchTruth | None = None
    monitor_options: Mapping[str, Any] = field(default_factory=dict)
    description: Mapping[str, Any] = field(default_factory=dict)
    references: Any = None
    """Reference loads a calibration can connect by itself (a simulated bench's), else None:
    a person connects them (``host.calibrate.fixtures``)."""


@contextmanager
def open_bench(spec: BenchSpec, request: BenchRequest) -> Iterator[OpenedBench]:
    """The bench ``spec`` describes, ready for ``request``; closed afterwards."""
    if spec.bench_url is not None:
        backend = require_backend(spec.bench_url)
        with backend.open_bench(spec, request) as bench:
            yield bench
        return
    monitor = request.monitor
    if monitor is not None and monitor.simulated:
        raise ConfigurationError(
            f"--monitor {monitor.label} measures only the simulated board; with a real DUT "
            "pass --monitor lpm01a:PORT (or ppk2:PORT, js220[:SERIAL])"
        )
    yield OpenedBench(
        link=spec,
        monitor_url=None if monitor is None else monitor.port,
        description={"dut": spec.label, "monitor": None if monitor is None else monitor.label},
    )
