"""Setting up an energy run: the monitor powers the DUT, streams, and feeds the pump.

Order, as on a real bench: open and configure the monitor, power the target, start the
acquisition and the pump thread, give the DUT time to boot, then open the DUT link. The
trace file is written from the first sample on; whatever happens, the monitor is stopped,
the target powered off and the trace closed (marked complete or not). Once the monitor
says who it is, its calibration record is chosen (``host.calibrate.applying``): the pump
corrects samples on their way to the integrator, the trace keeps them raw with the
correction in its ``calibration`` attribute.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyjoule.device_text import clip
from tinyjoule.errors import ConfigurationError
from tinyjoule.host.calibrate.applying import (
    AppliedCalibration,
    CalibrationPolicy,
    choose,
    uncertainty_model,
)
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
    writer: TraceWriter | None
    config: MonitorConfig
    model: UncertaintyModel
    calibration: AppliedCalibration


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


make_driver = _make_driver  # for the calibration workflows, which open monitors the same way


@contextmanager
def energy_bench(
    choice: MonitorChoice,
    url: str,
    config: MonitorConfig,
    trace_path: Path | None,
    attrs: dict[str, object],
    boot_wait_s: float = BOOT_WAIT_S,
    transcript: Any = None,
    driver_options: Mapping[str, Any] | None = None,
    calibration: CalibrationPolicy | None = None,
    simulated: bool = False,
    observers: list[Any] | None = None,
    before_start: Callable[[EnergyMonitor], None] | None = None,
) -> Iterator[EnergyBench]:
    """The monitor open, configured, powering the target and streaming into a pump (and
    ``trace_path``, unless None); ``calibration`` None: no record is looked for."""
    monitor = _make_driver(choice, url, transcript, driver_options or {})
    info = monitor.open()
    writer: TraceWriter | None = None
    pump: MonitorPump | None = None
    error: str | None = None
    try:
        monitor.configure(config)
        info = getattr(monitor, "info", None) or info  # some facts (who powers the DUT) follow it
        device = f"{info.kind.upper()} ({info.port})"
        facts = type(monitor).facts
        chosen = (
            choose(calibration, facts, info, config, simulated)
            if calibration is not None
            else AppliedCalibration(False, "not looked for")
        )
        model = uncertainty_model(facts, monitor.accuracy_relative, config, chosen)
        writer = (
            None
            if trace_path is None
            else TraceWriter(
                trace_path,
                {
                    **attrs,
                    "calibration": chosen.to_dict(),
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
        )
        clock = getattr(monitor, "clock", SYSTEM_CLOCK)
        pump = MonitorPump(monitor, device, writer, clock, chosen.stream, observers)
        if before_start is not None:
            before_start(monitor)
        monitor.power(True)
        monitor.start()
        pump.start()
        clock.sleep(boot_wait_s)
        yield EnergyBench(monitor, info, pump, writer, config, model, chosen)
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
