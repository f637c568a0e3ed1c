"""One ``tinyjoule run``: for each workload open the bench, check the DUT, run the mode.

A workload's ``flow`` picks how: 5 timed windows here, or a streaming workload's audio
stream (``sww_mode``).

The bench is opened per workload (``bench.opening``): a real bench as it is, a simulated one
built by its backend as if that workload's firmware had just been flashed. Everything is
written to the session as it is measured; the first error (or interruption: SIGINT, or
SIGTERM where the command line turns it into one) is recorded, the summary written, and the
error raised again. A session file that cannot be written then (a full disk) does not hide
the error: it is noted in ``Session.unwritten``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinyjoule.errors import ConfigurationError, StorageError, TinyJouleError
from tinyjoule.host.bench.opening import BenchRequest, OpenedBench, open_bench
from tinyjoule.host.results.provenance import dataset_facts, model_facts, software
from tinyjoule.host.results.session import Session, WorkloadRecord
from tinyjoule.host.runner.accuracy_mode import run_accuracy
from tinyjoule.host.runner.datasets import synthetic_dataset, user_dataset
from tinyjoule.host.runner.energy_mode import EnergyMeasurer, run_energy
from tinyjoule.host.runner.energy_setup import note_buffer_load, recorded_energy_bench
from tinyjoule.host.runner.golden_check import GoldenCheck
from tinyjoule.host.runner.performance_mode import run_performance
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.steps import Progress, checked_dut, link_spec, progress_counter
from tinyjoule.host.runner.sww_mode import run_stream
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
        if workload.flow == "stream":  # sww01: one audio stream per clip, not 5 windows
            return run_stream(request, workload, record, progress, bench)
        dataset = _dataset(request, workload, bench.simulated)
        synthetic = request.dataset_root is None
        record.mark_source(bench.simulated, synthetic_dataset=synthetic)
        record.update(provenance=_provenance(request, workload, dataset, bench, synthetic))
        if request.mode == "energy":
            return _run_energy_workload(request, workload, dataset, record, progress, bench)
        with checked_dut(link_spec(bench, request), request.mode, workload, record) as link:
            if request.mode == "performance":
                step = progress_counter(progress, workload.id, WINDOW_COUNT)
                inputs = first_inputs(dataset, workload)
                return run_performance(link, workload, inputs, record, step, request.iterations)
            step = progress_counter(progress, workload.id, len(dataset.files))
            model = request.model_path or (workload.standin_model_path if bench.simulated else None)
            golden = GoldenCheck(model, workload) if model is not None else None
            return run_accuracy(link, workload, dataset, record, step, golden)


def _run_energy_workload(
    request: RunRequest,
    workload: Workload,
    dataset: Dataset,
    record: WorkloadRecord,
    progress: Progress,
    bench: OpenedBench,
) -> dict[str, Any]:
    config = request.resolved_monitor_config()
    with (
        recorded_energy_bench(request, workload, record, bench) as monitor,
        checked_dut(link_spec(bench, request), "energy", workload, record, monitor.writer) as link,
    ):
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
        note_buffer_load(monitor.pump.max_buffer_percent, record)
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
    session.hold_reserve()  # given back before the last files: a full disk still takes them
    for wl in request.workloads:
        workload = get_workload(wl)
        record = session.workload(workload.id)
        try:
            run_workload(request, workload, record, progress)
            record.finish()
        except BaseException as exc:  # recorded whatever it is, then raised again
            session.release_reserve()
            text = failure_text(exc)
            _noting_unwritten(session, record.finish, text)
            if (
                isinstance(exc, ConfigurationError)
                and not session.measured_anything()
                and not session.talked_to_a_device()
            ):
                session.discard()  # nothing measured, nothing to keep: the message says it all
            else:
                _noting_unwritten(session, _finish, session, request, {"error": text})
            raise
    session.release_reserve()
    return _finish(session, request)


def failure_text(exc: BaseException) -> str:
    """What results.json and summary.json say stopped the run."""
    if isinstance(exc, TinyJouleError):
        return str(exc) or type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):  # RunInterrupted names its signal
        return str(exc) or "interrupted by SIGINT (Ctrl-C)"
    return f"{type(exc).__name__}: {exc}"


def _noting_unwritten(session: Session, write: Callable[..., object], *args: Any) -> None:
    """``write(*args)``: what a failure leaves; a file the disk refuses is noted, not raised
    over the failure itself."""
    try:
        write(*args)
    except StorageError as exc:
        session.unwritten.append(str(exc))


def _finish(
    session: Session, request: RunRequest, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The summary, written, then the session indexed in the history (which may fail
    without costing the session: the summary then says why it is not indexed)."""
    extra = extra or {}
    session.write_summary(extra)
    if not request.index:
        return session.write_summary({**extra, "indexed": False})
    from tinyjoule.host.history.auto_index import index_finished  # SQLAlchemy: only now

    status = index_finished(session.folder, request.sessions_root, request.db_url)
    return session.write_summary({**extra, **status})
