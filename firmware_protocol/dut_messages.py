"""Typed records for every line a DUT running the MLPerf Tiny firmware API prints (spec 1.2-1.7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True, slots=True)
class Ready:
    """``m-ready``: the DUT finished its boot or a command and listens again."""


@dataclass(frozen=True, slots=True)
class InitDone:
    """``m-init-done``: end of the boot banner."""


@dataclass(frozen=True, slots=True)
class TimestampMode:
    """``m-timestamp-mode-<mode>``: how the firmware was built ("performance" or "energy")."""

    mode: str


@dataclass(frozen=True, slots=True)
class Name:
    """``m-name-dut-[<vendor>]``: answer to ``name``."""

    vendor: str


SIMULATOR_MARK = "(tinyjoule simulator)"
"""What tinyjoule's simulated boards add to their vendor name (``m-name-dut-[ST...
(tinyjoule simulator)]``): behind a serial port (``tinyjoule sim serve``) the host cannot
otherwise tell them from a real board, and a simulated figure must never pass for a measured
one."""


def simulator_vendor(vendor: str) -> str:
    """The vendor name a simulated board gives: its profile's vendor and the mark."""
    return f"{vendor} {SIMULATOR_MARK}"


def is_simulator(vendor: str) -> bool:
    return SIMULATOR_MARK in vendor


@dataclass(frozen=True, slots=True)
class Profile:
    """``m-profile-[<text>]``: firmware version, first line of the answer to ``profile``."""

    text: str


@dataclass(frozen=True, slots=True)
class ModelId:
    """``m-model-[<id>]``: the benchmark model (kws01, vww01, ic01, ic02, ad01, sww01...)."""

    model_id: str


@dataclass(frozen=True, slots=True)
class LapUs:
    """``m-lap-us-<N>``: a performance-mode timestamp, a free-running 32-bit µs counter."""

    counter_us: int


@dataclass(frozen=True, slots=True)
class Results:
    """``m-results-[v0,v1,...]``: the result vector of the last inference."""

    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class WarmupStart:
    """``m-warmup-start-<W>``: W untimed inferences follow."""

    count: int


@dataclass(frozen=True, slots=True)
class WarmupDone:
    """``m-warmup-done``."""


@dataclass(frozen=True, slots=True)
class InferStart:
    """``m-infer-start-<N>``: N timed inferences follow, bracketed by two timestamps."""

    count: int


@dataclass(frozen=True, slots=True)
class InferDone:
    """``m-infer-done``."""


@dataclass(frozen=True, slots=True)
class Expecting:
    """``m-[Expecting <N> bytes]``: answer to ``db load N`` when N fits the buffer."""

    n_bytes: int


@dataclass(frozen=True, slots=True)
class LoadDone:
    """``m-load-done``: the byte that reached the size given to ``db load`` was written."""


@dataclass(frozen=True, slots=True)
class DeviceError:
    """``e-[<text>]``: the firmware refused a command; ``text`` is what is inside the brackets."""

    text: str


@dataclass(frozen=True, slots=True)
class BufferDump:
    """``m-buffer-xx-xx-...``: one row (up to 8 bytes) of ``db print``."""

    data: bytes


@dataclass(frozen=True, slots=True)
class FirmwareWarning:
    """Plain-text warning of the reference firmware (LF only, no ``m-``/``e-`` prefix).

    ``Supplied buffer size N exceeds maximum of M`` (``db load`` too large, size kept anyway) and
    ``Input db has X elemented, expected Y`` (inference ran on the previous tensor).
    """

    text: str


@dataclass(frozen=True, slots=True)
class PlainText:
    """Any other line: vendor output such as ``Initialized``, help text, unparseable garbage."""

    text: str


Message: TypeAlias = (
    Ready
    | InitDone
    | TimestampMode
    | Name
    | Profile
    | ModelId
    | LapUs
    | Results
    | WarmupStart
    | WarmupDone
    | InferStart
    | InferDone
    | Expecting
    | LoadDone
    | DeviceError
    | BufferDump
    | FirmwareWarning
    | PlainText
)
