"""A calibration record: one instrument's offset, gain and time base, with everything that
made them (references with their uncertainty, raw readings, fits, residuals) and when they
expire.

One JSON file per instrument (``store``), human-readable::

    {"format": "tinyjoule-calibration", "format_version": 1,
     "instrument": {"kind": "lpm01a", "serial_number": "...", "firmware": "1.0.7", ...},
     "simulated": false, "created": "2026-...+01:00", "tinyjoule_version": "0.1.0",
     "voltage_v": 1.8, "max_age_days": 90, "expires": "...",
     "self_calibration": {...}, "offset": {...} | null, "gain": {...} | null,
     "timebase": {...} | null}

``offset`` comes from the zero workflow (the open output), ``gain`` from the fit over the
reference loads (its own offset, fitted with the zero point, supersedes ``offset``),
``timebase`` from the edges seen by the monitor and the DUT's µs timer. Any of them may be
absent; what is absent is not corrected, and the budget then uses the datasheet figure.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinyjoule.calibration.budget import (
    ASSUMED_TIMEBASE,
    CalibratedReading,
    TimebaseInputs,
)
from tinyjoule.calibration.correction import Correction
from tinyjoule.errors import ConfigurationError

FORMAT = "tinyjoule-calibration"
FORMAT_VERSION = 1
DEFAULT_MAX_AGE_DAYS = 90.0
SIMULATED_SERIAL_PREFIX = "SIM"
"""Simulated instruments report serial numbers starting with this (even over a pty)."""


def now() -> dt.datetime:
    return dt.datetime.now().astimezone().replace(microsecond=0)


@dataclass(frozen=True)
class CalibrationRecord:
    """See the module docstring; ``path`` is where it was read from (not written)."""

    kind: str
    serial_number: str
    simulated: bool
    created: str
    tinyjoule_version: str
    voltage_v: float
    max_age_days: float = DEFAULT_MAX_AGE_DAYS
    instrument: Mapping[str, Any] = field(default_factory=dict)
    host: str = ""
    self_calibration: Mapping[str, Any] | None = None
    offset: Mapping[str, Any] | None = None
    gain: Mapping[str, Any] | None = None
    timebase: Mapping[str, Any] | None = None
    path: Path | None = field(default=None, compare=False)

    # -- what it is ------------------------------------------------------------------------
    @property
    def key(self) -> str:
        return record_key(self.kind, self.serial_number)

    @property
    def label(self) -> str:
        sim = ", simulated" if self.simulated else ""
        return f"{self.kind} {self.serial_number} ({self.created[:10]}, {self.voltage_v:g} V{sim})"

    @property
    def created_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created)

    @property
    def expires_at(self) -> dt.datetime:
        return self.created_at + dt.timedelta(days=self.max_age_days)

    def age_days(self, at: dt.datetime | None = None) -> float:
        return ((at or now()) - self.created_at).total_seconds() / 86400.0

    def expired(self, at: dt.datetime | None = None) -> bool:
        return self.age_days(at) > self.max_age_days

    @property
    def workflows(self) -> list[str]:
        return [name for name in ("offset", "gain", "timebase") if getattr(self, name)]

    # -- what it does ------------------------------------------------------------------------
    def correction(self) -> Correction:
        gain, offset, ppm = 1.0, 0.0, 0.0
        if self.gain:
            gain, offset = float(self.gain["gain"]), float(self.gain["offset_a"])
        elif self.offset:
            offset = float(self.offset["offset_a"])
        if self.timebase:
            ppm = float(self.timebase["timebase_ppm"])
        return Correction(gain=gain, offset_a=offset, timebase_ppm=ppm)

    def reading_inputs(self) -> CalibratedReading | None:
        """The gain/offset fit's doubt for the budget; None without a gain fit."""
        if not self.gain:
            return None
        cov = self.gain["covariance"]
        src = f"calibration {self.label}"
        refs = self.gain.get("reference_distribution", "rectangular")
        return CalibratedReading(
            gain=float(self.gain["gain"]),
            offset_a=float(self.gain["offset_a"]),
            covariances=(
                (
                    "reading: calibration references",
                    "B",
                    refs,
                    _matrix(cov["references"]),
                    f"{src}: the reference loads' own uncertainty through the fit",
                ),
                (
                    "reading: calibration scatter",
                    "A",
                    "normal",
                    _matrix(cov["scatter"]),
                    f"{src}: the readings' scatter through the fit",
                ),
                (
                    "reading: calibration resolution",
                    "B",
                    "rectangular",
                    _matrix(cov["resolution"]),
                    f"{src}: the readings' resolution through the fit",
                ),
            ),
        )

    def timebase_inputs(self) -> TimebaseInputs:
        if not self.timebase:
            return ASSUMED_TIMEBASE
        tb = self.timebase
        src = f"calibration {self.label}"
        reference = tb.get("reference", {})
        return TimebaseInputs(
            (
                (
                    "time base: calibration fit",
                    "A",
                    "normal",
                    float(tb["fit_u_ppm"]),
                    f"{src}: the edges' positions through the fit",
                ),
                (
                    "time base: reference clock",
                    "B",
                    str(reference.get("distribution", "rectangular")),
                    float(tb["reference_u_ppm"]),
                    f"{src}: {reference.get('what', 'the reference clock')}",
                ),
            )
        )

    # -- as a file -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "instrument": {
                **dict(self.instrument),
                "kind": self.kind,
                "serial_number": self.serial_number,
            },
            "simulated": self.simulated,
            "created": self.created,
            "tinyjoule_version": self.tinyjoule_version,
            "host": self.host,
            "voltage_v": self.voltage_v,
            "max_age_days": self.max_age_days,
            "expires": self.expires_at.isoformat(),
            "correction": {
                "gain": self.correction().gain,
                "offset_a": self.correction().offset_a,
                "timebase_ppm": self.correction().timebase_ppm,
            },
            "self_calibration": _plain(self.self_calibration),
            "offset": _plain(self.offset),
            "gain": _plain(self.gain),
            "timebase": _plain(self.timebase),
        }

    @classmethod
    def from_dict(cls, data: Any, source: str) -> CalibrationRecord:
        """The record in ``data`` (read from ``source``); ConfigurationError naming the file,
        what is wrong and the fix."""

        def bad(problem: str) -> ConfigurationError:
            return ConfigurationError(
                f"calibration record {source}: {problem}; this is not a record tinyjoule can "
                "use: remove it (tinyjoule calibration remove) and calibrate again"
            )

        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise bad(f"not a {FORMAT} file")
        if data.get("format_version") != FORMAT_VERSION:
            raise bad(
                f"format version {data.get('format_version')!r}, this tinyjoule reads "
                f"{FORMAT_VERSION} (a newer tinyjoule wrote it? upgrade tinyjoule)"
            )
        instrument = data.get("instrument")
        if not isinstance(instrument, dict):
            raise bad("no instrument table")
        try:
            record = cls(
                kind=str(instrument["kind"]),
                serial_number=str(instrument["serial_number"]),
                simulated=_bool(data["simulated"]),
                created=str(data["created"]),
                tinyjoule_version=str(data.get("tinyjoule_version", "")),
                voltage_v=_positive(data["voltage_v"], "voltage_v"),
                max_age_days=_positive(
                    data.get("max_age_days", DEFAULT_MAX_AGE_DAYS), "max_age_days"
                ),
                instrument={
                    k: v for k, v in instrument.items() if k not in ("kind", "serial_number")
                },
                host=str(data.get("host", "")),
                self_calibration=_table(data.get("self_calibration")),
                offset=_table(data.get("offset")),
                gain=_table(data.get("gain")),
                timebase=_table(data.get("timebase")),
                path=Path(source),
            )
            record.created_at  # noqa: B018 - a date that does not parse is refused now
            record.correction()
            record.reading_inputs()
            record.timebase_inputs()
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(f"a value is missing or wrong ({type(exc).__name__}: {exc})") from None
        if not record.workflows:
            raise bad("it holds no offset, gain or time base")
        return record


def record_key(kind: str, serial_number: str) -> str:
    """The file stem of an instrument's record: its kind and serial number, made safe."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in serial_number)
    return f"{kind}_{safe}"


def is_simulated_serial(serial_number: str | None) -> bool:
    return bool(serial_number) and str(serial_number).startswith(SIMULATED_SERIAL_PREFIX)


def _matrix(value: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    (a, b), (c, d) = value
    m = ((float(a), float(b)), (float(c), float(d)))
    if not all(math.isfinite(v) for row in m for v in row) or m[0][0] < 0 or m[1][1] < 0:
        raise ValueError("a covariance must be finite with non-negative variances")
    return m


def _positive(value: Any, name: str) -> float:
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a positive number, not {value!r}")
    return number


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, not {value!r}")
    return value


def _table(value: Any) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError(f"expected a table or null, not {type(value).__name__}")
    return value


def _plain(value: Any) -> Any:
    """Mappings and tuples as JSON's dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
