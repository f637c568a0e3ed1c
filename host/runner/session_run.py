"""One ``tinyjoule run``: for each workload open the bench, check the DUT, run the mode.

With no real ports given, each workload gets its own simulated bench (as if its firmware had
been flashed) reached through the same ``serial_for_url`` path as hardware.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinyjoule.errors import ConfigurationError, TinyJouleError
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.instruments.base import MonitorConfig
from tinyjoule.host.instruments.defaults import monitor_config
from tinyjoule.host.instruments.registry import MonitorChoice, parse_monitor
from tinyjoule.host.measurement.pump import BUFFER_WARNING_PERCENT
from tinyjoule.host.results.session import Session, WorkloadRecord
from tinyjoule.host.runner.accuracy_mode import count_inputs, run_accuracy
from tinyjoule.host.runner.datasets import synthetic_dataset, user_dataset
from tinyjoule.host.runner.energy_mode import EnergyMeasurer, run_energy
from tinyjoule.host.runner.monitor_setup import BOOT_WAIT_S, energy_bench
from tinyjoule.host.runner.performance_mode import run_performance
from tinyjoule.host.runner.steps import Progress, checked_dut, progress_counter
from tinyjoule.host.runner.windows import WINDOW_COUNT
from tinyjoule.host.sim import protocol_sim
from tinyjoule.host.sim.board_profile import REFERENCE_BOARD, BoardProfile
from tinyjoule.host.sim.simulated_bench import SimBenchConfig, SimulatedBench
from tinyjoule.tinyml_workloads.datasets import Dataset
from tinyjoule.tinyml_workloads.workloads import Workload, get_workload

ALL_WORKLOADS = ("kws01", "vww01", "ic01", "ad01")
MEASURES_SUPPLY_VOLTAGE = ("js220", "js110")  # monitors that measure, not set, the supply
SYNTHETIC_ACCURACY_FILES = {"kws01": 50, "vww01": 20, "ic01": 50, "ad01": 20}


@dataclass
class RunRequest:
    mode: str = "energy"
    workloads: tuple[str, ...] = ALL_WORKLOADS
    bench: BenchSpec | None = None  # None: the simulated bench
    sim_io_manager: str | None = "auto"  # auto: an H573 board in energy mode, none otherwise
    monitor: MonitorChoice = field(default_factory=lambda: parse_monitor("sim:lpm01a"))
    monitor_config: MonitorConfig | None = None  # None: 1 kHz energy samples at the board's V
    sim_profile: BoardProfile = REFERENCE_BOARD
    model_path: Path | None = None  # the simulated DUT's model (and the synthetic labels')
    dataset_root: Path | None = None
    accuracy_files: int | None = None  # synthetic accuracy dataset size
    iterations: int | None = None
    sessions_root: Path = field(default_factory=lambda: Path("sessions"))

    def __post_init__(self) -> None:
        if self.mode not in ("performance", "accuracy", "energy"):
            raise ConfigurationError(
                f"mode {self.mode!r} does not exist; use performance, accuracy or energy"
            )
        for workload_id in self.workloads:
            get_workload(workload_id)  # unknown ids fail before anything is opened or written
        if self.mode == "energy" and self.monitor.simulated and self.bench is not None:
            raise ConfigurationError(
                "a simulated monitor measures only the simulated board; with a real DUT pass "
                "--monitor lpm01a:PORT (or ppk2:PORT, js220[:SERIAL])"
            )
        if self.mode == "energy":
            self.resolved_monitor_config()  # a configuration that cannot work fails now
        if self.mode == "energy" and not self.monitor.simulated and self.bench is None:
            raise ConfigurationError(
                f"--monitor {self.monitor.label} measures a real board; give its port with "
                "--dut/--io or --board"
            )

    @property
    def resolved_sim_io(self) -> str | None:
        if self.sim_io_manager == "auto":
            return "h573" if self.mode == "energy" else None
        return self.sim_io_manager

    def resolved_monitor_config(self) -> MonitorConfig:
        config = self.monitor_config or monitor_config(
            self.monitor.kind, self.sim_profile.supply_voltage_v
        )
        if self.monitor.kind in MEASURES_SUPPLY_VOLTAGE and config.output == "current":
            # Current samples integrate as V x sum(I) / fs with the configured voltage, but a
            # Joulescope does not set the board's supply: only its measured voltage is right.
            raise ConfigurationError(
                f"--monitor {self.monitor.label}: the Joulescope does not supply the board, so "
                "energy must use the voltage it measures; use --monitor-output energy (its "
                "default: each sample is measured current x measured voltage)"
            )
        return config


@contextmanager
def _bench_for(request: RunRequest, workload: Workload) -> Iterator[tuple[BenchSpec, Any]]:
    if request.bench is not None:
        yield request.bench, None
        return
    bench = SimulatedBench(
        SimBenchConfig(
            workload_id=workload.id,
            firmware_mode="energy" if request.mode == "energy" else "performance",
            io_manager=request.resolved_sim_io,
            model_path=request.model_path,
            profile=request.sim_profile,
            monitor=request.monitor.kind if request.mode == "energy" else None,
        )
    )
    name = protocol_sim.register_bench(bench)
    io_kind = request.resolved_sim_io
    url = protocol_sim.bench_url(name, "dut" if io_kind is None else "io")
    spec = (
        BenchSpec(dut_url=url)
        if io_kind is None
        else BenchSpec(io_url=url, io_kind=io_kind, io_setbaud_wait_s=0.0)
    )
    try:
        yield spec, bench
    finally:
        protocol_sim.unregister_bench(name)


def _dataset(request: RunRequest, workload: Workload) -> Dataset:
    if request.dataset_root is not None:
        return user_dataset(request.dataset_root, workload)
    if request.bench is not None:
        raise ConfigurationError(
            f"{workload.id}: a real bench needs the MLPerf Tiny dataset; pass --dataset PATH "
            "(the folder holding kws01/, vww01/, ic01/, ad01/)"
        )
    model = request.model_path or workload.standin_model_path
    n = (
        5
        if request.mode != "accuracy"
        else (request.accuracy_files or SYNTHETIC_ACCURACY_FILES[workload.id])
    )
    return synthetic_dataset(workload, n, model)


def first_inputs(dataset: Dataset, workload: Workload) -> list[tuple[str, bytes]]:
    """The first 5 files' inputs (ad01: each file's first window), as the runner uses."""
    if len(dataset.files) < WINDOW_COUNT:
        raise ConfigurationError(
            f"{dataset.folder}: {workload.id} needs at least {WINDOW_COUNT} files for "
            f"{WINDOW_COUNT} windows, the dataset has {len(dataset.files)}"
        )
    return [(f.path.name, dataset.first_input(f)) for f in dataset.files[:WINDOW_COUNT]]


def run_workload(
    request: RunRequest, workload: Workload, record: WorkloadRecord, progress: Progress
) -> dict[str, Any]:
    dataset = _dataset(request, workload)
    with _bench_for(request, workload) as (spec, sim_bench):
        record.update(simulated=sim_bench is not None)
        if request.mode == "energy":
            return _run_energy_workload(
                request, workload, dataset, record, progress, spec, sim_bench
            )
        with checked_dut(spec, request.mode, workload, record) as link:
            if request.mode == "performance":
                step = progress_counter(progress, workload.id, WINDOW_COUNT)
                inputs = first_inputs(dataset, workload)
                return run_performance(link, workload, inputs, record, step, request.iterations)
            step = progress_counter(progress, workload.id, count_inputs(dataset))
            return run_accuracy(link, workload, dataset, record, step)


def _note_buffer_load(percent: int, record: WorkloadRecord) -> None:
    record.update(monitor={**record.data.get("monitor", {}), "max_buffer_percent": percent})
    if percent >= BUFFER_WARNING_PERCENT:
        record.log(
            f"WARNING the monitor's buffer reached {percent}% (an overrun follows at 100%): "
            "lower the sample rate or use a binary stream format"
        )


def _run_energy_workload(
    request: RunRequest,
    workload: Workload,
    dataset: Dataset,
    record: WorkloadRecord,
    progress: Progress,
    spec: BenchSpec,
    sim_bench: SimulatedBench | None,
) -> dict[str, Any]:
    config = request.resolved_monitor_config()
    if sim_bench is not None:
        monitor_url = protocol_sim.bench_url(protocol_sim.name_of(sim_bench), "monitor")
    else:
        assert request.monitor.port is not None
        monitor_url = request.monitor.port
    attrs = {
        "workload": workload.id,
        "dut_bench": spec.dut_url or spec.io_url or "",
        "window_convention": "half_edge_samples",
    }
    with energy_bench(
        request.monitor,
        monitor_url,
        config,
        record.folder / "trace.h5",
        attrs,
        boot_wait_s=0.0 if sim_bench is not None else BOOT_WAIT_S,
        transcript=record.transcript.summarising(),
        driver_options=request.bench.monitor_driver_options if request.bench else None,
    ) as bench:
        record.update(
            monitor={
                "kind": bench.info.kind,
                "port": bench.info.port,
                "firmware": bench.info.firmware_version,
                "sample_rate_hz": config.sample_rate_hz,
                "output": config.output,
                "stream_format": config.stream_format,
                "supply_voltage_v": config.voltage_v,
                "accuracy_relative": bench.model.reading_relative,
                "powers_target": bench.info.powers_target,
            },
            trace="trace.h5",
        )
        with checked_dut(spec, "energy", workload, record) as link:
            truth = None
            if sim_bench is not None:
                rising = config.event_edge == "rising"
                truth = lambda: sim_bench.last_window_truth_j(rising)  # noqa: E731
            measurer = EnergyMeasurer(
                bench.pump,
                config.voltage_v,
                bench.model,
                bench.writer,
                truth,
                host_wait=sim_bench.host_idle if sim_bench is not None else time.sleep,
            )
            step = progress_counter(progress, workload.id, WINDOW_COUNT)
            inputs = first_inputs(dataset, workload)
            summary = run_energy(link, workload, inputs, measurer, record, step, request.iterations)
            _note_buffer_load(bench.pump.max_buffer_percent, record)
            return summary


def run(
    request: RunRequest, progress: Progress | None = None, session: Session | None = None
) -> dict[str, Any]:
    """Run every requested workload; the summary dict is also written as summary.json.

    On the first error the session keeps what was measured (marked incomplete) and the error
    is raised again after the summary is written.
    """
    session = session or Session(request.sessions_root, request.mode)
    progress = progress or (lambda label, done, total: None)
    for wl in request.workloads:
        workload = get_workload(wl)
        record = session.workload(workload.id)
        try:
            run_workload(request, workload, record, progress)
        except BaseException as exc:  # recorded whatever it is, then raised again
            text = str(exc) if isinstance(exc, TinyJouleError) else f"{type(exc).__name__}: {exc}"
            record.finish(error=text or type(exc).__name__)
            session.write_summary()
            raise
        record.finish()
    return session.write_summary()
