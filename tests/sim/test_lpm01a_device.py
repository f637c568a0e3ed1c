"""The simulated LPM01A: exact reply bytes, rate limits, exact stream values, event indices."""

from __future__ import annotations

import numpy as np
import pytest
from fake_front_end import FakeFrontEnd, SuppliedFakeFrontEnd

from tinyjoule.errors import MeasurementError
from tinyjoule.host.instruments.lpm01a_ascii import AsciiDecoder
from tinyjoule.host.instruments.lpm01a_binary import WORD_VALUES, BinHexaDecoder
from tinyjoule.host.measurement.stream import Event, MonitorStatus, SampleBlock, SampleDrop
from tinyjoule.host.sim.monitors.lpm01a import SimulatedLpm01a
from tinyjoule.host.sim.monitors.lpm01a_formats import bin_words, quantise_ascii


def send(device: SimulatedLpm01a, *lines: str, at: float = 0.0) -> bytes:
    for line in lines:
        device.receive(line.encode() + b"\n", at)
    return device.output(at)


def started(front_end=None, fmt="ascii_dec", output="current", freq="1k", at=0.0, **kwargs):
    device = SimulatedLpm01a(front_end or FakeFrontEnd(), **kwargs)
    setup = ["htc", "acqtime inf", "trigdelay 0", "eventsrc d7 fal", f"output {output}"]
    setup += [f"format {fmt}", f"freq {freq}", "volt 1800m", "pwr on nostatus", "start"]
    reply = send(device, *setup, at=at)
    assert reply.count(b"ack ") == len(setup), reply
    return device


def decoded(device, fmt="ascii_dec", rate=1000, upto=2.0, unit="A", stop=True):
    data = device.output(upto)
    if stop:
        device.receive(b"stop\n", upto)
        data += device.output(upto)
    cls = AsciiDecoder if fmt == "ascii_dec" else BinHexaDecoder
    decoder = cls(rate, unit, on_text=lambda _t: None)
    items = decoder.feed(data)
    values = np.concatenate([i.samples for i in items if isinstance(i, SampleBlock)])
    return values, [i for i in items if not isinstance(i, SampleBlock)], decoder, data


def test_replies_are_the_bytes_the_real_board_sends() -> None:
    device = SimulatedLpm01a(FakeFrontEnd())
    assert send(device, "htc") == b"\r\nPowerShield > ack htc\r\n\r\n"
    assert send(device, "volt 3300m") == b"\r\nPowerShield > ack volt 3300m\r\n\r\n"
    assert send(device, "version") == b"\r\nPowerShield > ack version 1.0.7\r\n\r\n"
    assert send(device, "freq 20k") == b"\r\nPowerShield > ack freq 20k\r\n\r\n"
    assert send(device, "echo ABC") == b"\r\nPowerShield > echo ABC\r\n\r\n"
    assert send(device, "status") == b"\r\nPowerShield > ack status ok\r\n\r\n"
    board = send(device, "powershield")
    assert board.startswith(b"\r\nPowerShield > ack powershield ") and board.count(b"-") == 2
    assert send(device, "volt 5000m") == (
        b"\r\nPowerShield > error volt 5000m\r\n"
        b"\r\nPowerShield > Error detail: value out of range [1800m; 3300m]\r\n\r\n"
    )
    assert b"100k, 50k" in send(device, "freq 3k")
    assert b"Error detail: command not recognized" in send(device, "bogus 1")
    assert send(device, "stop") == b"\r\nPowerShield > ack stop\r\n\r\n"


def test_lcd_needs_host_control_and_quotes() -> None:
    device = SimulatedLpm01a(FakeFrontEnd())
    assert b"send 'htc' first" in send(device, 'lcd 1 "tinyjoule"')
    assert send(device, "htc", 'lcd 1 "tinyjoule"').endswith(b'ack lcd 1 "tinyjoule"\r\n\r\n')
    assert device.lcd[0] == "tinyjoule"
    assert b"error" in send(device, 'lcd 1 "seventeen chars.."')


