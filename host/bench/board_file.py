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

# [monitor] calibration = "lpm01a_0042.json"     # pin a calibration record ("none": none)
# [monitor.sim]            # a simulated monitor's errors (kind = "sim:lpm01a")
# gain = 1.03, offset_ua = 5.0, timebase_ppm = 200.0, noise_ua = 2.0, seed = 1

# [bench]                  # instead of [dut]/[io_manager]: a whole bench by URL
# url = "sim://?io=h573&monitor_fault=drop:5@36000"
"""

from __future__ import annotations

import math
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


SECTIONS: dict[str, tuple[str, ...]] = {
    "dut": ("port", "baud", "reply_timeout_s"),
    "io_manager": ("port", "kind", "baud"),
    "monitor": ("kind", "port", "driver", "calibration", "sim"),
    "bench": ("url",),
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # TOML true is not a baud


def _section(data: Mapping[str, Any], name: str, path: Path) -> Mapping[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, Mapping):
        raise ConfigurationError(
            f"board file {path}: {name} = {_shown(table)} must be a table, [{name}] with "
            f"{', '.join(SECTIONS[name])} under it"
        )
    unknown = sorted(set(table) - set(SECTIONS[name]))
    if unknown:
        raise ConfigurationError(
            f"board file {path} [{name}]: unknown key {unknown[0]!r}; "
            f"[{name}] takes {', '.join(SECTIONS[name])}"
        )
    return table


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _text(table: Mapping[str, Any], key: str, section: str, path: Path) -> str | None:
    value = table.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigurationError(
            f"board file {path} [{section}]: {key} = {_shown(value)} must be a string, e.g. "
            f'{key} = "{_EXAMPLES.get(key, "...")}"'
        )
    return value


_EXAMPLES = {"port": "/dev/ttyACM0", "kind": "lpm01a", "url": "sim://"}


def _baud_map(value: Any, source: str) -> dict[str, int]:
    if value is None:
        return {}
    if _is_int(value) and value > 0:
        return dict.fromkeys(MODES, value)
    if isinstance(value, Mapping) and all(
        k in MODES and _is_int(v) and v > 0 for k, v in value.items()
    ):
        return dict(value)
    raise ConfigurationError(
        f"{source}: baud = {_shown(value)}; give a positive integer (baud = 115200) or a "
        f"table with keys {', '.join(MODES)} (baud = {{ energy = 9600 }})"
    )


def _io_baud(value: Any, path: Path) -> int:
    if not _is_int(value) or value <= 0:
        raise ConfigurationError(
            f"board file {path} [io_manager]: baud = {_shown(value)} must be a positive "
            "integer (baud = 115200)"
        )
    return value


def _reply_timeout(value: Any, path: Path) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(
            f"board file {path} [dut]: reply_timeout_s = {_shown(value)} must be a positive "
            "number of seconds, e.g. reply_timeout_s = 12"
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
    kind, port = _text(table, "kind", "monitor", path), _text(table, "port", "monitor", path)
    if kind is None:
        raise ConfigurationError(
            f'board file {path} [monitor]: give its kind, e.g. kind = "lpm01a"'
        )
    text = f"{kind}:{port}" if port else kind
    errors = table.get("sim")
    if errors is None:
        return text
    if not isinstance(errors, Mapping) or not text.lower().startswith("sim:"):
        raise ConfigurationError(
            f"board file {path} [monitor.sim]: instrument errors are for a simulated monitor "
            '(kind = "sim:lpm01a") and go in a table: [monitor.sim] gain = 1.03'
        )
    import urllib.parse

    bad = [k for k, v in errors.items() if isinstance(v, bool) or not isinstance(v, (int, float))]
    if bad:
        raise ConfigurationError(
            f"board file {path} [monitor.sim]: {bad[0]} = {_shown(errors[bad[0]])} must be a "
            "number, e.g. gain = 1.03"
        )
    return f"{text}?{urllib.parse.urlencode({k: repr(v) for k, v in errors.items()})}"


def _beside(path: Path, value: str | None) -> str | None:
    """A file named relative to the board file, as an absolute path (else as written)."""
    if value is None:
        return None
    beside = path.parent / value
    return str(beside.resolve()) if beside.is_file() else value


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"board file {path}: cannot read it ({exc})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigurationError(
            f"board file {path}: line {line} is not UTF-8 (byte 0x{raw[exc.start]:02x}); "
            "TOML files are UTF-8: save it as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"board file {path}: not valid TOML ({exc})") from exc


def load_board_file(path: Path) -> BenchSpec:
    """The bench a board file describes; a clear ``ConfigurationError`` naming the file, the
    section and the key for anything it cannot use."""
    data = _read(path)
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ConfigurationError(
            f"board file {path}: unknown section or key {unknown[0]!r}; a board file has "
            f"{', '.join(f'[{s}]' for s in SECTIONS)}"
        )
    dut, io = _section(data, "dut", path), _section(data, "io_manager", path)
    monitor, bench = _section(data, "monitor", path), _section(data, "bench", path)
    io_kind = _text(io, "kind", "io_manager", path) or "arduino"
    try:
        return BenchSpec(
            monitor=_monitor_text(monitor, path),
            monitor_driver_options=_driver_options(monitor, path),
            monitor_calibration=_beside(path, _text(monitor, "calibration", "monitor", path)),
            dut_url=_text(dut, "port", "dut", path) if not io else None,
            dut_baud=_baud_map(dut.get("baud"), f"board file {path} [dut]"),
            dut_reply_timeout_s=_reply_timeout(dut.get("reply_timeout_s"), path),
            io_url=_text(io, "port", "io_manager", path),
            io_kind=io_kind,
            io_baud=_io_baud(io.get("baud", IO_MANAGER_BAUD), path),
            bench_url=_text(bench, "url", "bench", path),
        )
    except ConfigurationError as exc:
        if str(exc).startswith("board file"):
            raise
        raise ConfigurationError(f"board file {path}: {exc}") from None
