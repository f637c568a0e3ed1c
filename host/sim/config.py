"""What a simulated bench simulates, and how a ``sim://`` URL describes it.

``sim://`` opens a new simulated bench for each workload of a run, as if its firmware had
just been flashed; options go in the query, faults included, so a test or a user injects
them through the bench description alone::

    sim://?io=h573                          DUT behind a simulated H573 IO manager
    sim://?io=none&baud=9600                DUT on its own UART at 9600 baud
    sim://?profile=board.toml               another board profile (clock, currents, ...)
    sim://?fault=reset@150                  the DUT reboots at its 151st command
    sim://?fault=silent@12                  ... or stops answering after its 12th
    sim://?fault=longline@71:10485760       ... answers its 72nd with one 10 MB line that
                                            ends in m-ready (a runaway print)
    sim://?fault=late@0:5.5                 ... answers its first command 5.5 s late
    sim://?io=none&fault=banner_on_open:2   ... reboots when its port opens (DTR), its boot
                                            banner 2 s later
    sim://?monitor_fault=drop:5@36000       the monitor loses 5 samples after 36000
    sim://?monitor_fault=overrun@40000      ... overruns, or unplug@N, silent, stale
    sim://?monitor_fault=stop@40000         ... stops streaming after 40000 samples (hangs:
                                            its port stays open and says nothing more)
    sim://?monitor_fault=refuse:pwr on      ... (LPM01A) refuses every command that starts
                                            with 'pwr on' (error + Error detail)
    sim://?pin_fault=7:skip,6:double        timestamp pulse 7 never arrives, 6 doubles
    sim://?model_fault=scale:1.5            the DUT's outputs come out 1.5 times too large
    sim://?model_fault=roll:1               ... or shifted by one class (a label mix-up)
    sim://?model_fault=nan:3                ... or NaN from the 3rd inference on (broken model)
    sim://?sww_misses=3&sww_false_alarms=2  the SWW DUT misses 3 wake words per clip and
                                            raises 2 false alarms (seeded)
    sim://?sww_fault=unwired                its wake-word pin never reaches the board
    sim://?sww_fault=short@300              the board's wavs end after 300 s

``io=auto`` (the default) puts an H573 in front of the DUT in energy mode, as the MLCommons
bench is wired, and for sww01 in every mode (the board plays its audio); none otherwise.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.sim.board_profile import REFERENCE_BOARD, BoardProfile
from tinyjoule.tinyml_workloads.workloads import Workload, get_workload

IO_MANAGER_KINDS = ("arduino", "h573")
DUT_FAULTS = ("silent", "reset", "longline", "late", "banner_on_open")
_VALUED = ("longline", "late")
_AFTER_FAULTS = ("silent", "reset", "longline", "late")
MONITOR_FAULTS = ("silent", "stale", "overrun", "drop", "unplug", "stop", "refuse")
PIN_FAULTS = ("skip", "double")
MODEL_FAULTS = ("scale", "roll", "nan")
SWW_FAULTS = ("unwired", "short")
URL_OPTIONS = (
    "io", "baud", "profile", "fault", "monitor_fault", "pin_fault", "model_fault",
    "sww_misses", "sww_false_alarms", "sww_fault",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SwwOptions:
    """The simulated streaming wake word bench: wake words the DUT misses and false alarms it
    raises per clip; ``unwired``: its wake-word pin never reaches the interface board;
    ``play_limit_s``: the board's wavs end after that many seconds."""

    misses: int = 0
    false_alarms: int = 0
    unwired: bool = False
    play_limit_s: float | None = None


@dataclass(frozen=True, slots=True)
class SimFault:
    """A DUT fault: after ``after_commands`` commands have reached the DUT, it goes
    ``"silent"`` (answers nothing more), ``"reset"`` (reboots while running the next
    command, printing its boot banner), ``"longline"`` (answers the next command with one
    line of ``value`` bytes ending in ``m-ready``, a runaway print, and nothing else) or
    ``"late"`` (busy for ``value`` seconds before it runs the next command). A
    ``"banner_on_open"`` board resets whenever its port is opened (through ``sim://``) and
    prints its boot banner ``value`` seconds later; what arrives before is lost."""

    kind: str
    after_commands: int = 0
    value: float = 0.0