@pytest.mark.parametrize(
    ("fmt", "output", "freq", "acqtime", "refused"),
    [("ascii_dec", "current", "10k", "inf", b"use bin_hexa"),
     ("ascii_dec", "current", "50k", "inf", b"limited to 20k"),
     ("bin_hexa", "energy", "20k", "inf", b"energy is limited to 10k"),
     ("ascii_dec", "current", "10k", "1", None),
     ("ascii_dec", "energy", "5k", "inf", None),
     ("bin_hexa", "current", "100k", "inf", None)],
)  # fmt: skip
def test_rate_limits_are_enforced_at_start(fmt, output, freq, acqtime, refused) -> None:
    device = SimulatedLpm01a(FakeFrontEnd())
    send(device, f"format {fmt}", f"output {output}", f"freq {freq}", f"acqtime {acqtime}")
    reply = send(device, "start")
    if refused is None:
        assert reply.startswith(b"\r\nPowerShield > ack start\r\n\r\n") and device.acquiring
    else:
        assert reply.startswith(b"\r\nPowerShield > error start\r\n") and refused in reply
        assert not device.acquiring


def test_configuration_is_refused_while_acquiring() -> None:
    device = started()
    assert b"acquisition in progress" in send(device, "freq 100")
    assert b"ack pwr off" in send(device, "pwr off")


@pytest.mark.parametrize("fmt", ["ascii_dec", "bin_hexa"])
def test_current_stream_is_exact_with_stamps_and_the_end(fmt: str) -> None:
    values, others, decoder, data = decoded(started(fmt=fmt), fmt, upto=2.0005)
    if fmt == "ascii_dec":
        expected = float("1234e-06")
        assert b"TimeStamp: 001s 000ms, buff 00%\r\n\x00" in data
        assert data.endswith(b"\r\nPowerShield > Acquisition completed\r\n\r\n")
    else:
        expected = WORD_VALUES[bin_words(np.array([1.234e-3]))[0]]
        assert data.endswith(b"\xf0\xf4\xff\xff\r\nPowerShield > Acquisition completed\r\n\r\n")
    assert len(values) == 2000 and (values == expected).all()
    assert others == [MonitorStatus(1000, 0), MonitorStatus(2000, 0)]
    assert decoder.ended and decoder.garbage_bytes == 0


def test_bin_hexa_stream_starts_with_a_voltage_frame_after_the_ack() -> None:
    device = SimulatedLpm01a(FakeFrontEnd())
    reply = send(device, "format bin_hexa", "volt 1800m", "acqtime inf", "start")
    assert reply.endswith(b"\r\nPowerShield > ack start\r\n\r\n\xf0\xf7\x07\x08\xff\xff")


@pytest.mark.parametrize("fmt", ["ascii_dec", "bin_hexa"])
def test_energy_output_is_voltage_times_charge_per_period(fmt: str) -> None:
    front = FakeFrontEnd(current_a=2.5e-3, voltage_v=3.0)
    values, _, _, _ = decoded(started(front, fmt, "energy", "2k"), fmt, 2000, 0.5, "J")
    joules = 3.0 * 2.5e-3 / 2000
    if fmt == "ascii_dec":
        mantissa, exponent = quantise_ascii(np.array([joules]))
        expected = float(f"{mantissa[0]}e{exponent[0]}")
    else:
        expected = WORD_VALUES[bin_words(np.array([joules]))[0]]
    assert len(values) == 1000 and (values == expected).all()
    assert expected == pytest.approx(joules, rel=2e-3)


def test_volt_sets_the_supply_of_the_board_it_powers() -> None:
    front = SuppliedFakeFrontEnd(current_a=2.5e-3, voltage_v=1.8)
    device = SimulatedLpm01a(front)
    assert send(device, "volt 2500m").endswith(b"ack volt 2500m\r\n\r\n")
    assert front.voltage_v == 2.5 and device.voltage_v == 2.5
    assert b"error volt" in send(device, "volt 5000m")  # refused: the supply is unchanged
    assert b"ack volt get 2500m" in send(device, "volt get") and front.voltage_v == 2.5
    # energy output follows the supply it set (the board's current stays the same)
    setup = ["htc", "acqtime inf", "trigdelay 0", "output energy", "freq 1k", "volt 3"]
    send(device, *setup, "pwr on nostatus", "start")
    values, _, _, _ = decoded(device, upto=0.1, unit="J")
    assert front.voltage_v == 3.0
    assert values == pytest.approx(3.0 * 2.5e-3 / 1000, rel=1e-3)


@pytest.mark.parametrize("fmt", ["ascii_dec", "bin_hexa"])
def test_an_edge_during_sample_i_minus_1_is_an_event_at_index_i(fmt: str) -> None:
    t0, fs = 0.25, 1000
    edges = [t0 - 0.1, t0 + 2.5 / fs, t0 + 3 / fs, t0 + 999.2 / fs, t0 + 1.0, t0 + 1.5]
    front = FakeFrontEnd(falling=edges, rising=[t0 + 7.5 / fs])
    device = started(front, fmt, at=t0)
    _, others, _, _ = decoded(device, fmt, upto=t0 + 1.7)
    events = [item for item in others if isinstance(item, Event)]
    assert [(e.sample_index, e.counter) for e in events] == [
        (3, 0), (4, 1), (1000, 2), (1001, 3), (1501, 4)
    ]  # fmt: skip


