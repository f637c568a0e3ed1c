"""Board files: a bench described in TOML, so a real bench is one ``--board FILE``::

[dut]                      # the DUT's own UART (leave out when it sits behind an IO manager)
port = "/dev/ttyACM0"
baud = { performance = 115200, accuracy = 115200, energy = 9600 }   # or one integer
reply_timeout_s = 5.0      # optional: seconds the DUT may take to answer a command (not infer)

[io_manager]               # optional
port = "/dev/ttyACM1"
kind = "h573"              # "h573" (STM32H573I-DK enhanced board) or "arduino"
baud = 115200

[monitor]                  # energy mode
kind = "lpm01a"
port = "/dev/ttyACM2"

[monitor.driver]           # optional keyword arguments for the monitor's driver, e.g.
# calibration_overrides = { R0 = 1003.0, ... }   # a PPK2 with damaged calibration

# [bench]                  # instead of [dut]/[io_manager]: a whole bench by URL
# url = "sim://?io=h573&monitor_fault=drop:5@36000"
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.bench.spec import IO_MANAGER_BAUD, MODES, BenchSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


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


def _reply_timeout(value: Any, path: Path) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigurationError(
            f"board file {path} [dut]: reply_timeout_s must be a positive number of seconds"
        )
    return float(value)


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
    bench = data.get("bench", {})
    return BenchSpec(
        monitor=_monitor_text(monitor, path),
        monitor_driver_options=_driver_options(monitor, path),
        dut_url=dut.get("port") if not io else None,
        dut_baud=_baud_map(dut.get("baud"), f"board file {path} [dut]"),
        dut_reply_timeout_s=_reply_timeout(dut.get("reply_timeout_s"), path),
        io_url=io.get("port"),
        io_kind=io.get("kind", "arduino"),
        io_baud=_io_baud(io.get("baud", IO_MANAGER_BAUD), path),
        bench_url=bench.get("url"),
    )
