"""Opening a bench: the DUT link (direct or through an IO manager) from URLs or a board file.

A board file is TOML::

    [dut]                      # the DUT's own UART (leave out when it sits behind an IO manager)
    port = "/dev/ttyACM0"
    baud = { performance = 115200, accuracy = 115200, energy = 9600 }   # or one integer

    [io_manager]               # optional
    port = "/dev/ttyACM1"
    kind = "h573"              # "h573" (STM32H573I-DK enhanced board) or "arduino"
    baud = 115200

    [monitor]                  # energy mode
    kind = "lpm01a"
    port = "/dev/ttyACM2"

    [monitor.driver]           # optional keyword arguments for the monitor's driver, e.g.
    # calibration_overrides = { R0 = 1003.0, ... }   # a PPK2 with damaged calibration

Ports are pyserial URLs: device paths, ``socket://``, ``loop://``, ``sim://`` all work.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import serial

from tinyjoule.errors import ConfigurationError, DeviceConnectionError
from tinyjoule.firmware_protocol.io_manager_codec import parse_checkbaud
from tinyjoule.host.link.dut_link import DirectChannel, DutLink, IoManagerChannel
from tinyjoule.host.link.line_port import LinePort
from tinyjoule.host.sim import protocol_sim
from tinyjoule.host.transcript import Transcript
from tinyjoule.tinyml_workloads.workloads import Workload

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MODES = ("performance", "accuracy", "energy")
IO_MANAGER_BAUD = 115200


@dataclass(frozen=True, slots=True)
class BenchSpec:
    """Where the devices are and how fast to talk to them."""

    dut_url: str | None = None
    dut_baud: Mapping[str, int] = field(default_factory=dict)  # per mode; empty: workload's
    io_url: str | None = None
    io_kind: str = "arduino"
    io_baud: int = IO_MANAGER_BAUD
    io_setbaud_wait_s: float = 2.0
    monitor: str | None = None  # KIND:PORT of the energy monitor, e.g. "lpm01a:/dev/ttyACM2"
    monitor_driver_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.dut_url is None) == (self.io_url is None):
            raise ConfigurationError(
                "bench: give exactly one of a DUT port (--dut / [dut] port) or an IO manager "
                "port (--io / [io_manager] port)"
            )
        if self.io_kind not in ("arduino", "h573"):
            raise ConfigurationError(
                f"bench: IO manager kind {self.io_kind!r} is unknown; use 'h573' or 'arduino'"
            )

    def baud_for(self, mode: str, workload: Workload) -> int:
        if mode in self.dut_baud:
            return self.dut_baud[mode]
        return {
            "performance": workload.baud_performance,
            "accuracy": workload.baud_accuracy,
            "energy": workload.baud_energy,
        }[mode]


def _baud_map(value: Any, source: str) -> dict[str, int]:
    if value is None:
        return {}
    if isinstance(value, int):
        return dict.fromkeys(MODES, value)
    if isinstance(value, Mapping) and all(
        k in MODES and isinstance(v, int) for k, v in value.items()
    ):
        return dict(value)
    raise ConfigurationError(
        f"{source}: baud must be an integer or a table with keys {', '.join(MODES)}"
    )


def _io_baud(value: Any, path: Path) -> int:
    if not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f"board file {path} [io_manager]: baud must be a positive integer")
    return value


def _driver_options(table: Mapping[str, Any], path: Path) -> dict[str, Any]:
    options = table.get("driver", {})
    if not isinstance(options, Mapping):
        raise ConfigurationError(
            f"board file {path} [monitor.driver]: must be a table of driver options"
        )
    return dict(options)


def _monitor_text(table: Mapping[str, Any], path: Path) -> str | None:
    """``[monitor]`` as ``KIND[:PORT]`` (a port may be left out where the kind allows it)."""
    if not table:
        return None
    kind, port = table.get("kind"), table.get("port")
    if not isinstance(kind, str) or (port is not None and not isinstance(port, str)):
        raise ConfigurationError(
            f'board file {path} [monitor]: give kind (e.g. "lpm01a") and port as strings'
        )
    return f"{kind}:{port}" if port else kind


def load_board_file(path: Path) -> BenchSpec:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigurationError(f"board file {path}: cannot read it ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"board file {path}: not valid TOML ({exc})") from exc
    dut = data.get("dut", {})
    io = data.get("io_manager", {})
    monitor = data.get("monitor", {})
    return BenchSpec(
        monitor=_monitor_text(monitor, path),
        monitor_driver_options=_driver_options(monitor, path),
        dut_url=dut.get("port") if not io else None,
        dut_baud=_baud_map(dut.get("baud"), f"board file {path} [dut]"),
        io_url=io.get("port"),
        io_kind=io.get("kind", "arduino"),
        io_baud=_io_baud(io.get("baud", IO_MANAGER_BAUD), path),
    )


def open_port(url: str, baud: int, device: str) -> serial.SerialBase:
    protocol_sim.install()
    try:
        return serial.serial_for_url(url, baudrate=baud, timeout=0.02)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise DeviceConnectionError(
            f"{device}: cannot open {url} ({exc}); list the ports with 'tinyjoule devices' "
            "and check the board is plugged in and not open in another program"
        ) from exc


def open_dut(spec: BenchSpec, mode: str, workload: Workload, transcript: Transcript) -> DutLink:
    """A DUT link for ``mode``; through an H573 board, its DUT baud is set first."""
    dut_baud = spec.baud_for(mode, workload)
    if spec.io_url is None:
        assert spec.dut_url is not None
        port = open_port(spec.dut_url, dut_baud, f"DUT ({spec.dut_url})")
        return DutLink(DirectChannel(LinePort(port, f"DUT ({spec.dut_url})", transcript)))
    device = f"IO manager ({spec.io_url})"
    port = open_port(spec.io_url, spec.io_baud, device)
    channel = IoManagerChannel(LinePort(port, device, transcript))
    channel.drain()
    if spec.io_kind == "h573":
        _sync_h573_baud(channel, dut_baud, spec.io_setbaud_wait_s, transcript)
    return DutLink(channel)


def _sync_h573_baud(
    channel: IoManagerChannel, dut_baud: int, wait_s: float, transcript: Transcript
) -> None:
    """Always ``setbaud``, as the reference runner does: besides setting the DUT-side baud,
    the reset it causes empties the board's queue of stale DUT output (such as the boot
    banner), which would otherwise end the first passthrough reply early."""
    current = parse_checkbaud(channel.io_command("checkbaud"))
    transcript.note(f"IO manager DUT baud is {current}; setting {dut_baud} (the board resets)")
    channel.io_command(f"setbaud {dut_baud}")
    if wait_s and not channel.port.device.startswith("IO manager (sim://"):
        time.sleep(wait_s)
    channel.drain()
    now = parse_checkbaud(channel.io_command("checkbaud"))
    if now != dut_baud:
        raise DeviceConnectionError(
            f"{channel.port.device}: setbaud {dut_baud} did not stick (checkbaud says {now}); "
            "update the interface board firmware or set its baud by hand"
        )