@dataclass(frozen=True, slots=True)
class MonitorFault:
    """A simulated-monitor fault: ``"silent"`` (never answers), ``"stale"`` (still streaming
    from an earlier run when the host opens it), ``"overrun"`` or ``"drop"`` (``count``
    samples lost) after ``after_samples`` samples, ``"unplug"`` (the port goes away once
    ``after_samples`` samples have streamed), ``"stop"`` (the instrument hangs after
    ``after_samples`` samples: no sample, event or reply more, its port still open) or
    ``"refuse"`` (a text-command instrument answers every command starting with ``command``
    with an error)."""

    kind: str
    after_samples: int = 0
    count: int = 0
    command: str = ""


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
    sww: SwwOptions = SwwOptions()

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
    sww: SwwOptions = SwwOptions()

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
            stream = get_workload(workload_id).flow == "stream"
            io = "h573" if mode == "energy" or stream else None
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
            sww=self.sww,
        )


def _bad(url: str, problem: str) -> ConfigurationError:
    return ConfigurationError(
        f"simulated bench {url!r}: {problem}; see 'sim://' options in the README "
        "(io, baud, profile, fault, monitor_fault, pin_fault, model_fault, sww_misses, "
        "sww_false_alarms, sww_fault)"
    )


def _count(url: str, text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _bad(url, f"{what} must be a whole number, not {text!r}") from None
    if value < 0:
        raise _bad(url, f"{what} must not be negative")
    return value


_DUT_FAULT_FORMS = (
    "silent@N, reset@N, longline@N:BYTES, late@N:SECONDS (N commands first) or "
    "banner_on_open:SECONDS"
)


def _seconds(url: str, text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _bad(url, f"{what} must be a number of seconds, not {text!r}") from None
    if not 0 <= value < float("inf"):
        raise _bad(url, f"{what} must be a finite number of seconds >= 0, not {text!r}")
    return value


def _dut_fault(url: str, text: str) -> SimFault:
    if text.startswith("banner_on_open:"):
        return SimFault("banner_on_open", 0, _seconds(url, text.partition(":")[2], "the delay"))
    kind, _, rest = text.partition("@")
    after, _, value = rest.partition(":")
    if kind not in _AFTER_FAULTS or not after or bool(value) != (kind in _VALUED):
        raise _bad(url, f"fault={text!r}: use {_DUT_FAULT_FORMS}")
    count = _count(url, after, "the command count")
    if kind == "longline":
        size = _count(url, value, "the line's length in bytes")
        if size < len("m-ready"):
            raise _bad(url, f"fault={text!r}: the line must hold at least the 7 bytes of m-ready")
        return SimFault(kind, count, size)
    if kind == "late":
        return SimFault(kind, count, _seconds(url, value, "the delay"))
    return SimFault(kind, count)


def _monitor_fault(url: str, text: str) -> MonitorFault:
    """``KIND[:COUNT][@AFTER]``: e.g. ``drop:5@36000``, ``overrun@40000``, ``silent``; or
    ``refuse:COMMAND`` (``refuse:pwr on``)."""
    if text.startswith("refuse:"):
        command = " ".join(text.partition(":")[2].split())
        if not command:
            raise _bad(url, "monitor_fault=refuse needs a command: refuse:COMMAND (refuse:pwr on)")
        return MonitorFault("refuse", command=command)
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


def _sww_fault(url: str, text: str, options: SwwOptions) -> SwwOptions:
    kind, _, after = text.partition("@")
    if kind == "unwired" and not after:
        return replace(options, unwired=True)
    if kind == "short" and after:
        try:
            seconds = float(after)
        except ValueError:
            seconds = float("nan")
        if seconds > 0:
            return replace(options, play_limit_s=seconds)
    raise _bad(url, f"sww_fault={text!r}: use unwired or short@SECONDS")


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
    sww = options.sww
    if "sww_misses" in one:
        sww = replace(sww, misses=_count(url, one["sww_misses"], "sww_misses"))
    if "sww_false_alarms" in one:
        sww = replace(sww, false_alarms=_count(url, one["sww_false_alarms"], "sww_false_alarms"))
    if "sww_fault" in one:
        sww = _sww_fault(url, one["sww_fault"], sww)
    return replace(options, sww=sww)
