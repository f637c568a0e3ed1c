"""PPK2 protocol: command bytes, voltage encoding, metadata parsing, calibration edge cases
(missing, zero, erased, absurd: the "zetta-ampere" units), and picking the data port."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from tinyjoule.errors import DeviceConnectionError, ProtocolError
from tinyjoule.firmware_protocol.ppk2_protocol import (
    DEFAULTS,
    Calibration,
    Ppk2CalibrationError,
    calibration_from_metadata,
    current_table,
    decode_source_voltage,
    dut_power_command,
    metadata_complete,
    mode_command,
    parse_metadata,
    source_voltage_command,
)
from tinyjoule.host.instruments.ppk2_ports import pick_data_port
from tinyjoule.host.sim.monitors.ppk2 import SIM_CALIBRATION, SimulatedPpk2

DEVICE = "PPK2 (/dev/ttyACM3)"


def dump(fault: str | None = None) -> bytes:
    """A unit's metadata in the firmware's layout (the simulator's calibration)."""
    device = SimulatedPpk2(front_end=None)  # type: ignore[arg-type]
    device.inject_calibration(fault)
    return device.metadata()


def meta(fault: str | None = None) -> dict[str, str]:
    return parse_metadata(dump(fault))


# -- commands --------------------------------------------------------------------------------
def test_source_voltage_encoding() -> None:
    assert source_voltage_command(3300) == bytes.fromhex("0d 0c e4")
    assert source_voltage_command(800) == bytes.fromhex("0d 03 20")
    assert source_voltage_command(1800) == bytes.fromhex("0d 07 08")
    assert source_voltage_command(5000) == bytes.fromhex("0d 13 88")
    for mv in range(800, 5001):
        command = source_voltage_command(mv)
        assert decode_source_voltage(command[1], command[2]) == mv
    for bad in (799, 5001):
        with pytest.raises(ValueError, match="800-5000 mV"):
            source_voltage_command(bad)


def test_mode_and_power_commands() -> None:
    assert mode_command("ampere") == b"\x11\x01" and mode_command("source") == b"\x11\x02"
    assert dut_power_command(True) == b"\x0c\x01" and dut_power_command(False) == b"\x0c\x00"


# -- metadata --------------------------------------------------------------------------------
def test_metadata_parsing_skips_stale_bytes_and_stops_at_end() -> None:
    stale = bytes(range(200, 256)) * 3
    text = stale + dump().replace(b"\n", b"\r\n") + b"R0: 1.0\n"
    assert metadata_complete(text) and not metadata_complete(text[: text.index(b"END")])
    parsed = parse_metadata(text)
    assert parsed["R0"] == "1015.2000" and parsed["MODE"] == "2" and parsed["VDD"] == "3300"
    assert parsed["HW"] == "54350" and parsed["CALIBRATED"] == "0"
    assert calibration_from_metadata(parsed) == SIM_CALIBRATION


def test_absent_values_take_the_documented_defaults() -> None:
    partial = {k: v for k, v in meta().items() if k not in ("R2", "GI3", "S1", "UG0", "O4")}
    cal = calibration_from_metadata(partial, DEVICE)
    assert cal.r[2] == DEFAULTS["R"][2] == 10.15 and cal.gi[3] == 1.0 and cal.s[1] == 0.0
    assert cal.ug[0] == 1.0 and cal.o[4] == 0.0
    assert set(cal.defaulted) == {"R2", "GI3", "S1", "UG0", "O4"}
    assert cal.r[0] == SIM_CALIBRATION.r[0]


def test_zero_r_gi_ug_default_but_a_zero_gs_is_a_value() -> None:
    values = meta() | {"R1": "0.0000", "GI2": "0", "UG4": "0.00", "GS0": "0.0000", "O0": "0"}
    cal = calibration_from_metadata(values, DEVICE)
    assert cal.r[1] == 101.65 and cal.gi[2] == 1.0 and cal.ug[4] == 1.0
    assert cal.gs[0] == 0.0 and cal.o[0] == 0.0
    assert set(cal.defaulted) == {"R1", "GI2", "UG4"}


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("missing", ["no calibration values", "missing"]),
        ("zero", ["R0..R4", "all zero or missing"]),
        ("erased", ["R0..R4", "blank or damaged"]),
        ("absurd", ["R0 = 3.09504e+27", "O1 = -2.81493e+15", "zetta-ampere"]),
    ],
)
def test_broken_calibration_is_refused_with_the_fix(fault: str, words: list[str]) -> None:
    with pytest.raises(Ppk2CalibrationError) as info:
        calibration_from_metadata(meta(fault), DEVICE)
    message = str(info.value)
    assert isinstance(info.value, ProtocolError)
    assert message.startswith(DEVICE) and "calibration_overrides" in message
    assert "Nordic support" in message
    for word in words:
        assert word in message


