"""Simulated instrument errors and reference loads, at the device: a simulated LPM01A with a
gain, an offset and a fast clock reads what the model says, counts more samples per true
second and puts events on its own clock; a reference load on the bench draws V / R."""

from __future__ import annotations

import numpy as np
import pytest
from fake_front_end import FakeFrontEnd
from test_lpm01a_device import decoded, started

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.instruments.registry import parse_monitor
from tinyjoule.host.measurement.stream import Event
from tinyjoule.host.sim.config import SimBenchConfig
from tinyjoule.host.sim.instrument_errors import InstrumentErrors
from tinyjoule.host.sim.simulated_bench import SimulatedBench

ERRORS = InstrumentErrors(gain=1.03, offset_a=5e-6, timebase_ppm=200.0)


def test_a_simulated_lpm01a_reads_gain_times_current_plus_offset() -> None:
    device = started(FakeFrontEnd(current_a=2e-3), fmt="bin_hexa", freq="1k")
    device.errors = ERRORS
    values, _, _, _ = decoded(device, fmt="bin_hexa", upto=1.0)
    assert float(np.mean(values)) == pytest.approx(1.03 * 2e-3 + 5e-6, rel=3e-4)


def test_its_clock_runs_fast_and_its_events_follow_it() -> None:
    device = started(FakeFrontEnd(current_a=2e-3, falling=[5.0]), freq="1k")
    device.errors = InstrumentErrors(timebase_ppm=200.0)
    values, others, _, _ = decoded(device, upto=10.0)
    assert len(values) == 10_002  # 10 true seconds at 1 kHz x (1 + 200 ppm)
    (event,) = [i for i in others if isinstance(i, Event)]
    assert event.sample_index == 5_002  # the edge at 5.0 s falls in sample 5001 of its clock


def test_energy_output_is_the_reading_at_the_nominal_rate() -> None:
    device = started(FakeFrontEnd(current_a=2e-3), output="energy", freq="1k")
    device.errors = ERRORS
    values, _, _, _ = decoded(device, upto=1.0, unit="J")
    reading = 1.03 * 2e-3 + 5e-6
    assert float(np.mean(values)) == pytest.approx(reading * 1.8 / 1000.0, rel=1e-3)


def test_a_reference_load_draws_volts_over_ohms_and_the_board_stays_off() -> None:
    choice = parse_monitor("sim:lpm01a?gain=1.03&noise_ua=0")
    bench = SimulatedBench(
        SimBenchConfig(firmware_mode="energy", monitor="lpm01a", monitor_errors=choice.options)
    )
    assert bench.monitor is not None and bench.monitor.device.errors.gain == 1.03
    assert bench.monitor.device.noise_a == 0.0
    bench.connect_load(1000.0)
    bench.host_write("monitor", b"htc\nvolt 1800m\npwr on nostatus\n", 3686400)
    assert bench.dut.power.currents_a[-1] == pytest.approx(1.8e-3)
    assert not bench.dut.activity.activities  # the board never booted
    bench.connect_load(None)
    assert bench.dut.power.currents_a[-1] == 0.0  # the open output


def test_a_simulator_that_cannot_render_errors_refuses_them(monkeypatch) -> None:
    from tinyjoule.host.sim.monitors.lpm01a import SimulatedLpm01a

    monkeypatch.setattr(SimulatedLpm01a, "simulates_errors", False)
    with pytest.raises(ConfigurationError, match="does not simulate instrument errors"):
        SimulatedBench(SimBenchConfig(monitor="lpm01a", monitor_errors=(("gain", 1.1),)))