def test_output_is_the_same_however_often_the_host_reads() -> None:
    front = FakeFrontEnd(falling=[0.0105, 0.5, 1.0, 1.2345])
    whole = started(front).output(2.0)
    device = started(front)
    pieces = b"".join(device.output(t) for t in np.arange(0.0, 2.0, 0.0137))
    assert pieces + device.output(2.0) == whole


@pytest.mark.parametrize("fmt", ["ascii_dec", "bin_hexa"])
def test_injected_drop_is_detected_from_the_stamps(fmt: str) -> None:
    device = started(fmt=fmt)
    device.inject_drop(1500, 7)
    values, others, _, _ = decoded(device, fmt, upto=3.0)
    assert len(values) == 3000 - 7
    assert SampleDrop(first_index=1000, count=7) in others
    assert [o.sample_index for o in others if isinstance(o, MonitorStatus)] == [1000, 1993, 2993]


@pytest.mark.parametrize("fmt", ["ascii_dec", "bin_hexa"])
def test_injected_overrun_ends_the_acquisition_with_an_error(fmt: str) -> None:
    device = started(fmt=fmt)
    device.inject_overrun(1200)
    data = device.output(2.0)
    assert not device.acquiring
    decoder = (AsciiDecoder if fmt == "ascii_dec" else BinHexaDecoder)(1000, "A")
    with pytest.raises(MeasurementError, match="overrun"):
        decoder.feed(data)
    assert send(device, "stop", at=2.0) == b"\r\nPowerShield > ack stop\r\n\r\n"


def test_a_slow_host_fills_the_buffer_then_overruns() -> None:
    device = started(buffer_bytes=30_000)  # ~3.3 s of ascii at 1 kHz
    data = device.output(3.0)
    decoder = AsciiDecoder(1000, "A")
    status = [i.buffer_percent for i in decoder.feed(data) if isinstance(i, MonitorStatus)]
    assert status == [30, 60, 90]
    assert device.output(3.1) and device.acquiring  # taking the data empties the buffer
    device.output(7.0)
    assert not device.acquiring


def test_noise_is_seeded() -> None:
    a = started(noise_a=1e-4, seed=3).output(0.5)
    assert a == started(noise_a=1e-4, seed=3).output(0.5)
    assert a != started(noise_a=1e-4, seed=4).output(0.5)
    decoder = AsciiDecoder(1000, "A")
    values = np.concatenate([i.samples for i in decoder.feed(a) if isinstance(i, SampleBlock)])
    assert values.std() == pytest.approx(1e-4, rel=0.2)
    assert values.mean() == pytest.approx(1.234e-3, abs=2e-5)


def test_target_power_follows_pwr_and_pwrend() -> None:
    device = SimulatedLpm01a(FakeFrontEnd())
    assert not device.target_powered
    send(device, "acqtime 10m", "freq 1k", "trigdelay 0")
    send(device, "start")
    assert device.target_powered  # pwr auto: on at start
    data = device.output(0.02)
    assert data.endswith(b"Acquisition completed\r\n\r\n") and data.count(b"1234-06\r\n") == 10
    assert device.target_powered  # pwrend on
    send(device, "pwr off", "acqtime inf", "start")
    values, _, _, _ = decoded(device, upto=0.5)
    assert not device.target_powered and not values.any()


def test_psrst_restores_power_up_defaults() -> None:
    device = started()
    send(device, "stop", "psrst")
    assert device.settings.freq_hz == 100 and not device.host_controlled and not device.acquiring


@pytest.mark.parametrize(
    ("fmt", "freq", "seconds"), [("bin_hexa", "100k", 10), ("ascii_dec", "5k", 200)]
)
def test_a_million_samples_render_in_one_call(fmt, freq, seconds) -> None:
    """Render speed is a benchmark figure (benchmarks/lpm01a_decode.py), not a timed test."""
    front = FakeFrontEnd(falling=list(np.arange(0.01, seconds, 0.01)))
    device = started(front, fmt, freq=freq)
    data = device.output(float(seconds))
    assert len(data) >= 1_000_000 * (2 if fmt == "bin_hexa" else 9)
