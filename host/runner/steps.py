"""Steps every mode shares: opening and checking the DUT, counting progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from tinyjoule.device_text import clip
from tinyjoule.firmware_protocol.dut_messages import SIMULATOR_MARK, is_simulator
from tinyjoule.host.bench.dut import open_dut
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.link.dut_link import DutLink
from tinyjoule.host.measurement.trace_file import TraceWriteError
from tinyjoule.host.results.session import WorkloadRecord
from tinyjoule.tinyml_workloads.workloads import Workload

if TYPE_CHECKING:
    from tinyjoule.host.bench.opening import OpenedBench
    from tinyjoule.host.measurement.trace_file import TraceWriter
    from tinyjoule.host.runner.request import RunRequest

Progress = Callable[[str, int, int], None]  # (label, done, total)
PROFILE_LINES = 16
"""The most lines of the DUT's ``profile`` reply kept in results.json (the reference: 3)."""


def note_simulator(vendor: str, record: WorkloadRecord, trace: TraceWriter | None = None) -> None:
    """A DUT that names itself tinyjoule's simulator makes the session simulated, whatever
    port it answered on (``tinyjoule sim serve`` behind a pseudo-terminal looks like a real
    bench): the record, its provenance and the trace file say so from then on."""
    if not is_simulator(vendor) or record.data.get("simulated"):
        return
    record.mark_source(True, synthetic_dataset=bool(record.data.get("synthetic_dataset", True)))
    provenance = {**record.data.get("provenance", {}), "simulated": True}
    record.update(provenance=provenance)
    record.log(
        f"the DUT names itself {SIMULATOR_MARK} ({vendor}): this session is marked simulated, "
        "and no figure of it is a measurement"
    )
    if trace is not None:
        try:
            trace.set_attrs({"simulated": True, "provenance": provenance})
        except TraceWriteError as exc:  # its own error is reported where it happened
            record.log(f"trace.h5 could not be marked simulated ({exc}); results.json is")


@contextmanager
def checked_dut(
    spec: BenchSpec,
    mode: str,
    workload: Workload,
    record: WorkloadRecord,
    trace: TraceWriter | None = None,
) -> Iterator[DutLink]:
    """The DUT link, after name, profile and timestamp mode match the run; closed after.
    A simulated DUT behind a real port marks the session (and ``trace``) simulated."""
    link = open_dut(spec, mode, workload, record.transcript)
    try:
        timestamp_mode = "energy" if mode == "energy" else "performance"
        try:
            identity = link.handshake(workload.id, timestamp_mode)
        finally:  # a DUT that named itself and then failed a check is marked all the same
            note_simulator(link.vendor or "", record, trace)
        vendor, model = clip(identity.vendor), clip(identity.model_id)
        record.update(
            dut={
                "vendor": vendor,
                "model": model,
                "timestamp_mode": identity.timestamp_mode,
                "profile_reply": [clip(line) for line in identity.profile_lines[:PROFILE_LINES]],
                "device": link.device,
            }
        )
        for note in identity.notes:
            record.log(note)
        record.log(f"DUT {vendor} runs {model} ({timestamp_mode} mode)")
        yield link
    finally:
        link.close()


def progress_counter(progress: Progress, label: str, total: int) -> Callable[[], None]:
    """Reports 0 of ``total`` now; each call of the result reports one more done."""
    done = 0
    progress(label, 0, total)

    def step() -> None:
        nonlocal done
        done += 1
        progress(label, done, total)

    return step


def link_spec(bench: OpenedBench, request: RunRequest) -> BenchSpec:
    """The bench's DUT link, with the reply timeout the user gave (a backend's has none)."""
    timeout = request.bench.dut_reply_timeout_s
    if timeout is None or bench.link.dut_reply_timeout_s is not None:
        return bench.link
    return replace(bench.link, dut_reply_timeout_s=timeout)
