"""Corrections, references and record files: a correction undone gives the raw samples
back and recovers the true energy of a modelled instrument (hypothesis); references parse
as written or are refused with the fix; records survive a round trip, are written
atomically and refused clearly when damaged."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.calibration import store
from tinyjoule.calibration.correction import Correction, StreamCorrection
from tinyjoule.calibration.record import CalibrationRecord, is_simulated_serial
from tinyjoule.calibration.references import OPEN, parse_reference
from tinyjoule.errors import ConfigurationError

corrections = st.builds(
    Correction,
    gain=st.floats(min_value=0.5, max_value=2.0),
    offset_a=st.floats(min_value=-1e-3, max_value=1e-3),
    timebase_ppm=st.floats(min_value=-1000, max_value=1000),
)


@settings(max_examples=200, deadline=None)
@given(
    corrections,
    st.sampled_from(["A", "J"]),
    st.lists(st.floats(min_value=0, max_value=0.1), min_size=1, max_size=50),
)
def test_a_correction_applied_then_undone_gives_the_raw_samples_back(c, unit, values) -> None:
    raw = np.array(values)
    stream = c.stream(unit, 1000.0, 1.8)
    corrected = stream.apply(raw)
    np.testing.assert_allclose(stream.undo(corrected), raw, rtol=1e-12, atol=1e-15)
    assert StreamCorrection.from_attrs(stream.to_attrs()) == stream
    assert raw is not corrected and np.array_equal(raw, np.array(values))  # raw untouched


@settings(max_examples=200, deadline=None)
@given(corrections, st.floats(min_value=1e-4, max_value=0.05), st.sampled_from(["A", "J"]))
def test_a_correction_recovers_the_true_energy_of_the_modelled_instrument(c, current, unit):
    """The instrument model: reading = gain x I + offset, clock (1 + ppm) fast; energy output
    = reading x V / nominal fs. One true second of constant current, corrected."""
    fs, volts = 1000.0, 1.8
    true_rate = fs * c.rate_factor
    n = round(true_rate)  # samples in about one true second
    reading = c.gain * current + c.offset_a
    raw = np.full(n, reading if unit == "A" else reading * volts / fs)
    stream = c.stream(unit, fs, volts)
    total = float(np.sum(stream.apply(raw)))
    energy = volts * total / stream.sample_rate_hz if unit == "A" else total
    assert energy == pytest.approx(volts * current * n / true_rate, rel=1e-9)


def test_references_parse_as_written() -> None:
    r = parse_reference("1kohm±0.01%")
    assert (r.kind, r.value, r.distribution) == ("resistor", 1000.0, "rectangular")
    assert r.relative_u == pytest.approx(1e-4 / math.sqrt(3))
    assert r.current_a(1.8) == pytest.approx(1.8e-3)
    assert parse_reference("100Ω+-0.1%").value == 100.0
    c = parse_reference("1.8003mA±0.4uA(k=2)")
    assert c.kind == "current" and c.distribution == "normal"
    assert c.relative_u == pytest.approx(0.4e-6 / 1.8003e-3 / 2)
    assert parse_reference("open") is OPEN and OPEN.current_a(3.3) == 0.0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1kohm", "needs its own uncertainty"),
        ("1kfoo±1%", "unknown unit"),
        ("1kohm±60%", "below 50 %"),
        ("one kilo-ohm", "not understood"),
        ("1kohm±1mA", "not the value's kind"),
    ],
)
def test_bad_references_are_refused_with_the_fix(text, problem) -> None:
    with pytest.raises(ConfigurationError, match=problem) as err:
        parse_reference(text)
    assert "1kohm±0.01%" in str(err.value)


def _record(**changes) -> CalibrationRecord:
    values = {
        "kind": "lpm01a",
        "serial_number": "0042-17",
        "simulated": False,
        "created": "2026-01-02T03:04:05+01:00",
        "tinyjoule_version": "0.1.0",
        "voltage_v": 1.8,
        "offset": {"offset_a": 5e-6, "standard_uncertainty_a": 1e-8},
        "gain": {
            "gain": 1.03,
            "offset_a": 4.9e-6,
            "covariance": {
                "references": [[1e-9, 0.0], [0.0, 1e-18]],
                "scatter": [[1e-10, 0.0], [0.0, 1e-18]],
                "resolution": [[1e-10, 0.0], [0.0, 1e-18]],
            },
        },
        "timebase": {"timebase_ppm": 200.0, "fit_u_ppm": 0.05, "reference_u_ppm": 0.0},
    }
    values.update(changes)
    return CalibrationRecord(**values)


def test_a_record_survives_its_file(tmp_path) -> None:
    record = _record()
    path = store.save(record, tmp_path)
    assert path.name == "lpm01a_0042-17.json"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    loaded = store.load(path)
    assert loaded.to_dict() == record.to_dict()
    c = loaded.correction()
    assert (c.gain, c.offset_a, c.timebase_ppm) == (1.03, 4.9e-6, 200.0)  # the fit's offset
    assert store.find("lpm01a", "0042-17", tmp_path) == loaded
    assert store.resolve("lpm01a:0042-17", tmp_path) == path
    json.loads(path.read_text())  # strict JSON
    assert "NaN" not in path.read_text()


def test_a_new_record_replaces_the_old_one_whole(tmp_path) -> None:
    store.save(_record(voltage_v=3.3), tmp_path)
    path = store.save(_record(), tmp_path)
    assert store.load(path).voltage_v == 1.8 and len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not valid JSON"),
        ('{"format": "other"}', "not a tinyjoule-calibration file"),
        ('{"format": "tinyjoule-calibration", "format_version": 9}', "format version 9"),
    ],
)
def test_a_damaged_record_is_refused_naming_the_file_and_the_fix(tmp_path, text, problem):
    path = tmp_path / "lpm01a_x.json"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=problem) as err:
        store.load(path)
    assert str(path) in str(err.value) and "calibrate again" in str(err.value)


def test_a_record_with_a_wrong_value_is_refused(tmp_path) -> None:
    data = _record().to_dict()
    data["gain"]["gain"] = -1.0
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigurationError, match="a value is missing or wrong"):
        store.load(path)


def test_expiry_and_simulated_serials() -> None:
    record = _record(max_age_days=30.0)
    assert record.expired()  # made in January 2026
    assert is_simulated_serial("SIM3932216-1") and not is_simulated_serial("3932216-1")
    assert not is_simulated_serial(None)


def test_an_unknown_record_names_the_known_ones(tmp_path) -> None:
    store.save(_record(), tmp_path)
    with pytest.raises(ConfigurationError, match="lpm01a_0042-17"):
        store.resolve("ppk2:nope", tmp_path)
