"""One ``tinyjoule run``: for each workload open the bench, check the DUT, run the mode.

The bench is opened per workload (``bench.opening``): a real bench as it is, a simulated one
built by its backend as if that workload's firmware had just been flashed. Everything is
written to the session as it is measured; the first error is recorded, the summary
written, and the error raised again.
"""

from __future__ import annotations

from typing import Any

from tinyjoule.errors import ConfigurationError, TinyJouleError
from tinyjoule.host.bench.opening import BenchRequest, OpenedBench, open_bench
from tinyjoule.host.calibrate.applying import note_calibration, policy_for
from tinyjoule.host.measurement.pump import BUFFER_WARNING_PERCENT
from tinyjoule.host.results.provenance import dataset_facts, model_facts, software
from tinyjoule.host.results.session import Session, WorkloadRecord
from tinyjoule.host.runner.accuracy_mode import run_accuracy
from tinyjoule.host.runner.datasets import synthetic_dataset, user_dataset
from tinyjoule.host.runner.energy_mode import EnergyMeasurer, run_energy
from tinyjoule.host.runner.golden_check import GoldenCheck
from tinyjoule.host.runner.monitor_setup import BOOT_WAIT_S, energy_bench
from tinyjoule.host.runner.performance_mode import run_performance
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.steps import Progress, checked_dut, progress_counter
from tinyjoule.host.runner.windows import WINDOW_COUNT
from tinyjoule.tinyml_workloads.datasets import Dataset
from tinyjoule.tinyml_workloads.model_info import read_model_info
from tinyjoule.tinyml_workloads.workloads import Workload, get_workload


def _dataset(request: RunRequest, workload: Workload, simulated: bool) -> Dataset:
    if request.dataset_root is not None:
        return user_dataset(request.dataset_root, workload)
    if not simulated:
        raise ConfigurationError(
            f"{workload.id}: a real bench needs the MLPerf Tiny dataset; pass --dataset PATH "
            "(the folder holding the workloads' folders, such as kws01/)"
        )
    model = request.model_path or workload.standin_model_path
    n = 5
    if request.mode == "accuracy":
        n = request.accuracy_files or workload.synthetic_accuracy_files
    return synthetic_dataset(workload, n, model)


def first_inputs(dataset: Dataset, workload: Workload) -> list[tuple[str, bytes]]:
    """The first 5 files' inputs (ad01: each file's first window), as the runner uses."""
    if len(dataset.files) < WINDOW_COUNT:
        raise ConfigurationError(
            f"{dataset.folder}: {workload.id} needs at least {WINDOW_COUNT} files for "
            f"{WINDOW_COUNT} windows, the dataset has {len(dataset.files)}"
        )
    return [(f.path.name, dataset.first_input(f)) for f in dataset.files[:WINDOW_COUNT]]


def _provenance(
    request: RunRequest, workload: Workload, dataset: Dataset, bench: OpenedBench, synthetic: bool
) -> dict[str, Any]:
    used = dataset.files if request.mode == "accuracy" else dataset.files[:WINDOW_COUNT]
    model = request.model_path or (workload.standin_model_path if bench.simulated else None)
    facts: dict[str, Any] = {
        "software": software(),
        "simulated": bench.simulated,
        "synthetic_dataset": synthetic,
        "dataset": dataset_facts(dataset, used, synthetic),
    }
    if model is not None:
        facts["model"] = model_facts(model, read_model_info(model).total_macs)
        facts["model"]["given_with"] = "--model" if request.model_path else "simulated stand-in"
    return facts


def run_workload(
    request: RunRequest, workload: Workload, record: WorkloadRecord, progress: Progress
) -> dict[str, Any]:
    bench_request = BenchRequest(
        workload=workload,
        mode=request.mode,
        monitor=request.monitor if request.mode == "energy" else None,
        model_path=request.model_path,
    )
    with open_bench(request.bench, bench_request) as bench:
        record.update(bench=dict(bench.description))
        dataset = _dataset(request, workload, bench.simulated)
        synthetic = request.dataset_root is None
        record.mark_source(bench.simulated, synthetic_dataset=synthetic)
        record.update(provenance=_provenance(request, workload, dataset, bench, synthetic))
        if request.mode == "energy":
            return _run_energy_workload(request, workload, dataset, record, progress, bench)
        with checked_dut(bench.link, request.mode, workload, record) as link:
            if request.mode == "performance":
                step = progress_counter(progress, workload.id, WINDOW_COUNT)
                inputs = first_inputs(dataset, workload)
                return run_performance(link, workload, inputs, record, step, request.iterations)
            step = progress_counter(progress, workload.id, len(dataset.files))
            model = request.model_path or (workload.standin_model_path if bench.simulated else None)
            golden = GoldenCheck(model, workload) if model is not None else None
            return run_accuracy(link, workload, dataset, record, step, golden)


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
    bench: OpenedBench,
) -> dict[str, Any]:
    config = request.resolved_monitor_config()
    if bench.monitor_url is None:
        raise ConfigurationError(f"{bench.link.label}: the bench has no energy monitor")
    attrs = {
        "workload": workload.id,
        "dut_bench": bench.link.label,
        "window_convention": "half_edge_samples",
        "simulated": bench.simulated,
        "synthetic_dataset": bool(record.data.get("synthetic_dataset")),
        "provenance": record.data.get("provenance", {}),
    }
    with energy_bench(
        request.monitor,
        bench.monitor_url,
        config,
        record.folder / "trace.h5",
        attrs,
        boot_wait_s=BOOT_WAIT_S,
        transcript=record.transcript.summarising(),
        driver_options={**request.bench.monitor_driver_options, **bench.monitor_options},
        calibration=policy_for(request),
        simulated=bench.simulated,
    ) as monitor:
        note_calibration(monitor.calibration, record)
        record.update(
            monitor={
                "kind": monitor.info.kind,
                "port": monitor.info.port,
                "firmware": monitor.info.firmware_version,
                "serial_number": monitor.info.serial_number,
                "sample_rate_hz": config.sample_rate_hz,
                "output": config.output,
                "stream_format": config.stream_format,
                "supply_voltage_v": config.voltage_v,
                "accuracy_relative": monitor.model.reading_relative,
                "powers_target": monitor.info.powers_target,
            },
            trace="trace.h5",
        )
        with checked_dut(bench.link, "energy", workload, record) as link:
            truth = None
            if bench.truth is not None:
                rising = config.event_edge == "rising"
                truth = lambda: bench.truth.last_window_j(rising)  # noqa: E731
            measurer = EnergyMeasurer(
                monitor.pump, config.voltage_v, monitor.model, monitor.writer, truth
            )
            step = progress_counter(progress, workload.id, WINDOW_COUNT)
            inputs = first_inputs(dataset, workload)
            summary = run_energy(link, workload, inputs, measurer, record, step, request.iterations)
            _note_buffer_load(monitor.pump.max_buffer_percent, record)
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
            if isinstance(exc, ConfigurationError) and not session.measured_anything():
                session.discard()  # nothing measured, nothing to keep: the message says it all
            else:
                _finish(session, request)
            raise
        record.finish()
    return _finish(session, request)


def _finish(session: Session, request: RunRequest) -> dict[str, Any]:
    """The summary, written, then the session indexed in the history (which may fail
    without costing the session: the summary then says why it is not indexed)."""
    session.write_summary()
    if not request.index:
        return session.write_summary({"indexed": False})
    from tinyjoule.host.history.auto_index import index_finished  # SQLAlchemy: only now

    status = index_finished(session.folder, request.sessions_root, request.db_url)
    return session.write_summary(status)
