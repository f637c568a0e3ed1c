"""Steps every mode shares: opening and checking the DUT, counting progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from tinyjoule.device_text import clip
from tinyjoule.host.bench.dut import open_dut
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.link.dut_link import DutLink
from tinyjoule.host.results.session import WorkloadRecord
from tinyjoule.tinyml_workloads.workloads import Workload

if TYPE_CHECKING:
    from tinyjoule.host.bench.opening import OpenedBench
    from tinyjoule.host.runner.request import RunRequest

Progress = Callable[[str, int, int], None]  # (label, done, total)
PROFILE_LINES = 16
"""The most lines of the DUT's ``profile`` reply kept in results.json (the reference: 3)."""


@contextmanager
def checked_dut(
    spec: BenchSpec, mode: str, workload: Workload, record: WorkloadRecord
) -> Iterator[DutLink]:
    """The DUT link, after name, profile and timestamp mode match the run; closed after."""
    link = open_dut(spec, mode, workload, record.transcript)
    try:
        timestamp_mode = "energy" if mode == "energy" else "performance"
        identity = link.handshake(workload.id, timestamp_mode)
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
