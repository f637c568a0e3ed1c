"""Calibration given something it cannot use: one clear message naming the cause and the
fix, and an unusable calibration never applied silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from calibration_check import MONITOR, QuietUi, calibrate_simulated, energy_run

from tinyjoule.calibration import store
from tinyjoule.calibration.record import CalibrationRecord
from tinyjoule.calibration.references import OPEN, Reference, parse_reference
from tinyjoule.errors import ConfigurationError, MeasurementError
from tinyjoule.host.bench.board_file import load_board_file
from tinyjoule.host.calibrate.applying import CalibrationPolicy, choose
from tinyjoule.host.calibrate.workflows import (
    Target,
    calibration_bench,
    gain_section,
    measure_references,
)
from tinyjoule.host.instruments.base import MonitorInfo
from tinyjoule.host.instruments.registry import monitor_facts, parse_monitor
from tinyjoule.tinyml_workloads.workloads import get_workload


def test_a_reference_beyond_the_instrument_s_range_is_refused_before_connecting() -> None:
    with pytest.raises(ConfigurationError) as err:
        calibrate_simulated(workflows=("zero", "gain"), references=[parse_reference("10ohm±1%")])
    message = str(err.value)
    assert "10ohm±1%" in message and "outside the ST X-NUCLEO-LPM01A" in message
    assert "use a resistor between 36 Ω" in message


class _Miswired:
    """A person who connects something else than asked for ``wrong`` (a stand-in fixture)."""

    simulated = True

    def __init__(self, inner, wrong: str, instead: Reference) -> None:
        self.inner, self.wrong, self.instead = inner, wrong, instead

    def builtin(self):
        return self.inner.builtin()

    def connect(self, reference, voltage_v):
        if reference is not None and reference.text == self.wrong:
            reference = self.instead
        self.inner.connect(reference, voltage_v)


def _measure_miswired(wrong: str, instead: Reference, loads: list[str]):
    target = Target(parse_monitor(MONITOR), 1.8)
    refs = [OPEN, *(parse_reference(t) for t in loads)]
    with calibration_bench(target, "energy", get_workload("kws01"), QuietUi(), False, None) as b:
        b.fixture = _Miswired(b.fixture, wrong, instead)
        measured = measure_references(target, b, refs, 0.5, 0.2, QuietUi())
    return gain_section(measured, target.facts, target.choice.label)


def test_a_load_that_draws_nothing_is_an_open_wire() -> None:
    with pytest.raises(MeasurementError) as err:
        _measure_miswired("1kohm±0.01%", OPEN, ["1kohm±0.01%", "180ohm±0.01%"])
    message = str(err.value)
    assert "reference 1kohm±0.01% draws nothing" in message and "open wire" in message
    assert "check that it is connected across the monitor's output" in message


def test_a_fit_whose_residuals_are_far_above_the_noise_is_refused() -> None:
    wrong = parse_reference("1010ohm±0.01%")  # a 1 % part where 0.01 % was stated
    with pytest.raises(MeasurementError) as err:
        _measure_miswired("1kohm±0.01%", wrong, ["10kohm±0.01%", "1kohm±0.01%", "68ohm±0.01%"])
    message = str(err.value)
    assert "residuals are" in message and "the references' uncertainty allow" in message
    assert "check the resistors and the wiring, and calibrate again" in message


def test_loads_far_from_their_stated_values_are_refused() -> None:
    with pytest.raises(MeasurementError) as err:
        calibrate_simulated(monitor="sim:lpm01a?gain=1.15", workflows=("zero", "gain"), seconds=0.5)
    assert "the loads read +15.0 % off their stated values" in str(err.value)
    assert "check the resistors' codes and the voltage" in str(err.value)


def test_an_offset_hidden_by_clipped_readings_is_refused_alone_and_fitted_with_loads() -> None:
    monitor = "sim:lpm01a?offset_ua=-20&noise_ua=2"
    with pytest.raises(MeasurementError, match=r"readings are exactly 0 .* from the gain fit"):
        calibrate_simulated(monitor=monitor, workflows=("zero",))
    record = calibrate_simulated(monitor=monitor, workflows=("zero", "gain"), seconds=0.5).record
    assert record.offset is None and record.gain["open_output_excluded"]
    assert record.gain["offset_a"] == pytest.approx(-20e-6, abs=0.5e-6)


def test_unknown_simulated_errors_are_refused_with_the_known_ones() -> None:
    with pytest.raises(ConfigurationError) as err:
        parse_monitor("sim:lpm01a?gian=1.03")
    assert "no option 'gian'" in str(err.value) and "timebase_ppm" in str(err.value)
    with pytest.raises(ConfigurationError, match=r"gain=.-1. must be a finite number above 0"):
        parse_monitor("sim:lpm01a?gain=-1")


@pytest.fixture
def record() -> CalibrationRecord:
    return calibrate_simulated(workflows=("zero", "gain"), seconds=0.5).record


def _rewrite(record: CalibrationRecord, folder: Path, **changes) -> Path:
    data = record.to_dict()
    data["instrument"].update(changes.pop("instrument", {}))
    data.update(changes)
    path = folder / "edited.json"
    path.write_text(json.dumps(data))
    return path


def test_a_pinned_record_of_another_serial_number_stops_the_run(record, sessions, tmp_path):
    path = _rewrite(record, tmp_path, instrument={"serial_number": "SIM0042"})
    with pytest.raises(ConfigurationError) as err:
        energy_run(sessions, calibration_record=str(path))
    message = str(err.value)
    assert "is for lpm01a SIM0042, this one is SIM3932216" in message
    assert "calibrate this instrument (tinyjoule calibrate) or pin its own record" in message


def test_a_record_at_another_voltage_is_not_applied_and_says_why(record, sessions) -> None:
    result = energy_run(sessions, monitor_config=monitor_facts("lpm01a").config(3.3))
    assert result["calibration"]["applied"] is False
    (warning,) = result["calibration"]["warnings"]
    assert "made at 1.8 V, this run supplies 3.3 V" in warning
    assert "calibrate at 3.3 V (tinyjoule calibrate --voltage 3.3)" in warning
    log = next(sessions.glob("*/kws01/log.txt")).read_text()
    assert "WARNING not applied: calibration record" in log
    with pytest.raises(ConfigurationError, match=r"pinned calibration record .* 1.8 V"):
        energy_run(
            sessions,
            monitor_config=monitor_facts("lpm01a").config(3.3),
            calibration_record=str(record.path),
        )


def test_a_simulated_record_is_never_used_for_a_real_instrument(record, tmp_path) -> None:
    path = _rewrite(record, tmp_path, instrument={"serial_number": "3932216-1"})
    real = MonitorInfo("lpm01a", "/dev/ttyACM2", "1.0.7", "3932216-1")
    facts = monitor_facts("lpm01a")
    config = facts.config(1.8)
    with pytest.raises(ConfigurationError, match="made with the simulator and is never used"):
        choose(CalibrationPolicy(pinned=str(path)), facts, real, config, simulated_bench=False)
    store.save(store.load(path))  # as if it were this instrument's own record
    chosen = choose(CalibrationPolicy(), facts, real, config, simulated_bench=False)
    assert not chosen.applied and "never used for a real instrument" in chosen.warnings[0]


def test_a_damaged_record_is_not_applied_and_named(record, sessions) -> None:
    assert record.path is not None
    record.path.write_text('{"format": "tinyjoule-calibration", "format_version": 1}')
    result = energy_run(sessions)
    assert result["calibration"]["applied"] is False
    assert str(record.path) in result["calibration"]["warnings"][0]


def test_an_expired_record_is_applied_with_a_warning(record, sessions) -> None:
    assert record.path is not None
    data = json.loads(record.path.read_text())
    data["created"], data["max_age_days"] = "2025-01-01T00:00:00+00:00", 30
    record.path.write_text(json.dumps(data))
    result = energy_run(sessions)
    assert result["calibration"]["applied"] is True
    assert "older than its 30-day limit" in result["calibration"]["warnings"][0]


def test_a_board_file_pins_a_record_and_gives_a_simulated_monitor_its_errors(tmp_path) -> None:
    (tmp_path / "rec.json").write_text("{}")
    board = tmp_path / "board.toml"
    board.write_text(
        '[bench]\nurl = "sim://"\n[monitor]\nkind = "sim:lpm01a"\ncalibration = "rec.json"\n'
        "[monitor.sim]\ngain = 1.03\noffset_ua = 5\n"
    )
    spec = load_board_file(board)
    assert spec.monitor_calibration == str((tmp_path / "rec.json").resolve())
    choice = parse_monitor(spec.monitor or "")
    assert dict(choice.options) == {"gain": 1.03, "offset_ua": 5.0}
    board.write_text('[monitor]\nkind = "lpm01a"\nport = "/dev/x"\n[monitor.sim]\ngain = 1.03\n')
    with pytest.raises(ConfigurationError, match=r"\[monitor.sim\]: instrument errors are for a"):
        load_board_file(board)
