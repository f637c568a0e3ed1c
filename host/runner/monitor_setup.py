"""Setting up an energy run: the monitor powers the DUT, streams, and feeds the pump.

Order, as on a real bench: open and configure the monitor, power the target, start the
acquisition and the pump thread, give the DUT time to boot, then open the DUT link. The
trace file is written from the first sample on; whatever happens, the monitor is stopped,
the target powered off and the trace closed (marked complete or not).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyjoule.device_text import clip
from tinyjoule.errors import ConfigurationError
from tinyjoule.host.clock import SYSTEM_CLOCK
from tinyjoule.host.instruments.base import EnergyMonitor, MonitorConfig, MonitorInfo
from tinyjoule.host.instruments.registry import MonitorChoice, monitor_class
from tinyjoule.host.measurement.integration import UncertaintyModel
from tinyjoule.host.measurement.pump import MonitorPump
from tinyjoule.host.measurement.trace_file import TraceWriter

BOOT_WAIT_S = 1.0


@dataclass
class EnergyBench:
    monitor: EnergyMonitor
    info: MonitorInfo
    pump: MonitorPump
    writer: TraceWriter
    config: MonitorConfig
    model: UncertaintyModel


def _make_driver(
    choice: MonitorChoice, url: str, transcript: Any, options: Mapping[str, Any]
) -> EnergyMonitor:
    """The driver for ``choice``, with the board file's options and the transcript if it
    takes them."""
    cls = monitor_class(choice.kind)
    accepted = inspect.signature(cls).parameters
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        known = ", ".join(name for name in accepted if name != "url")
        raise ConfigurationError(
            f"board file [monitor.driver]: {choice.kind} has no option {', '.join(unknown)}; "
            f"it takes {known}"
        )
    kwargs = dict(options)
    if "transcript" in accepted:
        kwargs["transcript"] = transcript
    return cls(url, **kwargs)


@contextmanager
def energy_bench(
    choice: MonitorChoice,
    url: str,
    config: MonitorConfig,
    trace_path: Path,
    attrs: dict[str, object],
    boot_wait_s: float = BOOT_WAIT_S,
    transcript: Any = None,
    driver_options: Mapping[str, Any] | None = None,
) -> Iterator[EnergyBench]:
    monitor = _make_driver(choice, url, transcript, driver_options or {})
    info = monitor.open()
    writer: TraceWriter | None = None
    pump: MonitorPump | None = None
    error: str | None = None
    try:
        monitor.configure(config)
        info = getattr(monitor, "info", None) or info  # some facts (who powers the DUT) follow it
        device = f"{info.kind.upper()} ({info.port})"
        writer = TraceWriter(
            trace_path,
            {
                **attrs,
                "sample_rate_hz": config.sample_rate_hz,
                "unit": "J" if config.output == "energy" else "A",
                "supply_voltage_v": config.voltage_v,
                "instrument": info.kind,
                "instrument_port": info.port,
                "instrument_firmware": clip(info.firmware_version),
                "instrument_serial": clip(info.serial_number or ""),
                "stream_format": config.stream_format,
                "powers_target": info.powers_target,
            },
        )
        clock = getattr(monitor, "clock", SYSTEM_CLOCK)
        pump = MonitorPump(monitor, device, writer, clock)
        monitor.power(True)
        monitor.start()
        pump.start()
        clock.sleep(boot_wait_s)
        model = UncertaintyModel(reading_relative=monitor.accuracy_relative)
        yield EnergyBench(monitor, info, pump, writer, config, model)
    except BaseException as exc:
        error = str(exc) or type(exc).__name__
        raise
    finally:
        # Each step on its own: a failing one must not skip powering off or closing the trace.
        if pump is not None:
            with contextlib.suppress(Exception):
                pump.stop()
            if error is None and pump.error is not None:
                error = str(pump.error)
        measured_v = getattr(monitor, "mean_voltage_v", None)
        if writer is not None and measured_v is not None:  # monitors that measure the supply
            with contextlib.suppress(Exception):
                writer.set_attrs({"measured_voltage_v": float(measured_v)})
        with contextlib.suppress(Exception):
            monitor.power(False)
        with contextlib.suppress(Exception):
            monitor.close()
        if writer is not None:
            writer.close(error)
