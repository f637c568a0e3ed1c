"""One ``tinyjoule run``: for each workload open the bench, check the DUT, run the mode.

With no real ports given, each workload gets its own simulated bench (as if its firmware had
been flashed) reached through the same ``serial_for_url`` path as hardware.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinyjoule.firmware_protocol.errors import ConfigurationError, TinyJouleError
from tinyjoule.host.bench import BenchSpec, open_dut
from tinyjoule.host.results import Session, WorkloadRecord
from tinyjoule.host.runner.accuracy import count_inputs, run_accuracy
from tinyjoule.host.runner.datasets_cache import synthetic_dataset, user_dataset
from tinyjoule.host.runner.performance import run_performance
from tinyjoule.host.runner.windows import WINDOW_COUNT
from tinyjoule.host.sim import protocol_sim
from tinyjoule.host.sim.bench import SimBenchConfig, SimulatedBench
from tinyjoule.host.sim.board_profile import REFERENCE_BOARD, BoardProfile
from tinyjoule.tinyml_workloads.datasets import Dataset
from tinyjoule.tinyml_workloads.workloads import Workload, get_workload

ALL_WORKLOADS = ("kws01", "vww01", "ic01", "ad01")
SYNTHETIC_ACCURACY_FILES = {"kws01": 50, "vww01": 20, "ic01": 50, "ad01": 20}

Progress = Callable[[str, int, int], None]  # (label, done, total)


@dataclass
class RunRequest:
    mode: str = "performance"
    workloads: tuple[str, ...] = ALL_WORKLOADS
    bench: BenchSpec | None = None  # None: the simulated bench
    sim_io_manager: str | None = None
    sim_profile: BoardProfile = REFERENCE_BOARD
    model_path: Path | None = None  # the simulated DUT's model (and the synthetic labels')
    dataset_root: Path | None = None
    accuracy_files: int | None = None  # synthetic accuracy dataset size
    iterations: int | None = None
    sessions_root: Path = field(default_factory=lambda: Path("sessions"))

    def __post_init__(self) -> None:
        for workload_id in self.workloads:
            get_workload(workload_id)  # unknown ids fail before anything is opened or written


@contextmanager
def _bench_for(request: RunRequest, workload: Workload) -> Iterator[tuple[BenchSpec, Any]]:
    if request.bench is not None:
        yield request.bench, None
        return
    bench = SimulatedBench(
        SimBenchConfig(
            workload_id=workload.id,
            firmware_mode="energy" if request.mode == "energy" else "performance",
            io_manager=request.sim_io_manager,
            model_path=request.model_path,
            profile=request.sim_profile,
        )
    )
    name = protocol_sim.register_bench(bench)
    port = "dut" if request.sim_io_manager is None else "io"
    url = protocol_sim.bench_url(name, port)
    spec = (
        BenchSpec(dut_url=url)
        if port == "dut"
        else BenchSpec(io_url=url, io_kind=request.sim_io_manager or "arduino")
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
    timestamp_mode = "energy" if request.mode == "energy" else "performance"
    with _bench_for(request, workload) as (spec, sim_bench):
        link = open_dut(spec, request.mode, workload, record.transcript)
        try:
            identity = link.handshake(workload.id, timestamp_mode)
            record.update(
                dut={
                    "vendor": identity.vendor,
                    "model": identity.model_id,
                    "timestamp_mode": identity.timestamp_mode,
                    "device": link.device,
                },
                simulated=sim_bench is not None,
            )
            record.log(f"DUT {identity.vendor} runs {identity.model_id} ({timestamp_mode} mode)")
            if request.mode == "performance":
                total, done = WINDOW_COUNT, 0

                def step() -> None:
                    nonlocal done
                    done += 1
                    progress(workload.id, done, total)

                progress(workload.id, 0, total)
                return run_performance(
                    link,
                    workload,
                    first_inputs(dataset, workload),
                    record,
                    step,
                    request.iterations,
                )
            if request.mode == "accuracy":
                total, done = count_inputs(dataset), 0

                def step_input() -> None:
                    nonlocal done
                    done += 1
                    progress(workload.id, done, total)

                progress(workload.id, 0, total)
                return run_accuracy(link, workload, dataset, record, step_input)
            raise ConfigurationError(f"mode {request.mode!r} is not available")
        finally:
            link.close()


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
        except TinyJouleError as exc:
            record.finish(error=str(exc))
            session.write_summary()
            raise
        record.finish()
    return session.write_summary()
