"""What a simulated bench simulates, and how a ``sim://`` URL describes it.

``sim://`` opens a new simulated bench for each workload of a run, as if its firmware had
just been flashed; options go in the query, faults included, so a test or a user injects
them through the bench description alone::

    sim://?io=h573                          DUT behind a simulated H573 IO manager
    sim://?io=none&baud=9600                DUT on its own UART at 9600 baud
    sim://?profile=board.toml               another board profile (clock, currents, ...)
    sim://?fault=reset@150                  the DUT reboots at its 151st command
    sim://?fault=silent@12                  ... or stops answering after its 12th
    sim://?monitor_fault=drop:5@36000       the monitor loses 5 samples after 36000
    sim://?monitor_fault=overrun@40000      ... overruns, or unplug@N, silent, stale
    sim://?pin_fault=7:skip,6:double        timestamp pulse 7 never arrives, 6 doubles
    sim://?model_fault=scale:1.5            the DUT's outputs come out 1.5 times too large
    sim://?model_fault=roll:1               ... or shifted by one class (a label mix-up)
    sim://?model_fault=nan:3                ... or NaN from the 3rd inference on (broken model)

``io=auto`` (the default) puts an H573 in front of the DUT in energy mode, as the MLCommons
bench is wired, and none otherwise.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.sim.board_profile import REFERENCE_BOARD, BoardProfile
from tinyjoule.tinyml_workloads.workloads import Workload

IO_MANAGER_KINDS = ("arduino", "h573")
DUT_FAULTS = ("silent", "reset")
MONITOR_FAULTS = ("silent", "stale", "overrun", "drop", "unplug")
PIN_FAULTS = ("skip", "double")
MODEL_FAULTS = ("scale", "roll", "nan")
URL_OPTIONS = ("io", "baud", "profile", "fault", "monitor_fault", "pin_fault", "model_fault")


@dataclass(frozen=True, slots=True)
class SimFault:
    """A DUT fault: after ``after_commands`` commands have reached the DUT, it goes
    ``"silent"`` (answers nothing more) or ``"reset"`` (reboots while running the next
    command, printing its boot banner)."""

    kind: str
    after_commands: int


@dataclass(frozen=True, slots=True)
class MonitorFault:
    """A simulated-monitor fault: ``"silent"`` (never answers), ``"stale"`` (still streaming
    from an earlier run when the host opens it), ``"overrun"`` or ``"drop"`` (``count``
    samples lost) after ``after_samples`` samples, or ``"unplug"`` (the port goes away once
    ``after_samples`` samples have streamed)."""

    kind: str
    after_samples: int = 0
    count: int = 0


@dataclass(frozen=True, slots=True)
class SimBenchConfig:
    """What to simulate: which firmware (workload and mode), wiring, bauds and board."""

    workload_id: str = "kws01"
    firmware_mode: str = "performance"  # "performance" or "energy" (EE_CFG_ENERGY_MODE)
    io_manager: str | None = None  # None (DUT on its own USB UART), "arduino" or "h573"
    dut_baud: int | None = None  # None: the reference firmware's baud for the mode
    model_path: Path | None = None  # None: the workload's stand-in model
    profile: BoardProfile = REFERENCE_BOARD
    fault: SimFault | None = None
    monitor: str | None = None  # a monitor kind with a simulator, e.g. "lpm01a"
    monitor_errors: tuple[tuple[str, float], ...] = ()  # sim:KIND?gain=...&offset_ua=...
    monitor_fault: MonitorFault | None = None
    pin_faults: tuple[tuple[int, str], ...] = ()  # (pulse number from 1, "skip" | "double")
    model_fault: tuple[str, float] | None = None  # ("scale", factor) or ("roll", classes)

    def resolved_dut_baud(self, workload: Workload) -> int:
        if self.dut_baud is not None:
            return self.dut_baud
        if self.firmware_mode == "energy":
            return workload.baud_energy
        return workload.baud_performance


@dataclass(frozen=True, slots=True)
class BenchOptions:
    """The options of a ``sim://`` URL; ``io`` is ``"auto"`` until a mode resolves it."""

    io: str | None = "auto"
    baud: int | None = None
    profile: BoardProfile = REFERENCE_BOARD
    fault: SimFault | None = None
    monitor_fault: MonitorFault | None = None
    pin_faults: tuple[tuple[int, str], ...] = field(default_factory=tuple)
    model_fault: tuple[str, float] | None = None

    def config(
        self,
        workload_id: str,
        mode: str,
        monitor: str | None,
        model_path: Path | None,
        monitor_errors: tuple[tuple[str, float], ...] = (),
    ) -> SimBenchConfig:
        """The bench for one workload in ``mode`` (the firmware is built for it)."""
        firmware = "energy" if mode == "energy" else "performance"
        io = self.io
        if io == "auto":
            io = "h573" if mode == "energy" else None
        return SimBenchConfig(
            workload_id=workload_id,
            firmware_mode=firmware,
            io_manager=io,
            dut_baud=self.baud,
            model_path=model_path,
            profile=self.profile,
            fault=self.fault,
            monitor=monitor,
            monitor_errors=monitor_errors,
            monitor_fault=self.monitor_fault,
            pin_faults=self.pin_faults,
            model_fault=self.model_fault,
        )


