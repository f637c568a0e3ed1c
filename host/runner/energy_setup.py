"""The monitor of an energy run, opened for one workload and described in its session record.

Both flows use it: the 5-window flow (``run.py``) and the streaming wake word
(``sww_mode.py``). The trace file's attributes say where the figures come from (simulated
bench, synthetic data) and how windows were taken; the record gets the monitor's facts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tinyjoule.device_text import clip
from tinyjoule.errors import ConfigurationError
from tinyjoule.host.bench.opening import OpenedBench
from tinyjoule.host.calibrate.applying import note_calibration, policy_for
from tinyjoule.host.measurement.pump import BUFFER_WARNING_PERCENT
from tinyjoule.host.results.session import WorkloadRecord
from tinyjoule.host.runner.monitor_setup import BOOT_WAIT_S, EnergyBench, energy_bench
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.tinyml_workloads.workloads import Workload


@contextmanager
def recorded_energy_bench(
    request: RunRequest,
    workload: Workload,
    record: WorkloadRecord,
    bench: OpenedBench,
    extra_attrs: dict[str, Any] | None = None,
) -> Iterator[EnergyBench]:
    config = request.resolved_monitor_config()
    if bench.monitor_url is None:
        raise ConfigurationError(f"{bench.link.label}: the bench has no energy monitor")
    attrs = {
        "workload": workload.id,
        "dut_bench": bench.link.label,
        "window_convention": "half_edge_samples",
        "simulated": bench.simulated,
        "synthetic_dataset": bool(record.data.get("synthetic_dataset")),
        "provenance": record.data.get("provenance", {}),
        **(extra_attrs or {}),
    }
    with energy_bench(
        request.monitor,
        bench.monitor_url,
        config,
        record.folder / "trace.h5",
        attrs,
        boot_wait_s=BOOT_WAIT_S,
        transcript=record.transcript.summarising(),
        driver_options={**request.bench.monitor_driver_options, **bench.monitor_options},
        calibration=policy_for(request),
        simulated=bench.simulated,
    ) as monitor:
        note_calibration(monitor.calibration, record)
        record.update(
            monitor={
                "kind": monitor.info.kind,
                "port": monitor.info.port,
                "firmware": clip(monitor.info.firmware_version),
                "serial_number": clip(monitor.info.serial_number or "") or None,
                "sample_rate_hz": config.sample_rate_hz,
                "output": config.output,
                "stream_format": config.stream_format,
                "supply_voltage_v": config.voltage_v,
                "accuracy_relative": monitor.model.reading_relative,
                "powers_target": monitor.info.powers_target,
            },
            trace="trace.h5",
        )
        yield monitor


def note_buffer_load(percent: int, record: WorkloadRecord) -> None:
    record.update(monitor={**record.data.get("monitor", {}), "max_buffer_percent": percent})
    if percent >= BUFFER_WARNING_PERCENT:
        record.log(
            f"WARNING the monitor's buffer reached {percent}% (an overrun follows at 100%): "
            "lower the sample rate or use a binary stream format"
        )
