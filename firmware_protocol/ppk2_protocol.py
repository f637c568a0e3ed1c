"""Nordic PPK2 wire protocol: opcodes, source-voltage encoding, metadata and calibration.

Framing only, no transport (spec 3.2-3.4). The host sends bare opcodes with fixed-size
arguments and gets no acknowledgement; the one reply is the metadata block for ``0x19``:
ASCII ``Key: value`` lines ending with ``END``. Its calibration values turn a sample word
into amperes; with a = ADC x 4, r = range and Vdd in mV::

    x = (a - O[r]) * (1.8 / 163840) / R[r]
    I = UG[r] * (x * (GS[r] * x + GI[r]) + S[r] * Vdd / 1000 + I[r])

Calibration policy (the failures of spec 7 #20/#23, "zetta-ampere" readings):

- A value that is absent or ``nan`` (erased memory) takes the documented default
  (R = 1031.64, 101.65, 10.15, 0.94, 0.043 ohm; GS = GI = UG = 1; O = S = I = 0); so does a
  zero R, GI or UG, which no unit can have (IRNAS ignores zero R). A zero GS, O, S or I is a
  real value (units carry GS0 = 0; the Nordic app would replace it by 1, IRNAS keeps it).
  ``Calibration.defaulted`` lists the keys that took defaults.
- No calibration value at all, or no shunt resistor R0-R4 at all: ``Ppk2CalibrationError``
  (the unit's calibration is lost; defaults would be off by an unknown amount).
- A finite value outside its plausible band (``PLAUSIBLE``), or one that is not a number:
  ``Ppk2CalibrationError`` naming every such key. Corrupted sets carry values like
  R0 = 3e27 or O1 = -3e15.

Either error says the fix: get the unit's values (Nordic support restores them from the
serial number) and pass them as ``calibration_overrides``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from tinyjoule.errors import ProtocolError


class Op(IntEnum):
    """Command opcodes (``IRNAS/ppk2-api-python`` ``PPK2_Command``, spec 3.2)."""

    AVERAGE_START = 0x06
    AVERAGE_STOP = 0x07
    RANGE_SET = 0x08
    TRIGGER_STOP = 0x0A
    DEVICE_RUNNING_SET = 0x0C
    REGULATOR_SET = 0x0D
    SWITCH_POINT_DOWN = 0x0E
    SWITCH_POINT_UP = 0x0F
    SET_POWER_MODE = 0x11
    RES_USER_SET = 0x12
    SPIKE_FILTERING_ON = 0x15
    SPIKE_FILTERING_OFF = 0x16
    GET_META_DATA = 0x19
    RESET = 0x20
    SET_USER_GAINS = 0x25


ARGUMENT_BYTES: dict[int, int] = {
    Op.AVERAGE_START: 0, Op.AVERAGE_STOP: 0, Op.TRIGGER_STOP: 0, Op.DEVICE_RUNNING_SET: 1,
    Op.REGULATOR_SET: 2, Op.SET_POWER_MODE: 1, Op.SPIKE_FILTERING_ON: 0,
    Op.SPIKE_FILTERING_OFF: 0, Op.GET_META_DATA: 0, Op.RESET: 0, Op.SET_USER_GAINS: 5,
}  # fmt: skip
"""Argument sizes the sources document; the other opcodes' arguments are not documented."""

AMPERE_MODE = 1
SOURCE_MODE = 2
MODES = {"ampere": AMPERE_MODE, "source": SOURCE_MODE}
"""``MonitorConfig.stream_format`` value -> ``0x11`` argument."""

START = bytes((Op.AVERAGE_START,))
STOP = bytes((Op.AVERAGE_STOP,))
GET_METADATA = bytes((Op.GET_META_DATA,))
METADATA_END = b"END"

MIN_VOLTAGE_MV = 800
MAX_VOLTAGE_MV = 5000
SAMPLE_RATE_HZ = 100_000
ADC_MULT = 1.8 / 163840
ADC_CODES = 1 << 14
RANGES = 5

DEFAULTS: dict[str, tuple[float, ...]] = {
    "R": (1031.64, 101.65, 10.15, 0.94, 0.043),
    "GS": (1.0,) * RANGES,
    "GI": (1.0,) * RANGES,
    "O": (0.0,) * RANGES,
    "S": (0.0,) * RANGES,
    "I": (0.0,) * RANGES,
    "UG": (1.0,) * RANGES,
}
"""Values used where the metadata has none (spec 3.3; both reference hosts)."""

