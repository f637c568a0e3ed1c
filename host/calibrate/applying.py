"""Which calibration an energy run uses, and what it changes in the run's uncertainty.

An energy run opens its monitor, then looks for the record of that instrument (kind and
serial number) in the records folder, or takes the one its board file pins. A record is
applied when it is this instrument's, made at this run's supply voltage, and made with the
simulator only if the instrument is simulated; an expired one is applied with a warning.
A record found but not usable is never applied silently: the reason is in the warnings
(log, console, ``results.json``); a pinned record that is not usable stops the run.
``--no-calibration`` turns the search off (a record is still read, only to warn when it
shows the instrument outside its datasheet bound).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinyjoule.calibration import store
from tinyjoule.calibration.correction import StreamCorrection
from tinyjoule.calibration.record import CalibrationRecord, is_simulated_serial
from tinyjoule.errors import ConfigurationError
from tinyjoule.host.instruments.base import MonitorConfig, MonitorInfo
from tinyjoule.host.instruments.facts import MonitorFacts
from tinyjoule.host.measurement.integration import UncertaintyModel

VOLTAGE_TOLERANCE_V = 1e-3


@dataclass(frozen=True)
class CalibrationPolicy:
    """What a run was told: use calibrations (or not), a pinned record, where records are."""

    enabled: bool = True
    pinned: str | None = None  # a record file, KIND:SERIAL or a record name
    folder: Path | None = None  # None: ``calibration.store``'s folder


@dataclass(frozen=True)
class AppliedCalibration:
    """The record a run found (if any), whether it is applied, and why."""

    applied: bool
    reason: str
    record: CalibrationRecord | None = None
    stream: StreamCorrection | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"applied": self.applied, "reason": self.reason}
        record = self.record
        if record is not None:
            correction = record.correction()
            out["record"] = {
                "file": str(record.path) if record.path else None,
                "sha256": _sha256(record.path),
                "label": record.label,
                "kind": record.kind,
                "serial_number": record.serial_number,
                "created": record.created,
                "voltage_v": record.voltage_v,
                "simulated": record.simulated,
                "workflows": record.workflows,
                "expired": record.expired(),
                "correction": {
                    "gain": correction.gain,
                    "offset_a": correction.offset_a,
                    "timebase_ppm": correction.timebase_ppm,
                },
            }
        if self.stream is not None:
            out["stream_correction"] = self.stream.to_attrs()
        out["warnings"] = list(self.warnings)
        return out


def _sha256(path: Path | None) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path else None
    except OSError:
        return None


def instrument_serial(info: MonitorInfo, simulated: bool) -> str | None:
    """The serial number records are keyed by; a simulated instrument without one is
    ``SIM-<kind>``."""
    if info.serial_number:
        return info.serial_number
    return f"SIM-{info.kind}" if simulated else None


def _check(
    record: CalibrationRecord,
    info: MonitorInfo,
    serial: str | None,
    simulated: bool,
    voltage_v: float,
) -> str | None:
    """Why ``record`` cannot be used for this instrument and run (None: it can)."""
    if record.kind != info.kind:
        return (
            f"calibration record {record.path} is for a {record.kind}, this monitor is a "
            f"{info.kind}; calibrate this one (tinyjoule calibrate) or pin its own record"
        )
    if serial is None:
        return (
            f"the {info.kind} at {info.port} reports no serial number, so tinyjoule cannot "
            f"tell whether calibration record {record.path} is its own; connect it by a "
            "port that shows its serial number"
        )
    if record.serial_number != serial:
        return (
            f"calibration record {record.path} is for {record.kind} {record.serial_number}, "
            f"this one is {serial}; calibrate this instrument (tinyjoule calibrate) or pin "
            "its own record"
        )
    if record.simulated and not simulated:
        return (
            f"calibration record {record.path} was made with the simulator and is never used "
            "for a real instrument; calibrate the instrument itself"
        )
    if abs(record.voltage_v - voltage_v) > VOLTAGE_TOLERANCE_V:
        return (
            f"calibration record {record.label} was made at {record.voltage_v:g} V, this run "
            f"supplies {voltage_v:g} V; calibrate at {voltage_v:g} V (tinyjoule calibrate "
            f"--voltage {voltage_v:g}), or run at {record.voltage_v:g} V"
        )
    return None


def _expiry_warning(record: CalibrationRecord) -> list[str]:
    if not record.expired():
        return []
    return [
        f"calibration record {record.label} is {record.age_days():.0f} days old, older than "
        f"its {record.max_age_days:g}-day limit: it is applied, but calibrate again "
        "(tinyjoule calibrate)"
    ]


def _bound_warning(record: CalibrationRecord, facts: MonitorFacts) -> list[str]:
    """Whether the instrument, as calibrated, is outside its own datasheet bound."""
    if not record.gain:
        return []
    error = float(record.gain["gain"]) - 1.0
    if abs(error) <= facts.accuracy_relative:
        return []
    return [
        f"calibration record {record.label} finds this {facts.kind} reading "
        f"{error * 100:+.2f} % off, beyond its stated ±{facts.accuracy_relative * 100:g} %: "
        "the datasheet bound does not cover this instrument, so an uncalibrated figure's "
        "uncertainty is understated"
    ]


def choose(
    policy: CalibrationPolicy,
    facts: MonitorFacts,
    info: MonitorInfo,
    config: MonitorConfig,
    simulated_bench: bool,
) -> AppliedCalibration:
    """The calibration this run applies (see the module docstring)."""
    simulated = simulated_bench or is_simulated_serial(info.serial_number)
    serial = instrument_serial(info, simulated)
    unit = "J" if config.output == "energy" else "A"

    def applied(record: CalibrationRecord, how: str) -> AppliedCalibration:
        stream = record.correction().stream(unit, config.sample_rate_hz, config.voltage_v)
        return AppliedCalibration(True, how, record, stream, tuple(_expiry_warning(record)))

    if policy.pinned is not None and policy.enabled:
        record = store.load(store.resolve(policy.pinned, policy.folder))
        problem = _check(record, info, serial, simulated, config.voltage_v)
        if problem is not None:
            raise ConfigurationError(f"pinned {problem}")
        return applied(record, f"pinned: {record.path}")
    found: CalibrationRecord | None = None
    if serial is not None:
        try:
            found = store.find(info.kind, serial, policy.folder)
        except ConfigurationError as exc:
            if not policy.enabled:
                return AppliedCalibration(False, "turned off (--no-calibration)")
            return AppliedCalibration(False, "the record cannot be read", warnings=(str(exc),))
    if not policy.enabled:
        warnings = _bound_warning(found, facts) if found is not None else []
        return AppliedCalibration(
            False, "turned off (--no-calibration)", found, warnings=tuple(warnings)
        )
    if found is None:
        who = f"{info.kind} {serial}" if serial else f"the {info.kind} at {info.port}"
        return AppliedCalibration(
            False, f"no calibration record for {who} (tinyjoule calibrate makes one)"
        )
    problem = _check(found, info, serial, simulated, config.voltage_v)
    if problem is not None:
        return AppliedCalibration(False, "not usable", found, warnings=(f"not applied: {problem}",))
    return applied(found, f"found for {info.kind} {serial}")


def uncertainty_model(
    facts: MonitorFacts, accuracy_relative: float, config: MonitorConfig, chosen: AppliedCalibration
) -> UncertaintyModel:
    """The budget's inputs for this run: the datasheet, or the applied record."""
    record = chosen.record if chosen.applied else None
    return UncertaintyModel(
        reading_relative=accuracy_relative,
        reading_source=facts.accuracy_source or f"the {facts.title}'s stated accuracy",
        calibrated=record.reading_inputs() if record is not None else None,
        timebase=record.timebase_inputs() if record is not None and record.timebase else None,
        resolution=facts.resolution.get(config.stream_format),
        raw=chosen.stream,
    )


def policy_for(request: Any) -> CalibrationPolicy:
    """A run's policy: ``--no-calibration``, a record pinned by ``--calibration`` or the board
    file (``"none"``: no calibration), else the instrument's own record."""
    pinned = request.calibration_record or request.bench.monitor_calibration
    if pinned is not None and pinned.strip().lower() == "none":
        return CalibrationPolicy(enabled=False)
    return CalibrationPolicy(enabled=request.use_calibration, pinned=pinned)


def note_calibration(chosen: AppliedCalibration, record: Any) -> None:
    """The record a run used (or why none) in its results and provenance; warnings logged."""
    facts = chosen.to_dict()
    provenance = dict(record.data.get("provenance", {}))
    provenance["calibration"] = {k: facts[k] for k in ("applied", "reason", "record") if k in facts}
    record.update(calibration=facts, provenance=provenance)
    record.log(f"calibration: {'applied' if chosen.applied else 'not applied'}, {chosen.reason}")
    for warning in chosen.warnings:
        record.log(f"WARNING {warning}")
