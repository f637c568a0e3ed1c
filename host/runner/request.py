"""What one ``tinyjoule run`` is asked to do: mode, workloads, bench, monitor, inputs.

Every value is checked here, before a port is opened or a session folder written, so a
request that cannot work fails with one message naming the option and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.bench.spec import SIMULATED_BENCH, BenchSpec
from tinyjoule.host.instruments.registry import MonitorChoice, monitor_facts, parse_monitor
from tinyjoule.tinyml_workloads.workloads import default_workload_ids, resolve_workload_ids

if TYPE_CHECKING:
    from tinyjoule.host.instruments.base import MonitorConfig

MODES = ("energy", "performance", "accuracy")
DEFAULT_SUPPLY_V = 1.8
"""The supply a monitor gives the DUT unless told otherwise: the MLPerf Tiny reference
board (NUCLEO-L4R5ZI) as measured for its published v1.2 results."""


@dataclass
class RunRequest:
    mode: str = "energy"
    workloads: tuple[str, ...] = field(default_factory=default_workload_ids)
    bench: BenchSpec = field(default_factory=lambda: BenchSpec(bench_url=SIMULATED_BENCH))
    monitor: MonitorChoice = field(default_factory=lambda: parse_monitor("sim:lpm01a"))
    monitor_config: MonitorConfig | None = None  # None: the monitor kind's defaults
    model_path: Path | None = None  # the model the DUT runs (simulated: its stand-in)
    dataset_root: Path | None = None
    accuracy_files: int | None = None  # synthetic accuracy dataset size
    iterations: int | None = None
    sessions_root: Path = field(default_factory=lambda: Path("sessions"))
    db_url: str | None = None  # the history database; None: TINYJOULE_DB, else SQLite
    index: bool = True  # index the session in the history when it finishes
    use_calibration: bool = True  # apply the monitor's calibration record (--no-calibration)
    calibration_record: str | None = None  # a pinned record (file, KIND:SERIAL or name)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigurationError(f"mode {self.mode!r} does not exist; use {', '.join(MODES)}")
        if not self.workloads:
            raise ConfigurationError("no workload to run; name one with -w (e.g. -w kws01)")
        # "all" becomes every workload; unknown ids fail before anything is opened or written
        self.workloads = resolve_workload_ids(self.workloads)
        if self.model_path is not None and not self.model_path.is_file():
            raise ConfigurationError(
                f"--model {self.model_path}: no such file; give the .tflite model the DUT runs"
            )
        if self.mode != "energy":
            return
        whole_bench = self.bench.bench_url is not None
        if self.monitor.simulated and not whole_bench:
            raise ConfigurationError(
                f"--monitor {self.monitor.label} measures only the simulated board; with a real "
                "DUT pass --monitor lpm01a:PORT (or ppk2:PORT, js220[:SERIAL])"
            )
        if not self.monitor.simulated and whole_bench:
            raise ConfigurationError(
                f"--monitor {self.monitor.label} measures a real board; give its port with "
                "--dut/--io or --board"
            )
        self.resolved_monitor_config()  # a configuration that cannot work fails now

    def resolved_monitor_config(self) -> MonitorConfig:
        facts = monitor_facts(self.monitor.kind)
        given = self.monitor_config
        if given is None:
            return facts.config(DEFAULT_SUPPLY_V)
        return facts.config(
            given.voltage_v,
            sample_rate_hz=given.sample_rate_hz,
            output=given.output,
            stream_format=given.stream_format,
            event_edge=given.event_edge,
            event_channel=given.event_channel,
        )
