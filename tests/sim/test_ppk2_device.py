"""The simulated PPK2: command framing, metadata, sample words (range, code, counter, logic),
auto-ranging with its transient, injected drops, a long render, and the board supply."""

from __future__ import annotations

import numpy as np
import pytest
from fake_front_end import FakeFrontEnd, SuppliedFakeFrontEnd

from tinyjoule.firmware_protocol.ppk2_protocol import (
    calibration_from_metadata,
    current_table,
    parse_metadata,
    source_voltage_command,
)
from tinyjoule.host.sim.monitors.ppk2 import SIM_CALIBRATION, TRANSIENT, SimulatedPpk2

FS = 100_000


def started(front_end=None, at: float = 0.0, volts_mv: int = 1800, **kwargs) -> SimulatedPpk2:
    device = SimulatedPpk2(front_end or FakeFrontEnd(), **kwargs)
    for command in (b"\x11\x02", source_voltage_command(volts_mv), b"\x0c\x01", b"\x06"):
        device.receive(command, at)
    return device


def fields(data: bytes) -> dict[str, np.ndarray]:
    w = np.frombuffer(data, "<u4").astype(np.int64)
    return {
        "adc": w & 0x3FFF,
        "range": (w >> 14) & 7,
        "counter": (w >> 18) & 63,
        "logic": w >> 24,
    }


def test_commands_may_arrive_byte_by_byte_and_unknown_opcodes_are_skipped() -> None:
    device = SimulatedPpk2(FakeFrontEnd())
    for byte in b"\x11\x01\x0d\x0c\xe4\x03\x0c\x01":
        device.receive(bytes([byte]), 0.0)
    assert device.commands_received == [b"\x11\x01", b"\x0d\x0c\xe4", b"\x0c\x01"]
    assert (device.mode, device.vdd_mv, device.target_powered) == (1, 3300, True)
    assert device.skipped_bytes == 1  # 0x03: its arguments are not documented
    device.receive(b"\x0c\x00", 0.0)
    assert not device.target_powered and device.output(1.0) == b""  # nothing before 0x06


def test_the_metadata_reply_reads_back_as_the_calibration_it_measures_with() -> None:
    device = SimulatedPpk2(FakeFrontEnd())
    device.receive(source_voltage_command(2500) + b"\x11\x01\x19", 0.0)
    reply = device.output(0.0)
    assert reply.startswith(b"Calibrated: 0\nR0: 1015.2000\n") and reply.endswith(b"IA: 58\nEND\n")
    meta = parse_metadata(reply)
    assert meta["VDD"] == "2500" and meta["MODE"] == "1"
    assert calibration_from_metadata(meta) == SIM_CALIBRATION == device.calibration
    with pytest.raises(ValueError, match="calibration fault"):
        device.inject_calibration("garbled")


def test_samples_stream_per_whole_period_with_a_free_running_counter() -> None:
    device = started(at=0.5)
    assert device.output(0.5) == b""
    first = fields(device.output(0.5 + 0.00123))  # 123 whole periods
    assert len(first["adc"]) == 123 and device.samples_streamed == 123
    assert first["counter"].tolist() == [k % 64 for k in range(123)]
    device.receive(b"\x07", 0.6)  # stop: the rest up to 0.6 s is still sent
    rest = fields(device.output(1.0))
    assert len(rest["adc"]) == 10_000 - 123 and not device.acquiring
    device.receive(b"\x06", 2.0)
    again = fields(device.output(2.0 + 0.0001))
    assert again["counter"].tolist() == [(10_000 + k) % 64 for k in range(10)]  # not reset


@pytest.mark.parametrize(
    ("current", "rng"), [(0.2e-3, 0), (5e-3, 1), (20e-3, 2), (0.5, 3), (5.0, 4)]
)
def test_each_current_is_the_nearest_code_of_its_range(current: float, rng: int) -> None:
    device = started(FakeFrontEnd(steps=((0.0, current),)))
    f = fields(device.output(0.001))
    table = current_table(SIM_CALIBRATION, 1800)[rng]
    assert (f["range"] == rng).all()
    assert (f["adc"] == np.argmin(np.abs(table - current))).all()