def test_overrides_repair_a_broken_set_and_unknown_keys_are_refused() -> None:
    good = {k: float(v) for k, v in meta().items() if k[:1] in "RO" and k[-1].isdigit()}
    cal = calibration_from_metadata(meta("absurd"), DEVICE, overrides=good)
    assert cal.r == SIM_CALIBRATION.r and cal.o == SIM_CALIBRATION.o
    with pytest.raises(ValueError, match="unknown keys"):
        calibration_from_metadata(meta(), DEVICE, overrides={"R9": 1.0})


def test_values_that_are_not_numbers_or_infinite_are_refused() -> None:
    with pytest.raises(Ppk2CalibrationError, match=r"GI1 = '0\.9x' \(not a number\)"):
        calibration_from_metadata(meta() | {"GI1": "0.9x"}, DEVICE)
    with pytest.raises(Ppk2CalibrationError, match="S4 = inf"):
        calibration_from_metadata(meta() | {"S4": "inf"}, DEVICE)
    with pytest.raises(Ppk2CalibrationError, match="R3 = 9"):
        calibration_from_metadata(meta() | {"R3": "9.0"}, DEVICE)  # 10x nominal


def test_current_table_is_the_formula() -> None:
    cal = Calibration(
        r=(1000.0, 100.0, 10.0, 1.0, 0.05),
        gs=(0.0, 100.0, 20.0, 2.0, 0.1),
        gi=(1.0, 0.97, 0.96, 0.95, 0.95),
        o=(10.0, 20.0, 30.0, 40.0, 50.0),
        s=(1e-8, 2e-8, 3e-7, 4e-6, 1e-3),
        i=(1e-8, 1e-7, 1e-5, 1e-4, 1e-3),
        ug=(1.0, 1.01, 0.99, 1.0, 1.02),
    )
    table = current_table(cal, 2500)
    for rng, adc in [(0, 0), (1, 1234), (2, 8000), (3, 16383), (4, 42)]:
        x = (adc * 4 - cal.o[rng]) * (1.8 / 163840) / cal.r[rng]
        want = cal.ug[rng] * (x * (cal.gs[rng] * x + cal.gi[rng]) + cal.s[rng] * 2.5 + cal.i[rng])
        assert table[rng, adc] == pytest.approx(want, rel=1e-14)
    assert table.shape == (5, 16384) and bool(np.all(np.diff(table, axis=1) > 0))


# -- the data port ---------------------------------------------------------------------------
def port(device: str, location: str | None = None, serial: str = "C10A56B6", **kw):
    fields = {"vid": 0x1915, "pid": 0xC00A, "description": "PPK2", "product": "PPK2"}
    fields.update(kw)
    return SimpleNamespace(device=device, location=location, serial_number=serial, **fields)


OTHER = SimpleNamespace(
    device="/dev/ttyACM0", location="1-3:1.0", serial_number="X", vid=0x0483, pid=0x374B,
    description="STM32 STLink", product="STM32 STLink",
)  # fmt: skip


def test_the_data_port_is_the_one_whose_location_ends_in_1() -> None:
    ports = [OTHER, port("/dev/ttyACM4", "1-2:1.3"), port("/dev/ttyACM3", "1-2:1.1")]
    assert pick_data_port(ports) == "/dev/ttyACM3"
    assert pick_data_port([OTHER, port("/dev/ttyACM7", "1-2:1.0")]) == "/dev/ttyACM7"  # old fw
    windows = port("COM5", "1-2:x.1", vid=None, pid=None, product=None)
    windows.description = "nRF Connect USB CDC ACM (COM5)"
    assert pick_data_port([windows, port("COM6", "1-2:x.3", vid=None, pid=None)]) == "COM5"


def test_port_choice_errors_say_what_to_do() -> None:
    with pytest.raises(DeviceConnectionError, match=r"no PPK2 found \(USB 1915:c00a\)"):
        pick_data_port([OTHER])
    two = [port("/dev/ttyACM3", "1-2:1.1"), port("/dev/ttyACM5", "1-4:1.1", serial="D2")]
    with pytest.raises(DeviceConnectionError, match=r"2 PPK2s .*--monitor ppk2:PORT"):
        pick_data_port(two)
    mac = [port("/dev/cu.usbmodemC1", "20-1"), port("/dev/cu.usbmodemC3", "20-1")]
    with pytest.raises(DeviceConnectionError, match=r"cannot tell its data port .*macOS"):
        pick_data_port(mac)