FULL_SCALE_V = (ADC_CODES - 1) * 4 * ADC_MULT
"""x x R at the top ADC code: the largest shunt term a range can read (about 0.72)."""

FIX = (
    "get this unit's calibration values (Nordic support restores them from the serial "
    "number; re-flashing the firmware does not) and give them in the board file as "
    "[monitor.driver] calibration_overrides = { R0 = ..., ... } (in Python: "
    "Ppk2(..., calibration_overrides={'R0': ..., ...}))"
)


class Ppk2CalibrationError(ProtocolError):
    """The PPK2's calibration metadata is missing or implausible."""


def source_voltage_command(millivolts: int) -> bytes:
    """``0x0D b1 b2`` for ``millivolts`` (800-5000): v = mV - 800 + 32, b1 = 3 + v // 256,
    b2 = v % 256 (3300 mV -> ``0D 0C E4``); ValueError outside the range."""
    if not MIN_VOLTAGE_MV <= millivolts <= MAX_VOLTAGE_MV:
        raise ValueError(
            f"PPK2 source voltage {millivolts} mV is outside {MIN_VOLTAGE_MV}-{MAX_VOLTAGE_MV} mV"
        )
    v = millivolts - MIN_VOLTAGE_MV + 32
    return bytes((Op.REGULATOR_SET, 3 + v // 256, v % 256))


def decode_source_voltage(b1: int, b2: int) -> int:
    """The millivolts a ``0x0D b1 b2`` command sets (the inverse of the encoding)."""
    return (b1 - 3) * 256 + b2 + MIN_VOLTAGE_MV - 32


def mode_command(mode: str) -> bytes:
    """``0x11 1`` (ampere meter) or ``0x11 2`` (source meter)."""
    return bytes((Op.SET_POWER_MODE, MODES[mode]))


def dut_power_command(on: bool) -> bytes:
    """``0x0C 1`` / ``0x0C 0``: switch the DUT supply on or off."""
    return bytes((Op.DEVICE_RUNNING_SET, 1 if on else 0))


# -- metadata -----------------------------------------------------------------------------
_LINE = re.compile(r"([A-Za-z]+[0-9]?)\s*:\s*(\S+)\s*$")


def metadata_complete(data: bytes) -> bool:
    """True once ``data`` holds the ``END`` line that closes a metadata block."""
    return re.search(rb"(?:^|\n)\s*END\b", data) is not None


def parse_metadata(data: bytes) -> dict[str, str]:
    """``Key: value`` pairs before ``END``, keys upper-cased (``mode`` -> ``MODE``); the
    last occurrence wins, stale stream bytes before a key are ignored and lines that are
    not ``Key: value`` are skipped."""
    text = data.decode("latin-1")
    end = re.search(r"(?:^|\n)\s*END\b", text)
    if end is not None:
        text = text[: end.start()]
    pairs: dict[str, str] = {}
    for line in text.replace("\r", "\n").split("\n"):
        match = _LINE.search(line)
        if match:
            pairs[match.group(1).upper()] = match.group(2)
    return pairs


@dataclass(frozen=True, slots=True)
class Calibration:
    """Per-range calibration values (index = range 0-4) and the keys that took defaults."""

    r: tuple[float, ...] = DEFAULTS["R"]
    gs: tuple[float, ...] = DEFAULTS["GS"]
    gi: tuple[float, ...] = DEFAULTS["GI"]
    o: tuple[float, ...] = DEFAULTS["O"]
    s: tuple[float, ...] = DEFAULTS["S"]
    i: tuple[float, ...] = DEFAULTS["I"]
    ug: tuple[float, ...] = DEFAULTS["UG"]
    defaulted: tuple[str, ...] = field(default=())

    def values(self, name: str) -> tuple[float, ...]:
        return getattr(self, name.lower())

    def as_metadata(self) -> dict[str, float]:
        """``{"R0": ..., "GS0": ..., ...}``, the metadata keys of every value."""
        return {f"{n}{r}": self.values(n)[r] for n in DEFAULTS for r in range(RANGES)}


def full_scale_a(r_ohm: float) -> float:
    """The shunt term x at the top ADC code of a range with shunt ``r_ohm``."""
    return FULL_SCALE_V / r_ohm


def _band(name: str, rng: int, r_ohm: float) -> tuple[float, float]:
    """The plausible interval of calibration value ``name`` for range ``rng``."""
    x_max = full_scale_a(r_ohm)
    nominal = DEFAULTS["R"][rng]
    return {
        "R": (nominal / 2, nominal * 2),  # units differ from nominal by a few % (R4 ~30 %)
        "GS": (-10 / x_max, 10 / x_max),  # quadratic term <= 10 x the linear one
        "GI": (0.5, 2.0),
        "O": (-4096.0, 4096.0),  # ADC x 4 units; full scale is 65532
        "S": (-x_max / 5, x_max / 5),  # A per V: below full scale at 5 V
        "I": (-x_max, x_max),
        "UG": (0.2, 5.0),
    }[name]


ZERO_IS_ABSENT = ("R", "GI", "UG")
"""Values that cannot be zero on any unit: a zero one takes the default."""


def _number(name: str, text: str | float | None) -> float | None:
    """The value, or None where the default applies; ValueError if it is not a number."""
    if text is None:
        return None
    value = float(text)
    if math.isnan(value) or (value == 0 and name in ZERO_IS_ABSENT):
        return None
    return value


def calibration_from_metadata(
    meta: Mapping[str, str],
    device: str = "PPK2",
    overrides: Mapping[str, float] | None = None,
) -> Calibration:
    """The calibration in ``meta`` (``overrides`` win), checked; see the module docstring."""
    merged: dict[str, str | float] = dict(meta)
    merged.update({k.upper(): v for k, v in (overrides or {}).items()})
    keys = [f"{n}{r}" for n in DEFAULTS for r in range(RANGES)]
    unknown = sorted(set(k.upper() for k in overrides or {}) - set(keys))
    if unknown:
        raise ValueError(f"calibration_overrides has unknown keys {unknown}; use e.g. R0..R4")
    if not any(k in merged for k in keys):
        raise Ppk2CalibrationError(
            f"{device}: the metadata reply to 'get metadata' (0x19) has no calibration values "
            f"(no R0..R4, GS0..4, ...), only {sorted(meta) or 'nothing'}; the unit's "
            f"calibration is missing, so its readings cannot be trusted. Fix: {FIX}"
        )
    values: dict[str, list[float]] = {n: list(DEFAULTS[n]) for n in DEFAULTS}
    defaulted: list[str] = []
    bad: list[str] = []
    for name in DEFAULTS:
        for rng in range(RANGES):
            key = f"{name}{rng}"
            try:
                value = _number(name, merged.get(key))
            except (TypeError, ValueError):
                bad.append(f"{key} = {merged.get(key)!r} (not a number)")
                continue
            if value is None:
                defaulted.append(key)
            else:
                values[name][rng] = value
    if all(f"R{r}" in defaulted for r in range(RANGES)):
        raise Ppk2CalibrationError(
            f"{device}: the shunt resistors R0..R4 in the PPK2's calibration metadata are all "
            "zero or missing; its calibration memory is blank or damaged, so nominal values "
            f"would be used and its readings would be off by an unknown amount. Fix: {FIX}"
        )
    for name in DEFAULTS:
        for rng in range(RANGES):
            low, high = _band(name, rng, values["R"][rng])
            value = values[name][rng]
            if not (math.isfinite(value) and low <= value <= high):
                bad.append(f"{name}{rng} = {value:.6g} (plausible: {low:.4g} to {high:.4g})")
    if bad:
        raise Ppk2CalibrationError(
            f"{device}: implausible calibration values in the PPK2's metadata: "
            f"{'; '.join(bad)}. Its calibration memory is damaged, and measuring with these "
            "values gives absurd readings (the 'zetta-ampere' fault, Nordic DevZone 92921). "
            f"Fix: {FIX}"
        )
    return Calibration(
        **{n.lower(): tuple(values[n]) for n in DEFAULTS}, defaulted=tuple(defaulted)
    )


def current_table(calibration: Calibration, vdd_mv: float) -> np.ndarray:
    """Amperes for every (range, ADC code): shape (5, 16384), float64 (spec 3.4)."""
    a = np.arange(ADC_CODES, dtype=np.float64) * 4
    rows = []
    for r in range(RANGES):
        c = calibration
        x = (a - c.o[r]) * (ADC_MULT / c.r[r])
        offset = c.s[r] * (vdd_mv / 1000) + c.i[r]
        rows.append(c.ug[r] * (x * (c.gs[r] * x + c.gi[r]) + offset))
    return np.stack(rows)


def format_metadata(values: Mapping[str, float | int | str]) -> bytes:
    """A metadata block as the firmware prints it (``Key: value`` lines, then ``END``)."""
    lines = [f"{key}: {value}" for key, value in values.items()]
    return ("\n".join([*lines, "END"]) + "\n").encode("ascii")