def _bad(url: str, problem: str) -> ConfigurationError:
    return ConfigurationError(
        f"simulated bench {url!r}: {problem}; see 'sim://' options in the README "
        "(io, baud, profile, fault, monitor_fault, pin_fault, model_fault)"
    )


def _count(url: str, text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _bad(url, f"{what} must be a whole number, not {text!r}") from None
    if value < 0:
        raise _bad(url, f"{what} must not be negative")
    return value


def _dut_fault(url: str, text: str) -> SimFault:
    kind, _, after = text.partition("@")
    if kind not in DUT_FAULTS or not after:
        raise _bad(url, f"fault={text!r}: use silent@N or reset@N (N commands first)")
    return SimFault(kind, _count(url, after, "the command count"))


def _monitor_fault(url: str, text: str) -> MonitorFault:
    """``KIND[:COUNT][@AFTER]``: e.g. ``drop:5@36000``, ``overrun@40000``, ``silent``."""
    head, _, after = text.partition("@")
    kind, _, count = head.partition(":")
    if kind not in MONITOR_FAULTS:
        raise _bad(url, f"monitor_fault={text!r}: use one of {', '.join(MONITOR_FAULTS)}")
    if kind == "drop" and not count:
        raise _bad(url, "monitor_fault=drop needs a count: drop:COUNT@AFTER")
    return MonitorFault(
        kind,
        _count(url, after, "the sample count") if after else 0,
        _count(url, count, "the drop count") if count else 0,
    )


def _pin_faults(url: str, text: str) -> tuple[tuple[int, str], ...]:
    faults = []
    for item in filter(None, text.split(",")):
        number, _, kind = item.partition(":")
        if kind not in PIN_FAULTS:
            raise _bad(url, f"pin_fault={item!r}: use PULSE:skip or PULSE:double")
        faults.append((_count(url, number, "the pulse number"), kind))
    return tuple(faults)


def _model_fault(url: str, text: str) -> tuple[str, float]:
    kind, _, value = text.partition(":")
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if kind not in MODEL_FAULTS or number != number:
        raise _bad(url, f"model_fault={text!r}: use scale:FACTOR, roll:CLASSES or nan:N")
    return kind, number


def parse_sim_url(url: str) -> BenchOptions:
    """The options of a ``sim://?...`` URL (a new bench per workload)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - set(URL_OPTIONS))
    if unknown:
        raise _bad(url, f"unknown option(s) {', '.join(unknown)}")
    one = {key: values[-1] for key, values in query.items()}
    options = BenchOptions()
    if "io" in one:
        io = one["io"]
        if io not in ("auto", "none", *IO_MANAGER_KINDS):
            raise _bad(url, f"io={io!r}: use auto, none, {' or '.join(IO_MANAGER_KINDS)}")
        options = replace(options, io=None if io == "none" else io)
    if "baud" in one:
        options = replace(options, baud=_count(url, one["baud"], "baud") or None)
    if "profile" in one:
        options = replace(options, profile=BoardProfile.from_toml(Path(one["profile"])))
    if "fault" in one:
        options = replace(options, fault=_dut_fault(url, one["fault"]))
    if "monitor_fault" in one:
        options = replace(options, monitor_fault=_monitor_fault(url, one["monitor_fault"]))
    if "pin_fault" in one:
        options = replace(options, pin_faults=_pin_faults(url, one["pin_fault"]))
    if "model_fault" in one:
        options = replace(options, model_fault=_model_fault(url, one["model_fault"]))
    return options
