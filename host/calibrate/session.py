"""One ``tinyjoule calibrate``: run the workflows asked for, write the instrument's record.

The zero and gain workflows share one acquisition (the open output first, then each load);
the time base has its own (the board's performance firmware, powered by the monitor). The
record keeps, from the instrument's previous record, the parts not measured again, when
that record was made at the same voltage. It is written atomically to the records folder
and, when a history database exists, logged there too.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tinyjoule
from tinyjoule.calibration import store
from tinyjoule.calibration.record import (
    DEFAULT_MAX_AGE_DAYS,
    CalibrationRecord,
    is_simulated_serial,
    now,
)
from tinyjoule.calibration.references import Reference
from tinyjoule.errors import ConfigurationError
from tinyjoule.firmware_protocol.dut_messages import is_simulator
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.calibrate.applying import VOLTAGE_TOLERANCE_V, instrument_serial
from tinyjoule.host.calibrate.fixtures import Ui
from tinyjoule.host.calibrate.timebase import measure_event_latency, measure_timebase
from tinyjoule.host.calibrate.workflows import (
    Target,
    calibration_bench,
    gain_section,
    measure_references,
    references_for,
    zero_clipped,
    zero_section,
)
from tinyjoule.host.instruments.base import MonitorInfo
from tinyjoule.tinyml_workloads.workloads import get_workload

WORKFLOWS = ("zero", "gain", "timebase")


@dataclass
class CalibrateRequest:
    """What to calibrate and how; see ``tinyjoule calibrate --help``."""

    target: Target
    workflows: tuple[str, ...] = WORKFLOWS
    references: Sequence[Reference] | None = None  # None: the bench's own (simulated)
    seconds: float = 5.0  # per reference
    settle_s: float = 0.5
    timebase_seconds: float = 12.0
    workload: str = "kws01"  # the DUT firmware's workload (time base)
    dut: BenchSpec | None = None  # the DUT's port on a real bench (time base)
    energy_dut: BenchSpec | None = None  # its energy-mode firmware (event latency), if given
    dut_clock_ppm: float | None = None
    max_age_days: float = DEFAULT_MAX_AGE_DAYS
    serial: str | None = None  # for an instrument that reports none
    folder: Path | None = None
    ask: bool = True  # a person connects references (real bench); False: --yes
    db_url: str | None = None
    sessions_root: Path = field(default_factory=lambda: Path("sessions"))

    def __post_init__(self) -> None:
        unknown = [w for w in self.workflows if w not in WORKFLOWS]
        if unknown or not self.workflows:
            raise ConfigurationError(
                f"calibrate: unknown workflow {unknown[0] if unknown else '(none)'}; use "
                f"{', '.join(WORKFLOWS)} or all"
            )
        for name, value in (
            ("seconds", self.seconds),
            ("timebase seconds", self.timebase_seconds),
            ("max age", self.max_age_days),
        ):
            if not value > 0:
                raise ConfigurationError(f"calibrate: {name} must be positive, not {value}")


@dataclass
class Outcome:
    record: CalibrationRecord
    path: Path
    history: dict[str, Any]
    kept: list[str]  # sections taken over from the previous record


def _serial(
    request: CalibrateRequest, info: MonitorInfo, sections: dict[str, Any]
) -> tuple[str, bool]:
    """The serial number the record is kept under, and whether it is the simulator's: a
    ``sim:`` monitor, a ``SIM`` serial number, or a time base taken against a DUT that names
    itself the simulator (``tinyjoule sim serve`` behind ports that look real)."""
    dut_vendor = str((sections.get("timebase") or {}).get("dut", {}).get("vendor", ""))
    simulated = (
        request.target.choice.simulated
        or is_simulated_serial(info.serial_number)
        or is_simulator(dut_vendor)
    )
    serial = instrument_serial(info, simulated) or request.serial
    if serial is None:
        raise ConfigurationError(
            f"the {info.kind} at {info.port} reports no serial number, and records are kept "
            "per instrument; give one with --serial (the number on its label)"
        )
    return serial, simulated


def calibrate(request: CalibrateRequest, ui: Ui) -> Outcome:
    target = request.target
    label = target.choice.label
    workload = get_workload(request.workload)
    info: MonitorInfo | None = None
    sections: dict[str, Any] = {}
    self_calibration: dict[str, Any] | None = None
    if "zero" in request.workflows or "gain" in request.workflows:
        with calibration_bench(target, "energy", workload, ui, request.ask, None) as bench:
            refs = references_for(request.references, bench.fixture, label)
            if "gain" in request.workflows and len(refs) < 2:
                raise ConfigurationError(
                    f"{label}: the gain workflow needs at least one reference load: give it "
                    "with --load (e.g. --load 1kohm±0.01%), several for a fit with residuals"
                )
            if "gain" not in request.workflows:
                refs = refs[:1]
            measured = measure_references(
                target, bench, refs, request.seconds, request.settle_s, ui
            )
        info, self_calibration = measured.info, measured.self_calibration
        if "zero" in request.workflows:
            if "gain" in request.workflows and zero_clipped(measured):
                ui.say(
                    "WARNING the open output reads exactly 0 for most samples (its noise "
                    "reaches below zero, which the instrument clips): the offset comes from "
                    "the gain fit over the loads alone"
                )
            else:
                sections["offset"] = zero_section(measured, label)
        if "gain" in request.workflows:
            sections["gain"] = gain_section(measured, target.facts, label)
    if "timebase" in request.workflows:
        with calibration_bench(
            target, "performance", workload, ui, request.ask, request.dut
        ) as bench:
            timebase = measure_timebase(
                target, bench, workload, request.timebase_seconds, ui, request.dut_clock_ppm
            )
        if info is not None and timebase.info.serial_number != info.serial_number:
            raise ConfigurationError(
                f"{label}: the time base was measured on {timebase.info.serial_number}, the "
                f"rest on {info.serial_number}; calibrate one instrument at a time"
            )
        info = info or timebase.info
        sections["timebase"] = timebase.section
        if target.choice.simulated or request.energy_dut is not None:
            with calibration_bench(
                target, "energy", workload, ui, request.ask, request.energy_dut
            ) as bench:
                ui.say("event latency: rising timestamp edges against the current step")
                sections["timebase"]["event_latency"] = measure_event_latency(
                    target, bench, workload, ui
                )
    assert info is not None
    serial, simulated = _serial(request, info, sections)
    kept = _keep_previous(info.kind, serial, target.voltage_v, sections, request.folder)
    record = CalibrationRecord(
        kind=info.kind,
        serial_number=serial,
        simulated=simulated,
        created=now().isoformat(),
        tinyjoule_version=tinyjoule.__version__,
        voltage_v=target.voltage_v,
        max_age_days=request.max_age_days,
        instrument={
            "title": target.facts.title,
            "firmware": info.firmware_version,
            "port": info.port,
            "monitor": label,
        },
        host=platform.node(),
        self_calibration=self_calibration,
        offset=sections.get("offset"),
        gain=sections.get("gain"),
        timebase=sections.get("timebase"),
    )
    path = store.save(record, request.folder)
    record = store.load(path)
    from tinyjoule.host.history.calibrations import index_calibration  # SQLAlchemy: only now

    history = index_calibration(record.to_dict(), path, request.db_url, request.sessions_root)
    return Outcome(record, path, history, kept)


def _keep_previous(
    kind: str, serial: str, voltage_v: float, sections: dict[str, Any], folder: Path | None
) -> list[str]:
    """Fill ``sections`` not measured now from the instrument's previous record (same
    voltage); the names of those taken over."""
    try:
        previous = store.find(kind, serial, folder)
    except ConfigurationError:
        return []  # a damaged record is simply replaced
    if previous is None or abs(previous.voltage_v - voltage_v) > VOLTAGE_TOLERANCE_V:
        return []
    kept = []
    for name in ("offset", "gain", "timebase"):
        if name not in sections and getattr(previous, name):
            sections[name] = dict(getattr(previous, name), kept_from=previous.created)
            kept.append(name)
    return kept