def test_auto_ranging_switches_with_hysteresis_and_a_settling_transient() -> None:
    steps = ((0.0, 20e-3), (0.001, 8e-3), (0.002, 5e-3), (0.003, 0.2e-3), (0.004, 20e-3))
    device = started(FakeFrontEnd(steps=steps))
    f = fields(device.output(0.005))
    r = f["range"]
    assert (r[:100] == 2).all() and (r[100:200] == 2).all()  # 8 mA fits range 1 only loosely
    assert (r[200:300] == 1).all() and (r[300:400] == 0).all() and (r[400:] == 2).all()
    table = current_table(SIM_CALIBRATION, 1800)
    spike = 20e-3 + TRANSIENT * (20e-3 - 0.2e-3)
    assert f["adc"][400] == np.argmin(np.abs(table[2] - spike))
    assert f["adc"][401] == np.argmin(np.abs(table[2] - 20e-3))
    assert f["adc"][300] == np.argmin(np.abs(table[0] - (0.2e-3 + TRANSIENT * (0.2e-3 - 5e-3))))


def test_the_pin_and_other_inputs_are_in_the_logic_byte() -> None:
    """Idle high; an edge at t shows from sample floor((t - t0) fs) on."""
    t0 = 0.25
    front_end = FakeFrontEnd(falling=[t0 + 0.000105], rising=[t0 + 0.00020])
    device = started(front_end, at=t0, pin_channel=6, other_logic=0b0100_0011)
    logic = fields(device.output(t0 + 0.0003))["logic"]
    pin = (logic >> 6) & 1
    assert pin[:10].tolist() == [1] * 10 and pin[10:20].tolist() == [0] * 10
    assert (pin[20:] == 1).all() and ((logic & 0b0011_1111) == 0b11).all()


def test_a_low_pin_at_start_and_an_unpowered_dut() -> None:
    device = SimulatedPpk2(FakeFrontEnd(steps=((0.0, 5e-3),), falling=[0.1]))
    device.receive(b"\x06", 0.2)  # the pin went low before the start; the DUT is off
    f = fields(device.output(0.2001))
    assert (f["logic"] == 0).all() and (f["range"] == 0).all()
    zero = np.argmin(np.abs(current_table(SIM_CALIBRATION, 3300)[0]))
    assert (f["adc"] == zero).all()


def test_injected_drops_leave_a_counter_gap() -> None:
    device = SimulatedPpk2(FakeFrontEnd())
    device.inject_drop(100, 5)  # before the host opens it: a stop while idle keeps it
    device.receive(b"\x07\x0c\x01\x06", 0.0)
    f = fields(device.output(0.002))
    assert len(f["counter"]) == 195
    assert f["counter"][99:101].tolist() == [99 % 64, 105 % 64]
    device.receive(b"\x07\x06", 0.002)  # forgotten once that acquisition stops
    assert len(device.output(0.004)) == 4 * 200


def test_noise_is_seeded() -> None:
    a = started(FakeFrontEnd(steps=((0.0, 20e-3),)), noise_a=50e-6, seed=3).output(0.01)
    b = started(FakeFrontEnd(steps=((0.0, 20e-3),)), noise_a=50e-6, seed=3).output(0.01)
    c = started(FakeFrontEnd(steps=((0.0, 20e-3),)), noise_a=50e-6, seed=4).output(0.01)
    assert a == b and a != c and len(set(fields(a)["adc"].tolist())) > 10


def test_ten_seconds_render_in_one_call() -> None:
    """Render speed is a benchmark figure (benchmarks/ppk2_decode.py), not a timed test."""
    steps = [(k * 0.05, 18e-3 if k % 2 else 23e-3) for k in range(200)]
    device = started(FakeFrontEnd(steps=steps), noise_a=50e-6)
    data = device.output(10.0)
    assert len(data) == 4 * 1_000_000
    assert fields(data)["counter"][-3:].tolist() == [(1_000_000 - k) % 64 for k in (3, 2, 1)]


def test_in_source_mode_the_regulator_voltage_is_the_board_supply() -> None:
    front = SuppliedFakeFrontEnd()
    device = SimulatedPpk2(front)
    device.receive(b"\x11\x01" + source_voltage_command(2500), 0.0)  # ampere mode
    assert device.vdd_mv == 2500 and front.voltage_v == 1.8  # an external supply feeds it
    device.receive(b"\x11\x02", 0.0)  # source mode: the PPK2 now supplies the board
    assert front.voltage_v == 2.5
    device.receive(source_voltage_command(3000), 0.0)
    assert front.voltage_v == 3.0
    device.receive(b"\x11\x01" + source_voltage_command(1200), 0.0)
    assert device.vdd_mv == 1200 and front.voltage_v == 3.0
    started(FakeFrontEnd(), volts_mv=2000)  # a front end without a settable supply is fine
